//! Receipts and signed heads in the SQLite backend: building a [`Receipt`] by paging through
//! the events, and the append-only `signed_heads` table.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::rows::{raw_columns, seq_from_sql, seq_to_sql};
use super::{select_events, SqliteLog, VERIFY_PAGE_ROWS};
use crate::receipt::{receipt_entry, Disclosure, Receipt, SignedHead, RECEIPT_FORMAT};
use crate::{StoreError, StoredEvent, GENESIS_HASH};
use crate::{MAX_RECEIPT_DISCLOSED_BYTES, MAX_RECEIPT_EVENTS};

impl SqliteLog {
    /// A receipt of the events `(after, head.seq]`, each disclosed as `disclose` says, leading to
    /// `head` (which must be a valid signature over this log's hash at `head.seq`).
    ///
    /// Reads inside one read transaction, a page of events at a time, so the view is consistent
    /// while a writer appends; the receipt itself is bounded by [`MAX_RECEIPT_EVENTS`] and
    /// [`MAX_RECEIPT_DISCLOSED_BYTES`] of disclosed payload text.
    pub fn receipt(
        &self,
        after: u64,
        head: SignedHead,
        mut disclose: impl FnMut(&StoredEvent) -> Disclosure,
    ) -> Result<Receipt, StoreError> {
        let transaction = self.connection.unchecked_transaction()?;
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
        check_head_against_log(&transaction, &head)?;
        let prev_hash = hash_at(&transaction, after)?
            .ok_or_else(|| range_error(format!("event {after} is not in the log")))?;
        let mut entries = Vec::with_capacity(usize::try_from(events).unwrap_or(0));
        let mut disclosed_bytes = 0usize;
        let mut statement = transaction.prepare(select_events(self.schema_version))?;
        let mut cursor = after;
        while cursor < head.seq {
            let page_rows = (head.seq - cursor).min(VERIFY_PAGE_ROWS as u64);
            let mut rows = statement.query(params![seq_to_sql(cursor)?, seq_to_sql(page_rows)?])?;
            let page_start = cursor;
            while let Some(row) = rows.next()? {
                let expected = cursor + 1;
                let corrupt = |reason: String| StoreError::Corrupt {
                    seq: expected,
                    reason,
                };
                let columns = raw_columns(row)?.map_err(corrupt)?;
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
                // Cannot happen while the head event exists; never loop forever if it does.
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

    /// Keeps `head` (append-only). Refused unless its signature verifies and it names an event
    /// of this log with that event's hash, so the table only ever holds true statements.
    pub fn record_signed_head(&mut self, head: &SignedHead) -> Result<(), StoreError> {
        self.refuse_if_read_only()?;
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        check_head_against_log(&transaction, head)?;
        transaction.execute(
            "INSERT INTO signed_heads (seq, hash, signed_at, public_key, signature) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                seq_to_sql(head.seq)?,
                head.hash,
                head.signed_at,
                head.public_key,
                head.signature
            ],
        )?;
        transaction.commit()?;
        Ok(())
    }

    /// The recorded signed head with the highest seq (the latest recorded, among equals).
    pub fn latest_signed_head(&self) -> Result<Option<SignedHead>, StoreError> {
        let row: Option<(i64, [String; 4])> = self
            .connection
            .query_row(
                "SELECT seq, hash, signed_at, public_key, signature FROM signed_heads \
                 ORDER BY seq DESC, id DESC LIMIT 1",
                [],
                |row| {
                    let texts = [row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?];
                    Ok((row.get(0)?, texts))
                },
            )
            .optional()?;
        let Some((seq, [hash, signed_at, public_key, signature])) = row else {
            return Ok(None);
        };
        Ok(Some(SignedHead {
            seq: seq_from_sql(seq)?,
            hash,
            signed_at,
            public_key,
            signature,
        }))
    }
}

/// The hash of event `seq` (the genesis hash for 0); `None` if the log has no such event.
fn hash_at(connection: &Connection, seq: u64) -> Result<Option<String>, StoreError> {
    if seq == 0 {
        return Ok(Some(GENESIS_HASH.to_string()));
    }
    Ok(connection
        .query_row(
            "SELECT hash FROM events WHERE seq = ?1",
            params![seq_to_sql(seq)?],
            |row| row.get(0),
        )
        .optional()?)
}

/// Refuses a head whose signature fails or which does not match this log.
fn check_head_against_log(connection: &Connection, head: &SignedHead) -> Result<(), StoreError> {
    let refused = |reason: String| StoreError::SignedHeadRefused {
        seq: head.seq,
        reason,
    };
    head.verify().map_err(|error| refused(error.to_string()))?;
    match hash_at(connection, head.seq)? {
        None => Err(refused(format!("event {} is not in the log", head.seq))),
        Some(hash) if hash != head.hash => Err(refused(format!(
            "the log's hash of event {} is {hash}, not {}",
            head.seq, head.hash
        ))),
        Some(_) => Ok(()),
    }
}
