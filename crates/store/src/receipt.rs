//! Signed receipts: what a party was told, provable offline without revealing anything else.
//!
//! A [`Receipt`] covers every event in `(after, head.seq]`: for each one either an opaque entry
//! (only its content digest) or a disclosed entry (the released parts of its content, the salts
//! to recompute their digests, and the digests of the rest), plus the [`SignedHead`] the chain
//! must reach. [`verify_receipt`] recomputes each content digest (`redact.rs`), each event hash
//! (`hash.rs`) from `prev_hash` onwards, and checks the Ed25519 signature over the head, so the
//! party needs nothing but the receipt and the server's public key.
//!
//! What a receipt reveals: for an opaque entry, a salted digest (nothing of the content); for a
//! disclosed entry, the revealed subtrees, and on the paths from the content root to them the
//! keys of objects and the lengths of arrays; every other subtree is only a salted digest.
//!
//! What a receipt proves: with the head signature checked against a key the party trusts
//! (compare [`ReceiptReport::public_key`] with the one the operator published), that the
//! disclosed values are exactly what the log holds at those seqs, and that the log held those
//! events, in that order, after an event whose hash is `prev_hash`. Two receipts join when the
//! later one's `prev_hash` is the earlier one's head hash.
//!
//! A pruned event (retention, `sqlite/prune.rs`) is still covered: its pruned subtrees appear as
//! redacted digests, and the entry's `pruned` note says what was pruned and when, so a party
//! learns that the data is gone rather than withheld, and the chain still leads to the head.
//!
//! The pieces: `receipt/disclosure.rs` ([`Disclosure`], JSON pointers, building an entry),
//! `receipt/check.rs` ([`verify_receipt`]), `receipt/signing.rs` ([`HeadSigner`],
//! [`SignedHead`]). Building a receipt from a log is the backend's job
//! ([`crate::SqliteLog::receipt`]) through [`receipt_entry`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod check;
mod disclosure;
mod signing;

pub use check::verify_receipt;
pub(crate) use disclosure::parse_pointer;
pub use disclosure::Disclosure;
pub use signing::{HeadSigner, SignedHead};

use crate::redact::event_content_digest;
use crate::{Pruned, StoredEvent};

/// The `format` of every receipt this build writes and verifies.
pub const RECEIPT_FORMAT: &str = "deconflict-receipt-v1";

/// Everything a party needs to check what it was told about the events `(after, head.seq]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Always [`RECEIPT_FORMAT`]; anything else is refused by [`verify_receipt`].
    pub format: String,
    /// The signed chain head the entries lead to; its seq is the last entry's.
    pub head: SignedHead,
    /// Hash of event `after` ([`crate::GENESIS_HASH`] when `after` is 0), where the entries'
    /// chain starts.
    pub prev_hash: String,
    /// One entry per seq in `(after, head.seq]`, ascending and contiguous.
    pub entries: Vec<ReceiptEntry>,
}

/// One event of a receipt, as much of it as its recipient may see.
///
/// Every entry carries the event's `hash`, so [`verify_receipt`] can name the first entry that
/// does not match rather than only say that the chain misses the head, and so a party can
/// compare single events with other receipts or with an audit of the operator's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReceiptEntry {
    /// Nothing of the event is disclosed: only the digest that the chain needs.
    Opaque {
        seq: u64,
        /// The event's content digest, 64 lowercase hex digits.
        content_digest: String,
        hash: String,
        /// Present when retention pruned the event: what was pruned and when (a note; the
        /// digest above already stands for the event as it was).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pruned: Option<Pruned>,
    },
    /// Some or all of the event's content is disclosed.
    Disclosed {
        seq: u64,
        /// The content object with every non-revealed subtree replaced by `null`, keeping the
        /// objects and arrays on the paths to revealed subtrees.
        content: Value,
        /// JSON pointer (into `content`) → hex salt, one per maximal revealed subtree.
        salts: BTreeMap<String, String>,
        /// JSON pointer → hex digest, one per maximal non-revealed subtree hanging off the
        /// skeleton. Authoritative: a `null` in `content` is a placeholder exactly when its
        /// pointer is here; a real `null` is revealed through `salts` like any value.
        redacted: BTreeMap<String, String>,
        hash: String,
        /// Present when retention pruned the event: which subtrees of the payload are gone
        /// (each is one of the `redacted` digests, under `/payload`, or lies inside one) and
        /// when. A party is told that the data it would have seen there no longer exists,
        /// rather than that it is withheld.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pruned: Option<Pruned>,
    },
}

impl ReceiptEntry {
    /// The event's seq, whichever the variant.
    pub fn seq(&self) -> u64 {
        match self {
            ReceiptEntry::Opaque { seq, .. } | ReceiptEntry::Disclosed { seq, .. } => *seq,
        }
    }
}

/// What [`verify_receipt`] established about a valid receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptReport {
    /// The receipt covers events `(after, head_seq]`.
    pub after: u64,
    pub head_seq: u64,
    /// The key the head was signed with; trust the receipt only if this is the operator's.
    pub public_key: String,
    pub entries_disclosed: u64,
    pub entries_opaque: u64,
}

/// Why a receipt, a signed head or a disclosure was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// The receipt's `format` is not one this build verifies.
    #[error("receipt format {found:?} is not {expected:?}")]
    UnknownFormat {
        found: String,
        expected: &'static str,
    },

    /// The signed head is malformed or its signature does not verify.
    #[error("signed head at event {seq} is invalid: {reason}")]
    BadHead { seq: u64, reason: String },

    /// The first entry that does not check out (for a missing or misplaced entry, the seq that
    /// was expected there).
    #[error("receipt entry for event {seq} is invalid: {reason}")]
    BadEntry { seq: u64, reason: String },

    /// The entries as a whole do not lead from `prev_hash` to the signed head.
    #[error("receipt does not lead to its signed head at event {head_seq}: {reason}")]
    ChainMismatch { head_seq: u64, reason: String },

    /// A disclosure pointer is not an RFC 6901 JSON pointer.
    #[error("disclosure pointer {pointer:?} is not an RFC 6901 JSON pointer: {reason}")]
    InvalidPointer {
        pointer: String,
        reason: &'static str,
    },
}

/// The receipt entry of one event under `disclosure` (backend-neutral; the caller supplies the
/// event as read from its log). An event whose disclosure names no node of its content gets an
/// opaque entry.
pub fn receipt_entry(event: &StoredEvent, disclosure: &Disclosure) -> ReceiptEntry {
    match disclosure.disclose(event) {
        Some(disclosed) => ReceiptEntry::Disclosed {
            seq: event.seq,
            content: disclosed.content,
            salts: disclosed.salts,
            redacted: disclosed.redacted,
            hash: event.hash.clone(),
            pruned: event.pruned.clone(),
        },
        None => ReceiptEntry::Opaque {
            seq: event.seq,
            content_digest: hex::encode(event_content_digest(event)),
            hash: event.hash.clone(),
            pruned: event.pruned.clone(),
        },
    }
}
