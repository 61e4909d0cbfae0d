//! One SBS-1 "BaseStation" line, split and decoded into the pieces deconflict uses.
//!
//! The format, as dump1090-fa and readsb write it on TCP port 30003 (after Kinetic's
//! BaseStation socket output), is 22 comma-separated fields:
//!
//! ```text
//!  1 record type   MSG, or SEL/ID/AIR/STA/CLK (BaseStation user/system events, not used)
//!  2 transmission  1..8 (below)        3 session id    4 aircraft id
//!  5 hex ident     ICAO 24-bit address, 6 hex digits (readsb may prefix '~' for non-ICAO)
//!  6 flight id     7 date generated    8 time generated  (2015/10/01, 06:00:00.123)
//!  9 date logged  10 time logged      11 callsign
//! 12 altitude ft  13 ground speed kt  14 track deg   15 latitude  16 longitude
//! 17 vertical rate ft/min             18 squawk  19 alert  20 emergency  21 SPI  22 on ground
//! ```
//!
//! Transmission types: 1 identification (callsign), 2 surface position, 3 airborne position
//! (altitude, latitude, longitude; readsb also fills ground speed, track and vertical rate
//! when it has them, and those are then taken with the position), 4 airborne velocity
//! (ground speed, track, vertical rate),
//! 5 surveillance altitude, 6 surveillance identity (squawk), 7 air-to-air, 8 all-call reply.
//! Only 1, 3 and 4 are used; the rest are ignored, as are the non-`MSG` record types.
//!
//! Times: fields 7–8 (generated) are taken as UTC; when they are empty (early dump1090 left
//! them so) fields 9–10 (logged) are, and when those are empty too the time the line was
//! received, if the caller knows it (a live feed), else the line is malformed. Fields 7–8 are
//! taken as UTC. readsb writes UTC (`gmtime_r`); dump1090-fa writes
//! the receiver's local time (`localtime_r`), so run it with `TZ=UTC` when feeding
//! deconflict. Altitudes and vertical rates may end in `H` when the decoder runs with GNSS
//! output (`--gnss`): that is a geometric value, taken as is; otherwise the altitude is
//! pressure altitude (Mode C, 1013.25 hPa). A MSG 3 or MSG 4 with its values empty (the
//! decoder had not yet decoded them) is not malformed, just not usable.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::error::LineError;
use crate::report::{
    FEET_PER_MINUTE_TO_MPS, FEET_TO_M, KNOTS_TO_MPS, MAX_GROUND_SPEED_MPS, MAX_VERTICAL_RATE_MPS,
};

/// Fields in a `MSG` line; fewer means a truncated line.
pub(crate) const MSG_FIELD_COUNT: usize = 22;

// 0-based indices of the fields used (the table above is 1-based).
const TRANSMISSION_TYPE: usize = 1;
const HEX_IDENT: usize = 4;
const DATE_GENERATED: usize = 6;
const TIME_GENERATED: usize = 7;
const DATE_LOGGED: usize = 8;
const TIME_LOGGED: usize = 9;
const CALLSIGN: usize = 10;
const ALTITUDE: usize = 11;
const GROUND_SPEED: usize = 12;
const TRACK: usize = 13;
const LATITUDE: usize = 14;
const LONGITUDE: usize = 15;
const VERTICAL_RATE: usize = 16;

/// Record types of the BaseStation socket format.
pub(crate) const RECORD_TYPES: [&str; 6] = ["MSG", "SEL", "ID", "AIR", "STA", "CLK"];

/// What one line says about one aircraft.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SbsRecord {
    /// A record type or transmission type not used.
    Ignored,
    /// MSG 1. `callsign` is `None` when the field is empty.
    Identification(Header, Option<String>),
    /// MSG 3. `None` when the decoder had no position or altitude yet; the velocity when the
    /// line carries one (readsb).
    AirbornePosition(Header, Option<Position>, Option<Velocity>),
    /// MSG 4. `None` when the decoder had no ground speed or track.
    AirborneVelocity(Header, Option<Velocity>),
}

/// Who and when, common to every used message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Header {
    /// Lowercase hex ICAO address, or `nonicao-` and the hex for a `~` address.
    pub(crate) track_id: String,
    /// When generated, else when logged, else when received (see the module docs).
    pub(crate) time: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Position {
    pub(crate) lat_deg: f64,
    pub(crate) lon_deg: f64,
    pub(crate) altitude_m: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Velocity {
    pub(crate) ground_speed_mps: f64,
    /// In [0, 360) when the input was in [0, 360]; range left to validation otherwise.
    pub(crate) track_deg: f64,
    pub(crate) vertical_rate_mps: f64,
}

/// Decodes one non-blank line. `line` is the line number, for errors; `received`, when the
/// line was received (live feeds), stands in for empty date and time fields.
pub(crate) fn parse_record(
    text: &str,
    line: u64,
    received: Option<DateTime<Utc>>,
) -> Result<SbsRecord, LineError> {
    let fields: Vec<&str> = text.trim().split(',').map(str::trim).collect();
    let record_type = fields[0];
    if record_type != "MSG" {
        return if RECORD_TYPES.contains(&record_type) {
            Ok(SbsRecord::Ignored)
        } else {
            Err(LineError::bad_field(
                line,
                "record type",
                record_type,
                "not one of MSG, SEL, ID, AIR, STA, CLK",
            ))
        };
    }
    let transmission = fields.get(TRANSMISSION_TYPE).copied().unwrap_or("");
    let transmission_type = match transmission.parse::<u8>() {
        Ok(value @ 1..=8) => value,
        _ => {
            let reason = "transmission type is not 1 to 8";
            return Err(LineError::bad_field(
                line,
                "transmission type",
                transmission,
                reason,
            ));
        }
    };
    if !matches!(transmission_type, 1 | 3 | 4) {
        return Ok(SbsRecord::Ignored);
    }
    if fields.len() < MSG_FIELD_COUNT {
        return Err(LineError::FieldCount {
            line,
            expected: MSG_FIELD_COUNT,
            found: fields.len(),
        });
    }
    let header = Header {
        track_id: track_id(fields[HEX_IDENT], line)?,
        time: message_time(&fields, line, received)?,
    };
    Ok(match transmission_type {
        1 => {
            let callsign = Some(fields[CALLSIGN]).filter(|c| !c.is_empty());
            SbsRecord::Identification(header, callsign.map(str::to_owned))
        }
        3 => {
            SbsRecord::AirbornePosition(header, position(&fields, line)?, velocity(&fields, line)?)
        }
        _ => SbsRecord::AirborneVelocity(header, velocity(&fields, line)?),
    })
}

fn track_id(hex_ident: &str, line: u64) -> Result<String, LineError> {
    let (prefix, hex) = match hex_ident.strip_prefix('~') {
        Some(hex) => ("nonicao-", hex),
        None => ("", hex_ident),
    };
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(format!("{prefix}{}", hex.to_ascii_lowercase()))
    } else {
        let reason = "not a 24-bit address in 6 hex digits";
        Err(LineError::bad_field(line, "hex ident", hex_ident, reason))
    }
}

/// The generated time, else the logged time, else `received`.
fn message_time(
    fields: &[&str],
    line: u64,
    received: Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>, LineError> {
    let given = |date: usize, time: usize| !fields[date].is_empty() || !fields[time].is_empty();
    if given(DATE_GENERATED, TIME_GENERATED) {
        let (date, time) = (fields[DATE_GENERATED], fields[TIME_GENERATED]);
        return date_time(date, time, line, ["date generated", "time generated"]);
    }
    if given(DATE_LOGGED, TIME_LOGGED) {
        let (date, time) = (fields[DATE_LOGGED], fields[TIME_LOGGED]);
        return date_time(date, time, line, ["date logged", "time logged"]);
    }
    received.ok_or_else(|| {
        let reason = "empty, as is the time logged, and a file has no time of receipt";
        LineError::bad_field(line, "date generated", "", reason)
    })
}

fn date_time(
    date: &str,
    time: &str,
    line: u64,
    [date_field, time_field]: [&'static str; 2],
) -> Result<DateTime<Utc>, LineError> {
    let date = NaiveDate::parse_from_str(date, "%Y/%m/%d")
        .map_err(|_| LineError::bad_field(line, date_field, date, "not YYYY/MM/DD"))?;
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S%.f")
        .map_err(|_| LineError::bad_field(line, time_field, time, "not HH:MM:SS.sss"))?;
    Ok(date.and_time(time).and_utc())
}

fn position(fields: &[&str], line: u64) -> Result<Option<Position>, LineError> {
    let altitude_ft = optional_number(fields[ALTITUDE], "altitude", line, true)?;
    let lat_deg = optional_number(fields[LATITUDE], "latitude", line, false)?;
    let lon_deg = optional_number(fields[LONGITUDE], "longitude", line, false)?;
    Ok(match (altitude_ft, lat_deg, lon_deg) {
        (Some(altitude_ft), Some(lat_deg), Some(lon_deg)) => Some(Position {
            lat_deg,
            lon_deg,
            altitude_m: altitude_ft * FEET_TO_M,
        }),
        _ => None,
    })
}

fn velocity(fields: &[&str], line: u64) -> Result<Option<Velocity>, LineError> {
    let speed_kt = optional_number(fields[GROUND_SPEED], "ground speed", line, false)?;
    let track_deg = optional_number(fields[TRACK], "track", line, false)?;
    let rate_ft_min = optional_number(fields[VERTICAL_RATE], "vertical rate", line, true)?;
    let (Some(speed_kt), Some(track_deg)) = (speed_kt, track_deg) else {
        return Ok(None);
    };
    let ground_speed_mps = speed_kt * KNOTS_TO_MPS;
    if !(0.0..=MAX_GROUND_SPEED_MPS).contains(&ground_speed_mps) {
        let reason = "outside 0 to 3,887 kt";
        return Err(LineError::bad_field(
            line,
            "ground speed",
            fields[GROUND_SPEED],
            reason,
        ));
    }
    if !(0.0..=360.0).contains(&track_deg) {
        let reason = "outside 0 to 360 degrees";
        return Err(LineError::bad_field(line, "track", fields[TRACK], reason));
    }
    // No vertical rate in a line that has a speed and track: taken as level.
    let vertical_rate_mps = rate_ft_min.unwrap_or(0.0) * FEET_PER_MINUTE_TO_MPS;
    if vertical_rate_mps.abs() > MAX_VERTICAL_RATE_MPS {
        let reason = "outside ±98,425 ft/min";
        let text = fields[VERTICAL_RATE];
        return Err(LineError::bad_field(line, "vertical rate", text, reason));
    }
    Ok(Some(Velocity {
        ground_speed_mps,
        // Decoders round the track to whole degrees, so 359.6° is written as 360.
        track_deg: if track_deg == 360.0 { 0.0 } else { track_deg },
        vertical_rate_mps,
    }))
}

/// An empty field is unknown (`None`); anything else must be a finite number. Altitude and
/// vertical rate may carry an `H` suffix (geometric rather than barometric).
fn optional_number(
    text: &str,
    field: &'static str,
    line: u64,
    geometric_suffix_allowed: bool,
) -> Result<Option<f64>, LineError> {
    let number = match text.strip_suffix('H') {
        Some(number) if geometric_suffix_allowed => number,
        _ => text,
    };
    if number.is_empty() {
        return Ok(None);
    }
    match number.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(Some(value)),
        _ => Err(LineError::bad_field(
            line,
            field,
            text,
            "not a finite number",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSITION: &str = "MSG,3,1,1,4CA2D6,1,2015/10/01,06:00:00.123,2015/10/01,06:00:00.150,,37000,,,51.45735,-1.02826,,,0,,0,0";
    const VELOCITY: &str =
        "MSG,4,1,1,4CA2D6,1,2015/10/01,06:00:00.200,2015/10/01,06:00:00.250,,,451,146,,,-64,,,,,0";

    #[test]
    fn airborne_position_is_decoded_in_si_units() {
        let SbsRecord::AirbornePosition(header, Some(position), None) =
            parse_record(POSITION, 1, None).unwrap()
        else {
            panic!("not a position");
        };
        assert_eq!(header.track_id, "4ca2d6");
        assert_eq!(header.time.to_rfc3339(), "2015-10-01T06:00:00.123+00:00");
        assert_eq!(position.lat_deg, 51.45735);
        assert_eq!(position.lon_deg, -1.02826);
        assert!((position.altitude_m - 11_277.6).abs() < 1e-9);
    }

    #[test]
    fn airborne_velocity_is_decoded_in_si_units() {
        let SbsRecord::AirborneVelocity(_, Some(velocity)) =
            parse_record(VELOCITY, 1, None).unwrap()
        else {
            panic!("not a velocity");
        };
        assert!((velocity.ground_speed_mps - 451.0 * 1852.0 / 3600.0).abs() < 1e-12);
        assert!((velocity.ground_speed_mps - 232.014_444_444).abs() < 1e-6);
        assert_eq!(velocity.track_deg, 146.0);
        assert!((velocity.vertical_rate_mps - -0.325_12).abs() < 1e-12);
    }

    #[test]
    fn gnss_suffix_and_track_of_360_are_accepted() {
        let line = VELOCITY.replace(",146,", ",360,").replace("-64", "128H");
        let SbsRecord::AirborneVelocity(_, Some(velocity)) = parse_record(&line, 1, None).unwrap()
        else {
            panic!("not a velocity");
        };
        assert_eq!(velocity.track_deg, 0.0);
        assert!((velocity.vertical_rate_mps - 0.650_24).abs() < 1e-12);
    }

    #[test]
    fn unused_types_are_ignored_and_unknown_ones_are_malformed() {
        let sel = "SEL,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM";
        assert_eq!(parse_record(sel, 1, None), Ok(SbsRecord::Ignored));
        assert_eq!(
            parse_record("MSG,8,1,1,4CA2D6,1", 1, None),
            Ok(SbsRecord::Ignored)
        );
        assert!(parse_record("MSX,3,1", 2, None).is_err());
        assert!(parse_record("MSG,9,1,1", 2, None).is_err());
        assert!(parse_record("MSG,", 2, None).is_err());
    }

    #[test]
    fn truncated_and_garbled_lines_name_the_problem() {
        let truncated = &POSITION[..60];
        assert!(matches!(
            parse_record(truncated, 4, None),
            Err(LineError::FieldCount { line: 4, .. })
        ));
        let cases = [
            (POSITION.replace("4CA2D6", "4CA2"), "hex ident"),
            (
                POSITION.replace("2015/10/01,06", "2015-10-01,06"),
                "date generated",
            ),
            (POSITION.replace("06:00:00.123", "6h00"), "time generated"),
            (POSITION.replace("51.45735", "51.4x"), "latitude"),
            (POSITION.replace("37000", "NaN"), "altitude"),
        ];
        for (line, field) in cases {
            match parse_record(&line, 5, None) {
                Err(LineError::BadField { field: named, .. }) => assert_eq!(named, field),
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn non_icao_addresses_get_a_distinct_track_id() {
        let line = POSITION.replace("4CA2D6", "~4CA2D6");
        let SbsRecord::AirbornePosition(header, ..) = parse_record(&line, 1, None).unwrap() else {
            panic!("not a position");
        };
        assert_eq!(header.track_id, "nonicao-4ca2d6");
    }

    #[test]
    fn empty_values_are_unknown_not_malformed() {
        let line = POSITION.replace("51.45735,-1.02826", ",");
        assert!(matches!(
            parse_record(&line, 1, None),
            Ok(SbsRecord::AirbornePosition(_, None, None))
        ));
        let line = VELOCITY.replace("451,146", ",");
        assert!(matches!(
            parse_record(&line, 1, None),
            Ok(SbsRecord::AirborneVelocity(_, None))
        ));
    }

    /// readsb (`net_io.c`, `modesSendSBSOutput`) fills speed, track and vertical rate on
    /// `MSG,3` when it has them.
    #[test]
    fn a_position_line_with_a_velocity_carries_it() {
        let line = "MSG,3,1,1,4CA2D6,1,2015/10/01,06:00:00.123,2015/10/01,06:00:00.150,,37000,451,146,51.45735,-1.02826,-64,,0,,0,0";
        let Ok(SbsRecord::AirbornePosition(_, Some(_), Some(velocity))) =
            parse_record(line, 1, None)
        else {
            panic!("no velocity with the position");
        };
        assert_eq!(velocity.track_deg, 146.0);
        assert!((velocity.ground_speed_mps - 451.0 * 1852.0 / 3600.0).abs() < 1e-9);
    }

    #[test]
    fn empty_generated_times_fall_back_to_logged_then_received() {
        let logged_only = POSITION.replace("2015/10/01,06:00:00.123,", ",,");
        let SbsRecord::AirbornePosition(header, ..) = parse_record(&logged_only, 1, None).unwrap()
        else {
            panic!("not a position");
        };
        assert_eq!(header.time.to_rfc3339(), "2015-10-01T06:00:00.150+00:00");
        let neither = logged_only.replace("2015/10/01,06:00:00.150,", ",,");
        assert!(matches!(
            parse_record(&neither, 1, None),
            Err(LineError::BadField {
                field: "date generated",
                ..
            })
        ));
        let received = "2026-12-06T05:00:00Z".parse().unwrap();
        let SbsRecord::AirbornePosition(header, ..) =
            parse_record(&neither, 1, Some(received)).unwrap()
        else {
            panic!("not a position");
        };
        assert_eq!(header.time, received);
    }

    #[test]
    fn absurd_velocities_are_malformed() {
        for (speed, track, rate, field) in [
            ("-1", "146", "0", "ground speed"),
            ("1000000", "146", "0", "ground speed"),
            ("NaN", "146", "0", "ground speed"),
            ("451", "361", "0", "track"),
            ("451", "-3", "0", "track"),
            ("451", "146", "200000", "vertical rate"),
        ] {
            let line = VELOCITY.replace("451,146,,,-64", &format!("{speed},{track},,,{rate}"));
            match parse_record(&line, 1, None) {
                Err(LineError::BadField { field: named, .. }) => assert_eq!(named, field),
                other => panic!("{line}: {other:?}"),
            }
        }
    }
}
