//! Retention in the SQLite backend: pruning old events to digests, and giving the freed pages
//! back to the file system.
//!
//! Pruning replaces one subtree of an event's payload (the caller names it by a JSON pointer,
//! e.g. `/reports` of position batches) with `null`, and records the subtree's salted digest
//! (`redact.rs`) and the time in the row's `pruned` and `pruned_at`. The content digest, hence
//! the event's hash and every later hash, is unchanged: verification takes the recorded digest
//! where the subtree was. The store still interprets nothing: the caller says which kinds, which
//! subtree and from when; the store only follows the pointer.
//!
//! The one deliberate update: the `events_update_only_prunes` trigger (schema version 3,
//! `sqlite.rs`) refuses every update of `events` except one that sets `pruned_at` and `pruned`
//! on an unpruned row and leaves every column the hash commits to directly as it was, so
//! pruning is the only write this log takes besides appends, and only once per event. Before
//! pruning an event its stored hash is recomputed: a row that does not verify is never pruned
//! (pruning it would replace the evidence by a digest), the prune stops there with
//! [`StoreError::Corrupt`].
//!
//! Work is cut into transactions of [`PRUNE_CHUNK_EVENTS`] events, so a running server's appends
//! wait at most one chunk (tens of milliseconds) for the write lock.

use chrono::{DateTime, SubsecRound, Utc};
use rusqlite::{params, TransactionBehavior};
use serde_json::Value;

use super::rows::{raw_columns, seq_to_sql};
use super::SqliteLog;
use crate::codec::StoredPayload;
use crate::hash::format_time;
use crate::receipt::parse_pointer;
use crate::redact::{content_digest_of_columns, is_leaf, node_digest, Salt};
use crate::verify::RawEvent;
use crate::{canonical_json, event_hash, StoreError};

/// Events pruned per write transaction.
pub const PRUNE_CHUNK_EVENTS: usize = 32;

/// What [`SqliteLog::prune`] removes: the subtree at `pointer` of the payload of every event of
/// one of `kinds` whose time is before `before`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunePolicy {
    pub kinds: Vec<String>,
    /// RFC 6901 pointer into the payload; `""` prunes the whole payload.
    pub pointer: String,
    pub before: DateTime<Utc>,
}

/// What one [`SqliteLog::prune`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneOutcome {
    pub events_pruned: u64,
    /// Events of the policy's kinds and age whose payload has no node at the pointer: left
    /// whole (a pointer into a leaf, or to nothing, is never widened to a larger subtree).
    pub events_left_whole: u64,
    /// Bytes of the `payload` column of the pruned events, before and after.
    pub payload_bytes_before: u64,
    pub payload_bytes_after: u64,
}

/// What [`SqliteLog::vacuum`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacuumOutcome {
    /// Bytes of the database (page count × page size) before and after.
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// True if the whole file was rewritten (`VACUUM`), false if only free pages were released
    /// (`incremental_vacuum`), or nothing could be released without a rewrite.
    pub rewritten: bool,
}

/// One event chosen for pruning, as read inside the chunk's transaction.
struct Candidate {
    seq: u64,
    time: String,
}

impl SqliteLog {
    /// How many events `policy` would still prune (for progress bars; uses the index).
    pub fn count_prunable(&self, policy: &PrunePolicy) -> Result<u64, StoreError> {
        let before = format_time(&policy.before.trunc_subsecs(6));
        let mut total = 0u64;
        for kind in &policy.kinds {
            let count: i64 = self.connection.query_row(
                "SELECT count(*) FROM events WHERE kind = ?1 AND time < ?2 AND pruned_at IS NULL",
                params![kind, before],
                |row| row.get(0),
            )?;
            total += u64::try_from(count).unwrap_or(0);
        }
        Ok(total)
    }

    /// Prunes every event `policy` names, oldest first, a chunk per transaction, calling
    /// `progress` with the running outcome after each chunk. `now` is recorded as `pruned_at`.
    /// Idempotent: pruned events are not selected again.
    pub fn prune(
        &mut self,
        policy: &PrunePolicy,
        now: DateTime<Utc>,
        progress: &mut dyn FnMut(&PruneOutcome),
    ) -> Result<PruneOutcome, StoreError> {
        self.refuse_if_read_only()?;
        let path = parse_pointer(&policy.pointer).map_err(|error| StoreError::InvalidEvent {
            index: 0,
            reason: error.to_string(),
        })?;
        let before = format_time(&policy.before.trunc_subsecs(6));
        let pruned_at = format_time(&now.trunc_subsecs(6));
        let mut outcome = PruneOutcome::default();
        for kind in &policy.kinds {
            // Resume after the last event seen, so events left whole are read once per call.
            let mut cursor = (String::new(), 0u64);
            loop {
                let seen = self.prune_chunk(
                    kind,
                    &before,
                    &cursor,
                    (&policy.pointer, &path),
                    &pruned_at,
                    &mut outcome,
                )?;
                let Some(last) = seen else { break };
                cursor = (last.time, last.seq);
                progress(&outcome);
            }
        }
        Ok(outcome)
    }

    /// One transaction: the next [`PRUNE_CHUNK_EVENTS`] candidates after `cursor`; returns the
    /// last one seen, or `None` when there were none.
    fn prune_chunk(
        &mut self,
        kind: &str,
        before: &str,
        cursor: &(String, u64),
        (pointer, path): (&str, &[String]),
        pruned_at: &str,
        outcome: &mut PruneOutcome,
    ) -> Result<Option<Candidate>, StoreError> {
        let compress = self.compress;
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut updates = Vec::new();
        let mut last = None;
        {
            let mut select = transaction.prepare_cached(
                "SELECT seq, time, actor, kind, payload, prev_hash, hash, salt, codec, \
                 pruned_at, pruned FROM events \
                 WHERE kind = ?1 AND time < ?2 AND pruned_at IS NULL \
                 AND (time > ?3 OR (time = ?3 AND seq > ?4)) \
                 ORDER BY time, seq LIMIT ?5",
            )?;
            let mut rows = select.query(params![
                kind,
                before,
                cursor.0,
                seq_to_sql(cursor.1)?,
                PRUNE_CHUNK_EVENTS as i64
            ])?;
            while let Some(row) = rows.next()? {
                let seq = u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0);
                let corrupt = |reason: String| StoreError::Corrupt { seq, reason };
                let columns = raw_columns(row)?.map_err(corrupt)?;
                let raw = columns.as_raw_event();
                last = Some(Candidate {
                    seq,
                    time: raw.time.to_string(),
                });
                let stored_bytes = match row.get_ref(4)? {
                    rusqlite::types::ValueRef::Blob(bytes) => bytes.len(),
                    rusqlite::types::ValueRef::Text(bytes) => bytes.len(),
                    _ => 0,
                };
                let Some((stored, record)) = prune_event(&raw, (pointer, path), compress)? else {
                    outcome.events_left_whole += 1;
                    continue;
                };
                outcome.events_pruned += 1;
                outcome.payload_bytes_before += stored_bytes as u64;
                outcome.payload_bytes_after += stored.len() as u64;
                updates.push((seq, stored, record));
            }
        }
        {
            let mut update = transaction.prepare_cached(
                "UPDATE events SET payload = ?1, codec = ?2, pruned_at = ?3, pruned = ?4 \
                 WHERE seq = ?5 AND pruned_at IS NULL",
            )?;
            for (seq, stored, record) in &updates {
                update.execute(params![
                    stored.to_sql(),
                    stored.codec().name(),
                    pruned_at,
                    record,
                    seq_to_sql(*seq)?
                ])?;
            }
        }
        transaction.commit()?;
        Ok(last)
    }

    /// Releases the pages pruning freed. With `auto_vacuum=INCREMENTAL` (every file this build
    /// created) the free pages are cut off the end of the file while others keep writing;
    /// otherwise (a file created by schema version 2) only a full rewrite can shrink it, which
    /// is done only if `rewrite_allowed` (it holds the database exclusively, and needs free disk
    /// space of the file's size) and also switches the file to incremental vacuum for next time.
    /// Either way the WAL is checkpointed and truncated afterwards.
    pub fn vacuum(&mut self, rewrite_allowed: bool) -> Result<VacuumOutcome, StoreError> {
        self.refuse_if_read_only()?;
        let bytes_before = self.database_bytes()?;
        let auto_vacuum: i64 = self
            .connection
            .query_row("PRAGMA auto_vacuum", [], |row| row.get(0))?;
        let rewritten = match (auto_vacuum, rewrite_allowed) {
            (2, _) => {
                // Each step of the pragma frees one page: step it to the end.
                let mut statement = self.connection.prepare("PRAGMA incremental_vacuum")?;
                let mut rows = statement.query([])?;
                while rows.next()?.is_some() {}
                false
            }
            (_, true) => {
                self.connection
                    .execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
                true
            }
            (_, false) => false,
        };
        self.connection
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(VacuumOutcome {
            bytes_before,
            bytes_after: self.database_bytes()?,
            rewritten,
        })
    }

    /// Bytes of the database: page count × page size (what the main file holds once the WAL is
    /// checkpointed), free pages included.
    pub fn database_bytes(&self) -> Result<u64, StoreError> {
        let pages: i64 = self
            .connection
            .query_row("PRAGMA page_count", [], |row| row.get(0))?;
        let page_size: i64 = self
            .connection
            .query_row("PRAGMA page_size", [], |row| row.get(0))?;
        Ok(u64::try_from(pages * page_size).unwrap_or(0))
    }
}

/// What pruning `raw` at `path` stores: the payload with the subtree there set to `null` (as the
/// backend stores payloads, compressed if `compress`) and the canonical `pruned` record
/// `{pointer: digest}`; `None` when the payload has no node there (the event is left whole).
/// The stored hash is recomputed first: an event that does not verify is never pruned, since
/// pruning it would replace the evidence by a digest. Shared by every backend.
pub(crate) fn prune_event(
    raw: &RawEvent<'_>,
    (pointer, path): (&str, &[String]),
    compress: bool,
) -> Result<Option<(StoredPayload, String)>, StoreError> {
    let seq = raw.seq;
    let corrupt = |reason: String| StoreError::Corrupt { seq, reason };
    let mut payload: Value = serde_json::from_str(raw.payload)
        .map_err(|error| corrupt(format!("payload is not valid JSON: {error}")))?;
    let salt = Salt::from_hex(raw.salt)
        .ok_or_else(|| corrupt("salt is not 64 lowercase hex digits".into()))?;
    let digest = content_digest_of_columns(raw.time, raw.actor, raw.kind, &payload, &salt, &[]);
    if event_hash(seq, raw.prev_hash, &digest) != raw.hash {
        return Err(corrupt(
            "stored hash does not match its content; not pruned (run audit verify)".into(),
        ));
    }
    let Some(node) = node_at(&mut payload, path) else {
        return Ok(None);
    };
    let node_salt = path
        .iter()
        .fold(salt.child("payload"), |salt, token| salt.child(token));
    let node_digest = hex::encode(node_digest(node, &node_salt));
    *node = Value::Null;
    let record = serde_json::json!({ pointer: node_digest });
    let stored = StoredPayload::encode(canonical_json(&payload), compress);
    Ok(Some((stored, canonical_json(&record))))
}

/// The node of the digest tree at `path` in `payload` (every step through a non-leaf), if any.
fn node_at<'a>(payload: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut node = payload;
    for token in path {
        if is_leaf(node) {
            return None;
        }
        node = match node {
            Value::Object(map) => map.get_mut(token)?,
            Value::Array(items) => {
                let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
                let canonical = digits && (token == "0" || !token.starts_with('0'));
                let index: usize = token.parse().ok().filter(|_| canonical)?;
                items.get_mut(index)?
            }
            _ => return None,
        };
    }
    Some(node)
}
