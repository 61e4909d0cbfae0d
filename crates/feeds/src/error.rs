//! Errors: [`LineError`] for one bad line, [`FeedError`] for a feed that cannot be read.
//!
//! A receiver's output always contains some garbage (truncated lines when a connection
//! drops, decoder noise), so a bad line is counted in [`crate::FeedStats`] and reading goes
//! on; only I/O failures and an unrecognisable format stop a whole read. `LineError` is a
//! plain enum that is `Clone + PartialEq` (no boxed sources) so tests can compare errors and
//! stats can keep examples cheaply.

use crate::report::ReportRefusal;

/// Why one line was not turned into a report. Every variant carries the 1-based line number;
/// `0` means the caller did not say (as from [`crate::parse_ndjson_line`], which sees one
/// line without its place in a file; see [`LineError::at_line`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LineError {
    #[error("line {line}: longer than {limit} bytes")]
    TooLong { line: u64, limit: usize },
    #[error("line {line}: not UTF-8 text")]
    NotUtf8 { line: u64 },
    #[error("line {line}: not a position report object: {message}")]
    Json { line: u64, message: String },
    #[error("line {line}: {found} comma-separated fields, expected {expected}")]
    FieldCount {
        line: u64,
        expected: usize,
        found: usize,
    },
    #[error("line {line}: field {field} = {value:?}: {reason}")]
    BadField {
        line: u64,
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("line {line}: header has no {column:?} column")]
    MissingColumn { line: u64, column: &'static str },
    #[error("line {line}: {source}")]
    Invalid { line: u64, source: ReportRefusal },
    #[error("line {line}: reading failed: {message}")]
    Io { line: u64, message: String },
    /// An AIS line that cannot be used: a bad checksum, a broken tag block, a fragment out
    /// of sequence, a payload that does not decode.
    #[error("line {line}: AIS: {message}")]
    Ais { line: u64, message: String },
}

impl LineError {
    /// The 1-based line number, or 0 when unknown.
    pub fn line(&self) -> u64 {
        match self {
            LineError::TooLong { line, .. }
            | LineError::NotUtf8 { line }
            | LineError::Json { line, .. }
            | LineError::FieldCount { line, .. }
            | LineError::BadField { line, .. }
            | LineError::MissingColumn { line, .. }
            | LineError::Invalid { line, .. }
            | LineError::Io { line, .. }
            | LineError::Ais { line, .. } => *line,
        }
    }

    /// The same error, placed at line `number`.
    pub fn at_line(mut self, number: u64) -> Self {
        match &mut self {
            LineError::TooLong { line, .. }
            | LineError::NotUtf8 { line }
            | LineError::Json { line, .. }
            | LineError::FieldCount { line, .. }
            | LineError::BadField { line, .. }
            | LineError::MissingColumn { line, .. }
            | LineError::Invalid { line, .. }
            | LineError::Io { line, .. }
            | LineError::Ais { line, .. } => *line = number,
        }
        self
    }

    /// A field that is present but not what the format says it should be.
    pub(crate) fn bad_field(
        line: u64,
        field: &'static str,
        value: &str,
        reason: &'static str,
    ) -> Self {
        LineError::BadField {
            line,
            field,
            value: crate::report::preview(value),
            reason,
        }
    }
}

/// Why a whole feed could not be read. Bad lines are not this: they are counted and skipped.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("reading the feed failed after line {line}: {source}")]
    Io {
        line: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("unknown feed format: {detail}")]
    UnknownFormat { detail: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_line_places_an_unnumbered_error() {
        let error = LineError::Json {
            line: 0,
            message: "EOF".into(),
        };
        let placed = error.at_line(7);
        assert_eq!(placed.line(), 7);
        assert!(placed.to_string().starts_with("line 7: "), "{placed}");
    }

    #[test]
    fn bad_field_keeps_only_the_start_of_the_value() {
        let error = LineError::bad_field(3, "lat", &"9".repeat(10_000), "not a number");
        assert!(error.to_string().len() < 200, "{error}");
    }
}
