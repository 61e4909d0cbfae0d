//! The embedded backend: one SQLite file in WAL mode with `synchronous=FULL`.
//!
//! Schema (version 3): `events` holds one row per event with every hashed column as text
//! (including the content digest's `salt`), so verification recomputes everything from the
//! stored bytes; the payload is its canonical JSON text, stored as is or as a zstd frame of it
//! as the row's `codec` says (`codec.rs`); `pruned_at` and `pruned` are null unless retention
//! pruned the event (`sqlite/prune.rs`). `snapshots` holds opaque state blobs keyed by the seq
//! they were taken after; `signed_heads` keeps every signed chain head handed out (see
//! `sqlite/receipts.rs`); `meta` holds `schema_version`. Triggers make `events` and
//! `signed_heads` append-only against accidental writes, but for the one deliberate update,
//! pruning; deliberate tampering is what the hash chain catches. The DML is plain SQL that
//! PostgreSQL and CockroachDB also accept; only the DDL and pragmas are SQLite's.
//!
//! Versions: 2 added the salts (a version 1 file is refused, see [`StoreError::OutdatedSchema`]);
//! 3 added `codec`, `pruned_at`, `pruned`, the index of unpruned events by kind and time, and
//! the trigger that lets pruning through. A version 2 file is migrated when opened for writing
//! (three columns added with defaults that describe its rows exactly, so not one stored byte of
//! an event changes and its chain verifies as before), and read as it is when opened read-only.
//! A new file is created at version 2 and migrated, so both take the one path.
//!
//! One writer per file is assumed: the head is cached in memory, but every append re-reads the
//! head inside its `BEGIN IMMEDIATE` transaction, so even a second writer cannot fork the chain.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

mod prune;
mod receipts;
mod rows;

pub(crate) use prune::prune_event;
pub use prune::{PruneOutcome, PrunePolicy, VacuumOutcome, PRUNE_CHUNK_EVENTS};

pub(crate) use rows::RawColumns;
use rows::{raw_columns, read_head, seq_from_sql, seq_to_sql};

use crate::batch::prepare_batch;
use crate::verify::ChainWalk;
use crate::{event_hash, EventLog, NewEvent, StoreError, StoredEvent, VerifyReport, GENESIS_HASH};
use crate::{Disclosure, Receipt, SignedHead};
use crate::{MAX_SNAPSHOT_BYTES, SNAPSHOTS_KEPT};

/// The schema version this build writes. Version 1 hashed the payload text directly
/// (`deconflict-event-v1`) and had no salts; its chains cannot be re-expressed as version 2
/// without re-hashing, which would defeat the point of the chain, so it is refused.
const SCHEMA_VERSION: &str = "3";

/// The oldest schema version this build reads (and migrates when opened for writing).
const OLDEST_READABLE_VERSION: &str = "2";

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Rows read per query while verifying, bounding memory on any log size.
const VERIFY_PAGE_ROWS: i64 = 1_000;

/// The schema of version 2, as it was; new files start here and are migrated.
const SCHEMA_V2: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    salt TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY, state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS signed_heads (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS signed_heads_no_update BEFORE UPDATE ON signed_heads
    BEGIN SELECT RAISE(ABORT, 'signed heads are append-only'); END;
CREATE TRIGGER IF NOT EXISTS signed_heads_no_delete BEFORE DELETE ON signed_heads
    BEGIN SELECT RAISE(ABORT, 'signed heads are append-only'); END;
";

/// Version 2 → 3. The defaults describe every version 2 row exactly (text payload, not
/// pruned). The update trigger lets exactly one kind of update through: one that prunes an
/// unpruned event (sets `pruned_at` and `pruned`) and changes none of the columns the hash
/// commits to directly; the new payload is then checked by the chain like any other (its
/// pruned subtrees by their recorded digests). Deletes stay refused.
const MIGRATION_V3: &str = "
ALTER TABLE events ADD COLUMN codec TEXT NOT NULL DEFAULT 'json';
ALTER TABLE events ADD COLUMN pruned_at TEXT;
ALTER TABLE events ADD COLUMN pruned TEXT;
DROP TRIGGER IF EXISTS events_no_update;
CREATE TRIGGER events_update_only_prunes BEFORE UPDATE ON events
    WHEN OLD.pruned_at IS NOT NULL OR NEW.pruned_at IS NULL OR NEW.pruned IS NULL
        OR NEW.seq IS NOT OLD.seq OR NEW.time IS NOT OLD.time OR NEW.actor IS NOT OLD.actor
        OR NEW.kind IS NOT OLD.kind OR NEW.prev_hash IS NOT OLD.prev_hash
        OR NEW.hash IS NOT OLD.hash OR NEW.salt IS NOT OLD.salt
    BEGIN SELECT RAISE(ABORT, 'events are append-only; the one update allowed prunes an event once'); END;
CREATE INDEX events_unpruned_by_kind_time ON events (kind, time) WHERE pruned_at IS NULL;
UPDATE meta SET value = '3' WHERE key = 'schema_version';
";

/// Events after a seq, ascending, bounded; the column order is what `rows` decodes. A version
/// 2 file has no codec or pruned columns: its rows are text and unpruned.
pub(crate) fn select_events(schema_version: u32) -> &'static str {
    match schema_version {
        2 => {
            "SELECT seq, time, actor, kind, payload, prev_hash, hash, salt, 'json', NULL, NULL \
             FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        }
        _ => {
            "SELECT seq, time, actor, kind, payload, prev_hash, hash, salt, codec, pruned_at, \
             pruned FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        }
    }
}

/// An [`EventLog`] in one SQLite file.
pub struct SqliteLog {
    connection: Connection,
    read_only: bool,
    /// The file's schema version: 3, or 2 for a version 2 file opened read-only.
    schema_version: u32,
    /// Whether appended payloads may be stored compressed (`codec.rs`); on unless turned off.
    compress: bool,
    /// Head as of the last open or append (writable handles only).
    cached_head: Option<(u64, String)>,
}

impl SqliteLog {
    /// Creates or opens; WAL mode, synchronous=FULL (an acknowledged append survives kill -9 and
    /// power loss), schema created if missing (with a schema version row), an older readable
    /// schema migrated. A new file is set to `auto_vacuum=INCREMENTAL`, so the pages retention
    /// frees can be given back to the file system while the server runs (see
    /// [`SqliteLog::vacuum`]).
    pub fn open(path: &Path) -> Result<SqliteLog, StoreError> {
        let mut connection = Connection::open(path)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        // Refuse someone else's database before changing anything in it (even its journal mode).
        let table_count: i64 = connection.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |row| row.get(0),
        )?;
        if table_count > 0 && !has_meta_table(&connection)? {
            return Err(StoreError::NotAnEventLog {
                path: path.to_path_buf(),
            });
        }
        if table_count == 0 {
            // Only takes effect before the first table is created.
            connection.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        }
        let mode: String =
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::WalRefused { mode });
        }
        connection.pragma_update(None, "synchronous", "FULL")?;
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = match table_count {
            // An unreadable schema is refused before anything is changed in it.
            0 => None,
            _ => Some(check_schema_version(&transaction, path)?),
        };
        if version.is_none() {
            transaction.execute_batch(SCHEMA_V2)?;
            transaction.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
                params![OLDEST_READABLE_VERSION],
            )?;
        }
        if version.unwrap_or(2) == 2 {
            transaction.execute_batch(MIGRATION_V3)?;
        }
        let schema_version = check_schema_version(&transaction, path)?;
        transaction.commit()?;
        let cached_head = read_head(&connection)?;
        Ok(SqliteLog {
            connection,
            read_only: false,
            schema_version,
            compress: true,
            cached_head,
        })
    }

    /// Opens an existing file read-only (for `audit verify`); error if missing.
    pub fn open_read_only(path: &Path) -> Result<SqliteLog, StoreError> {
        match std::fs::metadata(path) {
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        connection.pragma_update(None, "query_only", true)?;
        if !has_meta_table(&connection)? {
            return Err(StoreError::NotAnEventLog {
                path: path.to_path_buf(),
            });
        }
        let schema_version = check_schema_version(&connection, path)?;
        Ok(SqliteLog {
            connection,
            read_only: true,
            schema_version,
            compress: true,
            cached_head: None,
        })
    }

    /// Turns compression of appended payloads on (the default) or off; off writes every payload
    /// as text, as schema version 2 did (benchmarks compare the two; reading is unaffected).
    pub fn set_compression(&mut self, compress: bool) {
        self.compress = compress;
    }

    /// The file's schema version (3 for any file opened for writing).
    pub fn schema_version(&self) -> u32 {
        self.schema_version
    }

    /// Walks the whole log from seq 1 in pages inside one read transaction (a consistent view
    /// even while a writer appends), recomputing every hash from the stored columns as text, and
    /// checking links and contiguity; returns the first bad event.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let transaction = self.connection.unchecked_transaction()?;
        let mut statement = transaction.prepare(select_events(self.schema_version))?;
        let mut walk = ChainWalk::new();
        let mut after_seq = 0i64;
        loop {
            let mut rows = statement.query(params![after_seq, VERIFY_PAGE_ROWS])?;
            let mut rows_in_page = 0;
            while let Some(row) = rows.next()? {
                rows_in_page += 1;
                after_seq = row.get(0)?;
                match raw_columns(row)? {
                    Ok(columns) => walk.check_stored(&columns.as_raw_event()),
                    Err(reason) => walk.check_unreadable(after_seq, reason),
                }
                if walk.is_broken() {
                    return Ok(walk.report());
                }
            }
            if rows_in_page < VERIFY_PAGE_ROWS {
                return Ok(walk.report());
            }
        }
    }

    /// Writes a verified chain into this empty log in one transaction (`import.rs`).
    pub(crate) fn import_rows(
        &mut self,
        rows: &[crate::import::ImportRow],
    ) -> Result<(), StoreError> {
        self.refuse_if_read_only()?;
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some((head_seq, _)) = read_head(&transaction)? {
            return Err(crate::import::not_empty(head_seq));
        }
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO events (seq, time, actor, kind, payload, prev_hash, hash, salt, \
                 codec, pruned_at, pruned) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for row in rows {
                insert.execute(params![
                    seq_to_sql(row.seq)?,
                    row.time,
                    row.actor,
                    row.kind,
                    row.payload.to_sql(),
                    row.prev_hash,
                    row.hash,
                    row.salt,
                    row.payload.codec().name(),
                    row.pruned.as_ref().map(|(at, _)| at),
                    row.pruned.as_ref().map(|(_, digests)| digests),
                ])?;
            }
        }
        transaction.commit()?;
        self.cached_head = read_head(&self.connection)?;
        Ok(())
    }

    fn refuse_if_read_only(&self) -> Result<(), StoreError> {
        match self.read_only {
            true => Err(StoreError::ReadOnly),
            false => Ok(()),
        }
    }
}

impl SqliteLog {
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
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (mut seq, mut prev_hash) =
            read_head(&transaction)?.unwrap_or((0, GENESIS_HASH.to_string()));
        if let Some(expected) = expected.filter(|expected| *expected != seq) {
            return Err(StoreError::HeadMoved {
                expected,
                head: seq,
            });
        }
        let mut stored = Vec::with_capacity(prepared.len());
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO events (seq, time, actor, kind, payload, prev_hash, hash, salt, codec) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for event in prepared {
                seq += 1;
                let seq_sql = seq_to_sql(seq)?;
                let hash = event_hash(seq, &prev_hash, &event.content_digest);
                insert.execute(params![
                    seq_sql,
                    event.time_text,
                    event.actor,
                    event.kind,
                    event.stored_payload.to_sql(),
                    prev_hash,
                    hash,
                    event.salt.to_hex(),
                    event.stored_payload.codec().name()
                ])?;
                stored.push(StoredEvent {
                    seq,
                    time: event.time,
                    actor: event.actor,
                    kind: event.kind,
                    payload: event.payload,
                    prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                    hash,
                    salt: event.salt,
                    pruned: None,
                });
            }
        }
        transaction.commit()?;
        self.cached_head = Some((seq, prev_hash));
        Ok(stored)
    }
}

impl EventLog for SqliteLog {
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

    /// Nothing to do: a SQLite log is written by one server, which never follows other
    /// writers' appends (only a PostgreSQL log is shared, SPEC §9), so no writer can overtake
    /// it; another process appending as well only ever meets SQLite's own write lock.
    fn take_turn(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    fn end_turn(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    fn read_from(&self, after_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let Ok(after_seq) = i64::try_from(after_seq) else {
            return Ok(Vec::new()); // Past any seq SQLite can hold.
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut statement = self
            .connection
            .prepare_cached(select_events(self.schema_version))?;
        let mut rows = statement.query(params![after_seq, limit])?;
        let mut events = Vec::new();
        while let Some(row) = rows.next()? {
            let seq = seq_from_sql(row.get(0)?)?;
            let columns =
                raw_columns(row)?.map_err(|reason| StoreError::Corrupt { seq, reason })?;
            events.push(columns.decode()?);
        }
        Ok(events)
    }

    fn head(&self) -> Result<Option<(u64, String)>, StoreError> {
        match self.read_only {
            true => read_head(&self.connection), // Another process may be appending.
            false => Ok(self.cached_head.clone()),
        }
    }

    fn save_snapshot(&mut self, seq: u64, state: &[u8]) -> Result<(), StoreError> {
        self.refuse_if_read_only()?;
        if state.len() > MAX_SNAPSHOT_BYTES {
            return Err(StoreError::SnapshotTooLarge {
                bytes: state.len(),
                max: MAX_SNAPSHOT_BYTES,
            });
        }
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head_seq = read_head(&transaction)?.map_or(0, |(head_seq, _)| head_seq);
        if seq > head_seq {
            return Err(StoreError::SnapshotAhead {
                seq,
                head: head_seq,
            });
        }
        transaction.execute(
            "INSERT INTO snapshots (seq, state) VALUES (?1, ?2) \
             ON CONFLICT (seq) DO UPDATE SET state = excluded.state",
            params![seq_to_sql(seq)?, state],
        )?;
        transaction.execute(
            "DELETE FROM snapshots WHERE seq NOT IN \
             (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?1)",
            params![SNAPSHOTS_KEPT],
        )?;
        transaction.commit()?;
        Ok(())
    }

    fn receipt(
        &self,
        after: u64,
        head: SignedHead,
        disclose: &mut dyn FnMut(&StoredEvent) -> Disclosure,
    ) -> Result<Receipt, StoreError> {
        SqliteLog::receipt(self, after, head, disclose)
    }

    fn record_signed_head(&mut self, head: &SignedHead) -> Result<(), StoreError> {
        SqliteLog::record_signed_head(self, head)
    }

    fn latest_signed_head(&self) -> Result<Option<SignedHead>, StoreError> {
        SqliteLog::latest_signed_head(self)
    }

    fn latest_snapshot(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.snapshot_before(u64::MAX)
    }

    fn snapshot_before(&self, seq: u64) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let before = i64::try_from(seq).unwrap_or(i64::MAX);
        let found: Option<(i64, Vec<u8>)> = self
            .connection
            .query_row(
                "SELECT seq, state FROM snapshots WHERE seq < ?1 ORDER BY seq DESC LIMIT 1",
                params![before],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        found
            .map(|(seq, state)| Ok((seq_from_sql(seq)?, state)))
            .transpose()
    }
}

fn has_meta_table(connection: &Connection) -> Result<bool, StoreError> {
    let found: Option<i64> = connection
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

/// The file's schema version if this build reads it (2 or 3); otherwise the error to refuse it.
fn check_schema_version(connection: &Connection, path: &Path) -> Result<u32, StoreError> {
    let version: Option<String> = connection
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    match version {
        Some(version) if version == SCHEMA_VERSION || version == OLDEST_READABLE_VERSION => {
            Ok(version.parse().expect("the readable versions are numbers"))
        }
        Some(found) if is_older_schema(&found) => Err(StoreError::OutdatedSchema {
            found,
            supported: OLDEST_READABLE_VERSION,
        }),
        Some(found) => Err(StoreError::UnsupportedSchema {
            found,
            supported: SCHEMA_VERSION,
        }),
        None => Err(StoreError::NotAnEventLog {
            path: PathBuf::from(path),
        }),
    }
}

/// True if `found` is a schema version number below the oldest this build reads.
fn is_older_schema(found: &str) -> bool {
    let current: u32 = OLDEST_READABLE_VERSION
        .parse()
        .expect("a version is a number");
    found.parse::<u32>().is_ok_and(|found| found < current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_schema_version_is_unsupported() {
        assert!(!is_older_schema("3"));
        assert!(!is_older_schema("2"));
        assert!(!is_older_schema("x"));
        assert!(is_older_schema("1"));
    }

    #[test]
    fn writable_connection_syncs_fully_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let log = SqliteLog::open(&dir.path().join("events.db")).unwrap();
        let synchronous: i64 = log
            .connection
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "2 is FULL");
        let mode: String = log
            .connection
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
