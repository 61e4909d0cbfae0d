//! Validation and canonicalisation of an append batch, before any backend touches storage.
//!
//! Backend-neutral so every backend refuses exactly the same batches with the same errors.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;

use crate::codec::StoredPayload;
use crate::hash::{format_time, time_problem};
use crate::redact::{content_digest_of_columns, NodeDigest, Salt};
use crate::{
    canonical_json, NewEvent, StoreError, MAX_ACTOR_BYTES, MAX_APPEND_BATCH_EVENTS,
    MAX_APPEND_BATCH_PAYLOAD_BYTES, MAX_KIND_BYTES, MAX_PAYLOAD_BYTES, MAX_PAYLOAD_DEPTH,
};

/// An event ready to be written: time truncated to microseconds, texts in their stored form.
pub(crate) struct PreparedEvent {
    pub time: DateTime<Utc>,
    pub time_text: String,
    pub actor: String,
    pub kind: String,
    pub payload: Value,
    /// The canonical payload text as it goes into the `payload` column (`codec.rs`).
    pub stored_payload: StoredPayload,
    /// Fresh random salt of the event's content digest.
    pub salt: Salt,
    /// The salted content digest, computed here, before the append's write transaction takes
    /// the database lock, since it is the costly part of hashing a position batch.
    pub content_digest: NodeDigest,
}

/// Checks the batch against the limits and prepares every event, or refuses the whole batch.
/// `compress`: whether payloads may be stored compressed (`codec.rs`).
pub(crate) fn prepare_batch(
    events: Vec<NewEvent>,
    compress: bool,
) -> Result<Vec<PreparedEvent>, StoreError> {
    if events.len() > MAX_APPEND_BATCH_EVENTS {
        return Err(StoreError::BatchTooLarge {
            events: events.len(),
            max: MAX_APPEND_BATCH_EVENTS,
        });
    }
    let mut payload_bytes_total = 0usize;
    let mut prepared = Vec::with_capacity(events.len());
    for (index, event) in events.into_iter().enumerate() {
        let (event, payload_bytes) = prepare_event(event, compress)
            .map_err(|reason| StoreError::InvalidEvent { index, reason })?;
        payload_bytes_total += payload_bytes;
        if payload_bytes_total > MAX_APPEND_BATCH_PAYLOAD_BYTES {
            return Err(StoreError::BatchPayloadTooLarge {
                bytes: payload_bytes_total,
                max: MAX_APPEND_BATCH_PAYLOAD_BYTES,
            });
        }
        prepared.push(event);
    }
    Ok(prepared)
}

/// The prepared event and its canonical payload's length in bytes.
fn prepare_event(event: NewEvent, compress: bool) -> Result<(PreparedEvent, usize), String> {
    check_label("actor", &event.actor, MAX_ACTOR_BYTES)?;
    check_label("kind", &event.kind, MAX_KIND_BYTES)?;
    if let Some(problem) = time_problem(&event.time) {
        return Err(problem);
    }
    if nesting_exceeds(&event.payload, MAX_PAYLOAD_DEPTH) {
        return Err(format!(
            "payload is nested deeper than {MAX_PAYLOAD_DEPTH} arrays/objects"
        ));
    }
    let payload_text = canonical_json(&event.payload);
    if payload_text.len() > MAX_PAYLOAD_BYTES {
        return Err(format!(
            "payload is {} bytes as canonical JSON, more than the maximum of {MAX_PAYLOAD_BYTES}",
            payload_text.len()
        ));
    }
    let time = event.time.trunc_subsecs(6);
    let time_text = format_time(&time);
    let salt = Salt::random();
    let content_digest = content_digest_of_columns(
        &time_text,
        &event.actor,
        &event.kind,
        &event.payload,
        &salt,
        &[],
    );
    let payload_bytes = payload_text.len();
    let prepared = PreparedEvent {
        time_text,
        time,
        actor: event.actor,
        kind: event.kind,
        payload: event.payload,
        stored_payload: StoredPayload::encode(payload_text, compress),
        salt,
        content_digest,
    };
    Ok((prepared, payload_bytes))
}

/// Actor and kind are identifiers: non-empty, bounded, no control characters (which also keeps
/// them storable as PostgreSQL text, where NUL is not allowed).
fn check_label(name: &str, label: &str, max_bytes: usize) -> Result<(), String> {
    if label.is_empty() {
        return Err(format!("{name} is empty"));
    }
    if label.len() > max_bytes {
        return Err(format!(
            "{name} is {} bytes, more than the maximum of {max_bytes}",
            label.len()
        ));
    }
    if label.chars().any(char::is_control) {
        return Err(format!("{name} {label:?} contains a control character"));
    }
    Ok(())
}

/// True if arrays/objects nest deeper than `max_depth` (`[]` is depth 1). Iterative, so an
/// absurdly deep value cannot overflow the stack here; serde_json itself refuses to parse
/// nesting beyond 128, so a deeper payload could be written but never read back.
fn nesting_exceeds(value: &Value, max_depth: usize) -> bool {
    let mut pending = vec![(value, 1usize)];
    while let Some((value, depth)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth > max_depth {
            return true;
        }
        pending.extend(children.map(|child| (child, depth + 1)));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn event(actor: &str, kind: &str, payload: Value) -> NewEvent {
        NewEvent {
            time: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
            actor: actor.into(),
            kind: kind.into(),
            payload,
        }
    }

    fn nested(depth: usize) -> Value {
        (0..depth).fold(json!(1), |inner, _| json!([inner]))
    }

    #[test]
    fn nesting_is_counted_in_arrays_and_objects() {
        assert!(!nesting_exceeds(&json!(1), 0));
        assert!(nesting_exceeds(&json!({ "a": [] }), 1));
        assert!(!nesting_exceeds(&json!({ "a": [] }), 2));
        assert!(!nesting_exceeds(
            &nested(MAX_PAYLOAD_DEPTH),
            MAX_PAYLOAD_DEPTH
        ));
        assert!(nesting_exceeds(
            &nested(MAX_PAYLOAD_DEPTH + 1),
            MAX_PAYLOAD_DEPTH
        ));
    }

    #[test]
    fn invalid_event_names_its_index_and_problem() {
        let batch = vec![event("a", "k", json!(1)), event("a", "", json!(1))];
        let error = prepare_batch(batch, true).err().unwrap();
        assert!(
            matches!(&error, StoreError::InvalidEvent { index: 1, reason } if reason == "kind is empty"),
            "{error}"
        );
    }

    #[test]
    fn control_characters_and_long_labels_are_refused() {
        assert!(prepare_event(event("a\0b", "k", json!(1)), true).is_err());
        assert!(
            prepare_event(event(&"a".repeat(MAX_ACTOR_BYTES + 1), "k", json!(1)), true).is_err()
        );
        assert!(prepare_event(event(&"a".repeat(MAX_ACTOR_BYTES), "k", json!(1)), true).is_ok());
    }

    #[test]
    fn too_deep_payload_is_refused_before_it_can_become_unreadable() {
        let error = prepare_event(event("a", "k", nested(MAX_PAYLOAD_DEPTH + 1)), true).err();
        assert!(error.unwrap().contains("nested deeper"));
    }

    #[test]
    fn batch_over_the_event_limit_is_refused_whole() {
        let batch = vec![event("a", "k", json!(null)); MAX_APPEND_BATCH_EVENTS + 1];
        assert!(matches!(
            prepare_batch(batch, true),
            Err(StoreError::BatchTooLarge { events, max: MAX_APPEND_BATCH_EVENTS })
                if events == MAX_APPEND_BATCH_EVENTS + 1
        ));
    }

    #[test]
    fn oversized_payload_is_refused() {
        let big = json!("x".repeat(MAX_PAYLOAD_BYTES));
        let error = prepare_event(event("a", "k", big), true).err().unwrap();
        assert!(error.contains("more than the maximum"), "{error}");
    }
}
