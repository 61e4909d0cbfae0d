//! Retention in the PostgreSQL backend: the same semantics as `sqlite/prune.rs` (the row
//! arithmetic is shared, [`crate::sqlite::prune_event`]), chunk by chunk, each chunk one
//! transaction. An update only touches a row still unpruned (`AND pruned_at IS NULL`), so two
//! nodes pruning at once never prune an event twice. Space is given back by PostgreSQL's
//! autovacuum (CockroachDB's garbage collection), not by this code.

use chrono::{DateTime, SubsecRound, Utc};

use super::rows::{raw_columns, seq_to_sql, stored_payload_bytes, EVENT_COLUMNS};
use super::{retrying, PgLog};
use crate::hash::format_time;
use crate::receipt::parse_pointer;
use crate::sqlite::prune_event;
use crate::{PruneOutcome, PrunePolicy, StoreError, PRUNE_CHUNK_EVENTS};

impl PgLog {
    /// How many events `policy` would still prune.
    pub fn count_prunable(&self, policy: &PrunePolicy) -> Result<u64, StoreError> {
        let before = format_time(&policy.before.trunc_subsecs(6));
        let kinds = policy.kinds.clone();
        self.worker.call(move |client| {
            let count: i64 = client
                .query_one(
                    "SELECT count(*) FROM events \
                     WHERE kind = ANY($1) AND time < $2 AND pruned_at IS NULL",
                    &[&kinds, &before],
                )?
                .try_get(0)?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
    }

    /// Prunes every event `policy` names, as [`crate::SqliteLog::prune`].
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
            let mut cursor = (String::new(), 0u64);
            loop {
                let job = Chunk {
                    kind: kind.clone(),
                    before: before.clone(),
                    cursor: cursor.clone(),
                    pointer: policy.pointer.clone(),
                    path: path.clone(),
                    pruned_at: pruned_at.clone(),
                    compress: self.compress,
                };
                let (chunk, last) = self.worker.call(move |client| job.run(client))?;
                let Some(last) = last else { break };
                outcome.events_pruned += chunk.events_pruned;
                outcome.events_left_whole += chunk.events_left_whole;
                outcome.payload_bytes_before += chunk.payload_bytes_before;
                outcome.payload_bytes_after += chunk.payload_bytes_after;
                cursor = last;
                progress(&outcome);
            }
        }
        Ok(outcome)
    }
}

/// One chunk of a prune, shipped to the connection's thread.
struct Chunk {
    kind: String,
    before: String,
    cursor: (String, u64),
    pointer: String,
    path: Vec<String>,
    pruned_at: String,
    compress: bool,
}

impl Chunk {
    /// The next [`PRUNE_CHUNK_EVENTS`] candidates after the cursor, pruned in one transaction;
    /// what it did, and the (time, seq) of the last candidate seen, `None` when none was left.
    #[allow(clippy::type_complexity)]
    fn run(
        self,
        client: &mut postgres::Client,
    ) -> Result<(PruneOutcome, Option<(String, u64)>), StoreError> {
        retrying(client, |transaction| {
            let mut outcome = PruneOutcome::default();
            let mut last = None;
            let rows = transaction.query(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM events \
                     WHERE kind = $1 AND time < $2 AND pruned_at IS NULL \
                     AND (time > $3 OR (time = $3 AND seq > $4)) \
                     ORDER BY time, seq LIMIT $5"
                ),
                &[
                    &self.kind,
                    &self.before,
                    &self.cursor.0,
                    &seq_to_sql(self.cursor.1)?,
                    &(PRUNE_CHUNK_EVENTS as i64),
                ],
            )?;
            for row in &rows {
                let seq = u64::try_from(row.try_get::<_, i64>(0)?).unwrap_or(0);
                let columns =
                    raw_columns(row)?.map_err(|reason| StoreError::Corrupt { seq, reason })?;
                let raw = columns.as_raw_event();
                last = Some((raw.time.to_string(), seq));
                let stored_bytes = stored_payload_bytes(row)?;
                let pruning = (self.pointer.as_str(), self.path.as_slice());
                let Some((stored, record)) = prune_event(&raw, pruning, self.compress)? else {
                    outcome.events_left_whole += 1;
                    continue;
                };
                let updated = transaction.execute(
                    "UPDATE events SET payload = $1, codec = $2, pruned_at = $3, pruned = $4 \
                     WHERE seq = $5 AND pruned_at IS NULL",
                    &[
                        &stored.as_bytes(),
                        &stored.codec().name(),
                        &self.pruned_at,
                        &record,
                        &seq_to_sql(seq)?,
                    ],
                )?;
                if updated == 1 {
                    outcome.events_pruned += 1;
                    outcome.payload_bytes_before += stored_bytes as u64;
                    outcome.payload_bytes_after += stored.len() as u64;
                }
            }
            Ok((outcome, last))
        })
    }
}
