//! The tamper-evident event log of deconflict.
//!
//! Every state change of the system is an event: a sequence number, a time, an actor, a kind and a
//! JSON payload, chained to its predecessor by SHA-256 over a salted, redactable digest of its
//! content. This crate knows nothing about the domain; payloads are opaque
//! [`serde_json::Value`]s that it stores as canonical JSON.
//!
//! The pieces:
//!
//! - [`EventLog`] (in `event.rs`) is the narrow trait the server writes and replays through, with
//!   [`NewEvent`] going in and [`StoredEvent`] coming out. Any backend implements it.
//! - [`SqliteLog`] (in `sqlite.rs`) is the embedded backend: one SQLite file, WAL,
//!   `synchronous=FULL`, so an acknowledged append survives a crash or power loss.
//! - `hash.rs` defines [`canonical_json`] and [`event_hash`], and `redact.rs` the salted content
//!   digest ([`content_digest`]) the hash commits to; both document their encoding byte by byte,
//!   so a third party can verify a log without this code.
//! - `codec.rs` says how a payload's canonical text is kept: as is, or compressed (zstd) when
//!   long; the hashes never see the difference.
//! - Retention (`sqlite/prune.rs`, [`SqliteLog::prune`]): the caller names kinds, a subtree of
//!   their payload and a cut-off time; each such older event keeps only that subtree's salted
//!   digest ([`Pruned`]), so the chain, `verify` and receipts still cover it whole.
//! - `verify.rs` walks a chain and names the first bad event ([`verify_events`],
//!   [`SqliteLog::verify`]); `batch.rs` validates an append batch against the limits below.
//! - `receipt.rs` lets a party keep proof of what it was told: the server signs chain heads
//!   ([`HeadSigner`], [`SignedHead`]), builds a [`Receipt`] of a range of events disclosing to
//!   each party only what a [`Disclosure`] allows ([`SqliteLog::receipt`]), and anyone checks
//!   it offline ([`verify_receipt`]) without learning anything of what was withheld.
//!
//! Architecture invariant: this crate depends on no other deconflict crate and never interprets a
//! payload. Every append is all-or-nothing, and every limit below is enforced with an error
//! before anything is written.

mod batch;
mod codec;
mod database;
mod error;
mod event;
mod hash;
mod import;
mod postgres;
mod receipt;
mod redact;
mod sqlite;
pub mod testing;
mod verify;

pub use codec::COMPRESS_MIN_BYTES;
pub use database::{AnyLog, Database};
pub use error::StoreError;
pub use event::{EventLog, NewEvent, Pruned, StoredEvent};
pub use hash::{canonical_json, event_hash, GENESIS_HASH};
pub use postgres::leases::{PgLeases, Renewal};
pub use postgres::{is_postgres_url, redact_url, PgLog};
pub use receipt::{
    receipt_entry, verify_receipt, Disclosure, HeadSigner, Receipt, ReceiptEntry, ReceiptError,
    ReceiptReport, SignedHead, RECEIPT_FORMAT,
};
pub use redact::{
    content_digest, event_content, event_content_digest, is_leaf, node_digest, NodeDigest, Salt,
};
pub use sqlite::{PruneOutcome, PrunePolicy, SqliteLog, VacuumOutcome, PRUNE_CHUNK_EVENTS};
pub use verify::{verify_events, BadEvent, VerifyReport};

/// Most events one `append` accepts; a bigger batch is refused whole with
/// [`StoreError::BatchTooLarge`]. Bounds the length of one write transaction.
pub const MAX_APPEND_BATCH_EVENTS: usize = 10_000;

/// Most canonical-JSON payload bytes of one event ([`StoreError::InvalidEvent`] beyond).
pub const MAX_PAYLOAD_BYTES: usize = 8 * 1024 * 1024;

/// Most canonical-JSON payload bytes of one append batch
/// ([`StoreError::BatchPayloadTooLarge`] beyond). Bounds the memory and time of one append.
pub const MAX_APPEND_BATCH_PAYLOAD_BYTES: usize = 64 * 1024 * 1024;

/// Deepest nesting of arrays/objects in a payload; serde_json cannot read back beyond 128.
pub const MAX_PAYLOAD_DEPTH: usize = 64;

/// Longest actor, in bytes.
pub const MAX_ACTOR_BYTES: usize = 256;

/// Longest kind, in bytes.
pub const MAX_KIND_BYTES: usize = 128;

/// Largest snapshot accepted ([`StoreError::SnapshotTooLarge`] beyond); SQLite's own blob
/// limit is 1,000,000,000 bytes.
pub const MAX_SNAPSHOT_BYTES: usize = 512 * 1024 * 1024;

/// Snapshots kept; saving one deletes all but the newest this many.
pub const SNAPSHOTS_KEPT: u32 = 3;

/// Most events one receipt covers ([`StoreError::ReceiptTooLarge`] beyond); an opaque entry is
/// about 200 bytes of JSON, so a receipt of only opaque entries stays near 20 MB.
pub const MAX_RECEIPT_EVENTS: u64 = 100_000;

/// Most canonical payload bytes of the events one receipt discloses
/// ([`StoreError::ReceiptPayloadTooLarge`] beyond). Bounds the memory of building a receipt.
pub const MAX_RECEIPT_DISCLOSED_BYTES: usize = 64 * 1024 * 1024;
