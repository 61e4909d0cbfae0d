//! How a payload is kept in the `payload` column: its canonical JSON text as is (`json`), or
//! that text compressed into one zstd frame (`zstd`), named per row by the `codec` column.
//!
//! The hash chain never sees the codec: every digest is computed over the canonical text (see
//! `hash.rs`, `redact.rs`), so a log keeps verifying whichever way each row is stored, and logs
//! written before compression (schema version 2, every row `json`) verify unchanged.
//!
//! Why zstd at level 1, per event, without a dictionary: position batches (hundreds to
//! thousands of reports, tens to hundreds of kB of text) are most of the log by volume, and on
//! them level 1 already compresses quantised reports to about 30 bytes each at several hundred
//! MB/s, so compression costs a few percent of ingest. Higher levels buy nothing here: on a
//! trial batch of 1,000 quantised reports levels 1, 3 and 9 gave 28.4, 29.0 and 29.2 kB, and
//! level 19 gave 26.7 kB at many times the time (digits of coordinates are close to random;
//! what compresses is the structure, which level 1 finds). A dictionary pays only for small
//! payloads, which are few bytes of the log. Payloads under [`COMPRESS_MIN_BYTES`], and any that
//! zstd would not shrink, stay text, readable with the `sqlite3` shell.

use crate::MAX_PAYLOAD_BYTES;

/// Payload texts shorter than this are stored as text: the frame header and lost readability
/// are not worth the few bytes.
pub const COMPRESS_MIN_BYTES: usize = 512;

/// The zstd level of stored payloads (see the module docs).
const ZSTD_LEVEL: i32 = 1;

/// A row's `codec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    /// `payload` is the canonical JSON text.
    Json,
    /// `payload` is one zstd frame whose content is the canonical JSON text.
    Zstd,
}

impl Codec {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Codec::Json => "json",
            Codec::Zstd => "zstd",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Codec> {
        match name {
            "json" => Some(Codec::Json),
            "zstd" => Some(Codec::Zstd),
            _ => None,
        }
    }
}

/// A payload as it goes into the `payload` column.
pub(crate) enum StoredPayload {
    Text(String),
    Compressed(Vec<u8>),
}

impl StoredPayload {
    /// Chooses the codec for `text`: compressed when `compress` is on, the text is long enough,
    /// and the frame is smaller.
    pub(crate) fn encode(text: String, compress: bool) -> StoredPayload {
        if !compress || text.len() < COMPRESS_MIN_BYTES {
            return StoredPayload::Text(text);
        }
        match zstd::bulk::compress(text.as_bytes(), ZSTD_LEVEL) {
            Ok(frame) if frame.len() < text.len() => StoredPayload::Compressed(frame),
            _ => StoredPayload::Text(text),
        }
    }

    pub(crate) fn codec(&self) -> Codec {
        match self {
            StoredPayload::Text(_) => Codec::Json,
            StoredPayload::Compressed(_) => Codec::Zstd,
        }
    }

    /// Bytes in the column.
    pub(crate) fn len(&self) -> usize {
        match self {
            StoredPayload::Text(text) => text.len(),
            StoredPayload::Compressed(frame) => frame.len(),
        }
    }

    /// The column's bytes: the UTF-8 text, or the zstd frame.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            StoredPayload::Text(text) => text.as_bytes(),
            StoredPayload::Compressed(frame) => frame,
        }
    }

    pub(crate) fn to_sql(&self) -> rusqlite::types::ToSqlOutput<'_> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        match self {
            StoredPayload::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            StoredPayload::Compressed(frame) => ToSqlOutput::Borrowed(ValueRef::Blob(frame)),
        }
    }
}

/// The canonical text inside a `zstd` payload. Refuses a frame that would expand beyond
/// [`MAX_PAYLOAD_BYTES`] (no payload that large was ever accepted) or is not UTF-8.
pub(crate) fn decompress(frame: &[u8]) -> Result<String, String> {
    let bytes = zstd::bulk::decompress(frame, MAX_PAYLOAD_BYTES).map_err(|error| {
        format!("payload is not a zstd frame of at most {MAX_PAYLOAD_BYTES} bytes: {error}")
    })?;
    String::from_utf8(bytes).map_err(|_| "compressed payload is not UTF-8 text".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_payloads_are_compressed_and_come_back_byte_for_byte() {
        let text = format!(
            "[{}]",
            vec!["[\"4ca2d6\",35.1234567,10668.0]"; 100].join(",")
        );
        let stored = StoredPayload::encode(text.clone(), true);
        assert_eq!(stored.codec(), Codec::Zstd);
        assert!(stored.len() < text.len() / 10);
        let StoredPayload::Compressed(frame) = stored else {
            unreachable!()
        };
        assert_eq!(decompress(&frame).unwrap(), text);
    }

    #[test]
    fn short_or_incompressible_payloads_and_compression_off_stay_text() {
        assert_eq!(
            StoredPayload::encode("{\"a\":1}".into(), true).codec(),
            Codec::Json
        );
        let long = "x".repeat(4 * COMPRESS_MIN_BYTES);
        assert_eq!(StoredPayload::encode(long, false).codec(), Codec::Json);
    }

    #[test]
    fn a_frame_that_is_not_zstd_is_named() {
        assert!(decompress(b"not a frame").is_err());
    }
}
