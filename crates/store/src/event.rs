//! The event types and the [`EventLog`] trait: the one narrow interface the server uses, so
//! another backend (PostgreSQL) can be added without touching anything else.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::receipt::parse_pointer;
use crate::redact::{parse_hex32, NodeDigest};
use crate::{Disclosure, Receipt, Salt, SignedHead, StoreError};

/// An event as the caller hands it to [`EventLog::append`]; the log assigns `seq` and hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// When the event happened. Stored truncated to whole microseconds.
    pub time: DateTime<Utc>,
    /// The party (or system component) that caused the event. Non-empty, no NUL.
    pub actor: String,
    /// What kind of event this is, e.g. `"operation.filed"`. Non-empty, no NUL.
    pub kind: String,
    /// Domain data; the store only canonicalises and hashes it.
    pub payload: serde_json::Value,
}

/// An event as it sits in the log, with its position and its link in the hash chain.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredEvent {
    /// Position in the log: 1 for the first event, contiguous, never reused.
    pub seq: u64,
    /// Event time, whole microseconds.
    pub time: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Lowercase hex SHA-256 of the previous event ([`crate::GENESIS_HASH`] for seq 1).
    pub prev_hash: String,
    /// Lowercase hex SHA-256 of this event, see [`crate::event_hash`].
    pub hash: String,
    /// The event's random 32-byte salt (64 lowercase hex digits in the log and in JSON), the root of the salted
    /// content digest (see [`crate::content_digest`]). A secret as long as any part of the event
    /// is: whoever holds it can test guesses of every redacted value of this event, so it must
    /// never reach a party that may not see the whole event. Receipts disclose derived salts of
    /// the released subtrees instead. Its `Debug` form does not show it.
    pub salt: Salt,
    /// `Some` when retention pruned part of the payload ([`crate::SqliteLog::prune`]): each
    /// pruned subtree reads back as `null` in `payload`, and its salted digest is kept here, so
    /// the chain still verifies. `None` for an event read back whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruned: Option<Pruned>,
}

/// What retention removed from an event, and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pruned {
    /// When the event was pruned (whole microseconds).
    pub at: DateTime<Utc>,
    /// RFC 6901 pointer into the payload → the salted digest (64 lowercase hex digits,
    /// `redact.rs`) of the subtree that was there and is now `null`.
    pub digests: BTreeMap<String, String>,
}

impl Pruned {
    /// The pruned subtrees as (tokens of the pointer into the payload, digest); a pointer or
    /// digest that does not parse is named.
    pub(crate) fn nodes(&self) -> Result<Vec<(Vec<String>, NodeDigest)>, String> {
        self.digests
            .iter()
            .map(|(pointer, digest)| {
                let path = parse_pointer(pointer).map_err(|error| error.to_string())?;
                let digest = parse_hex32(digest).ok_or_else(|| {
                    format!("pruned digest of {pointer:?} is not 64 lowercase hex digits")
                })?;
                Ok((path, digest))
            })
            .collect()
    }
}

/// The one narrow interface the server uses, so a PostgreSQL backend can be added later without
/// touching anything else.
pub trait EventLog: Send {
    /// Appends all events atomically (one transaction), assigning seq = head+1.., time truncated
    /// to microseconds, payload stored as canonical JSON; durable when this returns. Returns the
    /// stored events with hashes. An empty batch is a no-op. The batch is refused whole (nothing
    /// written) if it exceeds the limits in the crate root or any event is invalid.
    fn append(&mut self, events: Vec<NewEvent>) -> Result<Vec<StoredEvent>, StoreError>;

    /// As [`EventLog::append`], only if the head is event `expected` (0: an empty log), checked
    /// in the same transaction that appends; otherwise nothing is written and the error is
    /// [`StoreError::HeadMoved`]. This is how a writer that decided on the state after
    /// `expected` makes sure no other writer's event came in between (several nodes on one
    /// PostgreSQL database; see ARCHITECTURE.md, "Two nodes on one log").
    fn append_after(
        &mut self,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Takes the writer's turn: until [`EventLog::end_turn`], no other writer's append commits
    /// (they wait), so this writer can catch up, decide and [`EventLog::append_after`] without
    /// being overtaken. For a writer that keeps losing that race to other nodes on one
    /// PostgreSQL database (see `postgres.rs`, "The writer's turn"). Taking it while held does
    /// nothing. Appends on this log while it holds the turn go through.
    fn take_turn(&mut self) -> Result<(), StoreError>;

    /// Gives the turn back (nothing if not held).
    fn end_turn(&mut self) -> Result<(), StoreError>;

    /// Events with seq > after_seq, ascending, at most `limit`. All of them are held in memory,
    /// so callers page with a bounded `limit` (e.g. 1,000).
    fn read_from(&self, after_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;

    /// (seq, hash hex) of the last event; None when empty.
    fn head(&self) -> Result<Option<(u64, String)>, StoreError>;

    /// Stores an opaque state snapshot taken after event `seq` (which must be in the log).
    /// Saving twice at the same seq replaces; only the newest few are kept.
    fn save_snapshot(&mut self, seq: u64, state: &[u8]) -> Result<(), StoreError>;

    /// The snapshot with the highest seq, if any.
    fn latest_snapshot(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError>;

    /// The snapshot with the highest seq below `seq`, if any: where start-up falls back to
    /// when a newer snapshot cannot be used.
    fn snapshot_before(&self, seq: u64) -> Result<Option<(u64, Vec<u8>)>, StoreError>;

    /// A receipt of events `(after, head.seq]` leading to the signed `head`, each event disclosed
    /// as `disclose` says (see [`crate::SqliteLog::receipt`]). A `dyn`-compatible form, for a
    /// server that holds a `Box<dyn EventLog>`.
    fn receipt(
        &self,
        after: u64,
        head: SignedHead,
        disclose: &mut dyn FnMut(&StoredEvent) -> Disclosure,
    ) -> Result<Receipt, StoreError>;

    /// Keeps a signed head, append-only; refused unless it verifies and matches the log.
    fn record_signed_head(&mut self, head: &SignedHead) -> Result<(), StoreError>;

    /// The recorded signed head with the highest seq, if any.
    fn latest_signed_head(&self) -> Result<Option<SignedHead>, StoreError>;
}
