//! The one error type of the store crate.
//!
//! Every variant names the problem and carries the offending value, so the server can map each
//! to one problem+json `type` and an operator can act on the message alone.

use std::path::PathBuf;

/// Everything that can go wrong while appending to, reading or opening an event log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The underlying SQLite call failed (I/O error, lock timeout, disk full, ...).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// A PostgreSQL call failed (connection refused or lost, a statement refused, ...).
    #[error("postgres: {}", postgres_message(.0))]
    Postgres(#[from] postgres::Error),

    /// A `postgres://` database URL that does not parse.
    #[error("database URL {url} is not valid: {reason}")]
    DatabaseUrl { url: String, reason: String },

    /// The PostgreSQL connection's thread is gone (the connection broke); reopen the log.
    #[error("the PostgreSQL connection was lost")]
    ConnectionLost,

    /// An import was refused whole: the events do not verify, or the target is not empty.
    #[error("import refused, nothing written: {reason}")]
    ImportRefused { reason: String },

    /// A file-system call outside SQLite failed.
    #[error("cannot access {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `open_read_only` was given a path that does not exist (it never creates a file).
    #[error("event log {path} does not exist", path = path.display())]
    NotFound { path: PathBuf },

    /// The file is an SQLite database, but not one written by this crate.
    #[error("{path} is not a deconflict event log (no meta table)", path = path.display())]
    NotAnEventLog { path: PathBuf },

    /// The file was written by an older build whose hash chain this build cannot verify
    /// (version 1 hashed payload text; version 2 commits to salted, redactable digests).
    #[error(
        "event log schema version {found} predates version {supported}, the oldest this build \
         reads (the hash chain changed to salted, redactable digests); it cannot be opened or \
         verified by this build: verify it with the build that wrote it, and start a new log"
    )]
    OutdatedSchema {
        found: String,
        supported: &'static str,
    },

    /// The file was written by a newer (or unknown) schema version.
    #[error("event log schema version {found:?} is not supported (this build reads versions up to {supported})")]
    UnsupportedSchema {
        found: String,
        supported: &'static str,
    },

    /// SQLite refused WAL mode (e.g. an in-memory database); durability guarantees would not hold.
    #[error(
        "journal_mode=WAL was refused (SQLite reports {mode:?}); the log needs WAL on a real file"
    )]
    WalRefused { mode: String },

    /// A write was attempted through a handle from `open_read_only`.
    #[error("the event log was opened read-only")]
    ReadOnly,

    /// An append batch exceeded [`crate::MAX_APPEND_BATCH_EVENTS`]; nothing was written.
    #[error("append batch of {events} events exceeds the maximum of {max}")]
    BatchTooLarge { events: usize, max: usize },

    /// An append batch's payloads together exceeded [`crate::MAX_APPEND_BATCH_PAYLOAD_BYTES`].
    #[error("append batch payloads total {bytes} bytes, more than the maximum of {max}")]
    BatchPayloadTooLarge { bytes: usize, max: usize },

    /// One event of an append batch was refused; nothing of the batch was written.
    #[error("event {index} of the append batch is invalid: {reason}")]
    InvalidEvent { index: usize, reason: String },

    /// A snapshot larger than [`crate::MAX_SNAPSHOT_BYTES`] was refused.
    #[error("snapshot of {bytes} bytes exceeds the maximum of {max}")]
    SnapshotTooLarge { bytes: usize, max: usize },

    /// A snapshot was claimed to be taken after an event that is not in the log yet.
    #[error("snapshot at event {seq} is ahead of the log head ({head})")]
    SnapshotAhead { seq: u64, head: u64 },

    /// [`crate::EventLog::append_after`] found the head elsewhere than the writer expected:
    /// another writer (another node on the same database) appended first. Nothing was written;
    /// the writer reads the new events, decides again and retries.
    #[error("the log's head moved: expected event {expected}, found {head}")]
    HeadMoved { expected: u64, head: u64 },

    /// The head-signing key file exists but cannot be used; it is never replaced silently,
    /// since a new key would orphan every receipt signed with the old one.
    #[error("signing key {path} is unusable: {reason}", path = path.display())]
    SigningKey { path: PathBuf, reason: String },

    /// A signed head was refused: its signature does not verify, or it does not name an event
    /// of this log with that event's hash.
    #[error("signed head at event {seq} refused: {reason}")]
    SignedHeadRefused { seq: u64, reason: String },

    /// A receipt was asked for a range this log cannot give (e.g. `after` beyond the head).
    #[error("cannot build a receipt of events ({after}, {head_seq}]: {reason}")]
    ReceiptRange {
        after: u64,
        head_seq: u64,
        reason: String,
    },

    /// A receipt would cover more events than [`crate::MAX_RECEIPT_EVENTS`].
    #[error("a receipt of {events} events exceeds the maximum of {max}; ask for a shorter range")]
    ReceiptTooLarge { events: u64, max: u64 },

    /// The disclosed payloads of a receipt would exceed [`crate::MAX_RECEIPT_DISCLOSED_BYTES`].
    #[error(
        "a receipt's disclosed payloads exceed {max} bytes (at event {seq}); ask for a shorter range"
    )]
    ReceiptPayloadTooLarge { seq: u64, max: usize },

    /// A stored row could not be turned back into an event. `audit verify` gives the full story.
    #[error("event log is corrupt at event {seq}: {reason}")]
    Corrupt { seq: u64, reason: String },
}

/// A PostgreSQL error with the server's own message when there is one (the client's `Display`
/// says only "db error").
fn postgres_message(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({}): {}", db.severity(), db.code().code(), db.message()),
        None => match std::error::Error::source(error) {
            Some(source) => format!("{error}: {source}"),
            None => error.to_string(),
        },
    }
}
