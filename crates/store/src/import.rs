//! Moving a log between stores (`deconflict db import`): events written exactly as they were
//! (seq, time, salts, hashes, pruned digests), never re-hashed, so the head digest is the same
//! on both sides. The events are verified as a chain from seq 1 first, and the target must be
//! empty; the whole import is one transaction, so a refused or failed import leaves nothing.

use crate::codec::StoredPayload;
use crate::hash::format_time;
use crate::{canonical_json, verify_events, StoreError, StoredEvent, VerifyReport};

/// One event in the form the backends store it.
pub(crate) struct ImportRow {
    pub seq: u64,
    pub time: String,
    pub actor: String,
    pub kind: String,
    pub payload: StoredPayload,
    pub prev_hash: String,
    pub hash: String,
    pub salt: String,
    /// `pruned_at` and `pruned` (canonical JSON), for an event retention pruned.
    pub pruned: Option<(String, String)>,
}

/// Verifies `events` as a whole chain from seq 1 and turns them into rows; refused whole, naming
/// the first bad event, if they do not verify.
pub(crate) fn prepare_import(
    events: Vec<StoredEvent>,
    compress: bool,
) -> Result<(VerifyReport, Vec<ImportRow>), StoreError> {
    let report = verify_events(events.iter().cloned());
    if let Some(bad) = &report.first_bad {
        return Err(StoreError::ImportRefused {
            reason: format!("event {} does not verify: {}", bad.seq, bad.reason),
        });
    }
    let rows = events
        .into_iter()
        .map(|event| ImportRow {
            seq: event.seq,
            time: format_time(&event.time),
            actor: event.actor,
            kind: event.kind,
            payload: StoredPayload::encode(canonical_json(&event.payload), compress),
            prev_hash: event.prev_hash,
            hash: event.hash,
            salt: event.salt.to_hex(),
            pruned: event.pruned.map(|pruned| {
                let digests = serde_json::to_value(&pruned.digests).expect("a map serialises");
                (format_time(&pruned.at), canonical_json(&digests))
            }),
        })
        .collect();
    Ok((report, rows))
}

/// The refusal of an import into a log that already holds events.
pub(crate) fn not_empty(head_seq: u64) -> StoreError {
    StoreError::ImportRefused {
        reason: format!("the target log is not empty (it holds {head_seq} events)"),
    }
}
