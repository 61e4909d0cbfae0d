//! The position report every feed produces, the unit conversions into it, and its range
//! checks.
//!
//! Units are SI with the unit in the name (`altitude_m`, `ground_speed_mps`); angles are
//! degrees. Conversions from the aviation units receivers speak are constants here so that
//! every parser converts the same way.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// International foot, exactly.
pub const FEET_TO_M: f64 = 0.3048;
/// International knot (1,852 m per hour), exactly.
pub const KNOTS_TO_MPS: f64 = 1852.0 / 3600.0;
/// Feet per minute, as vertical rates are given.
pub const FEET_PER_MINUTE_TO_MPS: f64 = 0.3048 / 60.0;

/// Lowest altitude accepted (SPEC §4).
pub const ALTITUDE_MIN_M: f64 = -500.0;
/// Highest altitude accepted (SPEC §4).
pub const ALTITUDE_MAX_M: f64 = 30_000.0;
/// Fastest ground speed accepted: well above any aircraft a receiver will see (Mach 6).
pub const GROUND_SPEED_MAX_MPS: f64 = 2_000.0;
/// Largest vertical rate accepted, either way.
pub const VERTICAL_RATE_MAX_MPS: f64 = 500.0;
/// Longest track id, in characters of `[A-Za-z0-9._-]`.
pub const TRACK_ID_MAX_CHARS: usize = 64;
/// Longest callsign or operation id.
pub const TEXT_MAX_CHARS: usize = 64;

/// How much of an offending value an error repeats.
const PREVIEW_CHARS: usize = 80;

/// One position report in SI units, as the rest of deconflict takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionReport {
    /// The track this report belongs to, e.g. the ICAO 24-bit address in lowercase hex for
    /// ADS-B (`"4ca2d6"`).
    pub track_id: String,
    pub time: DateTime<Utc>,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub altitude_m: f64,
    pub ground_speed_mps: f64,
    /// Track over the ground, degrees clockwise from true north, in [0, 360).
    pub track_deg: f64,
    /// Positive when climbing.
    pub vertical_rate_mps: f64,
    /// The operation this track flies, when the sender knows it (a drone's own telemetry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// `sea` for ships (AIS), whose minima differ from aircraft's; absent for aircraft.
    #[serde(default, skip_serializing_if = "Domain::is_air")]
    pub domain: Domain,
    /// A ship's static data, when it has sent it (AIS types 5, 19, 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vessel: Option<Vessel>,
}

/// Where a track moves: the API's `domain` field, which decides the separation minima.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    #[default]
    Air,
    Sea,
}

impl Domain {
    pub fn is_air(&self) -> bool {
        *self == Domain::Air
    }
}

/// A ship's name and size, as the API's `vessel` field takes them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Vessel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beam_m: Option<f64>,
}

impl PositionReport {
    /// Range and finiteness checks: latitude within ±90°, longitude within ±180°, altitude
    /// within [`ALTITUDE_MIN_M`]..=[`ALTITUDE_MAX_M`] (SPEC §4), ground speed within
    /// 0..=[`GROUND_SPEED_MAX_MPS`], track in [0, 360), vertical rate within
    /// ±[`VERTICAL_RATE_MAX_MPS`], `track_id` 1..=[`TRACK_ID_MAX_CHARS`] characters of
    /// `[A-Za-z0-9._-]`, callsign and operation id at most [`TEXT_MAX_CHARS`] characters
    /// without control characters. The first problem found is returned, naming the field.
    pub fn validate(&self) -> Result<(), ReportError> {
        check_track_id(&self.track_id)?;
        check_range("lat_deg", self.lat_deg, -90.0, 90.0)?;
        check_range("lon_deg", self.lon_deg, -180.0, 180.0)?;
        check_range(
            "altitude_m",
            self.altitude_m,
            ALTITUDE_MIN_M,
            ALTITUDE_MAX_M,
        )?;
        check_range(
            "ground_speed_mps",
            self.ground_speed_mps,
            0.0,
            GROUND_SPEED_MAX_MPS,
        )?;
        check_finite("track_deg", self.track_deg)?;
        if !(0.0..360.0).contains(&self.track_deg) {
            return Err(ReportError::TrackOutOfRange {
                value: self.track_deg,
            });
        }
        check_range(
            "vertical_rate_mps",
            self.vertical_rate_mps,
            -VERTICAL_RATE_MAX_MPS,
            VERTICAL_RATE_MAX_MPS,
        )?;
        check_text("operation_id", self.operation_id.as_deref())?;
        check_text("callsign", self.callsign.as_deref())
    }
}

/// Why a [`PositionReport`] was refused. Each variant names the field and carries the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("/{field}: {value} is not a finite number")]
    NotFinite { field: &'static str, value: f64 },
    #[error("/{field}: {value} is outside [{min}, {max}]")]
    OutOfRange {
        field: &'static str,
        value: f64,
        min: f64,
        max: f64,
    },
    #[error("/track_deg: {value} is outside [0, 360)")]
    TrackOutOfRange { value: f64 },
    #[error("/track_id: {value:?} is not 1 to 64 characters of [A-Za-z0-9._-]")]
    BadTrackId { value: String },
    #[error("/{field}: {value:?} {reason}")]
    BadText {
        field: &'static str,
        value: String,
        reason: &'static str,
    },
}

impl ReportError {
    /// The offending field's name, as in [`PositionReport`] (`"lat_deg"`).
    pub fn field(&self) -> &'static str {
        match self {
            ReportError::NotFinite { field, .. }
            | ReportError::OutOfRange { field, .. }
            | ReportError::BadText { field, .. } => field,
            ReportError::TrackOutOfRange { .. } => "track_deg",
            ReportError::BadTrackId { .. } => "track_id",
        }
    }

    /// The offending field as a JSON pointer into the report's JSON object (`"/lat_deg"`).
    pub fn pointer(&self) -> String {
        format!("/{}", self.field())
    }
}

fn check_finite(field: &'static str, value: f64) -> Result<(), ReportError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ReportError::NotFinite { field, value })
    }
}

fn check_range(field: &'static str, value: f64, min: f64, max: f64) -> Result<(), ReportError> {
    check_finite(field, value)?;
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ReportError::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

fn check_track_id(track_id: &str) -> Result<(), ReportError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let length_ok = (1..=TRACK_ID_MAX_CHARS).contains(&track_id.chars().count());
    if length_ok && track_id.chars().all(allowed) {
        Ok(())
    } else {
        Err(ReportError::BadTrackId {
            value: preview(track_id),
        })
    }
}

fn check_text(field: &'static str, text: Option<&str>) -> Result<(), ReportError> {
    let Some(text) = text else { return Ok(()) };
    let reason = if text.chars().count() > TEXT_MAX_CHARS {
        "is longer than 64 characters"
    } else if text.chars().any(char::is_control) {
        "contains control characters"
    } else {
        return Ok(());
    };
    Err(ReportError::BadText {
        field,
        value: preview(text),
        reason,
    })
}

/// The start of `text`, cut at a character boundary, so errors stay small.
pub(crate) fn preview(text: &str) -> String {
    if text.chars().count() <= PREVIEW_CHARS {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(PREVIEW_CHARS).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> PositionReport {
        PositionReport {
            track_id: "4ca2d6".into(),
            time: DateTime::from_timestamp(1_443_679_200, 0).unwrap(),
            lat_deg: 51.45735,
            lon_deg: -1.02826,
            altitude_m: 11_277.6,
            ground_speed_mps: 210.0,
            track_deg: 146.4,
            vertical_rate_mps: 0.0,
            operation_id: None,
            callsign: Some("BAW123".into()),
            domain: Default::default(),
            vessel: None,
        }
    }

    #[test]
    fn sample_report_is_valid() {
        assert_eq!(sample().validate(), Ok(()));
    }

    type Spoil = fn(&mut PositionReport);

    #[test]
    fn each_out_of_range_field_is_named_with_its_value() {
        let cases: Vec<(Spoil, &str)> = vec![
            (|r| r.lat_deg = 90.5, "lat_deg"),
            (|r| r.lon_deg = -180.1, "lon_deg"),
            (|r| r.altitude_m = 30_000.1, "altitude_m"),
            (|r| r.altitude_m = -501.0, "altitude_m"),
            (|r| r.ground_speed_mps = -1.0, "ground_speed_mps"),
            (|r| r.ground_speed_mps = 2_000.5, "ground_speed_mps"),
            (|r| r.track_deg = 360.0, "track_deg"),
            (|r| r.track_deg = -0.5, "track_deg"),
            (|r| r.vertical_rate_mps = -500.5, "vertical_rate_mps"),
            (|r| r.track_id = String::new(), "track_id"),
            (|r| r.track_id = "4ca 2d6".into(), "track_id"),
            (|r| r.track_id = "x".repeat(65), "track_id"),
            (|r| r.callsign = Some("BAW\n1".into()), "callsign"),
            (|r| r.operation_id = Some("o".repeat(65)), "operation_id"),
        ];
        for (spoil, field) in cases {
            let mut report = sample();
            spoil(&mut report);
            let error = report.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert_eq!(error.pointer(), format!("/{field}"));
            assert!(
                error.to_string().starts_with(&format!("/{field}")),
                "{error}"
            );
        }
    }

    #[test]
    fn non_finite_values_are_refused_as_such() {
        let mut report = sample();
        report.lat_deg = f64::NAN;
        assert!(matches!(
            report.validate(),
            Err(ReportError::NotFinite {
                field: "lat_deg",
                ..
            })
        ));
        report = sample();
        report.track_deg = f64::INFINITY;
        assert_eq!(report.validate().unwrap_err().field(), "track_deg");
    }

    #[test]
    fn limits_themselves_are_accepted() {
        let mut report = sample();
        report.lat_deg = -90.0;
        report.lon_deg = 180.0;
        report.altitude_m = ALTITUDE_MIN_M;
        report.ground_speed_mps = GROUND_SPEED_MAX_MPS;
        report.track_deg = 0.0;
        report.vertical_rate_mps = -VERTICAL_RATE_MAX_MPS;
        report.track_id = "a.B_c-9".repeat(9).chars().take(64).collect();
        assert_eq!(report.validate(), Ok(()));
    }

    #[test]
    fn error_repeats_only_the_start_of_a_long_value() {
        let mut report = sample();
        report.track_id = "é".repeat(1_000);
        let message = report.validate().unwrap_err().to_string();
        assert!(message.chars().count() < 200, "{message}");
    }

    #[test]
    fn json_omits_absent_options_and_reads_them_back() {
        let json = serde_json::to_string(&sample()).unwrap();
        assert!(!json.contains("operation_id"), "{json}");
        let back: PositionReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, sample());
    }
}
