//! Decoding rows of the `events` table: raw text for verification, [`StoredEvent`] for reading,
//! and the conversions between SQLite's signed INTEGER and the log's unsigned seq.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row};

use crate::hash::parse_time;
use crate::verify::RawEvent;
use crate::{Salt, StoreError, StoredEvent};

/// One events row as owned text, before any decoding.
pub(super) struct RawColumns {
    seq: u64,
    texts: [String; 7], // time, actor, kind, payload, prev_hash, hash, salt
}

impl RawColumns {
    pub(super) fn as_raw_event(&self) -> RawEvent<'_> {
        let [time, actor, kind, payload, prev_hash, hash, salt] = &self.texts;
        RawEvent {
            seq: self.seq,
            time,
            actor,
            kind,
            payload,
            prev_hash,
            hash,
            salt,
        }
    }

    /// Bytes of the stored payload text, for limits that must be checked before decoding.
    pub(super) fn payload_bytes(&self) -> usize {
        self.texts[3].len()
    }

    pub(super) fn decode(self) -> Result<StoredEvent, StoreError> {
        let seq = self.seq;
        let corrupt = |reason: String| StoreError::Corrupt { seq, reason };
        let [time, actor, kind, payload, prev_hash, hash, salt] = self.texts;
        let time = parse_time(&time).map_err(corrupt)?;
        let payload = serde_json::from_str(&payload)
            .map_err(|error| corrupt(format!("payload is not valid JSON: {error}")))?;
        let salt = Salt::from_hex(&salt)
            .ok_or_else(|| corrupt("salt is not 64 lowercase hex digits".to_string()))?;
        Ok(StoredEvent {
            seq,
            time,
            actor,
            kind,
            payload,
            prev_hash,
            hash,
            salt,
        })
    }
}

const TEXT_COLUMNS: [&str; 7] = [
    "time",
    "actor",
    "kind",
    "payload",
    "prev_hash",
    "hash",
    "salt",
];

/// Reads a row of [`super::SELECT_EVENTS`]; the inner `Err` names a column that is not UTF-8 text
/// (the file was edited), the outer one is an SQLite failure.
pub(super) fn raw_columns(row: &Row<'_>) -> Result<Result<RawColumns, String>, StoreError> {
    let seq = match u64::try_from(row.get::<_, i64>(0)?) {
        Ok(seq) => seq,
        Err(_) => return Ok(Err("seq is negative".to_string())), // Named as out of order.
    };
    let mut texts: [String; 7] = Default::default();
    for (index, name) in TEXT_COLUMNS.iter().enumerate() {
        let text = match row.get_ref(index + 1)? {
            ValueRef::Text(bytes) => std::str::from_utf8(bytes).map(str::to_string).ok(),
            _ => None,
        };
        match text {
            Some(text) => texts[index] = text,
            None => {
                return Ok(Err(format!(
                    "column {name} of event {seq} is not UTF-8 text"
                )))
            }
        }
    }
    Ok(Ok(RawColumns { seq, texts }))
}

pub(super) fn read_head(connection: &Connection) -> Result<Option<(u64, String)>, StoreError> {
    let head: Option<(i64, String)> = connection
        .query_row(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    head.map(|(seq, hash)| Ok((seq_from_sql(seq)?, hash)))
        .transpose()
}

pub(super) fn seq_to_sql(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Corrupt {
        seq,
        reason: "seq does not fit in SQLite's INTEGER".into(),
    })
}

pub(super) fn seq_from_sql(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt {
        seq: 0,
        reason: format!("stored seq {seq} is negative"),
    })
}
