//! The hash chain: canonical JSON, the canonical time text, and the event hash.
//!
//! # Event hash, precisely (enough to re-implement verification elsewhere)
//!
//! Each event's `hash` is the lowercase hexadecimal SHA-256 of this byte string:
//!
//! ```text
//! message = field("deconflict-event-v2")   domain tag; changes if the encoding ever changes
//!        || u64be(seq)                     8 bytes, big-endian unsigned
//!        || field(prev_hash)
//!        || field(hex(content_digest))     64 lowercase hex characters
//! field(s) = u64be(number of UTF-8 bytes of s) || the UTF-8 bytes of s
//! ```
//!
//! where
//!
//! - `prev_hash` is the previous event's `hash` as 64 lowercase hex characters, and
//!   [`GENESIS_HASH`] (64 `0` characters) for seq 1;
//! - `content_digest` is the salted, redactable BLAKE3 digest of the event's content object
//!   `{"actor", "kind", "payload", "time"}`, specified byte by byte in `redact.rs`
//!   ([`crate::content_digest`]). It is computed from the stored columns: `time` exactly as
//!   stored, `actor` and `kind` byte for byte, the `payload` column parsed as JSON (after
//!   decompressing it when its `codec` is `zstd`, see `codec.rs`; a subtree pruned by retention
//!   counts as the digest recorded in `pruned`, see `redact.rs`), and the `salt` column (64
//!   lowercase hex digits).
//!
//! The stored `time` is RFC 3339 in UTC with exactly six fractional digits and a literal `Z`,
//! i.e. chrono/strftime `%Y-%m-%dT%H:%M:%S%.6fZ`, e.g. `2025-03-01T12:00:00.250000Z` (years
//! 0000–9999 only); the stored `payload` is canonical JSON (see [`canonical_json`]). Both forms
//! are checked by verification on top of the hash, so the stored text has one spelling.
//!
//! Why the content digest instead of the columns themselves (as v1 of the chain hashed): a party
//! can then be shown that an event is in the chain, and check the parts of it released to it,
//! without seeing the rest of that event or anything of the others (see `receipt.rs`).
//!
//! A chain is valid when seq runs 1, 2, 3, ... without gaps, each event's `prev_hash` equals the
//! previous event's `hash`, and each `hash` equals the SHA-256 above of the stored columns.
//!
//! Worked example (the pinned golden test `event_hash_is_pinned`): seq 1, time
//! `2025-03-01T12:00:00.250000Z`, actor `party-a`, kind `operation.filed`, payload
//! `{"id":"op-1","volumes":[]}`, salt bytes `00 01 02 .. 1f`, prev_hash [`GENESIS_HASH`]:
//! content digest `fd7d72143c41925957c4c26ba0f7ff903ede48e59f6c53b0ae900dd7b572b03f`, hash `13bc0dbfa7067653bbda4e01aed015ede14ec6e8324aa7cb091c2c58fe4ff930`.
//!
//! The chain proves that no event was edited, inserted or removed *before the head*; cutting
//! events off the end is only detectable against a head the reader kept (the signed receipts).

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::redact::NodeDigest;

/// `prev_hash` of the event with seq 1: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Domain-separation tag, the first field of every hashed message.
const HASH_DOMAIN_TAG: &str = "deconflict-event-v2";

/// strftime format of the canonical time text.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// Canonical JSON: object keys sorted, no insignificant whitespace, numbers as serde_json prints
/// them.
///
/// Keys are sorted by their UTF-8 bytes (Rust `str` order) regardless of whether serde_json's
/// `preserve_order` feature is on somewhere in the build. Strings are escaped exactly as
/// serde_json escapes them (`"`, `\` and control characters; everything else raw UTF-8).
/// Recursion follows the value's nesting; the log refuses payloads nested deeper than
/// [`crate::MAX_PAYLOAD_DEPTH`] before calling this.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

/// [`canonical_json`] appended to `out`, so hot paths can reuse one buffer.
pub(crate) fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => {
            write!(out, "{number}").expect("writing to a String cannot fail");
        }
        Value::String(text) => write_json_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json_string(key, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal exactly as serde_json escapes it, appended to `out`.
///
/// serde_json escapes only `"`, `\` and control characters below U+0020; a string without them
/// (nearly every one) is copied as is, without serde_json's allocation, which matters when every
/// string of a 10,000-report batch is written twice (stored text and digest).
pub(crate) fn write_json_string(text: &str, out: &mut String) {
    let plain = !text
        .bytes()
        .any(|byte| byte < 0x20 || byte == b'"' || byte == b'\\');
    if plain {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(text).expect("serialising a str cannot fail"));
    }
}

/// SHA-256 over the length-prefixed encoding documented in this module's docs, as lowercase hex.
///
/// `content_digest` comes from [`crate::content_digest`]; `prev_hash` is taken as given (a
/// verifier compares it with the previous event's hash separately).
pub fn event_hash(seq: u64, prev_hash: &str, content_digest: &NodeDigest) -> String {
    let mut hasher = Sha256::new();
    hash_field(&mut hasher, HASH_DOMAIN_TAG);
    hasher.update(seq.to_be_bytes());
    hash_field(&mut hasher, prev_hash);
    hash_field(&mut hasher, &hex::encode(content_digest));
    hex::encode(hasher.finalize())
}

fn hash_field(hasher: &mut Sha256, field: &str) {
    let length = u64::try_from(field.len()).expect("a str length fits in u64");
    hasher.update(length.to_be_bytes());
    hasher.update(field.as_bytes());
}

/// The canonical time text, `%Y-%m-%dT%H:%M:%S%.6fZ`.
pub(crate) fn format_time(time: &DateTime<Utc>) -> String {
    time.format(TIME_FORMAT).to_string()
}

/// Why `time` cannot be stored, if it cannot: the canonical text needs a four-digit year, and a
/// leap second (which chrono can represent) has no single agreed RFC 3339 reading.
pub(crate) fn time_problem(time: &DateTime<Utc>) -> Option<String> {
    if !(0..=9999).contains(&time.year()) {
        return Some(format!("time {time} is outside the years 0000-9999"));
    }
    if time.nanosecond() >= 1_000_000_000 {
        return Some(format!("time {time} is a leap second"));
    }
    None
}

/// Parses a stored time text, accepting only the exact canonical form.
pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let parsed = DateTime::parse_from_rfc3339(text)
        .map_err(|error| format!("time {text:?} is not RFC 3339: {error}"))?
        .with_timezone(&Utc);
    if time_problem(&parsed).is_some() || format_time(&parsed) != text {
        return Err(format!(
            "time {text:?} is not RFC 3339 UTC with exactly 6 fractional digits and 'Z'"
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{content_digest, Salt};
    use chrono::TimeZone;
    use serde_json::json;

    fn golden_time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
            + chrono::Duration::microseconds(250_000)
    }

    #[test]
    fn canonical_json_sorts_nested_keys_and_drops_whitespace() {
        let value: Value = serde_json::from_str(
            r#"{ "b": 1, "a": { "z": [ {"y": null, "x": true} ], "m": "é\"\n" }, "A": -0.5 }"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&value),
            r#"{"A":-0.5,"a":{"m":"é\"\n","z":[{"x":true,"y":null}]},"b":1}"#
        );
    }

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        for text in [
            "",
            "plain",
            "é ✈ \u{2028}",
            "q\"b\\",
            "\n\t\u{0}\u{1f}",
            "\u{7f}",
        ] {
            let mut out = String::new();
            write_json_string(text, &mut out);
            assert_eq!(out, serde_json::to_string(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn canonical_json_prints_numbers_as_serde_json_does() {
        let value = json!([1, -2, 1.5, 1e300, 0.1, u64::MAX, i64::MIN]);
        assert_eq!(
            canonical_json(&value),
            serde_json::to_string(&value).unwrap()
        );
    }

    #[test]
    fn time_text_has_exactly_six_fractional_digits() {
        assert_eq!(format_time(&golden_time()), "2025-03-01T12:00:00.250000Z");
        let whole = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(format_time(&whole), "2025-03-01T12:00:00.000000Z");
        let nanos = whole + chrono::Duration::nanoseconds(1_999);
        assert_eq!(format_time(&nanos), "2025-03-01T12:00:00.000001Z");
    }

    #[test]
    fn parse_time_accepts_only_the_canonical_form() {
        assert_eq!(parse_time("2025-03-01T12:00:00.250000Z"), Ok(golden_time()));
        for other in [
            "2025-03-01T12:00:00.25Z",
            "2025-03-01T12:00:00.250000+00:00",
            "2025-03-01 12:00:00.250000Z",
            "2025-03-01T12:00:00.250000000Z",
            "yesterday",
        ] {
            assert!(parse_time(other).is_err(), "{other} should be refused");
        }
    }

    fn golden_salt() -> Salt {
        Salt::from_bytes(std::array::from_fn(|i| i as u8))
    }

    #[test]
    fn event_hash_is_pinned() {
        // Computed once from the encoding in the module docs and in `redact.rs` (and
        // cross-checked with an independent Python implementation of that text) and pinned: if
        // this changes, every existing log stops verifying.
        let digest = content_digest(
            &golden_time(),
            "party-a",
            "operation.filed",
            &json!({ "id": "op-1", "volumes": [] }),
            &golden_salt(),
        );
        assert_eq!(
            hex::encode(digest),
            "fd7d72143c41925957c4c26ba0f7ff903ede48e59f6c53b0ae900dd7b572b03f"
        );
        assert_eq!(
            event_hash(1, GENESIS_HASH, &digest),
            "13bc0dbfa7067653bbda4e01aed015ede14ec6e8324aa7cb091c2c58fe4ff930"
        );
    }

    fn push_field(message: &mut Vec<u8>, text: &str) {
        message.extend_from_slice(&(text.len() as u64).to_be_bytes());
        message.extend_from_slice(text.as_bytes());
    }

    #[test]
    fn event_hash_matches_a_hand_built_message() {
        let digest = [0xab; 32];
        let mut message = Vec::new();
        push_field(&mut message, "deconflict-event-v2");
        message.extend_from_slice(&7u64.to_be_bytes());
        push_field(&mut message, GENESIS_HASH);
        push_field(&mut message, &"ab".repeat(32));
        let expected = hex::encode(Sha256::digest(&message));
        assert_eq!(event_hash(7, GENESIS_HASH, &digest), expected);
    }

    #[test]
    fn length_prefixes_keep_field_boundaries_apart() {
        let time = golden_time();
        let salt = golden_salt();
        let joined = content_digest(&time, "ab", "c", &json!({}), &salt);
        let split = content_digest(&time, "a", "bc", &json!({}), &salt);
        assert_ne!(joined, split);
    }

    #[test]
    fn leap_seconds_and_five_digit_years_are_refused() {
        let leap = Utc
            .with_ymd_and_hms(2016, 12, 31, 23, 59, 59)
            .unwrap()
            .with_nanosecond(1_500_000_000)
            .unwrap();
        assert!(time_problem(&leap).is_some());
        let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
        assert!(time_problem(&far).is_some());
        assert!(time_problem(&golden_time()).is_none());
    }
}
