//! NDJSON: one [`TrackReport`] JSON object per line, blank lines skipped.
//!
//! This is deconflict's own format (what `POST` batches and recorded traffic files use), so
//! the object is exactly the report's serde form: RFC 3339 `time`, SI units.

use crate::error::LineError;
use crate::report::TrackReport;
use crate::stats::{FeedStats, Outcome};

/// Why a JSON value is not a position report: where in it (an RFC 6901 pointer, empty for
/// the value as a whole) and what serde found there, without serde's line and column (the
/// caller knows where the value came from).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct JsonRefusal {
    pub pointer: String,
    pub message: String,
}

/// What follows a report on its line, instead of being silently dropped (`{a}{b}`); the
/// server's wording for any body.
pub const TRAILING_CONTENT: &str =
    "trailing content after the JSON value: send exactly one value (one per line in NDJSON)";

/// Reads one report from one JSON value: the one parser of deconflict's own report format,
/// used for NDJSON files, `POST /v1/positions` array elements and NDJSON lines. Not
/// validated: see [`TrackReport::validate`] (the server validates as it decides, so that the
/// receiving clock's checks come with it).
pub fn parse_report_json(value: &[u8]) -> Result<TrackReport, JsonRefusal> {
    // The plain parser is much faster; the path-tracking one runs only to explain a failure.
    if let Ok(report) = serde_json::from_slice::<TrackReport>(value) {
        return Ok(report);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(value);
    match serde_path_to_error::deserialize::<_, TrackReport>(&mut deserializer) {
        Ok(_) if deserializer.end().is_err() => Err(JsonRefusal {
            pointer: String::new(),
            message: TRAILING_CONTENT.to_owned(),
        }),
        Ok(report) => Ok(report),
        Err(error) => Err(JsonRefusal {
            pointer: pointer_of(error.path()),
            message: strip_position(&error.into_inner().to_string()),
        }),
    }
}

/// A serde path as an RFC 6901 JSON pointer (`/vessel/name`, `/0`), `~` and `/` escaped.
pub fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"))
            }
            Segment::Unknown => pointer.push('?'),
        }
    }
    pointer
}

/// serde_json's message without its " at line L column C" (a pointer says where better).
pub fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Parses and validates one NDJSON line. Errors carry line 0 (this function does not know
/// where the line came from); place them with [`LineError::at_line`].
pub fn parse_ndjson_line(line: &str) -> Result<TrackReport, LineError> {
    let report = parse_report_json(line.trim().as_bytes()).map_err(|refusal| LineError::Json {
        line: 0,
        message: if refusal.pointer.is_empty() {
            refusal.message
        } else {
            format!("{}: {}", refusal.pointer, refusal.message)
        },
    })?;
    report
        .validate()
        .map_err(|source| LineError::Invalid { line: 0, source })?;
    Ok(report)
}

/// NDJSON lines of one file, counted.
#[derive(Debug, Default)]
pub(crate) struct NdjsonParser {
    stats: FeedStats,
}

impl NdjsonParser {
    pub(crate) fn push_numbered(
        &mut self,
        line_number: u64,
        line: Result<&str, LineError>,
    ) -> Result<Option<TrackReport>, LineError> {
        let outcome = line.and_then(|text| {
            if text.trim().is_empty() {
                return Ok(Outcome::Kept);
            }
            parse_ndjson_line(text)
                .map(Outcome::Report)
                .map_err(|error| error.at_line(line_number))
        });
        self.stats.tally(line_number, outcome)
    }

    pub(crate) fn into_stats(self) -> FeedStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"track_id":"drone-7","time":"2025-06-01T10:00:00Z","lat_deg":47.4,"lon_deg":8.5,"altitude_m":120.0,"ground_speed_mps":12.0,"track_deg":90.0,"vertical_rate_mps":0.5,"operation_id":"op-1"}"#;

    #[test]
    fn a_report_object_is_parsed_with_its_optional_fields() {
        let report = parse_ndjson_line(GOOD).unwrap();
        assert_eq!(report.track_id, "drone-7");
        assert_eq!(report.operation_id.as_deref(), Some("op-1"));
        assert_eq!(report.callsign, None);
        assert_eq!(report.motion.time.to_rfc3339(), "2025-06-01T10:00:00+00:00");
    }

    #[test]
    fn an_out_of_range_report_names_its_field() {
        let line = GOOD.replace("\"lat_deg\":47.4", "\"lat_deg\":97.4");
        let error = parse_ndjson_line(&line).unwrap_err();
        assert!(
            matches!(&error, LineError::Invalid { source, .. } if source.field == "/lat_deg"),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "line 0: /lat_deg: 97.4 is outside [-90, 90]"
        );
    }

    #[test]
    fn missing_fields_and_wrong_types_are_json_errors() {
        for line in [
            "{}",
            "[1,2]",
            "not json",
            r#"{"track_id":"a","time":"yesterday"}"#,
            &GOOD.replace("120.0", "\"120\""),
        ] {
            assert!(
                matches!(
                    parse_ndjson_line(line),
                    Err(LineError::Json { line: 0, .. })
                ),
                "{line}"
            );
        }
    }

    #[test]
    fn a_refusal_names_the_field_by_pointer_and_drops_serde_positions() {
        let line = GOOD.replace("\"lat_deg\":47.4", "\"lat_deg\":\"north\"");
        let refusal = parse_report_json(line.as_bytes()).unwrap_err();
        assert_eq!(refusal.pointer, "/lat_deg");
        assert!(!refusal.message.contains(" at line "), "{refusal}");
        let refusal = parse_report_json(format!("{GOOD}{GOOD}").as_bytes()).unwrap_err();
        assert_eq!(
            (refusal.pointer.as_str(), refusal.message.as_str()),
            ("", TRAILING_CONTENT)
        );
        let unknown = GOOD.replace("{", "{\"colour\":1,");
        assert!(
            parse_report_json(unknown.as_bytes()).is_err(),
            "unknown fields are refused"
        );
    }

    #[test]
    fn blank_lines_are_skipped_and_errors_are_numbered() {
        let mut parser = NdjsonParser::default();
        assert_eq!(parser.push_numbered(1, Ok("  ")), Ok(None));
        assert!(parser.push_numbered(2, Ok(GOOD)).unwrap().is_some());
        assert_eq!(parser.push_numbered(3, Ok("{")).unwrap_err().line(), 3);
        let stats = parser.into_stats();
        assert_eq!((stats.lines, stats.reports, stats.malformed), (3, 1, 1));
        assert_eq!(stats.ignored, 0);
    }
}
