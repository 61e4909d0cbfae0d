//! Choosing a backend from what the user typed: a file path is an SQLite log, a
//! `postgres://…` URL a PostgreSQL one. [`AnyLog`] is either, for the callers that need more
//! than the [`EventLog`] trait (verify, retention) and must not care which.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::{
    is_postgres_url, redact_url, Disclosure, EventLog, NewEvent, PgLog, PruneOutcome, PrunePolicy,
    Receipt, SignedHead, SqliteLog, StoreError, StoredEvent, VacuumOutcome, VerifyReport,
};

/// Where a log lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database URL (`postgres://user:password@host:port/dbname`, or with
    /// `?host=/socket/dir`).
    Postgres(String),
}

impl Database {
    /// A `postgres://` or `postgresql://` URL is PostgreSQL; anything else a file path.
    pub fn from_path(path: &Path) -> Database {
        match path.to_str() {
            Some(text) if is_postgres_url(text) => Database::Postgres(text.to_string()),
            _ => Database::Sqlite(path.to_path_buf()),
        }
    }

    /// For messages: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(url) => redact_url(url),
        }
    }
}

/// An open log of either backend.
pub enum AnyLog {
    Sqlite(SqliteLog),
    Postgres(PgLog),
}

impl AnyLog {
    /// Opens (creating or migrating) the log at `database`.
    pub fn open(database: &Database) -> Result<AnyLog, StoreError> {
        Ok(match database {
            Database::Sqlite(path) => AnyLog::Sqlite(SqliteLog::open(path)?),
            Database::Postgres(url) => AnyLog::Postgres(PgLog::open(url)?),
        })
    }

    /// Opens an existing log read-only (an error if there is none).
    pub fn open_read_only(database: &Database) -> Result<AnyLog, StoreError> {
        Ok(match database {
            Database::Sqlite(path) => AnyLog::Sqlite(SqliteLog::open_read_only(path)?),
            Database::Postgres(url) => AnyLog::Postgres(PgLog::open_read_only(url)?),
        })
    }

    /// Walks the whole chain (see [`SqliteLog::verify`]).
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        match self {
            AnyLog::Sqlite(log) => log.verify(),
            AnyLog::Postgres(log) => log.verify(),
        }
    }

    /// See [`SqliteLog::count_prunable`].
    pub fn count_prunable(&self, policy: &PrunePolicy) -> Result<u64, StoreError> {
        match self {
            AnyLog::Sqlite(log) => log.count_prunable(policy),
            AnyLog::Postgres(log) => log.count_prunable(policy),
        }
    }

    /// See [`SqliteLog::prune`].
    pub fn prune(
        &mut self,
        policy: &PrunePolicy,
        now: DateTime<Utc>,
        progress: &mut dyn FnMut(&PruneOutcome),
    ) -> Result<PruneOutcome, StoreError> {
        match self {
            AnyLog::Sqlite(log) => log.prune(policy, now, progress),
            AnyLog::Postgres(log) => log.prune(policy, now, progress),
        }
    }

    /// Gives the space pruning freed back to the file system: SQLite's vacuum
    /// ([`SqliteLog::vacuum`]); `None` on PostgreSQL, whose autovacuum does it by itself.
    pub fn release_space(
        &mut self,
        rewrite_allowed: bool,
    ) -> Result<Option<VacuumOutcome>, StoreError> {
        match self {
            AnyLog::Sqlite(log) => log.vacuum(rewrite_allowed).map(Some),
            AnyLog::Postgres(_) => Ok(None),
        }
    }

    /// See [`SqliteLog::set_compression`].
    pub fn set_compression(&mut self, compress: bool) {
        match self {
            AnyLog::Sqlite(log) => log.set_compression(compress),
            AnyLog::Postgres(log) => log.set_compression(compress),
        }
    }

    /// Imports `events` (a whole log, as `db export` writes it) into this empty log: verified
    /// as a chain from seq 1 first, written as they are in one transaction, then the log
    /// verified again; refused whole ([`StoreError::ImportRefused`]) otherwise. Returns the
    /// report of the imported chain.
    pub fn import(&mut self, events: Vec<StoredEvent>) -> Result<VerifyReport, StoreError> {
        let (report, rows) = crate::import::prepare_import(events, true)?;
        match self {
            AnyLog::Sqlite(log) => log.import_rows(&rows)?,
            AnyLog::Postgres(log) => log.import_rows(rows)?,
        }
        let stored = self.verify()?;
        if stored.first_bad.is_some() || stored.head != report.head {
            return Err(StoreError::Corrupt {
                seq: stored.first_bad.map_or(0, |bad| bad.seq),
                reason: "the imported log does not verify as its input did".into(),
            });
        }
        Ok(report)
    }

    fn inner(&self) -> &dyn EventLog {
        match self {
            AnyLog::Sqlite(log) => log,
            AnyLog::Postgres(log) => log,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn EventLog {
        match self {
            AnyLog::Sqlite(log) => log,
            AnyLog::Postgres(log) => log,
        }
    }
}

impl EventLog for AnyLog {
    fn append(&mut self, events: Vec<NewEvent>) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner_mut().append(events)
    }

    fn append_after(
        &mut self,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner_mut().append_after(expected, events)
    }

    fn take_turn(&mut self) -> Result<(), StoreError> {
        self.inner_mut().take_turn()
    }

    fn end_turn(&mut self) -> Result<(), StoreError> {
        self.inner_mut().end_turn()
    }

    fn read_from(&self, after_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner().read_from(after_seq, limit)
    }

    fn head(&self) -> Result<Option<(u64, String)>, StoreError> {
        self.inner().head()
    }

    fn save_snapshot(&mut self, seq: u64, state: &[u8]) -> Result<(), StoreError> {
        self.inner_mut().save_snapshot(seq, state)
    }

    fn latest_snapshot(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.inner().latest_snapshot()
    }

    fn snapshot_before(&self, seq: u64) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.inner().snapshot_before(seq)
    }

    fn receipt(
        &self,
        after: u64,
        head: SignedHead,
        disclose: &mut dyn FnMut(&StoredEvent) -> Disclosure,
    ) -> Result<Receipt, StoreError> {
        self.inner().receipt(after, head, disclose)
    }

    fn record_signed_head(&mut self, head: &SignedHead) -> Result<(), StoreError> {
        self.inner_mut().record_signed_head(head)
    }

    fn latest_signed_head(&self) -> Result<Option<SignedHead>, StoreError> {
        self.inner().latest_signed_head()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_postgres_and_anything_else_a_file() {
        assert_eq!(
            Database::from_path(Path::new("postgres://u:p@h/d")),
            Database::Postgres("postgres://u:p@h/d".into())
        );
        assert_eq!(
            Database::from_path(Path::new("data/events.db")),
            Database::Sqlite("data/events.db".into())
        );
        assert_eq!(
            Database::from_path(Path::new("postgres://u:p@h/d")).display(),
            "postgres://u:***@h/d"
        );
    }
}
