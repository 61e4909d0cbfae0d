//! The shared backend: one PostgreSQL database that several `deconflict serve` nodes append to.
//!
//! # Client
//!
//! [`postgres`] (rust-postgres, the blocking face of `tokio-postgres`, same maintainers): the
//! most used PostgreSQL client in Rust, pure Rust, with the plain `Transaction` API this
//! synchronous [`EventLog`] needs. sqlx would bring a pool, macros and a second async runtime
//! for what is one connection doing one thing at a time. The client runs on a thread of its own
//! (`postgres/worker.rs`), because the server calls the log from tokio's worker threads too,
//! where blocking on another runtime is not allowed.
//!
//! # SQL
//!
//! Kept within what CockroachDB also accepts where it can be, so the same code can later run on
//! a distributed PostgreSQL-wire database: explicit transactions; no triggers or LISTEN/NOTIFY
//! (other nodes' events are found by polling `events` after a seq); every write transaction
//! retried on a serialization failure (SQLSTATE 40001) or deadlock (40P01). The one exception
//! is the writer's turn below, on PostgreSQL's advisory locks: a port to CockroachDB would
//! need another way to let a losing writer through.
//!
//! # One chain, several writers
//!
//! Every append locks the one row of `chain_head` (`SELECT … FOR UPDATE`) inside its
//! transaction, numbers its events from that head, inserts them (one `INSERT … SELECT FROM
//! UNNEST` of column arrays, whatever the batch size) and moves the head, then commits: writers
//! on any number of nodes take turns, so seqs stay gap-free and the chain linear. The hashing is
//! the backend-neutral one of `hash.rs` and `redact.rs`: a log moved here from SQLite (`db
//! import`) keeps every hash.
//!
//! # The writer's turn
//!
//! A node decides a command on its state and appends only if the head is still the event it
//! decided after ([`EventLog::append_after`]); otherwise it catches up and decides again. That
//! alone does not guarantee progress: a node whose decision takes longer than the gap between
//! another node's appends (a busy node logging a position batch every few milliseconds) loses
//! every race. So a writer that lost a few times takes the turn ([`EventLog::take_turn`]):
//! PostgreSQL's session advisory lock [`TURN_LOCK`], exclusive. Every append takes the same
//! lock shared, for its transaction, before it locks the head; so while one node holds the
//! turn no other append commits, and the holder's catch-up, decision and append cannot be
//! overtaken. PostgreSQL queues new shared requests behind a waiting exclusive one, so the
//! turn is had as soon as the appends in flight commit; it is given back at once
//! ([`EventLog::end_turn`]), and with the connection if the node dies.
//!
//! Schema: `postgres/schema.rs` (versioned migrations, applied at open). Retention:
//! `postgres/prune.rs`, the same semantics as [`crate::SqliteLog::prune`].

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, IsolationLevel, Transaction};

pub mod leases;
mod prune;
mod rows;
mod schema;
mod worker;

use rows::{raw_columns, seq_from_sql, seq_to_sql, EVENT_COLUMNS};
use worker::Worker;

use crate::batch::{prepare_batch, PreparedEvent};
use crate::receipt::{receipt_entry, RECEIPT_FORMAT};
use crate::sqlite::RawColumns;
use crate::verify::ChainWalk;
use crate::{event_hash, EventLog, NewEvent, StoreError, StoredEvent, VerifyReport};
use crate::{Disclosure, Receipt, SignedHead, GENESIS_HASH};
use crate::{MAX_RECEIPT_DISCLOSED_BYTES, MAX_RECEIPT_EVENTS, MAX_SNAPSHOT_BYTES, SNAPSHOTS_KEPT};

/// Times a write transaction is tried before its serialization failure is returned.
const MAX_ATTEMPTS: u32 = 20;

/// Rows read per query while verifying or building a receipt, bounding memory on any log size.
const PAGE_ROWS: i64 = 1_000;

/// The advisory lock key of the writer's turn (see the module doc): the bytes of `dcturn1`, so
/// it is recognisable in `pg_locks`. Advisory locks are per database, as logs are.
pub const TURN_LOCK: i64 = 0x0064_6374_7572_6e31;

/// True for a database URL this backend takes (`postgres://…` or `postgresql://…`).
pub fn is_postgres_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

/// `url` with its password, if any, replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// An [`EventLog`] in a PostgreSQL database (one database per log).
pub struct PgLog {
    worker: Worker,
    /// The URL without its password, for messages.
    name: String,
    read_only: bool,
    compress: bool,
    /// This connection holds the writer's turn ([`EventLog::take_turn`]).
    turn: bool,
}

impl PgLog {
    /// Connects and applies any migrations this build has that the database lacks (creating
    /// the schema in an empty database). Refuses a database that holds other tables named like
    /// ours but no schema version, or a newer schema version.
    pub fn open(url: &str) -> Result<PgLog, StoreError> {
        Self::connect(url, false)
    }

    /// Connects without writing anything: for `audit verify` and `db export`. The schema must
    /// be there; every write is refused.
    pub fn open_read_only(url: &str) -> Result<PgLog, StoreError> {
        Self::connect(url, true)
    }

    fn connect(url: &str, read_only: bool) -> Result<PgLog, StoreError> {
        let name = redact_url(url);
        let mut config =
            postgres::Config::from_str(url).map_err(|error| StoreError::DatabaseUrl {
                url: name.clone(),
                reason: error.to_string(),
            })?;
        config.application_name("deconflict");
        config.connect_timeout(Duration::from_secs(10));
        let worker = Worker::connect(config)?;
        let path = PathBuf::from(&name);
        worker.call(move |client| match read_only {
            true => {
                client.batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")?;
                let mut transaction = client.transaction()?;
                match schema_version(&mut transaction)? {
                    None => Err(StoreError::NotAnEventLog { path }),
                    Some(version) => check_version(version).map(|_| ()),
                }
            }
            false => retrying(client, |transaction| migrate(transaction, &path)),
        })?;
        Ok(PgLog {
            worker,
            name,
            read_only,
            compress: true,
            turn: false,
        })
    }

    /// Turns compression of appended payloads on (the default) or off, as
    /// [`crate::SqliteLog::set_compression`].
    pub fn set_compression(&mut self, compress: bool) {
        self.compress = compress;
    }

    /// The database URL without its password.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Walks the whole log from seq 1 in pages inside one read-only repeatable-read
    /// transaction (a consistent view while other nodes append), recomputing every hash from
    /// the stored columns; returns the first bad event, as [`crate::SqliteLog::verify`].
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.worker.call(|client| {
            let mut transaction = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let statement = transaction.prepare(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"
            ))?;
            let mut walk = ChainWalk::new();
            let mut after_seq = 0i64;
            loop {
                let rows = transaction.query(&statement, &[&after_seq, &PAGE_ROWS])?;
                for row in &rows {
                    after_seq = row.try_get(0)?;
                    match raw_columns(row)? {
                        Ok(columns) => walk.check_stored(&columns.as_raw_event()),
                        Err(reason) => walk.check_unreadable(after_seq, reason),
                    }
                    if walk.is_broken() {
                        return Ok(walk.report());
                    }
                }
                if (rows.len() as i64) < PAGE_ROWS {
                    return Ok(walk.report());
                }
            }
        })
    }

    /// A receipt of the events `(after, head.seq]`, as [`crate::SqliteLog::receipt`]. Pages are
    /// read one query each; the events up to a head that is in the log never change but for
    /// retention pruning one, which changes no hash, so the pages agree without one transaction.
    pub fn receipt(
        &self,
        after: u64,
        head: SignedHead,
        mut disclose: impl FnMut(&StoredEvent) -> Disclosure,
    ) -> Result<Receipt, StoreError> {
        let range_error = |reason: String| StoreError::ReceiptRange {
            after,
            head_seq: head.seq,
            reason,
        };
        let events = head
            .seq
            .checked_sub(after)
            .ok_or_else(|| range_error("after is beyond the head".into()))?;
        if events > MAX_RECEIPT_EVENTS {
            return Err(StoreError::ReceiptTooLarge {
                events,
                max: MAX_RECEIPT_EVENTS,
            });
        }
        let checked = head.clone();
        let prev_hash = self.worker.call(move |client| {
            let mut transaction = client.transaction()?;
            check_head_against_log(&mut transaction, &checked)?;
            hash_at(&mut transaction, after)
        })?;
        let prev_hash =
            prev_hash.ok_or_else(|| range_error(format!("event {after} is not in the log")))?;
        let mut entries = Vec::with_capacity(usize::try_from(events).unwrap_or(0));
        let mut disclosed_bytes = 0usize;
        let mut cursor = after;
        while cursor < head.seq {
            let page_rows = (head.seq - cursor).min(PAGE_ROWS as u64);
            let page = self.read_raw(cursor, page_rows)?;
            let page_start = cursor;
            for columns in page {
                let expected = cursor + 1;
                let corrupt = |reason: String| StoreError::Corrupt {
                    seq: expected,
                    reason,
                };
                let columns = columns.map_err(corrupt)?;
                let payload_bytes = columns.payload_bytes();
                let event = columns.decode()?;
                if event.seq != expected {
                    return Err(corrupt(format!("event {expected} is missing from the log")));
                }
                let disclosure = disclose(&event);
                if !disclosure.is_nothing() {
                    disclosed_bytes = disclosed_bytes.saturating_add(payload_bytes);
                    if disclosed_bytes > MAX_RECEIPT_DISCLOSED_BYTES {
                        return Err(StoreError::ReceiptPayloadTooLarge {
                            seq: event.seq,
                            max: MAX_RECEIPT_DISCLOSED_BYTES,
                        });
                    }
                }
                entries.push(receipt_entry(&event, &disclosure));
                cursor = expected;
            }
            if cursor == page_start {
                return Err(StoreError::Corrupt {
                    seq: cursor + 1,
                    reason: format!("event {} is missing from the log", cursor + 1),
                });
            }
        }
        Ok(Receipt {
            format: RECEIPT_FORMAT.to_string(),
            head,
            prev_hash,
            entries,
        })
    }

    /// Up to `limit` rows after `after_seq`, each read or the reason it cannot be.
    fn read_raw(
        &self,
        after_seq: u64,
        limit: u64,
    ) -> Result<Vec<Result<RawColumns, String>>, StoreError> {
        let Ok(after_seq) = i64::try_from(after_seq) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.worker.call(move |client| {
            let rows = client.query(
                &format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"),
                &[&after_seq, &limit],
            )?;
            rows.iter().map(raw_columns).collect()
        })
    }

    /// Writes a verified chain into this empty log in one transaction (`import.rs`), moving
    /// the chain head to its last event.
    pub(crate) fn import_rows(
        &mut self,
        rows: Vec<crate::import::ImportRow>,
    ) -> Result<(), StoreError> {
        self.refuse_if_read_only()?;
        self.worker.call(move |client| {
            retrying(client, |transaction| {
                let row = transaction
                    .query_one("SELECT seq FROM chain_head WHERE id = 1 FOR UPDATE", &[])?;
                let head_seq = seq_from_sql(row.try_get(0)?)?;
                if head_seq > 0 {
                    return Err(crate::import::not_empty(head_seq));
                }
                let insert = transaction.prepare(
                    "INSERT INTO events (seq, time, actor, kind, payload, codec, prev_hash, \
                     hash, salt, pruned_at, pruned) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )?;
                for row in &rows {
                    transaction.execute(
                        &insert,
                        &[
                            &seq_to_sql(row.seq)?,
                            &row.time,
                            &row.actor,
                            &row.kind,
                            &row.payload.as_bytes(),
                            &row.payload.codec().name(),
                            &row.prev_hash,
                            &row.hash,
                            &row.salt,
                            &row.pruned.as_ref().map(|(at, _)| at.as_str()),
                            &row.pruned.as_ref().map(|(_, digests)| digests.as_str()),
                        ],
                    )?;
                }
                if let Some(last) = rows.last() {
                    transaction.execute(
                        "UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1",
                        &[&seq_to_sql(last.seq)?, &last.hash],
                    )?;
                }
                Ok(())
            })
        })
    }

    fn refuse_if_read_only(&self) -> Result<(), StoreError> {
        match self.read_only {
            true => Err(StoreError::ReadOnly),
            false => Ok(()),
        }
    }
}

impl PgLog {
    /// Appends `events` in one transaction, if the head is `expected` (when given).
    fn append_checked(
        &mut self,
        expected: Option<u64>,
        events: Vec<NewEvent>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.refuse_if_read_only()?;
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let prepared = prepare_batch(events, self.compress)?;
        self.worker.call(move |client| {
            let (first_seq, hashes) = retrying(client, |transaction| {
                insert_batch(transaction, expected, &prepared)
            })?;
            let mut prev_hash = hashes.0;
            Ok(prepared
                .into_iter()
                .zip(hashes.1)
                .enumerate()
                .map(|(index, (event, hash))| StoredEvent {
                    seq: first_seq + index as u64,
                    time: event.time,
                    actor: event.actor,
                    kind: event.kind,
                    payload: event.payload,
                    prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                    hash,
                    salt: event.salt,
                    pruned: None,
                })
                .collect())
        })
    }
}

impl EventLog for PgLog {
    fn append(&mut self, events: Vec<NewEvent>) -> Result<Vec<StoredEvent>, StoreError> {
        self.append_checked(None, events)
    }

    fn append_after(
        &mut self,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.append_checked(Some(expected), events)
    }

    fn take_turn(&mut self) -> Result<(), StoreError> {
        self.refuse_if_read_only()?;
        if self.turn {
            return Ok(());
        }
        self.worker.call(|client| {
            client.execute("SELECT pg_advisory_lock($1)", &[&TURN_LOCK])?;
            Ok(())
        })?;
        self.turn = true;
        Ok(())
    }

    fn end_turn(&mut self) -> Result<(), StoreError> {
        if !self.turn {
            return Ok(());
        }
        // Given up as held, whatever the answer: a connection that failed took the lock with it.
        self.turn = false;
        self.worker.call(|client| {
            client.execute("SELECT pg_advisory_unlock($1)", &[&TURN_LOCK])?;
            Ok(())
        })
    }

    fn read_from(&self, after_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.read_raw(after_seq, u64::try_from(limit).unwrap_or(u64::MAX))?
            .into_iter()
            .enumerate()
            .map(|(index, columns)| {
                let seq = after_seq + index as u64 + 1;
                columns
                    .map_err(|reason| StoreError::Corrupt { seq, reason })?
                    .decode()
            })
            .collect()
    }

    fn head(&self) -> Result<Option<(u64, String)>, StoreError> {
        self.worker.call(|client| {
            let mut transaction = client.transaction()?;
            read_head(&mut transaction)
        })
    }

    fn save_snapshot(&mut self, seq: u64, state: &[u8]) -> Result<(), StoreError> {
        self.refuse_if_read_only()?;
        if state.len() > MAX_SNAPSHOT_BYTES {
            return Err(StoreError::SnapshotTooLarge {
                bytes: state.len(),
                max: MAX_SNAPSHOT_BYTES,
            });
        }
        let state = state.to_vec();
        self.worker.call(move |client| {
            retrying(client, |transaction| {
                let head_seq = read_head(transaction)?.map_or(0, |(head_seq, _)| head_seq);
                if seq > head_seq {
                    return Err(StoreError::SnapshotAhead {
                        seq,
                        head: head_seq,
                    });
                }
                transaction.execute(
                    "INSERT INTO snapshots (seq, state) VALUES ($1, $2) \
                     ON CONFLICT (seq) DO UPDATE SET state = excluded.state",
                    &[&seq_to_sql(seq)?, &state],
                )?;
                transaction.execute(
                    "DELETE FROM snapshots WHERE seq NOT IN \
                     (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT $1)",
                    &[&i64::from(SNAPSHOTS_KEPT)],
                )?;
                Ok(())
            })
        })
    }

    fn latest_snapshot(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.snapshot_before(u64::MAX)
    }

    fn snapshot_before(&self, seq: u64) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let before = i64::try_from(seq).unwrap_or(i64::MAX);
        self.worker.call(move |client| {
            let row = client.query_opt(
                "SELECT seq, state FROM snapshots WHERE seq < $1 ORDER BY seq DESC LIMIT 1",
                &[&before],
            )?;
            row.map(|row| Ok((seq_from_sql(row.try_get(0)?)?, row.try_get(1)?)))
                .transpose()
        })
    }

    fn receipt(
        &self,
        after: u64,
        head: SignedHead,
        disclose: &mut dyn FnMut(&StoredEvent) -> Disclosure,
    ) -> Result<Receipt, StoreError> {
        PgLog::receipt(self, after, head, disclose)
    }

    fn record_signed_head(&mut self, head: &SignedHead) -> Result<(), StoreError> {
        self.refuse_if_read_only()?;
        let head = head.clone();
        self.worker.call(move |client| {
            retrying(client, |transaction| {
                check_head_against_log(transaction, &head)?;
                transaction.execute(
                    "INSERT INTO signed_heads (seq, hash, signed_at, public_key, signature) \
                     VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &seq_to_sql(head.seq)?,
                        &head.hash,
                        &head.signed_at,
                        &head.public_key,
                        &head.signature,
                    ],
                )?;
                Ok(())
            })
        })
    }

    fn latest_signed_head(&self) -> Result<Option<SignedHead>, StoreError> {
        self.worker.call(|client| {
            let row = client.query_opt(
                "SELECT seq, hash, signed_at, public_key, signature FROM signed_heads \
                 ORDER BY seq DESC, id DESC LIMIT 1",
                &[],
            )?;
            row.map(|row| {
                Ok(SignedHead {
                    seq: seq_from_sql(row.try_get(0)?)?,
                    hash: row.try_get(1)?,
                    signed_at: row.try_get(2)?,
                    public_key: row.try_get(3)?,
                    signature: row.try_get(4)?,
                })
            })
            .transpose()
        })
    }
}

/// Runs `body` in a transaction and commits, again from the start on a serialization failure or
/// deadlock (what CockroachDB asks of every client, and PostgreSQL of serializable ones), up to
/// [`MAX_ATTEMPTS`] times with a growing pause.
fn retrying<R>(
    client: &mut Client,
    mut body: impl FnMut(&mut Transaction<'_>) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    let mut attempt = 1;
    loop {
        let result = client
            .transaction()
            .map_err(StoreError::from)
            .and_then(|mut transaction| {
                let value = body(&mut transaction)?;
                transaction.commit()?;
                Ok(value)
            });
        match result {
            Err(StoreError::Postgres(error)) if is_retryable(&error) && attempt < MAX_ATTEMPTS => {
                let jitter = u64::from(rand::random::<u8>() % 8);
                std::thread::sleep(Duration::from_millis(u64::from(attempt) * 2 + jitter));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Serialization failure, deadlock, or a concurrent creation of the same schema object.
fn is_retryable(error: &postgres::Error) -> bool {
    error.code().is_some_and(|code| {
        [
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::UNIQUE_VIOLATION,
            SqlState::DUPLICATE_TABLE,
        ]
        .contains(code)
    })
}

/// Locks the chain head, numbers and hashes the batch from it, inserts it and moves the head.
/// Returns the first seq and (the prev_hash of the first event, every event's hash). With
/// `expected`, refuses ([`StoreError::HeadMoved`]) when the locked head is another event: the
/// check and the append are under the same row lock, so no writer can come in between.
fn insert_batch(
    transaction: &mut Transaction<'_>,
    expected: Option<u64>,
    prepared: &[PreparedEvent],
) -> Result<(u64, (String, Vec<String>)), StoreError> {
    // The turn's lock, shared, in the same statement as the head's row lock and before it:
    // `FOR UPDATE` locks a row once the plan below it has returned it, and that plan evaluates
    // the `turn` subquery. Never after: a writer holding the turn would wait for the head's
    // row while the row's holder waited for the turn. A statement of its own would cost a
    // round trip (0.1 ms an append, pgbench on the development machine).
    let row = transaction.query_one(
        "SELECT seq, hash FROM chain_head, (SELECT pg_advisory_xact_lock_shared($1)) AS turn \
         WHERE id = 1 FOR UPDATE OF chain_head",
        &[&TURN_LOCK],
    )?;
    let head_seq = seq_from_sql(row.try_get(0)?)?;
    if let Some(expected) = expected.filter(|expected| *expected != head_seq) {
        return Err(StoreError::HeadMoved {
            expected,
            head: head_seq,
        });
    }
    let first_prev: String = row.try_get(1)?;
    let mut prev_hash = first_prev.clone();
    let mut seqs = Vec::with_capacity(prepared.len());
    let mut prev_hashes = Vec::with_capacity(prepared.len());
    let mut hashes = Vec::with_capacity(prepared.len());
    for (index, event) in prepared.iter().enumerate() {
        let seq = head_seq + index as u64 + 1;
        let hash = event_hash(seq, &prev_hash, &event.content_digest);
        seqs.push(seq_to_sql(seq)?);
        prev_hashes.push(std::mem::replace(&mut prev_hash, hash.clone()));
        hashes.push(hash);
    }
    let times: Vec<&str> = prepared.iter().map(|e| e.time_text.as_str()).collect();
    let actors: Vec<&str> = prepared.iter().map(|e| e.actor.as_str()).collect();
    let kinds: Vec<&str> = prepared.iter().map(|e| e.kind.as_str()).collect();
    let payloads: Vec<&[u8]> = prepared
        .iter()
        .map(|e| e.stored_payload.as_bytes())
        .collect();
    let codecs: Vec<&str> = prepared
        .iter()
        .map(|e| e.stored_payload.codec().name())
        .collect();
    let salts: Vec<String> = prepared.iter().map(|e| e.salt.to_hex()).collect();
    transaction.execute(
        "INSERT INTO events (seq, time, actor, kind, payload, codec, prev_hash, hash, salt) \
         SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BYTEA[], \
         $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[])",
        &[
            &seqs,
            &times,
            &actors,
            &kinds,
            &payloads,
            &codecs,
            &prev_hashes,
            &hashes,
            &salts,
        ],
    )?;
    let last = seqs.last().copied().unwrap_or(0);
    transaction.execute(
        "UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1",
        &[&last, &prev_hash],
    )?;
    Ok((head_seq + 1, (first_prev, hashes)))
}

/// (seq, hash) of the head; `None` for an empty log.
fn read_head(transaction: &mut Transaction<'_>) -> Result<Option<(u64, String)>, StoreError> {
    let row = transaction.query_one("SELECT seq, hash FROM chain_head WHERE id = 1", &[])?;
    let seq = seq_from_sql(row.try_get(0)?)?;
    Ok((seq > 0)
        .then(|| row.try_get(1))
        .transpose()?
        .map(|hash| (seq, hash)))
}

/// The hash of event `seq` (the genesis hash for 0); `None` if the log has no such event.
fn hash_at(transaction: &mut Transaction<'_>, seq: u64) -> Result<Option<String>, StoreError> {
    if seq == 0 {
        return Ok(Some(GENESIS_HASH.to_string()));
    }
    let row = transaction.query_opt(
        "SELECT hash FROM events WHERE seq = $1",
        &[&seq_to_sql(seq)?],
    )?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// Refuses a head whose signature fails or which does not match this log.
fn check_head_against_log(
    transaction: &mut Transaction<'_>,
    head: &SignedHead,
) -> Result<(), StoreError> {
    let refused = |reason: String| StoreError::SignedHeadRefused {
        seq: head.seq,
        reason,
    };
    head.verify().map_err(|error| refused(error.to_string()))?;
    match hash_at(transaction, head.seq)? {
        None => Err(refused(format!("event {} is not in the log", head.seq))),
        Some(hash) if hash != head.hash => Err(refused(format!(
            "the log's hash of event {} is {hash}, not {}",
            head.seq, head.hash
        ))),
        Some(_) => Ok(()),
    }
}

/// The database's schema version; `None` when it has no `deconflict_schema` table.
fn schema_version(transaction: &mut Transaction<'_>) -> Result<Option<i32>, StoreError> {
    let exists: bool = transaction
        .query_one("SELECT to_regclass('deconflict_schema') IS NOT NULL", &[])?
        .try_get(0)?;
    if !exists {
        return Ok(None);
    }
    let version: Option<i32> = transaction
        .query_one("SELECT max(version) FROM deconflict_schema", &[])?
        .try_get(0)?;
    Ok(Some(version.unwrap_or(0)))
}

/// Refuses a version newer than this build's.
fn check_version(version: i32) -> Result<i32, StoreError> {
    match version <= schema::latest_version() {
        true => Ok(version),
        false => Err(StoreError::UnsupportedSchema {
            found: version.to_string(),
            supported: "1",
        }),
    }
}

/// Brings the schema to this build's version inside `transaction`.
fn migrate(transaction: &mut Transaction<'_>, path: &std::path::Path) -> Result<(), StoreError> {
    let version = match schema_version(transaction)? {
        Some(version) => check_version(version)?,
        None => {
            let foreign: bool = transaction
                .query_one("SELECT to_regclass('events') IS NOT NULL", &[])?
                .try_get(0)?;
            if foreign {
                return Err(StoreError::NotAnEventLog {
                    path: path.to_path_buf(),
                });
            }
            transaction.batch_execute(
                "CREATE TABLE deconflict_schema \
                 (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            )?;
            0
        }
    };
    for (number, sql) in schema::MIGRATIONS.iter().filter(|(n, _)| *n > version) {
        transaction.batch_execute(sql)?;
        if *number == 1 {
            transaction.batch_execute(&schema::initial_head_sql())?;
        }
        transaction.execute(
            "INSERT INTO deconflict_schema (version) VALUES ($1)",
            &[number],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_kept_out_of_messages() {
        assert_eq!(
            redact_url("postgres://alice:s3cret@db.example:5432/log"),
            "postgres://alice:***@db.example:5432/log"
        );
        assert_eq!(
            redact_url("postgresql://alice@localhost/log?host=/tmp"),
            "postgresql://alice@localhost/log?host=/tmp"
        );
        assert_eq!(redact_url("postgres:///log"), "postgres:///log");
    }

    #[test]
    fn only_postgres_urls_are_taken_for_one() {
        assert!(is_postgres_url("postgres://localhost/x"));
        assert!(is_postgres_url("postgresql://localhost/x"));
        assert!(!is_postgres_url("events.db"));
        assert!(!is_postgres_url("/var/lib/postgres/events.db"));
    }
}
