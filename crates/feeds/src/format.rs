//! Telling the formats apart, and reading a whole file of any of them.

use std::io::BufRead;

use serde::Serialize;

use crate::ais::AisDecoder;
use crate::error::{FeedError, LineError};
use crate::lines::LineReader;
use crate::ndjson::NdjsonParser;
use crate::opensky::OpenSkyParser;
use crate::report::{preview, TrackReport};
use crate::sbs::{SbsAssembler, RECORD_TYPES};
use crate::stats::FeedStats;

/// The feed formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FeedFormat {
    /// One [`TrackReport`] JSON object per line.
    Ndjson,
    /// SBS-1 BaseStation text (port 30003).
    Sbs,
    /// OpenSky Network state-vector CSV.
    OpenSky,
    /// AIS in NMEA 0183 (`!AIVDM` / `!AIVDO`, optionally behind tag blocks); other NMEA
    /// sentences in the same file are ignored.
    Ais,
}

/// Detects the format from a file's first non-empty line: NDJSON starts with `{`, SBS-1 with
/// a BaseStation record type (`MSG,`, `SEL,`, `ID,`, `AIR,`, `STA,`, `CLK,`), OpenSky CSV
/// with a header naming `icao24` and `time` (OpenSky's dumps) or `timestamp` (the `traffic`
/// library's exports), in any order, AIS with an NMEA 0183 sentence (`!AIVDM,…`,
/// `$GPRMC,…`: AIS receivers log both) or a tag block (`\s:…,c:…*hh\!AIVDM,…`). `None` for
/// anything else. ([`read_reports`] skips `#` comment lines before sniffing.)
pub fn sniff(first_line: &str) -> Option<FeedFormat> {
    let line = first_line.trim_start_matches('\u{feff}').trim_start();
    if line.starts_with('{') {
        Some(FeedFormat::Ndjson)
    } else if is_nmea(line) {
        Some(FeedFormat::Ais)
    } else if is_opensky_header(line) {
        Some(FeedFormat::OpenSky)
    } else if line
        .split_once(',')
        .is_some_and(|(record_type, _)| RECORD_TYPES.contains(&record_type))
    {
        Some(FeedFormat::Sbs)
    } else {
        None
    }
}

/// An NMEA 0183 sentence (`!` or `$`, five letters or digits, a comma), or a tag block in
/// front of an AIS sentence.
fn is_nmea(line: &str) -> bool {
    if let Some(tagged) = line.strip_prefix('\\') {
        return tagged
            .split_once('\\')
            .is_some_and(|(_, sentence)| is_nmea(sentence));
    }
    let bytes = line.as_bytes();
    bytes.len() > 7
        && matches!(bytes[0], b'!' | b'$')
        && bytes[1..6].iter().all(u8::is_ascii_alphanumeric)
        && bytes[6] == b','
}

fn is_opensky_header(line: &str) -> bool {
    let names: Vec<&str> = line
        .split(',')
        .map(|name| name.trim().trim_matches('"'))
        .collect();
    names.contains(&"icao24") && (names.contains(&"time") || names.contains(&"timestamp"))
}

/// Reads a whole file of any format into reports, in file order, with what happened to
/// every line. Malformed lines are counted (with the first few as examples in the stats),
/// never fatal. Fails only on I/O or when the first non-empty line is no known format
/// (an OpenSky header lacking needed columns counts as that). An empty file gives no
/// reports.
pub fn read_reports(reader: impl BufRead) -> Result<(Vec<TrackReport>, FeedStats), FeedError> {
    let mut lines = LineReader::new(reader);
    let mut parser: Option<Parser> = None;
    let mut reports = Vec::new();
    loop {
        let (line_number, line) = match lines.next_line() {
            Ok(Some(numbered)) => numbered,
            Ok(None) => break,
            Err(source) => {
                let line = lines.line_number();
                return Err(FeedError::Io { line, source });
            }
        };
        let parser = match parser.as_mut() {
            Some(parser) => parser,
            None => match &line {
                Ok(text) if text.trim().is_empty() || text.trim_start().starts_with('#') => {
                    continue
                }
                Ok(text) => parser.insert(Parser::sniffed(text, line_number)?),
                Err(error) => {
                    let detail = error.to_string();
                    return Err(FeedError::UnknownFormat { detail });
                }
            },
        };
        match parser.push_numbered(line_number, line) {
            Ok(Some(report)) => reports.push(report),
            Ok(None) => {}
            Err(LineError::MissingColumn { line, column }) => {
                return Err(FeedError::UnknownFormat {
                    detail: format!("line {line}: OpenSky header has no {column:?} column"),
                })
            }
            Err(_) => {} // counted in the stats
        }
    }
    let mut stats = parser.map(Parser::into_stats).unwrap_or_default();
    stats.lines = lines.line_number();
    Ok((reports, stats))
}

/// The parser for the sniffed format.
enum Parser {
    Ndjson(NdjsonParser),
    Sbs(SbsAssembler),
    OpenSky(OpenSkyParser),
    Ais(AisDecoder),
}

impl Parser {
    fn sniffed(first_line: &str, line_number: u64) -> Result<Parser, FeedError> {
        match sniff(first_line) {
            Some(FeedFormat::Ndjson) => Ok(Parser::Ndjson(NdjsonParser::default())),
            Some(FeedFormat::Sbs) => Ok(Parser::Sbs(SbsAssembler::new())),
            Some(FeedFormat::OpenSky) => Ok(Parser::OpenSky(OpenSkyParser::default())),
            Some(FeedFormat::Ais) => Ok(Parser::Ais(AisDecoder::new())),
            None => Err(FeedError::UnknownFormat {
                detail: format!(
                    "line {line_number} is not NDJSON, SBS-1, OpenSky CSV or AIS NMEA: {:?}",
                    preview(first_line)
                ),
            }),
        }
    }

    fn push_numbered(
        &mut self,
        line_number: u64,
        line: Result<&str, LineError>,
    ) -> Result<Option<TrackReport>, LineError> {
        match self {
            Parser::Ndjson(parser) => parser.push_numbered(line_number, line),
            Parser::Sbs(parser) => parser.push_numbered(line_number, line),
            Parser::OpenSky(parser) => parser.push_numbered(line_number, line),
            Parser::Ais(parser) => parser.push_numbered(line_number, line),
        }
    }

    fn into_stats(self) -> FeedStats {
        match self {
            Parser::Ndjson(parser) => parser.into_stats(),
            Parser::Sbs(parser) => parser.into_stats(),
            Parser::OpenSky(parser) => parser.into_stats(),
            Parser::Ais(parser) => parser.into_stats(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_recognises_each_format_by_its_first_line() {
        assert_eq!(sniff(r#"{"track_id":"a"}"#), Some(FeedFormat::Ndjson));
        assert_eq!(sniff("  {"), Some(FeedFormat::Ndjson));
        assert_eq!(sniff("MSG,3,1,1,4CA2D6,1,"), Some(FeedFormat::Sbs));
        assert_eq!(sniff("STA,,5,179,400AE7,10103,"), Some(FeedFormat::Sbs));
        assert_eq!(sniff("\u{feff}CLK,,,,"), Some(FeedFormat::Sbs));
        assert_eq!(sniff(crate::OPENSKY_HEADER), Some(FeedFormat::OpenSky));
        assert_eq!(sniff("time,lat,lon"), None);
        assert_eq!(sniff("MSG"), None);
        assert_eq!(sniff("*8D4B969699155600E87406F5B69F;"), None);
        let aivdm = "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C";
        assert_eq!(sniff(aivdm), Some(FeedFormat::Ais));
        assert_eq!(sniff("$GPGSA,A,3,11,32"), Some(FeedFormat::Ais));
        let tagged = r"\s:2573310,c:1654088303*0B\!BSVDM,1,1,,A,B3m8E=000h72d?`stqjcCwd5kP06,0*22";
        assert_eq!(sniff(tagged), Some(FeedFormat::Ais));
        assert_eq!(sniff(r"\s:2573310\MSG,3"), None);
        assert_eq!(sniff("!AIVDM"), None);
        assert_eq!(sniff(""), None);
    }

    #[test]
    fn empty_input_gives_no_reports() {
        let (reports, stats) = read_reports(&b"\n\n"[..]).unwrap();
        assert!(reports.is_empty());
        assert_eq!(stats.lines, 2);
    }

    #[test]
    fn unknown_format_is_an_error_naming_the_line() {
        let error = read_reports(&b"\n# comment\nVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa\n"[..])
            .unwrap_err();
        assert!(matches!(error, FeedError::UnknownFormat { .. }));
        assert!(error.to_string().contains("line 3"), "{error}");
    }

    #[test]
    fn opensky_header_lacking_columns_is_an_unknown_format() {
        let error = read_reports(&b"time,icao24,lat\n1,abc,2\n"[..]).unwrap_err();
        assert!(error.to_string().contains("\"lon\""), "{error}");
    }

    #[test]
    fn leading_blank_lines_keep_line_numbers_true() {
        let input = b"\n\nMSG,3\n";
        let (_, stats) = read_reports(&input[..]).unwrap();
        assert_eq!((stats.lines, stats.malformed), (3, 1));
        assert!(
            stats.examples[0].starts_with("line 3:"),
            "{:?}",
            stats.examples
        );
    }
}
