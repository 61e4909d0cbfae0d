//! Chain verification: walks events in seq order and reports the first one that breaks the chain.
//!
//! One [`ChainWalk`] holds the control flow; each backend feeds it the columns exactly as stored.
//! [`verify_events`] is the backend-neutral entry point over already-decoded events.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::hash::{format_time, parse_time, time_problem};
use crate::redact::{content_digest_of_columns, NodeDigest, Salt};
use crate::{canonical_json, event_hash, Pruned, StoredEvent, GENESIS_HASH};

/// The outcome of walking a log from seq 1.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VerifyReport {
    /// Events that passed every check before the walk ended (all of them on a clean log).
    pub events_checked: u64,
    /// Of those, events whose payload retention pruned to digests (checked through them).
    #[serde(default)]
    pub events_pruned: u64,
    /// (seq, hash) of the last event that passed: the log's head when `first_bad` is None.
    pub head: Option<(u64, String)>,
    /// The first event that does not match, if any; the walk stops there.
    pub first_bad: Option<BadEvent>,
}

/// The first place where the chain breaks and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BadEvent {
    /// The event at fault. For a sequence gap it is the missing seq, i.e. the event removed.
    pub seq: u64,
    pub reason: String,
}

/// One event's columns exactly as stored (payload, time and salt as text).
pub(crate) struct RawEvent<'a> {
    pub seq: u64,
    pub time: &'a str,
    pub actor: &'a str,
    pub kind: &'a str,
    pub payload: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
    pub salt: &'a str,
    /// `pruned_at` and `pruned` when retention pruned the event (`sqlite/prune.rs`): the time
    /// text, and canonical JSON `{pointer into the payload: digest hex}`.
    pub pruned: Option<(&'a str, &'a str)>,
}

/// Walk state: what the next event must look like to continue the chain.
pub(crate) struct ChainWalk {
    next_seq: u64,
    prev_hash: String,
    events_passed: u64,
    events_pruned: u64,
    first_bad: Option<BadEvent>,
}

impl ChainWalk {
    pub fn new() -> Self {
        ChainWalk {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            events_passed: 0,
            events_pruned: 0,
            first_bad: None,
        }
    }

    /// The seq the next event must carry.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// True once a bad event has been found; the caller stops feeding events.
    pub fn is_broken(&self) -> bool {
        self.first_bad.is_some()
    }

    /// Records a problem found by the caller (e.g. a column of the wrong type) for `seq`.
    pub fn fail(&mut self, seq: u64, reason: String) {
        if self.first_bad.is_none() {
            self.first_bad = Some(BadEvent { seq, reason });
        }
    }

    /// Records an event whose columns could not even be read as text (`reason`), unless it is
    /// out of position, which is reported first as for any other event.
    pub fn check_unreadable(&mut self, found_seq: i64, reason: String) {
        let expected = self.next_seq;
        if i128::from(found_seq) == i128::from(expected) {
            self.fail(expected, reason);
        } else {
            let (seq, reason) = sequence_problem(expected, i128::from(found_seq));
            self.fail(seq, reason);
        }
    }

    /// Checks one stored event; records the first failure.
    pub fn check_stored(&mut self, event: &RawEvent<'_>) {
        if self.is_broken() {
            return;
        }
        match self.problem_with(event) {
            Some((seq, reason)) => self.fail(seq, reason),
            None => {
                self.next_seq = event.seq + 1;
                self.prev_hash = event.hash.to_string();
                self.events_passed += 1;
                self.events_pruned += u64::from(event.pruned.is_some());
            }
        }
    }

    /// Checks in order: position, link, the columns the hash needs (salt, payload as JSON), the
    /// hash, then the canonical form of time and payload. The payload is parsed once: the
    /// content digest is computed over the parsed value, so a re-spacing of the stored text
    /// passes the hash and is caught by the canonical-form check instead.
    fn problem_with(&self, event: &RawEvent<'_>) -> Option<(u64, String)> {
        let expected = self.next_seq;
        if event.seq != expected {
            return Some(sequence_problem(expected, i128::from(event.seq)));
        }
        if event.prev_hash != self.prev_hash {
            let reason = match expected {
                1 => "prev_hash of event 1 is not the genesis hash".to_string(),
                _ => format!("prev_hash does not link to event {}", expected - 1),
            };
            return Some((expected, reason));
        }
        let Some(salt) = Salt::from_hex(event.salt) else {
            return Some((expected, "salt is not 64 lowercase hex digits".to_string()));
        };
        let payload = match serde_json::from_str::<Value>(event.payload) {
            Ok(payload) => payload,
            Err(error) => return Some((expected, format!("payload is not valid JSON: {error}"))),
        };
        let pruned = match event
            .pruned
            .map(|(at, digests)| pruned_nodes(at, digests, &payload))
        {
            None => Vec::new(),
            Some(Ok(nodes)) => nodes,
            Some(Err(reason)) => return Some((expected, reason)),
        };
        let digest = content_digest_of_columns(
            event.time,
            event.actor,
            event.kind,
            &payload,
            &salt,
            &pruned,
        );
        if event_hash(event.seq, event.prev_hash, &digest) != event.hash {
            return Some((
                expected,
                "stored hash does not match its content".to_string(),
            ));
        }
        if let Err(reason) = parse_time(event.time) {
            return Some((expected, reason));
        }
        if canonical_json(&payload) != event.payload {
            return Some((expected, "payload is not canonical JSON".to_string()));
        }
        None
    }

    pub fn report(self) -> VerifyReport {
        let head = (self.events_passed > 0).then(|| (self.next_seq - 1, self.prev_hash));
        VerifyReport {
            events_checked: self.events_passed,
            events_pruned: self.events_pruned,
            head,
            first_bad: self.first_bad,
        }
    }
}

/// The pruned subtrees recorded for an event, checked for form: the time text canonical, the
/// record canonical JSON of pointer → digest, and `null` in the payload at each pointer (so
/// nothing stored there can be taken for data). Whether the digests are right is the hash's job.
fn pruned_nodes(
    at: &str,
    digests: &str,
    payload: &Value,
) -> Result<Vec<(Vec<String>, NodeDigest)>, String> {
    let at = parse_time(at).map_err(|reason| format!("pruned_at: {reason}"))?;
    let digests_map: BTreeMap<String, String> = serde_json::from_str(digests)
        .map_err(|error| format!("pruned is not an object of pointer to digest: {error}"))?;
    let record = Pruned {
        at,
        digests: digests_map,
    };
    if canonical_json(&serde_json::to_value(&record.digests).expect("a map serialises")) != digests
        || record.digests.is_empty()
    {
        return Err("pruned is not a non-empty canonical JSON object".to_string());
    }
    let nodes = record.nodes()?;
    for (path, _) in &nodes {
        let placeholder = path.iter().try_fold(payload, |node, token| match node {
            Value::Object(map) => map.get(token),
            Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        });
        if placeholder != Some(&Value::Null) {
            return Err("payload is not null where it was pruned".to_string());
        }
    }
    Ok(nodes)
}

/// Names a wrong position. `found` is wide enough for a stored seq edited to be negative.
fn sequence_problem(expected: u64, found: i128) -> (u64, String) {
    if found > i128::from(expected) {
        (
            expected,
            format!("sequence gap: expected {expected}, found {found}"),
        )
    } else {
        (
            expected,
            format!("sequence out of order: expected {expected}, found {found}"),
        )
    }
}

/// Verifies already-decoded events (any backend), in the order given, from seq 1.
///
/// The time and payload are re-encoded canonically before hashing, so this catches every edit
/// that changes the decoded event; a backend that stores text should also verify its raw
/// columns, as [`crate::SqliteLog::verify`] does, to catch edits that survive decoding.
pub fn verify_events(events: impl Iterator<Item = StoredEvent>) -> VerifyReport {
    let mut walk = ChainWalk::new();
    for event in events {
        let time_fault = time_problem(&event.time).or_else(|| {
            (event.time.timestamp_subsec_nanos() % 1_000 != 0)
                .then(|| format!("time {} has sub-microsecond digits", event.time))
        });
        if let (Some(reason), true) = (time_fault, event.seq == walk.next_seq()) {
            walk.fail(event.seq, reason);
            break;
        }
        let time = format_time(&event.time);
        let payload = canonical_json(&event.payload);
        let salt = event.salt.to_hex();
        let pruned = event.pruned.as_ref().map(|pruned| {
            let digests = serde_json::to_value(&pruned.digests).expect("a map serialises");
            (format_time(&pruned.at), canonical_json(&digests))
        });
        walk.check_stored(&RawEvent {
            seq: event.seq,
            time: &time,
            actor: &event.actor,
            kind: &event.kind,
            payload: &payload,
            prev_hash: &event.prev_hash,
            hash: &event.hash,
            salt: &salt,
            pruned: pruned
                .as_ref()
                .map(|(at, digests)| (at.as_str(), digests.as_str())),
        });
        if walk.is_broken() {
            break;
        }
    }
    walk.report()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content_digest;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn chain(length: u64) -> Vec<StoredEvent> {
        let mut prev_hash = GENESIS_HASH.to_string();
        let mut events = Vec::new();
        for seq in 1..=length {
            let time = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
                + chrono::Duration::microseconds(seq as i64);
            let payload = json!({ "n": seq });
            let salt = Salt::from_bytes([seq as u8; 32]);
            let digest = content_digest(&time, "a", "k", &payload, &salt);
            let hash = event_hash(seq, &prev_hash, &digest);
            events.push(StoredEvent {
                seq,
                time,
                actor: "a".into(),
                kind: "k".into(),
                payload,
                prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                hash,
                salt,
                pruned: None,
            });
        }
        events
    }

    fn first_bad(events: Vec<StoredEvent>) -> BadEvent {
        verify_events(events.into_iter())
            .first_bad
            .expect("should fail")
    }

    #[test]
    fn clean_chain_passes_and_reports_its_head() {
        let events = chain(5);
        let head = (5, events[4].hash.clone());
        let report = verify_events(events.into_iter());
        assert_eq!(report.first_bad, None);
        assert_eq!(report.events_checked, 5);
        assert_eq!(report.head, Some(head));
    }

    #[test]
    fn empty_chain_passes_with_no_head() {
        let report = verify_events(std::iter::empty());
        assert_eq!(
            report,
            VerifyReport {
                events_checked: 0,
                events_pruned: 0,
                head: None,
                first_bad: None
            }
        );
    }

    #[test]
    fn edited_payload_is_named() {
        let mut events = chain(5);
        events[2].payload = json!({ "n": 99 });
        let bad = first_bad(events);
        assert_eq!(
            (bad.seq, bad.reason.as_str()),
            (3, "stored hash does not match its content")
        );
    }

    #[test]
    fn missing_event_is_named_as_a_gap() {
        let mut events = chain(5);
        events.remove(1);
        let bad = first_bad(events);
        assert_eq!(
            (bad.seq, bad.reason.as_str()),
            (2, "sequence gap: expected 2, found 3")
        );
    }

    #[test]
    fn rehashed_edit_breaks_the_next_link() {
        let mut events = chain(5);
        let edited = &mut events[1];
        edited.actor = "mallory".into();
        let digest = content_digest(&edited.time, "mallory", "k", &edited.payload, &edited.salt);
        edited.hash = event_hash(2, &edited.prev_hash, &digest);
        let bad = first_bad(events);
        assert_eq!(
            (bad.seq, bad.reason.as_str()),
            (3, "prev_hash does not link to event 2")
        );
    }

    #[test]
    fn wrong_genesis_link_is_named() {
        let mut events = chain(1);
        events[0].prev_hash = "f".repeat(64);
        let bad = first_bad(events);
        assert_eq!(
            (bad.seq, bad.reason.as_str()),
            (1, "prev_hash of event 1 is not the genesis hash")
        );
    }

    #[test]
    fn sub_microsecond_time_is_named() {
        let mut events = chain(3);
        events[1].time += chrono::Duration::nanoseconds(1);
        let bad = first_bad(events);
        assert_eq!(bad.seq, 2);
        assert!(bad.reason.contains("sub-microsecond"), "{}", bad.reason);
    }

    #[test]
    fn non_canonical_payload_text_is_named_even_when_hashed() {
        let mut walk = ChainWalk::new();
        let payload = r#"{"b":1, "a":2}"#;
        let time = "2025-01-01T00:00:00.000000Z";
        let salt = Salt::from_bytes([1; 32]);
        let value = serde_json::from_str(payload).unwrap();
        let digest = content_digest_of_columns(time, "a", "k", &value, &salt, &[]);
        let hash = event_hash(1, GENESIS_HASH, &digest);
        walk.check_stored(&RawEvent {
            seq: 1,
            time,
            actor: "a",
            kind: "k",
            payload,
            prev_hash: GENESIS_HASH,
            hash: &hash,
            salt: &salt.to_hex(),
            pruned: None,
        });
        let bad = walk.report().first_bad.unwrap();
        assert_eq!(
            (bad.seq, bad.reason.as_str()),
            (1, "payload is not canonical JSON")
        );
    }

    #[test]
    fn edited_salt_is_named() {
        let mut events = chain(3);
        events[1].salt = Salt::from_bytes([0; 32]);
        let bad = first_bad(events);
        assert_eq!(
            (bad.seq, bad.reason.as_str()),
            (2, "stored hash does not match its content")
        );
    }

    #[test]
    fn salt_that_is_not_lowercase_hex_is_named() {
        let mut walk = ChainWalk::new();
        walk.check_stored(&RawEvent {
            seq: 1,
            time: "2025-01-01T00:00:00.000000Z",
            actor: "a",
            kind: "k",
            payload: "{}",
            prev_hash: GENESIS_HASH,
            hash: GENESIS_HASH,
            salt: &"AB".repeat(32),
            pruned: None,
        });
        let bad = walk.report().first_bad.unwrap();
        assert_eq!(
            (bad.seq, bad.reason.as_str()),
            (1, "salt is not 64 lowercase hex digits")
        );
    }
}
