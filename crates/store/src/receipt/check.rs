//! Verifying a receipt offline: the head signature, every entry's content digest, and the chain
//! from `prev_hash` to the signed head.
//!
//! Strict on form as well as on substance: hex must be lowercase, every salt and digest of a
//! disclosed entry must be used exactly once, a `null` stands for a redacted subtree only where
//! `redacted` says so. A receipt that still verified after any byte of it changed meaning would
//! let two different texts prove the same thing, which invites confusion in a dispute.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::disclosure::push_token;
use super::{Receipt, ReceiptEntry, ReceiptError, ReceiptReport, RECEIPT_FORMAT};
use crate::redact::{array_digest, node_digest, object_digest, parse_hex32, push_decimal};
use crate::redact::{NodeDigest, Salt};
use crate::{event_hash, Pruned, GENESIS_HASH};

/// Checks `receipt` completely and says what it covers, or names the first thing wrong: the
/// format, the head's signature, then entry by entry (seq, content digest, hash), then that the
/// last hash is the head's.
///
/// The signature is checked against the key *in* the receipt: compare
/// [`ReceiptReport::public_key`] with the operator's published key before relying on it.
pub fn verify_receipt(receipt: &Receipt) -> Result<ReceiptReport, ReceiptError> {
    if receipt.format != RECEIPT_FORMAT {
        return Err(ReceiptError::UnknownFormat {
            found: receipt.format.clone(),
            expected: RECEIPT_FORMAT,
        });
    }
    let head = &receipt.head;
    head.verify()?;
    let chain_mismatch = |reason: String| ReceiptError::ChainMismatch {
        head_seq: head.seq,
        reason,
    };
    let entry_count = receipt.entries.len() as u64;
    let after = head.seq.checked_sub(entry_count).ok_or_else(|| {
        chain_mismatch(format!(
            "{entry_count} entries cannot all lie at or before event {}",
            head.seq
        ))
    })?;
    if parse_hex32(&receipt.prev_hash).is_none() {
        return Err(chain_mismatch(
            "prev_hash is not 64 lowercase hex digits".into(),
        ));
    }
    if after == 0 && receipt.prev_hash != GENESIS_HASH {
        return Err(chain_mismatch(
            "the entries start at event 1 but prev_hash is not the genesis hash".into(),
        ));
    }
    let mut prev_hash = receipt.prev_hash.as_str();
    let mut report = ReceiptReport {
        after,
        head_seq: head.seq,
        public_key: head.public_key.clone(),
        entries_disclosed: 0,
        entries_opaque: 0,
    };
    for (offset, entry) in (1..).zip(&receipt.entries) {
        let seq = after + offset;
        let bad = |reason: String| ReceiptError::BadEntry { seq, reason };
        if entry.seq() != seq {
            return Err(bad(format!("entry carries seq {}", entry.seq())));
        }
        let (digest, hash) = match entry {
            ReceiptEntry::Opaque {
                content_digest,
                hash,
                ..
            } => {
                report.entries_opaque += 1;
                let digest = parse_hex32(content_digest)
                    .ok_or_else(|| bad("content_digest is not 64 lowercase hex digits".into()))?;
                (digest, hash)
            }
            ReceiptEntry::Disclosed {
                content,
                salts,
                redacted,
                hash,
                pruned,
                ..
            } => {
                report.entries_disclosed += 1;
                if let Some(pruned) = pruned {
                    check_pruned_note(pruned, redacted).map_err(bad)?;
                }
                (
                    disclosed_digest(content, salts, redacted).map_err(bad)?,
                    hash,
                )
            }
        };
        if event_hash(seq, prev_hash, &digest) != *hash {
            return Err(bad(
                "the hash recomputed from the previous hash and the content does not match \
                 the entry's hash"
                    .into(),
            ));
        }
        prev_hash = hash;
    }
    if prev_hash != head.hash {
        return Err(chain_mismatch(
            "the last entry's hash is not the signed head's hash".into(),
        ));
    }
    Ok(report)
}

/// A disclosed entry's note of pruned subtrees must agree with it: each pruned subtree is one
/// of the redacted digests (the same digest, under `/payload`) or lies inside a redacted one.
/// So a note can never claim that something revealed was pruned.
fn check_pruned_note(pruned: &Pruned, redacted: &BTreeMap<String, String>) -> Result<(), String> {
    for (pointer, digest) in &pruned.digests {
        let content_pointer = format!("/payload{pointer}");
        let covered = match redacted.get(&content_pointer) {
            Some(redacted_digest) => redacted_digest == digest,
            None => redacted.keys().any(|redacted_pointer| {
                redacted_pointer.is_empty()
                    || content_pointer.starts_with(&format!("{redacted_pointer}/"))
            }),
        };
        if !covered {
            return Err(format!(
                "the note says {pointer:?} was pruned, but the entry does not redact it with \
                 that digest"
            ));
        }
    }
    Ok(())
}

/// The pieces of a disclosed entry and the pointers of them the walk has used.
struct DisclosedParts<'a> {
    salts: &'a BTreeMap<String, String>,
    redacted: &'a BTreeMap<String, String>,
    used: BTreeSet<String>,
}

/// Recomputes a disclosed entry's content digest from its skeleton, salts and digests alone.
pub(super) fn disclosed_digest(
    content: &Value,
    salts: &BTreeMap<String, String>,
    redacted: &BTreeMap<String, String>,
) -> Result<NodeDigest, String> {
    let mut parts = DisclosedParts {
        salts,
        redacted,
        used: BTreeSet::new(),
    };
    let digest = skeleton_digest(content, &mut String::new(), &mut parts)?;
    if let Some(unused) = salts
        .keys()
        .chain(redacted.keys())
        .find(|pointer| !parts.used.contains(*pointer))
    {
        return Err(format!(
            "{unused:?} in salts/redacted names no node of the skeleton"
        ));
    }
    Ok(digest)
}

/// The digest of the skeleton node `node` at `pointer` (see `redact.rs` for the node rules).
fn skeleton_digest(
    node: &Value,
    pointer: &mut String,
    parts: &mut DisclosedParts<'_>,
) -> Result<NodeDigest, String> {
    let salt = parts.salts.get(pointer.as_str());
    let redacted = parts.redacted.get(pointer.as_str());
    match (salt, redacted) {
        (Some(_), Some(_)) => Err(format!("{pointer:?} is both revealed and redacted")),
        (Some(salt), None) => {
            parts.used.insert(pointer.clone());
            let salt = Salt::from_hex(salt)
                .ok_or_else(|| format!("salt of {pointer:?} is not 64 lowercase hex digits"))?;
            Ok(node_digest(node, &salt))
        }
        (None, Some(digest)) => {
            parts.used.insert(pointer.clone());
            if !node.is_null() {
                return Err(format!("redacted {pointer:?} is not a null placeholder"));
            }
            parse_hex32(digest)
                .ok_or_else(|| format!("digest of {pointer:?} is not 64 lowercase hex digits"))
        }
        (None, None) => container_digest(node, pointer, parts),
    }
}

/// A node on the path to revealed or redacted subtrees: a non-empty object or array whose
/// children are themselves skeleton nodes. Anything else was neither disclosed nor accounted
/// for (an empty object or array is a leaf, so it is never on a path).
fn container_digest(
    node: &Value,
    pointer: &mut String,
    parts: &mut DisclosedParts<'_>,
) -> Result<NodeDigest, String> {
    match node {
        Value::Object(map) if !map.is_empty() => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let mut children = Vec::with_capacity(entries.len());
            for (key, child) in entries {
                let length = pointer.len();
                push_token(pointer, key);
                children.push((key.as_str(), skeleton_digest(child, pointer, parts)?));
                pointer.truncate(length);
            }
            Ok(object_digest(children.into_iter()))
        }
        Value::Array(items) if !items.is_empty() => {
            let mut children = Vec::with_capacity(items.len());
            for_each_child(node, pointer, |child, pointer| {
                children.push(skeleton_digest(child, pointer, parts)?);
                Ok(())
            })?;
            Ok(array_digest(children.into_iter()))
        }
        _ => Err(format!(
            "{pointer:?} is neither revealed, redacted, nor on the path to either"
        )),
    }
}

/// Calls `visit` on each child of an object (any order) or array (in order) with its pointer.
fn for_each_child(
    node: &Value,
    pointer: &mut String,
    mut visit: impl FnMut(&Value, &mut String) -> Result<(), String>,
) -> Result<(), String> {
    let mut index_text = String::new();
    let children: Box<dyn Iterator<Item = (Option<&String>, &Value)>> = match node {
        Value::Object(map) => Box::new(map.iter().map(|(key, child)| (Some(key), child))),
        Value::Array(items) => Box::new(items.iter().map(|child| (None, child))),
        _ => return Ok(()),
    };
    for (index, (key, child)) in children.enumerate() {
        let length = pointer.len();
        match key {
            Some(key) => push_token(pointer, key),
            None => {
                index_text.clear();
                push_decimal(index, &mut index_text);
                push_token(pointer, &index_text);
            }
        }
        visit(child, pointer)?;
        pointer.truncate(length);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::{receipt_entry, Disclosure};
    use crate::redact::event_content_digest;
    use crate::StoredEvent;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn event() -> StoredEvent {
        StoredEvent {
            seq: 1,
            time: Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap(),
            actor: "a".into(),
            kind: "k".into(),
            payload: json!({ "note": null, "rows": [["t", 1.5]], "meta": { "class": "military" } }),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
            salt: Salt::from_bytes([3; 32]),
            pruned: None,
        }
    }

    /// [`event`] with `/rows` of its payload pruned as retention does it.
    fn pruned_event() -> StoredEvent {
        let mut event = event();
        let salt = event.salt.child("payload").child("rows");
        let digest = hex::encode(node_digest(&event.payload["rows"], &salt));
        event.payload["rows"] = Value::Null;
        event.pruned = Some(crate::Pruned {
            at: Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap(),
            digests: BTreeMap::from([("/rows".to_string(), digest)]),
        });
        event
    }

    #[test]
    fn a_pruned_event_disclosed_in_any_way_recomputes_its_digest_and_says_it_was_pruned() {
        let expected = event_content_digest(&event());
        assert_eq!(event_content_digest(&pruned_event()), expected);
        for pointers in [
            &[""][..],
            &["/payload"],
            &["/payload/rows"],
            &["/time"],
            &[],
        ] {
            let disclosure = Disclosure::of_pointers(pointers).unwrap();
            match receipt_entry(&pruned_event(), &disclosure) {
                ReceiptEntry::Disclosed {
                    content,
                    salts,
                    redacted,
                    pruned,
                    ..
                } => {
                    assert_eq!(disclosed_digest(&content, &salts, &redacted), Ok(expected));
                    assert!(
                        redacted.contains_key("/payload/rows") || redacted.contains_key("/payload")
                    );
                    let note = pruned.expect("the entry says it was pruned");
                    assert_eq!(check_pruned_note(&note, &redacted), Ok(()), "{pointers:?}");
                }
                ReceiptEntry::Opaque {
                    content_digest,
                    pruned,
                    ..
                } => {
                    assert!(pointers.is_empty());
                    assert_eq!(content_digest, hex::encode(expected));
                    assert!(pruned.is_some());
                }
            }
        }
    }

    #[test]
    fn a_note_cannot_claim_that_a_revealed_subtree_was_pruned() {
        let pruned = pruned_event().pruned.unwrap();
        let redacted = BTreeMap::from([("/payload/meta".to_string(), "00".repeat(32))]);
        assert!(check_pruned_note(&pruned, &redacted).is_err());
    }

    type Parts = (Value, BTreeMap<String, String>, BTreeMap<String, String>);

    fn disclosed(pointers: &[&str]) -> Parts {
        let disclosure = Disclosure::of_pointers(pointers).unwrap();
        match receipt_entry(&event(), &disclosure) {
            ReceiptEntry::Disclosed {
                content,
                salts,
                redacted,
                ..
            } => (content, salts, redacted),
            ReceiptEntry::Opaque { .. } => panic!("{pointers:?} should disclose something"),
        }
    }

    fn digest_of((content, salts, redacted): &Parts) -> Result<NodeDigest, String> {
        disclosed_digest(content, salts, redacted)
    }

    #[test]
    fn any_disclosure_recomputes_the_events_content_digest() {
        let expected = event_content_digest(&event());
        for pointers in [
            &[""][..],
            &["/payload/note"],
            &["/payload/rows/0", "/time"],
            &["/payload/meta", "/payload/meta/class"],
            &["/payload", "/actor", "/kind", "/time"],
        ] {
            assert_eq!(
                digest_of(&disclosed(pointers)),
                Ok(expected),
                "{pointers:?}"
            );
        }
    }

    #[test]
    fn a_revealed_null_is_data_and_a_placeholder_null_needs_its_digest() {
        let parts = disclosed(&["/payload/note"]);
        assert_eq!(parts.0["payload"]["note"], Value::Null);
        assert!(
            parts.1.contains_key("/payload/note"),
            "a real null is revealed with its salt"
        );
        let mut missing = disclosed(&["/payload/note"]);
        missing.2.remove("/payload/meta");
        let error = digest_of(&missing).unwrap_err();
        assert!(error.contains("neither revealed, redacted"), "{error}");
    }

    #[test]
    fn a_redacted_node_must_be_a_null_placeholder() {
        let mut parts = disclosed(&["/payload/note"]);
        parts.0["payload"]["meta"] = json!({ "class": "civil" });
        let error = digest_of(&parts).unwrap_err();
        assert!(error.contains("not a null placeholder"), "{error}");
    }

    #[test]
    fn a_pointer_both_revealed_and_redacted_or_unused_is_refused() {
        let mut both = disclosed(&["/payload/note"]);
        let digest = both.2["/payload/meta"].clone();
        both.1.insert("/payload/meta".into(), digest);
        assert!(digest_of(&both)
            .unwrap_err()
            .contains("both revealed and redacted"));
        let mut unused = disclosed(&["/payload/note"]);
        unused.2.insert("/payload/nowhere".into(), "00".repeat(32));
        assert!(digest_of(&unused).unwrap_err().contains("names no node"));
    }

    #[test]
    fn uppercase_hex_is_refused() {
        let mut parts = disclosed(&["/payload/note"]);
        let salt = parts.1.get_mut("/payload/note").unwrap();
        *salt = salt.to_uppercase();
        let error = digest_of(&parts).unwrap_err();
        assert!(error.contains("lowercase hex"), "{error}");
    }

    #[test]
    fn an_empty_container_is_never_on_the_skeleton() {
        let mut parts = disclosed(&["/payload/note"]);
        parts.2.remove("/payload/meta");
        parts.0["payload"]["meta"] = json!({});
        assert!(digest_of(&parts).is_err());
    }
}
