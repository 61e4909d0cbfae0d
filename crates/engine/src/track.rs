//! Live tracks: position reports and the latest state of each track (SPEC §2, §3, §5.2).
//!
//! Track ids are global (an ADS-B ICAO address is one aircraft whoever reports it): the first
//! party to report a track owns it, and reports for it from any other party are refused.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::ID_MAX_LEN;
use crate::operation::Domain;

/// A track is stale, and extrapolated no further, when its last report is older than this.
pub const STALE_AFTER_S: f64 = 30.0;

/// Highest ground speed accepted (m/s): well above any aircraft that shares airspace.
pub const MAX_GROUND_SPEED_MPS: f64 = 2_000.0;
/// Highest vertical rate accepted, either way (m/s).
pub const MAX_VERTICAL_RATE_MPS: f64 = 500.0;
/// Highest ground speed accepted of a ship (m/s, about 103 kn): above any vessel's, warships and
/// fast ferries included, and above AIS's largest speed (102.2 kn, "102.2 kn or more"), so no
/// valid AIS report is refused. Detection relies on it: the shard band's reach for ships
/// (`shard::Band::covers`) is computed from it, and `tactical` takes no part of a ship
/// reported faster.
pub const MAX_SEA_SPEED_MPS: f64 = 53.0;
/// Longest vessel name accepted (AIS names have 20 characters; some feeds append more).
pub const VESSEL_NAME_MAX_CHARS: usize = 32;
/// Largest vessel length or beam accepted (m): the largest ships are about 460 m long.
pub const VESSEL_DIMENSION_MAX_M: f64 = 1_000.0;
/// Lowest and highest altitude accepted (m), as for volumes (SPEC §4).
pub const ALTITUDE_MIN_M: f64 = -500.0;
pub const ALTITUDE_MAX_M: f64 = 30_000.0;

/// A track's time, position and velocity: the kinematic part of every position report, and
/// what a live track keeps of its latest report, prediction extrapolates and tactical
/// detection reads (one set of fields and limits for feeds, engine, detection and the API).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Motion {
    pub time: DateTime<Utc>,
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Metres above the WGS84 ellipsoid.
    pub altitude_m: f64,
    pub ground_speed_mps: f64,
    /// Degrees true, clockwise from north, in [0, 360).
    pub track_deg: f64,
    pub vertical_rate_mps: f64,
}

/// One position report, in SI units (the body of `POST /v1/positions`, one per element or line):
/// a track's [`Motion`] and what identifies it. On the wire the motion's fields stand beside
/// the others (`{"track_id": …, "time": …, "lat_deg": …}`); unknown fields are refused
/// (`report_serde`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrackReport {
    pub track_id: String,
    #[serde(flatten)]
    pub motion: Motion,
    /// The reporter's operation this track flies for (conformance, SPEC §5.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// Never released to other parties under `conflicts_only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// `air` (the default, not written) or `sea`: which minima apply (SPEC §7 amended).
    #[serde(default, skip_serializing_if = "Domain::is_air")]
    pub domain: Domain,
    /// What a ship says of itself (AIS static data); only with `domain: sea`. Released like
    /// the callsign. Boxed: most tracks have none, and a live track must stay small (SPEC §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<VesselParticulars>)]
    pub vessel: Option<Box<VesselParticulars>>,
}

/// A ship's static data (AIS message types 5, 19 and 24): its name and size. The callsign is
/// the report's own `callsign`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VesselParticulars {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Overall length (m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_m: Option<f64>,
    /// Beam (m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beam_m: Option<f64>,
}

impl VesselParticulars {
    fn validate(&self) -> Result<(), ReportRefusal> {
        if let Some(name) = &self.name {
            if let Err(error) = crate::ids::check_printable("vessel name", name, false) {
                return Err(ReportRefusal {
                    field: "/vessel/name",
                    reason: error.to_string(),
                });
            }
            if name.chars().count() > VESSEL_NAME_MAX_CHARS {
                return Err(ReportRefusal {
                    field: "/vessel/name",
                    reason: format!("longer than {VESSEL_NAME_MAX_CHARS} characters"),
                });
            }
        }
        for (field, value) in [
            ("/vessel/length_m", self.length_m),
            ("/vessel/beam_m", self.beam_m),
        ] {
            if let Some(value) = value {
                check_range(field, value, 0.0, VESSEL_DIMENSION_MAX_M, false)?;
            }
        }
        Ok(())
    }
}

/// What receivers resolve, and so what is kept of a report (see [`TrackReport::quantised`]):
/// 1e-7° of latitude and longitude (about 1 cm), 1 cm of altitude, 1 cm/s of ground speed and
/// vertical rate, 0.01° of track, and whole milliseconds of time. ADS-B itself resolves about
/// 5 m, 25 ft, 1 kt and 1 s; finer digits are noise that costs log space (a random 17-digit
/// float compresses to half what a quantised one does) and buys no detection.
pub const LAT_LON_STEPS_PER_DEG: f64 = 1e7;
pub const ALTITUDE_STEPS_PER_M: f64 = 100.0;
pub const SPEED_STEPS_PER_MPS: f64 = 100.0;
pub const TRACK_STEPS_PER_DEG: f64 = 100.0;

/// `value` rounded to the nearest multiple of `1 / steps_per_unit`, as the f64 nearest that
/// decimal (so it prints in few digits), without a negative zero.
fn quantise(value: f64, steps_per_unit: f64) -> f64 {
    (value * steps_per_unit).round() / steps_per_unit + 0.0
}

/// How much of an offending value a refusal repeats.
const PREVIEW_CHARS: usize = 80;

/// The start of `text`, cut at a character boundary, so refusals stay small.
fn preview(text: &str) -> String {
    if text.chars().count() <= PREVIEW_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(PREVIEW_CHARS).collect();
    cut.push('…');
    cut
}

/// Why a report was refused: the field and the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ReportRefusal {
    /// JSON pointer of the field within the report, e.g. `/lat_deg`.
    pub field: &'static str,
    pub reason: String,
}

fn check_range(
    field: &'static str,
    value: f64,
    min: f64,
    max: f64,
    max_open: bool,
) -> Result<(), ReportRefusal> {
    if !value.is_finite() {
        return Err(ReportRefusal {
            field,
            reason: format!("{value} is not a finite number"),
        });
    }
    let above = if max_open { value >= max } else { value > max };
    if value < min || above {
        let upper = if max_open { ")" } else { "]" };
        return Err(ReportRefusal {
            field,
            reason: format!("{value} is outside [{min}, {max}{upper}"),
        });
    }
    Ok(())
}

impl Motion {
    /// The motion as it is kept: each value rounded to what receivers resolve (the constants
    /// above), time cut to whole milliseconds, a track of 360.00° after rounding made 0°.
    /// Idempotent, and keeps valid values valid (every range bound is a multiple of its step).
    pub fn quantised(self) -> Motion {
        use chrono::SubsecRound as _;
        Motion {
            time: self.time.trunc_subsecs(3),
            lat_deg: quantise(self.lat_deg, LAT_LON_STEPS_PER_DEG),
            lon_deg: quantise(self.lon_deg, LAT_LON_STEPS_PER_DEG),
            altitude_m: quantise(self.altitude_m, ALTITUDE_STEPS_PER_M),
            ground_speed_mps: quantise(self.ground_speed_mps, SPEED_STEPS_PER_MPS),
            track_deg: match quantise(self.track_deg, TRACK_STEPS_PER_DEG) {
                track_deg if track_deg >= 360.0 => 0.0,
                track_deg => track_deg,
            },
            vertical_rate_mps: quantise(self.vertical_rate_mps, SPEED_STEPS_PER_MPS),
        }
    }

    /// Range and finiteness checks of every field, the first bad one named (its pointer in a
    /// report, where the motion's fields stand at the top level).
    pub fn validate(&self) -> Result<(), ReportRefusal> {
        check_range("/lat_deg", self.lat_deg, -90.0, 90.0, false)?;
        check_range("/lon_deg", self.lon_deg, -180.0, 180.0, false)?;
        check_range(
            "/altitude_m",
            self.altitude_m,
            ALTITUDE_MIN_M,
            ALTITUDE_MAX_M,
            false,
        )?;
        check_range(
            "/ground_speed_mps",
            self.ground_speed_mps,
            0.0,
            MAX_GROUND_SPEED_MPS,
            false,
        )?;
        check_range("/track_deg", self.track_deg, 0.0, 360.0, true)?;
        check_range(
            "/vertical_rate_mps",
            self.vertical_rate_mps,
            -MAX_VERTICAL_RATE_MPS,
            MAX_VERTICAL_RATE_MPS,
            false,
        )
    }
}

impl TrackReport {
    /// The report as it is kept: each value rounded to what receivers resolve (the constants
    /// above), time cut to whole milliseconds, a track of 360.00° after rounding made 0°.
    /// Applied when a report is accepted, before its event is decided, so the event logged,
    /// the live state and a replay hold the same bits. Idempotent, and keeps a valid report
    /// valid (every range bound is a multiple of its step).
    pub fn quantised(mut self) -> TrackReport {
        self.motion = self.motion.quantised();
        self
    }

    /// Range and finiteness checks; the first bad field is named.
    pub fn validate(&self) -> Result<(), ReportRefusal> {
        let id_ok = !self.track_id.is_empty()
            && self.track_id.len() <= ID_MAX_LEN
            && self
                .track_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
        if !id_ok {
            return Err(ReportRefusal {
                field: "/track_id",
                reason: format!("{:?} is not a valid id: use 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'", preview(&self.track_id)),
            });
        }
        self.motion.validate()?;
        if let Some(operation) = &self.operation_id {
            if crate::ids::validate_id("operation_id", operation).is_err() {
                return Err(ReportRefusal {
                    field: "/operation_id",
                    reason: format!("{operation:?} is not a valid operation id"),
                });
            }
        }
        if let Some(Err(error)) = self
            .callsign
            .as_ref()
            .map(|c| crate::ids::check_printable("callsign", c, false))
        {
            return Err(ReportRefusal {
                field: "/callsign",
                reason: error.to_string(),
            });
        }
        if self
            .callsign
            .as_ref()
            .is_some_and(|c| c.chars().count() > crate::operation::CALLSIGN_MAX_CHARS)
        {
            return Err(ReportRefusal {
                field: "/callsign",
                reason: "longer than 32 characters".to_owned(),
            });
        }
        if self.domain == Domain::Sea && self.motion.ground_speed_mps > MAX_SEA_SPEED_MPS {
            return Err(ReportRefusal {
                field: "/ground_speed_mps",
                reason: format!(
                    "{} m/s is faster than any ship (at most {MAX_SEA_SPEED_MPS} m/s at sea)",
                    self.motion.ground_speed_mps
                ),
            });
        }
        if let Some(vessel) = &self.vessel {
            if self.domain != Domain::Sea {
                return Err(ReportRefusal {
                    field: "/vessel",
                    reason: "only ships (domain sea) carry vessel particulars".to_owned(),
                });
            }
            vessel.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod validate_tests {
    use super::*;

    fn sample() -> TrackReport {
        TrackReport {
            track_id: "4ca2d6".into(),
            motion: Motion {
                time: DateTime::from_timestamp(1_443_679_200, 0).unwrap(),
                lat_deg: 51.45735,
                lon_deg: -1.02826,
                altitude_m: 11_277.6,
                ground_speed_mps: 210.0,
                track_deg: 146.4,
                vertical_rate_mps: 0.0,
            },
            operation_id: None,
            callsign: Some("BAW123".into()),
            domain: Domain::Air,
            vessel: None,
        }
    }

    type Spoil = fn(&mut TrackReport);

    #[test]
    fn each_out_of_range_field_is_named_with_its_value() {
        let cases: Vec<(Spoil, &str)> = vec![
            (|r| r.motion.lat_deg = 90.5, "/lat_deg"),
            (|r| r.motion.lon_deg = -180.1, "/lon_deg"),
            (|r| r.motion.altitude_m = 30_000.1, "/altitude_m"),
            (|r| r.motion.altitude_m = -501.0, "/altitude_m"),
            (|r| r.motion.ground_speed_mps = -1.0, "/ground_speed_mps"),
            (|r| r.motion.ground_speed_mps = 2_000.5, "/ground_speed_mps"),
            (|r| r.motion.track_deg = 360.0, "/track_deg"),
            (|r| r.motion.track_deg = -0.5, "/track_deg"),
            (
                |r| r.motion.vertical_rate_mps = -500.5,
                "/vertical_rate_mps",
            ),
            (|r| r.motion.lat_deg = f64::NAN, "/lat_deg"),
            (|r| r.track_id = String::new(), "/track_id"),
            (|r| r.track_id = "4ca 2d6".into(), "/track_id"),
            (|r| r.track_id = "x".repeat(65), "/track_id"),
            (|r| r.callsign = Some("BAW\n1".into()), "/callsign"),
            (|r| r.callsign = Some("C".repeat(33)), "/callsign"),
            (|r| r.operation_id = Some("o".repeat(65)), "/operation_id"),
        ];
        for (spoil, field) in cases {
            let mut report = sample();
            spoil(&mut report);
            let refusal = report.validate().unwrap_err();
            assert_eq!(refusal.field, field, "{refusal}");
            assert!(refusal.to_string().starts_with(field), "{refusal}");
        }
    }

    #[test]
    fn limits_themselves_are_accepted() {
        let mut report = sample();
        report.motion.lat_deg = -90.0;
        report.motion.lon_deg = 180.0;
        report.motion.altitude_m = ALTITUDE_MIN_M;
        report.motion.ground_speed_mps = MAX_GROUND_SPEED_MPS;
        report.motion.track_deg = 0.0;
        report.motion.vertical_rate_mps = -MAX_VERTICAL_RATE_MPS;
        report.track_id = "a.B_c-9".repeat(10).chars().take(ID_MAX_LEN).collect();
        report.callsign = Some("C".repeat(crate::operation::CALLSIGN_MAX_CHARS));
        assert_eq!(report.validate(), Ok(()));
    }

    #[test]
    fn a_refusal_repeats_only_the_start_of_a_long_value() {
        let mut report = sample();
        report.track_id = "é".repeat(1_000);
        let message = report.validate().unwrap_err().to_string();
        assert!(message.chars().count() < 250, "{message}");
    }
}

#[cfg(test)]
mod quantise_tests {
    use super::*;

    fn report() -> TrackReport {
        TrackReport {
            track_id: "4ca2d6".into(),
            motion: Motion {
                time: "2030-01-01T00:00:01.250999999Z".parse().unwrap(),
                lat_deg: 35.123456789123,
                lon_deg: -179.99999999,
                altitude_m: 11269.98765,
                ground_speed_mps: 232.01449,
                track_deg: 359.9951,
                vertical_rate_mps: -0.001,
            },
            operation_id: None,
            callsign: None,
            domain: Domain::Air,
            vessel: None,
        }
    }

    #[test]
    fn quantised_values_are_the_resolved_decimals_and_print_short() {
        let q = report().quantised();
        assert_eq!(
            q.motion.time,
            "2030-01-01T00:00:01.250Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(q.motion.lat_deg.to_string(), "35.1234568");
        assert_eq!(q.motion.lon_deg.to_string(), "-180");
        assert_eq!(q.motion.altitude_m.to_string(), "11269.99");
        assert_eq!(q.motion.ground_speed_mps.to_string(), "232.01");
        assert_eq!(q.motion.track_deg, 0.0, "360.00 wraps to 0");
        assert!(q.motion.vertical_rate_mps == 0.0 && q.motion.vertical_rate_mps.is_sign_positive());
        assert_eq!(q.validate(), Ok(()));
    }

    #[test]
    fn quantising_is_idempotent() {
        let mut rng_state = 0x2545f4914f6cdd1du64;
        for _ in 0..10_000 {
            rng_state ^= rng_state << 13;
            rng_state ^= rng_state >> 7;
            rng_state ^= rng_state << 17;
            let unit = (rng_state >> 11) as f64 / (1u64 << 53) as f64;
            let mut r = report();
            r.motion.lat_deg = unit * 180.0 - 90.0;
            r.motion.lon_deg = unit * 360.0 - 180.0;
            r.motion.altitude_m = unit * 30_500.0 - 500.0;
            r.motion.track_deg = unit * 360.0;
            let once = r.quantised();
            assert_eq!(once.clone().quantised(), once);
            assert_eq!(once.validate(), Ok(()));
        }
    }
}

pub mod compact;
mod live;
mod report_serde;

pub use live::{LiveTrack, SnapshotTrack};
pub(crate) use live::{SnapshotTracks, TrackTable};
