//! NDJSON: one [`PositionReport`] JSON object per line, blank lines skipped.
//!
//! This is deconflict's own format (what `POST` batches and recorded traffic files use), so
//! the object is exactly the report's serde form: RFC 3339 `time`, SI units.

use crate::error::LineError;
use crate::report::PositionReport;
use crate::stats::{FeedStats, Outcome};

/// Parses and validates one NDJSON line. Errors carry line 0 (this function does not know
/// where the line came from); place them with [`LineError::at_line`].
pub fn parse_ndjson_line(line: &str) -> Result<PositionReport, LineError> {
    let report: PositionReport =
        serde_json::from_str(line.trim()).map_err(|error| LineError::Json {
            line: 0,
            message: error.to_string(),
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
    ) -> Result<Option<PositionReport>, LineError> {
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
    use crate::report::ReportError;

    const GOOD: &str = r#"{"track_id":"drone-7","time":"2025-06-01T10:00:00Z","lat_deg":47.4,"lon_deg":8.5,"altitude_m":120.0,"ground_speed_mps":12.0,"track_deg":90.0,"vertical_rate_mps":0.5,"operation_id":"op-1"}"#;

    #[test]
    fn a_report_object_is_parsed_with_its_optional_fields() {
        let report = parse_ndjson_line(GOOD).unwrap();
        assert_eq!(report.track_id, "drone-7");
        assert_eq!(report.operation_id.as_deref(), Some("op-1"));
        assert_eq!(report.callsign, None);
        assert_eq!(report.time.to_rfc3339(), "2025-06-01T10:00:00+00:00");
    }

    #[test]
    fn an_out_of_range_report_names_its_field() {
        let line = GOOD.replace("\"lat_deg\":47.4", "\"lat_deg\":97.4");
        let error = parse_ndjson_line(&line).unwrap_err();
        assert!(matches!(
            error,
            LineError::Invalid {
                source: ReportError::OutOfRange {
                    field: "lat_deg",
                    ..
                },
                ..
            }
        ));
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
