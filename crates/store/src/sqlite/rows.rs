//! Decoding rows of the `events` table: raw text for verification, [`StoredEvent`] for reading,
//! and the conversions between SQLite's signed INTEGER and the log's unsigned seq.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row};

use crate::codec::{decompress, Codec};
use crate::hash::parse_time;
use crate::verify::RawEvent;
use crate::{Pruned, Salt, StoreError, StoredEvent};

/// One events row as owned text, before any decoding; the payload already decompressed.
pub(crate) struct RawColumns {
    seq: u64,
    texts: [String; 7], // time, actor, kind, payload, prev_hash, hash, salt
    /// `pruned_at` and `pruned`, when retention pruned the event.
    pruned: Option<(String, String)>,
}

impl RawColumns {
    /// Columns read by another backend (`postgres/rows.rs`), already as text.
    pub(crate) fn new(seq: u64, texts: [String; 7], pruned: Option<(String, String)>) -> Self {
        RawColumns { seq, texts, pruned }
    }

    pub(crate) fn as_raw_event(&self) -> RawEvent<'_> {
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
            pruned: self
                .pruned
                .as_ref()
                .map(|(at, digests)| (at.as_str(), digests.as_str())),
        }
    }

    /// Bytes of the stored payload text, for limits that must be checked before decoding.
    pub(crate) fn payload_bytes(&self) -> usize {
        self.texts[3].len()
    }

    pub(crate) fn decode(self) -> Result<StoredEvent, StoreError> {
        let seq = self.seq;
        let corrupt = |reason: String| StoreError::Corrupt { seq, reason };
        let [time, actor, kind, payload, prev_hash, hash, salt] = self.texts;
        let time = parse_time(&time).map_err(corrupt)?;
        let payload = serde_json::from_str(&payload)
            .map_err(|error| corrupt(format!("payload is not valid JSON: {error}")))?;
        let salt = Salt::from_hex(&salt)
            .ok_or_else(|| corrupt("salt is not 64 lowercase hex digits".to_string()))?;
        let pruned = match self.pruned {
            None => None,
            Some((at, digests)) => Some(Pruned {
                at: parse_time(&at).map_err(corrupt)?,
                digests: serde_json::from_str(&digests).map_err(|error| {
                    corrupt(format!(
                        "pruned is not an object of pointer to digest: {error}"
                    ))
                })?,
            }),
        };
        Ok(StoredEvent {
            seq,
            time,
            actor,
            kind,
            payload,
            prev_hash,
            hash,
            salt,
            pruned,
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

/// Reads a row of [`super::select_events`]; the inner `Err` names a column that is not UTF-8 text
/// or a payload that does not decompress (the file was edited), the outer one is an SQLite
/// failure.
pub(super) fn raw_columns(row: &Row<'_>) -> Result<Result<RawColumns, String>, StoreError> {
    let seq = match u64::try_from(row.get::<_, i64>(0)?) {
        Ok(seq) => seq,
        Err(_) => return Ok(Err("seq is negative".to_string())), // Named as out of order.
    };
    let codec_name = match row.get_ref(8)? {
        ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    };
    let Some(codec) = codec_name.and_then(Codec::from_name) else {
        return Ok(Err(format!("codec of event {seq} is not json or zstd")));
    };
    let mut texts: [String; 7] = Default::default();
    for (index, name) in TEXT_COLUMNS.iter().enumerate() {
        let text = match (row.get_ref(index + 1)?, codec, *name) {
            (ValueRef::Blob(frame), Codec::Zstd, "payload") => match decompress(frame) {
                Ok(text) => Some(text),
                Err(reason) => return Ok(Err(format!("event {seq}: {reason}"))),
            },
            (ValueRef::Text(_), Codec::Zstd, "payload") => None,
            (ValueRef::Text(bytes), _, _) => std::str::from_utf8(bytes).map(str::to_string).ok(),
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
    let pruned = match (row.get_ref(9)?, row.get_ref(10)?) {
        (ValueRef::Null, ValueRef::Null) => None,
        (ValueRef::Text(at), ValueRef::Text(digests)) => {
            match (std::str::from_utf8(at), std::str::from_utf8(digests)) {
                (Ok(at), Ok(digests)) => Some((at.to_string(), digests.to_string())),
                _ => return Ok(Err(format!("pruned columns of event {seq} are not UTF-8"))),
            }
        }
        _ => {
            return Ok(Err(format!(
                "pruned_at and pruned of event {seq} are not both text or both null"
            )))
        }
    };
    Ok(Ok(RawColumns { seq, texts, pruned }))
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
