//! The state as bytes and back: a snapshot taken after one position of the log, so that
//! start-up applies only the events after it (SPEC §8).
//!
//! A snapshot is a framed, self-checking blob:
//!
//! ```text
//! magic "DCSNAP\0\0" (8) | format version u32 LE | seq u64 LE | head hash (32)
//! | body length u64 LE | SHA-256 over everything before it and the body (32) | body
//! ```
//!
//! `seq` and the head hash name the log position the state was taken after; whoever loads
//! a snapshot checks them against its log before trusting it ([`read_header`] reads them
//! without decoding the body). The digest catches a blob corrupted at rest.
//!
//! The body is MessagePack (`rmp-serde`, structs as maps). Why this encoding: the domain types
//! already serialise for the log's JSON and use what only a self-describing format can read
//! back (`skip_serializing_if`, internally tagged enums), which rules out postcard and bincode;
//! MessagePack keeps every `f64` bit for bit (a JSON round trip need not), and decodes several
//! times faster than JSON. The body holds what the log decided: parties and tokens, operations,
//! zones and sites by their specs, alerts, tracks, messages, incidents, shared reports,
//! agreements, and the bookkeeping that depends on history (alert generations, the resolved
//! alerts per party, the three time queues). What is a pure function of that is rebuilt on
//! load rather than stored (see [`crate::State`]'s `from_snapshot_body`): the volumes,
//! footprints and shapes (by the same validation replay does), the R-tree, the token-hash
//! lookup, the split of tracks into live and lost, and the open-alert indexes.
//!
//! The format version is this build's notion of the body's shape: any change to a stored
//! domain type (or to what is stored) must bump [`FORMAT_VERSION`]. A snapshot of another version is not an error for the user: the caller discards it
//! and replays the log in full.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

use crate::agreement::Agreement;
use crate::alert::Alert;
use crate::ids::{AlertId, OperationKey, PartyId};
use crate::incident::{Incident, SharedReport};
use crate::message::Message;
use crate::operation::{OperationSpec, OperationState};
use crate::party::Party;
use crate::site::SiteSpec;
use crate::track::{SnapshotTrack, SnapshotTracks};
use crate::zone::ZoneSpec;
use crate::State;

/// The version of the snapshot format this build writes and reads.
/// 2: tracks carry the time they were last seen (`LiveTrack::seen_at`), for retention. (The
/// state's compact track records of issue 17 are written in version 2's shape: see
/// `track::SnapshotTrack`.)
pub const FORMAT_VERSION: u32 = 2;

const MAGIC: &[u8; 8] = b"DCSNAP\0\0";
const HEADER_LEN: usize = 8 + 4 + 8 + 32 + 8;
const DIGEST_LEN: usize = 32;

/// Where in the log a snapshot was taken: after event `seq`, whose hash is `head_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotPosition {
    pub seq: u64,
    /// Lowercase hex SHA-256 of event `seq`, as the log stores it.
    pub head_hash: String,
}

/// Why a blob cannot be loaded. None of these is fatal: the caller replays instead.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SnapshotError {
    #[error("not a snapshot (too short or wrong magic)")]
    NotASnapshot,
    #[error("snapshot format version {found}, this build reads {supported}")]
    OtherVersion { found: u32, supported: u32 },
    #[error("snapshot length {found} bytes does not match its header ({expected})")]
    Truncated { found: usize, expected: usize },
    #[error("snapshot digest does not verify: the blob is corrupt")]
    DigestMismatch,
    #[error("snapshot body cannot be decoded: {0}")]
    Body(String),
    #[error("snapshot head hash is not 64 hex digits: {0}")]
    BadHeadHash(String),
}

/// Encodes `state`, taken after the log position `at`.
pub fn encode(state: &State, at: &SnapshotPosition) -> Result<Vec<u8>, SnapshotError> {
    frame(encode_body(state)?, at)
}

/// The body of a snapshot of `state`: the only part that reads the state, so a server holds
/// its writer lock for this and does the rest ([`frame`]: digest and header) without it.
pub fn encode_body(state: &State) -> Result<EncodedBody, SnapshotError> {
    rmp_serde::to_vec_named(&state.to_snapshot_body())
        .map(EncodedBody)
        .map_err(|error| SnapshotError::Body(error.to_string()))
}

/// An encoded snapshot body, not yet framed. It owns its bytes: the state may change while it
/// is framed and stored.
pub struct EncodedBody(Vec<u8>);

/// Frames an encoded body as the snapshot taken after `at`: header, SHA-256 digest, body.
pub fn frame(body: EncodedBody, at: &SnapshotPosition) -> Result<Vec<u8>, SnapshotError> {
    let head = hex::decode(&at.head_hash)
        .ok()
        .filter(|bytes| bytes.len() == 32)
        .ok_or_else(|| SnapshotError::BadHeadHash(at.head_hash.clone()))?;
    let body = body.0;
    let mut bytes = Vec::with_capacity(HEADER_LEN + DIGEST_LEN + body.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&at.seq.to_le_bytes());
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    let digest = Sha256::new()
        .chain_update(&bytes)
        .chain_update(&body)
        .finalize();
    bytes.extend_from_slice(&digest);
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

/// Reads the position a snapshot claims, and refuses another format version, without
/// verifying or decoding the body: a position that does not match the log is refused cheaply.
pub fn read_header(bytes: &[u8]) -> Result<SnapshotPosition, SnapshotError> {
    if bytes.len() < HEADER_LEN + DIGEST_LEN || &bytes[..8] != MAGIC {
        return Err(SnapshotError::NotASnapshot);
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(SnapshotError::OtherVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let seq = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    Ok(SnapshotPosition {
        seq,
        head_hash: hex::encode(&bytes[20..52]),
    })
}

/// Verifies the digest and decodes the state (rebuilding what is derived).
pub fn decode(bytes: &[u8]) -> Result<(SnapshotPosition, State), SnapshotError> {
    let position = read_header(bytes)?;
    let body_len = u64::from_le_bytes(bytes[52..60].try_into().expect("8 bytes"));
    let expected = usize::try_from(body_len)
        .ok()
        .and_then(|len| len.checked_add(HEADER_LEN + DIGEST_LEN))
        .unwrap_or(usize::MAX);
    if bytes.len() != expected {
        return Err(SnapshotError::Truncated {
            found: bytes.len(),
            expected,
        });
    }
    let (header, rest) = bytes.split_at(HEADER_LEN);
    let (digest, body) = rest.split_at(DIGEST_LEN);
    let computed = Sha256::new()
        .chain_update(header)
        .chain_update(body)
        .finalize();
    if computed.as_slice() != digest {
        return Err(SnapshotError::DigestMismatch);
    }
    let body: Body =
        rmp_serde::from_slice(body).map_err(|error| SnapshotError::Body(error.to_string()))?;
    let state = State::from_snapshot_body(body).map_err(SnapshotError::Body)?;
    Ok((position, state))
}

/// An operation as stored: its volumes are rebuilt from the spec.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct OperationRecord<S> {
    pub key: OperationKey,
    pub spec: S,
    pub state: OperationState,
    pub version: u64,
    pub filed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A zone or a site as stored: its footprint or shape is rebuilt from the spec.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PlaceRecord<S> {
    pub id: String,
    pub owner: PartyId,
    pub spec: S,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

/// The snapshot body, generic over owned values (decoding) and references (encoding, so a
/// snapshot never copies the state first). Every map is ordered, so equal states encode to
/// equal bytes.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct BodyOf<P, T, O, A, R, M, I, H, G, Z, S> {
    pub events_applied: u64,
    pub parties: P,
    pub tokens: T,
    pub tokens_issued: BTreeMap<PartyId, u32>,
    pub operations: O,
    pub alerts: A,
    pub alert_generations: BTreeMap<String, u32>,
    pub resolved_by_party: R,
    pub deadlines: Vec<(DateTime<Utc>, AlertId)>,
    pub expiries: Vec<(DateTime<Utc>, AlertId)>,
    pub operation_ends: Vec<(DateTime<Utc>, OperationKey)>,
    pub tracks: H,
    pub messages: M,
    pub incidents: I,
    pub reports: G,
    pub agreements: BTreeMap<String, Agreement>,
    pub zones: Z,
    pub sites: S,
}

/// The body as decoded.
pub(crate) type Body = BodyOf<
    BTreeMap<PartyId, Party>,
    BTreeMap<PartyId, BTreeMap<String, String>>,
    Vec<OperationRecord<OperationSpec>>,
    BTreeMap<AlertId, Alert>,
    BTreeMap<PartyId, BTreeSet<(DateTime<Utc>, AlertId)>>,
    BTreeMap<String, Message>,
    BTreeMap<String, Incident>,
    BTreeMap<String, SnapshotTrack>,
    BTreeMap<String, SharedReport>,
    Vec<PlaceRecord<ZoneSpec>>,
    Vec<PlaceRecord<SiteSpec>>,
>;

/// The body as encoded, borrowing from the state.
pub(crate) type BodyRef<'a> = BodyOf<
    &'a BTreeMap<PartyId, Party>,
    &'a BTreeMap<PartyId, BTreeMap<String, String>>,
    Vec<OperationRecord<&'a OperationSpec>>,
    &'a BTreeMap<AlertId, Alert>,
    BTreeMap<&'a PartyId, &'a BTreeSet<(DateTime<Utc>, AlertId)>>,
    &'a BTreeMap<String, Message>,
    &'a BTreeMap<String, Incident>,
    SnapshotTracks<'a>,
    &'a BTreeMap<String, SharedReport>,
    Vec<PlaceRecord<&'a ZoneSpec>>,
    Vec<PlaceRecord<&'a SiteSpec>>,
>;
