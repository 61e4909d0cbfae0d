//! The salted, redactable content digest that the hash chain commits to.
//!
//! Why not hash the payload text, as v1 of the chain did: to prove one event to a party, the
//! party would need every byte of it, and to prove a later head, every byte of every later event.
//! Instead each event's *content* is hashed as a tree of salted digests, so any subtree can be
//! replaced by its digest (redacted) and the root digest still recomputed by someone who sees
//! only the rest. The receipts in `receipt.rs` are built on this.
//!
//! # Content digest, precisely (enough to re-implement verification elsewhere)
//!
//! Each kind of node hash is BLAKE3 in keyed mode (32-byte output) under its own key,
//! `H_tag(m) = BLAKE3-keyed(key = BLAKE3(tag), m)` for the four ASCII tags below: domain
//! separation that costs nothing per hash, unlike a tag prefix, which adds a compression to most
//! of these small messages. BLAKE3 rather than SHA-256 because most nodes are under a few 64-byte
//! blocks, where BLAKE3 is fastest. `field(s)` and `u64be` are as in the event hash (`hash.rs`):
//! `field(s) = u64be(byte length of s) || bytes of s`.
//!
//! An event's content is the JSON object
//! `{"actor": actor, "kind": kind, "payload": payload, "time": time text}` (time text exactly as
//! stored, see `hash.rs`). The event has a random 32-byte `salt`, stored as 64 lowercase hex.
//!
//! - Node salts: the content object's salt is the event salt; a child's salt is
//!   `H_"deconflict-salt-v1"(parent_salt || key)`, where `key` is the object key's UTF-8 bytes
//!   or, in an array, the element's index in decimal ASCII without leading zeros (`0`, `12`).
//!   One-way, so revealing a subtree's salt reveals nothing of its siblings or ancestors.
//! - A *leaf* is a scalar (null, bool, number, string), an array whose elements are all scalars
//!   (including `[]`), a *table*: a non-empty array whose elements are all such scalar arrays,
//!   or the empty object `{}`. So a `[lon, lat]` pair, a ring of them, a position row
//!   `["trk",time,1.0,...]` and a whole batch of rows are each one leaf: a table is disclosed
//!   whole or not at all, which is how position batches are released, and hashing it as one
//!   leaf keeps the per-report cost of the chain to one pass over its text. Leaf digest:
//!   `H_"deconflict-leaf-v1"(node_salt || canonical_json(leaf))`.
//!   `{}` is a leaf so that its digest is salted too: as an object with no children its digest
//!   would be a constant, recognisable when redacted.
//! - A non-empty object: `H_"deconflict-object-v1"(u64be(n) || for each key in UTF-8 byte
//!   order: field(key) || child digest)`.
//! - A non-leaf array: `H_"deconflict-array-v1"(u64be(n) || child digests in order)`.
//!
//! The content digest is the digest of the content object; the event hash (`hash.rs`) commits to
//! it. Because any subtree counts only through its digest, retention can drop a subtree of an
//! old event and keep its digest (`sqlite/prune.rs`): the content digest, and so every hash of
//! the chain, is unchanged ([`event_content_digest`] takes the recorded digests). Every leaf is salted, so a redacted low-entropy value (`"military"`, `true`, a squawk code)
//! cannot be found by hashing candidates.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::hash::{format_time, write_canonical, write_json_string};
use crate::StoredEvent;

/// Bytes of an event salt and of every node digest.
pub const SALT_BYTES: usize = 32;

/// The BLAKE3 key of each kind of node hash: BLAKE3 of its tag (see the module docs).
struct NodeKeys {
    salt: [u8; 32],
    leaf: [u8; 32],
    object: [u8; 32],
    array: [u8; 32],
}

static NODE_KEYS: LazyLock<NodeKeys> = LazyLock::new(|| {
    let key = |tag: &str| *blake3::hash(tag.as_bytes()).as_bytes();
    NodeKeys {
        salt: key("deconflict-salt-v1"),
        leaf: key("deconflict-leaf-v1"),
        object: key("deconflict-object-v1"),
        array: key("deconflict-array-v1"),
    }
});

/// The content object's keys, in the byte order the object digest takes them.
pub(crate) const CONTENT_KEYS: [&str; 4] = ["actor", "kind", "payload", "time"];

/// A 32-byte digest of a content node (BLAKE3 output).
pub type NodeDigest = [u8; SALT_BYTES];

/// The random salt of an event, or the derived salt of one node of its content.
#[derive(Clone, PartialEq, Eq)]
pub struct Salt([u8; SALT_BYTES]);

impl Salt {
    /// A fresh salt from the thread-local CSPRNG (ChaCha seeded by the OS).
    pub fn random() -> Salt {
        Salt(rand::random())
    }

    pub fn from_bytes(bytes: [u8; SALT_BYTES]) -> Salt {
        Salt(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; SALT_BYTES] {
        &self.0
    }

    /// Parses exactly 64 *lowercase* hex digits. Uppercase is refused so that every salt has one
    /// spelling: a receipt that still verifies after a byte of it changed would be a weakness.
    pub fn from_hex(text: &str) -> Option<Salt> {
        parse_hex32(text).map(Salt)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The salt of the child named `key` (object key, or decimal array index).
    pub fn child(&self, key: &str) -> Salt {
        Salt(keyed_hash_parts(
            &NODE_KEYS.salt,
            &[&self.0, key.as_bytes()],
        ))
    }
}

/// Serialised as 64 lowercase hex digits, the form stored in the log.
impl serde::Serialize for Salt {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Salt {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Salt, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Salt::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("a salt is 64 lowercase hex digits"))
    }
}

/// Salts are secrets until disclosed; never print one by accident.
impl std::fmt::Debug for Salt {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Salt(..)")
    }
}

/// Parses exactly 64 lowercase hex digits into 32 bytes (one spelling per value).
pub(crate) fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    let canonical =
        text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let mut bytes = [0u8; 32];
    (canonical && hex::decode_to_slice(text, &mut bytes).is_ok()).then_some(bytes)
}

/// The content digest of an event, from its parts (see the module docs).
pub fn content_digest(
    time: &DateTime<Utc>,
    actor: &str,
    kind: &str,
    payload: &Value,
    salt: &Salt,
) -> NodeDigest {
    content_digest_of_columns(&format_time(time), actor, kind, payload, salt, &[])
}

/// The content digest of a stored event, from its fields. For a pruned event the recorded
/// digest of each pruned subtree stands in for it (a record that does not parse is ignored,
/// which shows as a digest that does not match, never as a panic).
pub fn event_content_digest(event: &StoredEvent) -> NodeDigest {
    let pruned = event
        .pruned
        .as_ref()
        .and_then(|pruned| pruned.nodes().ok())
        .unwrap_or_default();
    content_digest_of_columns(
        &format_time(&event.time),
        &event.actor,
        &event.kind,
        &event.payload,
        &event.salt,
        &pruned,
    )
}

/// The content digest with the time as its stored text, without building the content object
/// (the append path must not copy a 10,000-report payload just to hash it). `pruned` lists the
/// subtrees of the payload that retention replaced by their digests (paths into the payload).
pub(crate) fn content_digest_of_columns(
    time_text: &str,
    actor: &str,
    kind: &str,
    payload: &Value,
    salt: &Salt,
    pruned: &[(Vec<String>, NodeDigest)],
) -> NodeDigest {
    let mut scratch = String::new();
    let string_leaf = |key: &str, text: &str, scratch: &mut String| {
        scratch.clear();
        write_json_string(text, scratch);
        leaf_digest(&salt.child(key), scratch)
    };
    let actor_digest = string_leaf("actor", actor, &mut scratch);
    let kind_digest = string_leaf("kind", kind, &mut scratch);
    let time_digest = string_leaf("time", time_text, &mut scratch);
    let pruned: Vec<(&[String], &NodeDigest)> = pruned
        .iter()
        .map(|(path, digest)| (path.as_slice(), digest))
        .collect();
    let payload_digest = pruned_node_digest(payload, &salt.child("payload"), &pruned, &mut scratch);
    let children = [actor_digest, kind_digest, payload_digest, time_digest];
    object_digest(CONTENT_KEYS.into_iter().zip(children))
}

/// The content object of an event, the JSON that disclosures point into.
pub fn event_content(event: &StoredEvent) -> Value {
    let mut content = Map::new();
    content.insert("actor".into(), Value::String(event.actor.clone()));
    content.insert("kind".into(), Value::String(event.kind.clone()));
    content.insert("payload".into(), event.payload.clone());
    content.insert("time".into(), Value::String(format_time(&event.time)));
    Value::Object(content)
}

/// True if `value` is hashed as one leaf (see the module docs).
pub fn is_leaf(value: &Value) -> bool {
    match value {
        Value::Array(items) => {
            items.iter().all(is_scalar)
                || items.iter().all(|item| match item {
                    Value::Array(row) => row.iter().all(is_scalar),
                    _ => false,
                })
        }
        Value::Object(map) => map.is_empty(),
        _ => true,
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// The digest of the subtree `value` whose root salt is `salt`.
pub fn node_digest(value: &Value, salt: &Salt) -> NodeDigest {
    node_digest_with(value, salt, &mut String::new())
}

/// [`node_digest`] with a caller-owned text buffer reused across leaves. Recursion depth is the
/// value's nesting, bounded by [`crate::MAX_PAYLOAD_DEPTH`] on append and by serde_json's limit
/// of 128 on anything parsed.
fn node_digest_with(value: &Value, salt: &Salt, scratch: &mut String) -> NodeDigest {
    if is_leaf(value) {
        scratch.clear();
        write_canonical(value, scratch);
        return leaf_digest(salt, scratch);
    }
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            object_digest(entries.into_iter().map(|(key, child)| {
                let digest = node_digest_with(child, &salt.child(key), scratch);
                (key.as_str(), digest)
            }))
        }
        Value::Array(items) => {
            let mut index_text = String::new();
            array_digest(items.iter().enumerate().map(|(index, child)| {
                index_text.clear();
                push_decimal(index, &mut index_text);
                node_digest_with(child, &salt.child(&index_text), scratch)
            }))
        }
        _ => unreachable!("scalars are leaves"),
    }
}

/// [`node_digest_with`] of a value in which retention replaced the subtrees at the `pruned`
/// paths by placeholders: each such subtree contributes its recorded digest. Every node on a
/// path to a pruned subtree is hashed as the container it was (an object or a non-leaf array;
/// pruning is refused anywhere else), whatever its placeholders make it look like now. A path
/// that does not lead through a container of `value` is ignored: a wrong record then shows as
/// a digest that does not match.
pub(crate) fn pruned_node_digest(
    value: &Value,
    salt: &Salt,
    pruned: &[(&[String], &NodeDigest)],
    scratch: &mut String,
) -> NodeDigest {
    if pruned.is_empty() {
        return node_digest_with(value, salt, scratch);
    }
    if let Some((_, digest)) = pruned.iter().find(|(path, _)| path.is_empty()) {
        return **digest;
    }
    let below = |key: &str| -> Vec<(&[String], &NodeDigest)> {
        pruned
            .iter()
            .filter(|(path, _)| path[0] == key)
            .map(|(path, digest)| (&path[1..], *digest))
            .collect()
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            object_digest(entries.into_iter().map(|(key, child)| {
                let digest = pruned_node_digest(child, &salt.child(key), &below(key), scratch);
                (key.as_str(), digest)
            }))
        }
        Value::Array(items) if !items.is_empty() => {
            let mut index_text = String::new();
            array_digest(items.iter().enumerate().map(|(index, child)| {
                index_text.clear();
                push_decimal(index, &mut index_text);
                let child_pruned = below(&index_text);
                pruned_node_digest(child, &salt.child(&index_text), &child_pruned, scratch)
            }))
        }
        _ => node_digest_with(value, salt, scratch),
    }
}

/// `H_leaf(salt || canonical text)`.
pub(crate) fn leaf_digest(salt: &Salt, canonical_text: &str) -> NodeDigest {
    keyed_hash_parts(&NODE_KEYS.leaf, &[&salt.0, canonical_text.as_bytes()])
}

/// Longest message hashed from a stack buffer; longer ones stream through a `Hasher`.
const SMALL_MESSAGE_BYTES: usize = 512;

/// Keyed BLAKE3 of the concatenated `parts`. Small messages (salts, position rows) are copied
/// into one stack buffer and hashed in one call rather than streamed through a
/// `blake3::Hasher`, which saves its set-up on what is the per-report cost of a batch.
fn keyed_hash_parts(key: &[u8; 32], parts: &[&[u8]]) -> NodeDigest {
    let total: usize = parts.iter().map(|part| part.len()).sum();
    if total > SMALL_MESSAGE_BYTES {
        let mut hasher = blake3::Hasher::new_keyed(key);
        for part in parts {
            hasher.update(part);
        }
        return *hasher.finalize().as_bytes();
    }
    let mut buffer = [0u8; SMALL_MESSAGE_BYTES];
    let mut length = 0;
    for part in parts {
        buffer[length..length + part.len()].copy_from_slice(part);
        length += part.len();
    }
    *blake3::keyed_hash(key, &buffer[..length]).as_bytes()
}

/// The digest of a non-empty object from its children, which must come in key byte order.
pub(crate) fn object_digest<'a>(
    children: impl ExactSizeIterator<Item = (&'a str, NodeDigest)>,
) -> NodeDigest {
    let mut hasher = blake3::Hasher::new_keyed(&NODE_KEYS.object);
    hasher.update(&(children.len() as u64).to_be_bytes());
    for (key, digest) in children {
        hash_field(&mut hasher, key);
        hasher.update(&digest);
    }
    *hasher.finalize().as_bytes()
}

/// The digest of a non-leaf array from its children's digests in order.
pub(crate) fn array_digest(children: impl ExactSizeIterator<Item = NodeDigest>) -> NodeDigest {
    let mut hasher = blake3::Hasher::new_keyed(&NODE_KEYS.array);
    hasher.update(&(children.len() as u64).to_be_bytes());
    for digest in children {
        hasher.update(&digest);
    }
    *hasher.finalize().as_bytes()
}

/// Appends `index` in decimal (the salt key of an array element) without allocating.
pub(crate) fn push_decimal(index: usize, out: &mut String) {
    use std::fmt::Write as _;
    write!(out, "{index}").expect("writing to a String cannot fail");
}

fn hash_field(hasher: &mut blake3::Hasher, text: &str) {
    hasher.update(&(text.len() as u64).to_be_bytes());
    hasher.update(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn salt() -> Salt {
        Salt::from_bytes(std::array::from_fn(|i| i as u8))
    }

    fn time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn leaves_are_scalars_scalar_arrays_and_the_empty_object() {
        for leaf in [
            json!(null),
            json!("x"),
            json!([]),
            json!([1, "a", null]),
            json!([[1], [2, "b"], []]),
            json!({}),
        ] {
            assert!(is_leaf(&leaf), "{leaf}");
        }
        for node in [
            json!({ "a": 1 }),
            json!([[[1]]]),
            json!([1, {}]),
            json!([[1], 2]),
        ] {
            assert!(!is_leaf(&node), "{node}");
        }
    }

    #[test]
    fn content_digest_equals_the_digest_of_the_content_object() {
        let payload = json!({ "reports": [["t", 1.5, 2], ["u", -0.5, 3]], "owner": "p", "e": {} });
        let event = StoredEvent {
            seq: 1,
            time: time(),
            actor: "a".into(),
            kind: "k".into(),
            payload: payload.clone(),
            prev_hash: String::new(),
            hash: String::new(),
            salt: salt(),
            pruned: None,
        };
        let expected = node_digest(&event_content(&event), &salt());
        assert_eq!(
            content_digest(&time(), "a", "k", &payload, &salt()),
            expected
        );
        assert_eq!(event_content_digest(&event), expected);
    }

    #[test]
    fn a_subtree_replaced_by_its_digest_leaves_the_content_digest_unchanged() {
        let payload = json!({
            "owner": "p",
            "reports": [["t", 1.5, 2], ["u", -0.5, null]],
            "meta": { "a": [{ "b": true }, 5], "e": {} },
        });
        let whole = content_digest(&time(), "a", "k", &payload, &salt());
        let payload_salt = salt().child("payload");
        for path in [&["reports"][..], &[], &["meta", "a", "0"], &["meta", "a"]] {
            let mut pruned_payload = payload.clone();
            let node = path
                .iter()
                .fold(&mut pruned_payload, |node, token| match node {
                    Value::Array(items) => &mut items[token.parse::<usize>().unwrap()],
                    node => &mut node[*token],
                });
            let node_salt = path.iter().fold(payload_salt.clone(), |s, t| s.child(t));
            let digest = node_digest(node, &node_salt);
            *node = Value::Null;
            let pruned = [(path.iter().map(|t| t.to_string()).collect(), digest)];
            let time_text = format_time(&time());
            let recomputed =
                content_digest_of_columns(&time_text, "a", "k", &pruned_payload, &salt(), &pruned);
            assert_eq!(recomputed, whole, "{path:?}");
        }
    }

    #[test]
    fn nested_content_digest_is_pinned() {
        // Exercises non-leaf arrays (index salts), a leaf table of rows, `{}` and key order.
        // The value under the first leaf rule (rows as separate leaves) was cross-checked with
        // an independent Python (`blake3` package) implementation of the module docs; this one,
        // after tables became one leaf, is pinned as computed.
        let payload = json!({
            "owner": "p",
            "reports": [["t", 1.5, 2], ["u", -0.5, null]],
            "meta": { "a": [{ "b": true }], "e": {} },
        });
        let time = time() + chrono::Duration::microseconds(250_000);
        let digest = content_digest(&time, "a", "k", &payload, &Salt::from_bytes([7; 32]));
        assert_eq!(
            hex::encode(digest),
            "874b8c2bcb1f007bd82720f88ca7ccd9b7e45729d586c85346bed8aa41a3401e"
        );
    }

    #[test]
    fn every_leaf_depends_on_the_salt() {
        let payload = json!({ "class": "military" });
        let other = Salt::from_bytes([7; 32]);
        assert_ne!(
            content_digest(&time(), "a", "k", &payload, &salt()),
            content_digest(&time(), "a", "k", &payload, &other)
        );
        assert_ne!(
            node_digest(&json!({}), &salt()),
            node_digest(&json!({}), &other)
        );
    }

    #[test]
    fn child_salts_differ_by_key_and_by_parent() {
        assert_ne!(salt().child("a"), salt().child("b"));
        assert_ne!(salt().child("0"), Salt::from_bytes([7; 32]).child("0"));
    }

    #[test]
    fn a_leaf_array_is_not_confused_with_an_array_of_leaves() {
        // [[1]] is an array node over the leaf [1]; its digest must differ from the leaf [1]'s.
        let nested = node_digest(&json!([[1]]), &salt());
        let leaf = node_digest(&json!([1]), &salt());
        assert_ne!(nested, leaf);
    }

    #[test]
    fn hex_salts_have_one_spelling() {
        let text = salt().to_hex();
        assert_eq!(Salt::from_hex(&text), Some(salt()));
        assert_eq!(Salt::from_hex(&text.to_uppercase()), None);
        assert_eq!(Salt::from_hex(&text[..62]), None);
        assert_eq!(format!("{:?}", salt()), "Salt(..)");
    }
}
