//! Ed25519 signatures over chain heads, and the server's signing key on disk.
//!
//! # Signed message, precisely
//!
//! ```text
//! message = field("deconflict-head-v1") || u64be(seq) || field(hash) || field(signed_at)
//! ```
//!
//! with `field` and `u64be` as in the event hash (`hash.rs`), `hash` the head event's hash as 64
//! lowercase hex (the genesis hash for an empty log, seq 0), and `signed_at` the canonical time
//! text (`%Y-%m-%dT%H:%M:%S%.6fZ`). The signature is plain Ed25519 (RFC 8032) by the key whose
//! 32-byte public half is `public_key`; verification uses `verify_strict`, which also refuses
//! small-order keys and non-canonical signatures, so a signature has one valid spelling.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::ReceiptError;
use crate::hash::{format_time, parse_time};
use crate::redact::parse_hex32;
use crate::StoreError;

const HEAD_DOMAIN_TAG: &str = "deconflict-head-v1";

/// Bytes of a key file: the raw 32-byte Ed25519 secret seed, nothing else.
const KEY_FILE_BYTES: usize = 32;

/// A chain head signed by the server: "the log's event `seq` had hash `hash` at `signed_at`".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedHead {
    pub seq: u64,
    /// 64 lowercase hex digits.
    pub hash: String,
    /// Canonical RFC 3339 UTC text with six fractional digits, signed byte for byte.
    pub signed_at: String,
    /// The signer's Ed25519 public key, 64 lowercase hex digits.
    pub public_key: String,
    /// Ed25519 signature over the message in the module docs, 128 lowercase hex digits.
    pub signature: String,
}

impl SignedHead {
    /// Checks the form of every field and the signature against `public_key`.
    pub fn verify(&self) -> Result<(), ReceiptError> {
        let bad = |reason: String| ReceiptError::BadHead {
            seq: self.seq,
            reason,
        };
        if parse_hex32(&self.hash).is_none() {
            return Err(bad("hash is not 64 lowercase hex digits".into()));
        }
        parse_time(&self.signed_at).map_err(bad)?;
        let key_bytes = parse_hex32(&self.public_key)
            .ok_or_else(|| bad("public_key is not 64 lowercase hex digits".into()))?;
        let key = VerifyingKey::from_bytes(&key_bytes)
            .map_err(|_| bad("public_key is not an Ed25519 public key".into()))?;
        let signature = parse_signature(&self.signature)
            .ok_or_else(|| bad("signature is not 128 lowercase hex digits".into()))?;
        key.verify_strict(
            &head_message(self.seq, &self.hash, &self.signed_at),
            &signature,
        )
        .map_err(|_| bad("signature does not verify".into()))
    }
}

fn parse_signature(text: &str) -> Option<Signature> {
    let (first, second) = (text.get(..64)?, text.get(64..)?);
    let (first, second) = (parse_hex32(first)?, parse_hex32(second)?);
    let mut bytes = [0u8; 64];
    bytes[..32].copy_from_slice(&first);
    bytes[32..].copy_from_slice(&second);
    Some(Signature::from_bytes(&bytes))
}

fn head_message(seq: u64, hash: &str, signed_at: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(64 + HEAD_DOMAIN_TAG.len() + hash.len() + signed_at.len());
    push_field(&mut message, HEAD_DOMAIN_TAG);
    message.extend_from_slice(&seq.to_be_bytes());
    push_field(&mut message, hash);
    push_field(&mut message, signed_at);
    message
}

fn push_field(message: &mut Vec<u8>, text: &str) {
    message.extend_from_slice(&(text.len() as u64).to_be_bytes());
    message.extend_from_slice(text.as_bytes());
}

/// The server's head-signing key. Its `Debug` form shows only the public key.
pub struct HeadSigner {
    key: SigningKey,
}

impl HeadSigner {
    /// Loads the key at `path`, or creates one there if no file exists (readable by the owner
    /// only, 0600, on unix). A file that exists but is not exactly a 32-byte key, or that others
    /// may read, is an error, never replaced: a new key would orphan every receipt signed so far.
    pub fn load_or_create(path: &Path) -> Result<HeadSigner, StoreError> {
        match std::fs::read(path) {
            Ok(bytes) => return Self::from_key_file(path, &bytes),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(io_error(path, source)),
        }
        let seed: [u8; KEY_FILE_BYTES] = rand::random();
        match write_new_key_file(path, &seed) {
            Ok(()) => Ok(HeadSigner::from_seed(seed)),
            // Another process created it first: use theirs.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                let bytes = std::fs::read(path).map_err(|source| io_error(path, source))?;
                Self::from_key_file(path, &bytes)
            }
            Err(source) => Err(io_error(path, source)),
        }
    }

    /// A signer from a known 32-byte seed (tests, or keys kept elsewhere).
    pub fn from_seed(seed: [u8; KEY_FILE_BYTES]) -> HeadSigner {
        HeadSigner {
            key: SigningKey::from_bytes(&seed),
        }
    }

    fn from_key_file(path: &Path, bytes: &[u8]) -> Result<HeadSigner, StoreError> {
        check_key_file_permissions(path)?;
        let seed: [u8; KEY_FILE_BYTES] = bytes.try_into().map_err(|_| StoreError::SigningKey {
            path: path.to_path_buf(),
            reason: format!(
                "the file holds {} bytes, not a {KEY_FILE_BYTES}-byte Ed25519 key",
                bytes.len()
            ),
        })?;
        Ok(HeadSigner::from_seed(seed))
    }

    /// The public key as 64 lowercase hex digits, to publish so parties can check receipts.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// Signs "event `seq` has hash `hash`" at `signed_at` (cut to whole microseconds).
    pub fn sign(&self, seq: u64, hash: &str, signed_at: &DateTime<Utc>) -> SignedHead {
        let signed_at = format_time(signed_at);
        let signature = self.key.sign(&head_message(seq, hash, &signed_at));
        SignedHead {
            seq,
            hash: hash.to_string(),
            signed_at,
            public_key: self.public_key_hex(),
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

impl std::fmt::Debug for HeadSigner {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HeadSigner")
            .field("public_key", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: PathBuf::from(path),
        source,
    }
}

/// Creates `path` exclusively (never overwriting), owner-only, and makes the key durable.
/// Creates `path` holding `seed`, or fails with `AlreadyExists` if the name is taken.
///
/// Why not `create_new` and write: between the two, another process (nodes sharing a key, tests
/// in parallel) could read the file empty and refuse to start. The key is written and synced in
/// a private temporary file first, then hard-linked to its name: a link is atomic and never
/// replaces an existing name, so whoever reads `path` reads 0 or 32 bytes, never a partial key.
fn write_new_key_file(path: &Path, seed: &[u8; KEY_FILE_BYTES]) -> std::io::Result<()> {
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".signing-key-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let temporary = builder.tempfile_in(directory)?;
    temporary.as_file().write_all(seed)?;
    temporary.as_file().sync_all()?;
    let linked = std::fs::hard_link(temporary.path(), path);
    // The temporary name goes whatever happened; the key lives on under `path` if linked.
    temporary.close()?;
    linked?;
    std::fs::File::open(directory)?.sync_all()?;
    Ok(())
}

#[cfg(unix)]
fn check_key_file_permissions(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .map_err(|source| io_error(path, source))?
        .permissions()
        .mode();
    match mode & 0o077 {
        0 => Ok(()),
        _ => Err(StoreError::SigningKey {
            path: path.to_path_buf(),
            reason: format!(
                "the file's mode is {:o}; others could read the key (chmod 600 it)",
                mode & 0o777
            ),
        }),
    }
}

#[cfg(not(unix))]
fn check_key_file_permissions(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
    }

    fn head() -> SignedHead {
        HeadSigner::from_seed([9; 32]).sign(5, &"ab".repeat(32), &time())
    }

    #[test]
    fn a_signed_head_verifies_and_any_changed_field_does_not() {
        assert_eq!(head().verify(), Ok(()));
        let changes: [fn(&mut SignedHead); 5] = [
            |h| h.seq += 1,
            |h| h.hash = "cd".repeat(32),
            |h| h.signed_at = "2025-03-01T12:00:00.000001Z".into(),
            |h| h.public_key = HeadSigner::from_seed([8; 32]).public_key_hex(),
            |h| h.signature = h.signature.to_uppercase(),
        ];
        for change in changes {
            let mut changed = head();
            change(&mut changed);
            assert!(
                matches!(changed.verify(), Err(ReceiptError::BadHead { .. })),
                "{changed:?}"
            );
        }
    }

    #[test]
    fn the_signature_is_plain_ed25519_over_the_documented_message() {
        let mut message = Vec::new();
        message.extend_from_slice(&18u64.to_be_bytes());
        message.extend_from_slice(b"deconflict-head-v1");
        message.extend_from_slice(&5u64.to_be_bytes());
        message.extend_from_slice(&64u64.to_be_bytes());
        message.extend_from_slice("ab".repeat(32).as_bytes());
        message.extend_from_slice(&27u64.to_be_bytes());
        message.extend_from_slice(b"2025-03-01T12:00:00.000000Z");
        let key = SigningKey::from_bytes(&[9; 32]);
        assert_eq!(head().signature, hex::encode(key.sign(&message).to_bytes()));
    }

    #[test]
    fn a_key_is_created_once_owner_only_and_then_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db.signing-key");
        let created = HeadSigner::load_or_create(&path).unwrap();
        let loaded = HeadSigner::load_or_create(&path).unwrap();
        assert_eq!(created.public_key_hex(), loaded.public_key_hex());
        assert!(!format!("{created:?}").contains(&hex::encode(created.key.to_bytes())));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn processes_racing_to_create_the_key_all_get_the_same_whole_key() {
        for _ in 0..50 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("shared.signing-key");
            let keys: Vec<String> = std::thread::scope(|scope| {
                let racers: Vec<_> = (0..8)
                    .map(|_| {
                        scope
                            .spawn(|| HeadSigner::load_or_create(&path).map(|k| k.public_key_hex()))
                    })
                    .collect();
                racers
                    .into_iter()
                    .map(|racer| racer.join().unwrap().unwrap())
                    .collect()
            });
            assert!(keys.iter().all(|key| key == &keys[0]), "{keys:?}");
            let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
            assert_eq!(names.len(), 1, "no temporary file is left behind");
        }
    }

    #[test]
    fn a_wrong_sized_key_file_is_an_error_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        write_new_key_file(&path, &[1; 32]).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"\n")
            .unwrap();
        let error = HeadSigner::load_or_create(&path).unwrap_err();
        assert!(
            matches!(&error, StoreError::SigningKey { reason, .. } if reason.contains("33 bytes")),
            "{error}"
        );
        assert_eq!(std::fs::read(&path).unwrap().len(), 33, "not replaced");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        write_new_key_file(&path, &[1; 32]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = HeadSigner::load_or_create(&path).unwrap_err();
        assert!(error.to_string().contains("chmod 600"), "{error}");
    }
}
