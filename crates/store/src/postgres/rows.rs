//! Decoding rows of the PostgreSQL `events` table into the backend-neutral [`RawColumns`].

use postgres::Row;

use crate::codec::{decompress, Codec};
use crate::sqlite::RawColumns;
use crate::StoreError;

/// The columns, in the order [`raw_columns`] reads them.
pub(super) const EVENT_COLUMNS: &str =
    "seq, time, actor, kind, payload, prev_hash, hash, salt, codec, pruned_at, pruned";

/// Reads a row selected with [`EVENT_COLUMNS`]; the inner `Err` names a payload that is not
/// UTF-8 or does not decompress, or a half-pruned row (the database was edited), the outer one
/// is a PostgreSQL failure.
pub(super) fn raw_columns(row: &Row) -> Result<Result<RawColumns, String>, StoreError> {
    let seq = match u64::try_from(row.try_get::<_, i64>(0)?) {
        Ok(seq) => seq,
        Err(_) => return Ok(Err("seq is negative".to_string())),
    };
    let codec_name: String = row.try_get(8)?;
    let Some(codec) = Codec::from_name(&codec_name) else {
        return Ok(Err(format!("codec of event {seq} is not json or zstd")));
    };
    let stored: Vec<u8> = row.try_get(4)?;
    let payload = match codec {
        Codec::Json => match String::from_utf8(stored) {
            Ok(text) => text,
            Err(_) => {
                return Ok(Err(format!(
                    "column payload of event {seq} is not UTF-8 text"
                )))
            }
        },
        Codec::Zstd => match decompress(&stored) {
            Ok(text) => text,
            Err(reason) => return Ok(Err(format!("event {seq}: {reason}"))),
        },
    };
    let text = |index: usize| row.try_get::<_, String>(index);
    let texts = [
        text(1)?,
        text(2)?,
        text(3)?,
        payload,
        text(5)?,
        text(6)?,
        text(7)?,
    ];
    let pruned = match (
        row.try_get::<_, Option<String>>(9)?,
        row.try_get::<_, Option<String>>(10)?,
    ) {
        (None, None) => None,
        (Some(at), Some(digests)) => Some((at, digests)),
        _ => {
            return Ok(Err(format!(
                "pruned_at and pruned of event {seq} are not both text or both null"
            )))
        }
    };
    Ok(Ok(RawColumns::new(seq, texts, pruned)))
}

/// Bytes of the stored `payload` column of a row (for retention's accounting).
pub(super) fn stored_payload_bytes(row: &Row) -> Result<usize, StoreError> {
    Ok(row.try_get::<_, &[u8]>(4)?.len())
}

pub(super) fn seq_to_sql(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Corrupt {
        seq,
        reason: "seq does not fit in PostgreSQL's BIGINT".into(),
    })
}

pub(super) fn seq_from_sql(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt {
        seq: 0,
        reason: format!("stored seq {seq} is negative"),
    })
}
