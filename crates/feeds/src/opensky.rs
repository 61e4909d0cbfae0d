//! OpenSky Network state vectors, as CSV in their historical data dumps.
//!
//! The header is [`OPENSKY_HEADER`]; columns are found by name, so other orders and extra
//! columns are fine. `time` is Unix seconds at which the state vector was valid; `velocity`
//! is ground speed in m/s, `heading` the true track in degrees, `vertrate` m/s (positive
//! climbing), `baroaltitude`/`geoaltitude` metres, `onground` `True`/`False`, `callsign`
//! padded with spaces, `lastposupdate`/`lastcontact` Unix seconds with decimals. An empty
//! field (or `NaN`, as some exports write) means unknown. Fields are not quoted.
//!
//! Decisions:
//! - **Altitude**: `geoaltitude` (GNSS, on the WGS84 ellipsoid like every other coordinate in
//!   deconflict) when present, else `baroaltitude` (pressure altitude against 1013.25 hPa,
//!   which can differ from it by some hundreds of metres with the weather). Rows with
//!   neither, or without latitude and longitude, are skipped as ignored.
//! - **Velocity**: rows without `velocity` or `heading` are skipped as ignored (a report of
//!   speed 0 would tell conflict prediction the aircraft is standing still); an empty
//!   `vertrate` is taken as level (0 m/s), as surface movements carry none.
//! - **On ground**: rows with `onground` true are kept when they have an altitude: taxiing
//!   aircraft are traffic that drones near an aerodrome must keep clear of. Those without an
//!   altitude (the usual case: surface reports carry no barometric altitude) are ignored.
//! - **Time**: a state vector repeats an aircraft's last known position every row until a
//!   new one arrives (for up to 15 s). The report's time is therefore `lastposupdate`, when
//!   the position was measured, falling back to `time` when that column is absent or empty;
//!   a row repeating the position time already reported for its `icao24` is ignored. That
//!   memory is bounded by [`MAX_TRACKS`] and cleared when full (a repeat may then slip
//!   through once).
//! - **Heading**: OpenSky writes some tracks as negative degrees (−139.2 for 220.8); every
//!   finite heading is taken modulo 360.
//! - **The `traffic` library's exports** (`timestamp`, `latitude`, `groundspeed` in knots,
//!   altitudes in feet, …) are read too, converted to SI units: see `columns`.
//! - Repeated header lines (hourly files concatenated) are ignored.

mod columns;

use deconflict_engine::Motion;
use std::collections::HashMap;
use std::io::BufRead;

use chrono::{DateTime, Utc};

use crate::error::LineError;
use crate::lines::LineReader;
use crate::report::TrackReport;
use crate::stats::{FeedStats, Outcome, MAX_TRACKS};
use columns::Columns;

/// The header of OpenSky's state-vector CSV dumps.
pub const OPENSKY_HEADER: &str = "time,icao24,lat,lon,velocity,heading,vertrate,callsign,onground,alert,spi,squawk,baroaltitude,geoaltitude,lastposupdate,lastcontact";

/// The rows of one CSV file, header first.
#[derive(Debug, Default)]
pub(crate) struct OpenSkyParser {
    columns: Option<Columns>,
    /// Last reported position time per `icao24`, in milliseconds.
    last_position_ms: HashMap<String, i64>,
    stats: FeedStats,
}

impl OpenSkyParser {
    /// Takes line `line_number`. An error on the first non-blank line is a header error
    /// ([`LineError::MissingColumn`]): the rest of the file cannot be read.
    pub(crate) fn push_numbered(
        &mut self,
        line_number: u64,
        line: Result<&str, LineError>,
    ) -> Result<Option<TrackReport>, LineError> {
        let outcome = line.and_then(|text| {
            if text.trim().is_empty() {
                Ok(Outcome::Kept)
            } else if let Some(columns) = self.columns {
                self.row(&columns, text, line_number)
            } else {
                self.columns = Some(Columns::from_header(text, line_number)?);
                Ok(Outcome::Kept)
            }
        });
        self.stats.tally(line_number, outcome)
    }

    pub(crate) fn has_header(&self) -> bool {
        self.columns.is_some()
    }

    pub(crate) fn stats(&self) -> &FeedStats {
        &self.stats
    }

    pub(crate) fn into_stats(self) -> FeedStats {
        self.stats
    }

    fn row(&mut self, columns: &Columns, text: &str, line: u64) -> Result<Outcome, LineError> {
        let fields: Vec<&str> = text.split(',').map(|f| unquote(f.trim())).collect();
        if fields.get(columns.icao24) == Some(&"icao24") {
            return Ok(Outcome::Ignored); // a repeated header
        }
        if fields.len() != columns.count {
            return Err(LineError::FieldCount {
                line,
                expected: columns.count,
                found: fields.len(),
            });
        }
        let field = |index: usize| fields[index];
        let optional = |index: Option<usize>| index.map_or("", field);
        let icao24 = field(columns.icao24).to_ascii_lowercase();
        if icao24.is_empty() {
            return Err(LineError::bad_field(line, "icao24", "", "empty"));
        }
        let time = time_of(field(columns.time), "time", line)?
            .ok_or_else(|| LineError::bad_field(line, "time", "", "empty"))?;
        let position_time = time_of(optional(columns.lastposupdate), "lastposupdate", line)?;
        let time = position_time.unwrap_or(time);
        let units = columns.units;
        let scaled = |value: Option<f64>, factor: f64| value.map(|v| v * factor);
        let lat_deg = number(field(columns.lat), "lat", line)?;
        let lon_deg = number(field(columns.lon), "lon", line)?;
        let geo = number(optional(columns.geoaltitude), "geoaltitude", line)?;
        let geo_m = scaled(geo, units.altitude);
        let baro = number(optional(columns.baroaltitude), "baroaltitude", line)?;
        let baro_m = scaled(baro, units.altitude);
        let speed = number(field(columns.velocity), "velocity", line)?;
        let speed_mps = scaled(speed, units.speed);
        let heading_deg = number(field(columns.heading), "heading", line)?;
        let rate = number(optional(columns.vertrate), "vertrate", line)?;
        let rate_mps = scaled(rate, units.vertical_rate);
        check_on_ground(optional(columns.onground), line)?; // kept either way
        let (Some(lat_deg), Some(lon_deg), Some(altitude_m), Some(speed_mps), Some(heading_deg)) =
            (lat_deg, lon_deg, geo_m.or(baro_m), speed_mps, heading_deg)
        else {
            return Ok(Outcome::Ignored);
        };
        let callsign = optional(columns.callsign);
        let report = TrackReport {
            motion: Motion {
                time,
                lat_deg,
                lon_deg,
                altitude_m,
                ground_speed_mps: speed_mps,
                track_deg: heading_deg.rem_euclid(360.0),
                vertical_rate_mps: rate_mps.unwrap_or(0.0),
            },
            operation_id: None,
            callsign: Some(callsign).filter(|c| !c.is_empty()).map(str::to_owned),
            domain: Default::default(),
            vessel: None,
            track_id: icao24,
        };
        report
            .validate()
            .map_err(|source| LineError::Invalid { line, source })?;
        if self.repeats_last_position(&report) {
            return Ok(Outcome::Ignored);
        }
        Ok(Outcome::Report(report))
    }

    /// Whether this report's position time was already reported for its track; remembers it.
    fn repeats_last_position(&mut self, report: &TrackReport) -> bool {
        let time_ms = report.motion.time.timestamp_millis();
        if self.last_position_ms.len() >= MAX_TRACKS
            && !self.last_position_ms.contains_key(&report.track_id)
        {
            self.last_position_ms.clear();
        }
        let last = self
            .last_position_ms
            .insert(report.track_id.clone(), time_ms);
        last == Some(time_ms)
    }
}

/// Reads OpenSky state-vector CSV (header first) as reports, in file order. Bad rows come
/// out as errors and reading goes on; a header without the needed columns, or an I/O
/// failure, is the last item.
pub struct OpenSkyReader<R: BufRead> {
    lines: LineReader<R>,
    parser: OpenSkyParser,
    finished: bool,
}

impl<R: BufRead> OpenSkyReader<R> {
    pub fn new(reader: R) -> Self {
        OpenSkyReader {
            lines: LineReader::new(reader),
            parser: OpenSkyParser::default(),
            finished: false,
        }
    }

    pub fn stats(&self) -> &FeedStats {
        self.parser.stats()
    }
}

impl<R: BufRead> Iterator for OpenSkyReader<R> {
    type Item = Result<TrackReport, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            let (line_number, line) = match self.lines.next_line() {
                Ok(Some(numbered)) => numbered,
                Ok(None) => break,
                Err(error) => {
                    self.finished = true;
                    let line = self.lines.line_number();
                    let message = error.to_string();
                    return Some(Err(LineError::Io { line, message }));
                }
            };
            let header_expected = !self.parser.has_header();
            match self.parser.push_numbered(line_number, line) {
                Ok(Some(report)) => return Some(Ok(report)),
                Ok(None) => {}
                Err(error) => {
                    self.finished = header_expected;
                    return Some(Err(error));
                }
            }
        }
        self.finished = true;
        None
    }
}

/// An empty field, or `NaN`/`null` as some exports write, is unknown; anything else must be
/// a finite number.
fn number(text: &str, field: &'static str, line: u64) -> Result<Option<f64>, LineError> {
    if text.is_empty()
        || ["nan", "null", "none"]
            .iter()
            .any(|u| text.eq_ignore_ascii_case(u))
    {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(Some(value)),
        _ => Err(LineError::bad_field(
            line,
            field,
            text,
            "not a finite number",
        )),
    }
}

/// A time given as Unix seconds (OpenSky) or as a date and time in UTC (`traffic`, e.g.
/// `2018-10-01 06:00:00+00:00` or `2018-10-01T06:00:00.5Z`); `None` when empty.
fn time_of(text: &str, field: &'static str, line: u64) -> Result<Option<DateTime<Utc>>, LineError> {
    if text.contains('-') && text.len() >= 19 {
        let iso = text.replacen(' ', "T", 1);
        if let Ok(time) = DateTime::parse_from_rfc3339(&iso) {
            return Ok(Some(time.with_timezone(&Utc)));
        }
        return match chrono::NaiveDateTime::parse_from_str(&iso, "%Y-%m-%dT%H:%M:%S%.f") {
            Ok(time) => Ok(Some(time.and_utc())),
            Err(_) => Err(LineError::bad_field(
                line,
                field,
                text,
                "neither Unix seconds nor a date and time",
            )),
        };
    }
    number(text, field, line)?
        .map(|seconds| unix_time(seconds, line))
        .transpose()
}

fn unix_time(seconds: f64, line: u64) -> Result<DateTime<Utc>, LineError> {
    // `as` saturates; anything chrono cannot represent is refused.
    DateTime::from_timestamp_millis((seconds * 1000.0).round() as i64).ok_or_else(|| {
        LineError::bad_field(
            line,
            "time",
            &seconds.to_string(),
            "not a representable time",
        )
    })
}

/// On-ground rows are kept like airborne ones (module docs), but the flag must still be a
/// boolean: anything else means the columns are not what the header says.
fn check_on_ground(text: &str, line: u64) -> Result<(), LineError> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "false" | "0" | "" => Ok(()),
        _ => Err(LineError::bad_field(
            line,
            "onground",
            text,
            "not True or False",
        )),
    }
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(rows: &[&str]) -> (Vec<Result<TrackReport, LineError>>, FeedStats) {
        let text = rows.join("\n");
        let mut reader = OpenSkyReader::new(text.as_bytes());
        let items: Vec<_> = reader.by_ref().collect();
        (items, reader.stats().clone())
    }

    const ROW: &str = "1656288000,4b1806,47.4518,8.5613,231.5,271.2,-3.25,SWR2GH  ,False,False,False,1000,10668.0,10850.88,1656287999.624,1656287999.9";

    #[test]
    fn a_row_becomes_a_report_with_geometric_altitude_and_position_time() {
        let (items, stats) = read(&[OPENSKY_HEADER, ROW]);
        let report = items[0].clone().unwrap();
        assert_eq!(report.track_id, "4b1806");
        assert_eq!(report.motion.altitude_m, 10_850.88);
        assert_eq!(report.callsign.as_deref(), Some("SWR2GH"));
        assert_eq!(report.motion.time.timestamp_millis(), 1_656_287_999_624);
        assert_eq!(
            (report.motion.ground_speed_mps, report.motion.track_deg),
            (231.5, 271.2)
        );
        assert_eq!(report.motion.vertical_rate_mps, -3.25);
        assert_eq!((stats.lines, stats.reports), (2, 1));
    }

    /// 976 of the 5,466 rows of one real OpenSky file had headings like these.
    #[test]
    fn negative_headings_are_taken_modulo_360() {
        let row = ROW.replace(",271.2,", ",-139.2,");
        let (items, stats) = read(&[OPENSKY_HEADER, &row]);
        let report = items[0].clone().unwrap();
        assert!((report.motion.track_deg - 220.8).abs() < 1e-9);
        assert_eq!(stats.malformed, 0);
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let header = "icao24,extra,time,lon,lat,heading,velocity,baroaltitude";
        let (items, _) = read(&[header, "abc123,x,1656288000,8.5,47.5,90,100,3000"]);
        let report = items[0].clone().unwrap();
        assert_eq!(
            (
                report.motion.lat_deg,
                report.motion.lon_deg,
                report.motion.altitude_m
            ),
            (47.5, 8.5, 3000.0)
        );
        assert_eq!(report.motion.time.timestamp(), 1_656_288_000);
    }

    #[test]
    fn a_header_without_position_columns_ends_the_read() {
        let (items, _) = read(&["time,icao24,lon", "1,abc,2"]);
        assert_eq!(
            items,
            vec![Err(LineError::MissingColumn {
                line: 1,
                column: "lat"
            })]
        );
    }

    #[test]
    fn repeated_positions_and_repeated_headers_are_ignored() {
        let later = ROW.replace("1656288000,", "1656288001,");
        let (items, stats) = read(&[OPENSKY_HEADER, ROW, &later, OPENSKY_HEADER]);
        assert_eq!(items.len(), 1);
        assert_eq!((stats.reports, stats.ignored, stats.malformed), (1, 2, 0));
    }

    #[test]
    fn on_ground_rows_are_kept_with_an_altitude_and_ignored_without() {
        let taxiing = "1656288000,4b1807,47.45,8.56,8.2,120.9,,SWR12   ,True,False,False,,,426.72,1656287999.1,1656287999.1";
        let parked = "1656288000,4b1808,47.46,8.55,0.0,199.7,,,True,False,False,,,,1656287998.5,1656287999.1";
        let (items, stats) = read(&[OPENSKY_HEADER, taxiing, parked]);
        let report = items[0].clone().unwrap();
        assert_eq!(
            (report.motion.altitude_m, report.motion.vertical_rate_mps),
            (426.72, 0.0)
        );
        assert_eq!((stats.reports, stats.ignored), (1, 1));
    }

    #[test]
    fn bad_rows_are_errors_and_reading_goes_on() {
        let (items, stats) = read(&[
            OPENSKY_HEADER,
            "1656288000,4b1806,47.45",
            &ROW.replace("47.4518", "north"),
            &ROW.replace("False,False,False", "maybe,False,False"),
            ROW,
        ]);
        assert!(matches!(
            items[0],
            Err(LineError::FieldCount { line: 2, .. })
        ));
        assert!(matches!(
            items[1],
            Err(LineError::BadField { field: "lat", .. })
        ));
        assert!(matches!(
            items[2],
            Err(LineError::BadField {
                field: "onground",
                ..
            })
        ));
        assert!(items[3].is_ok());
        assert_eq!((stats.malformed, stats.reports), (3, 1));
    }
}
