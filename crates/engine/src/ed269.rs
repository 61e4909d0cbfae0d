//! Import of EUROCAE ED-269 UAS geographical zones (the JSON `features` of a zone data set)
//! into deconflict zones (SPEC §5.4).
//!
//! The mapping, feature by feature (each geometry element becomes one zone, `identifier` for
//! the first and `identifier-2`, `identifier-3`, … for the next):
//!
//! | ED-269 | deconflict |
//! |---|---|
//! | `identifier`, `name` | zone id, name (the identifier when there is no name) |
//! | `restriction: PROHIBITED` | `hard`, rule `deny` all |
//! | `restriction: REQ_AUTHORISATION` | `advisory`, rule `deny` all: every entry alerts the zone's owner, who grants or refuses outside the system |
//! | `restriction: CONDITIONAL`, `NO_RESTRICTION` | `advisory`, rule `notify` |
//! | `horizontalProjection` `Polygon` / `Circle` (`center`, `radius` in `uomDimensions`) | footprint Polygon / Circle |
//! | `lowerLimit`, `upperLimit` in `uomDimensions` (`M`, `FT`) | altitude band, metres |
//! | vertical reference `WGS84` | taken as is (deconflict altitudes are heights above the WGS84 ellipsoid) |
//! | vertical reference `AMSL` | widened by 110 m each way (the geoid lies within about ±107 m of the ellipsoid), so the zone is never smaller than declared |
//! | `lowerVerticalReference: AGL` with `lowerLimit: 0` | the surface: −500 m (below any land) |
//! | `applicability`: `permanent: YES` | always in effect |
//! | `applicability`: `startDateTime`/`endDateTime` | one-off windows |
//! | `applicability`: `schedule` (`day` list or `ANY`, `startTime`, `endTime`) without dates | weekly slots |
//! | `zoneAuthority`, `reason`, `message`, `restrictionConditions`, `extendedProperties`, … | not used |
//!
//! Refused, with the feature and field named: any other geometry type, an AGL limit above the
//! surface (deconflict has no terrain model), a `schedule` combined with dates (a schedule
//! within a date range cannot be expressed as windows and weekly slots), unknown units or
//! references.

use chrono::{DateTime, Utc};
use deconflict_geometry::FootprintSpec;
use serde_json::Value;

use crate::zone::{Day, Enforcement, Schedule, WeeklySlot, Window, ZoneRule, ZoneSpec};

/// Metres per foot.
const FOOT_M: f64 = 0.3048;
/// The widening of an AMSL limit: the geoid's largest distance from the ellipsoid, rounded up.
pub const AMSL_MARGIN_M: f64 = 110.0;
/// The altitude standing for "the surface" (AGL 0).
pub const SURFACE_M: f64 = -500.0;

/// Why a document was refused: where (a JSON pointer into it) and what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{pointer}: {reason}")]
pub struct Ed269Error {
    pub pointer: String,
    pub reason: String,
}

fn refuse(pointer: String, reason: impl Into<String>) -> Ed269Error {
    Ed269Error {
        pointer,
        reason: reason.into(),
    }
}

fn text<'a>(value: &'a Value, at: &str, field: &str) -> Result<&'a str, Ed269Error> {
    value
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| refuse(format!("{at}/{field}"), format!("{field} must be a string")))
}

fn number(value: &Value, at: &str, field: &str) -> Result<f64, Ed269Error> {
    value
        .get(field)
        .and_then(Value::as_f64)
        .ok_or_else(|| refuse(format!("{at}/{field}"), format!("{field} must be a number")))
}

/// The zones of an ED-269 document: an object with `features`, or a bare array of features.
pub fn parse(document: &Value) -> Result<Vec<(String, ZoneSpec)>, Ed269Error> {
    let (features, base) = match document {
        Value::Array(features) => (features, String::new()),
        Value::Object(object) => match object.get("features") {
            Some(Value::Array(features)) => (features, "/features".to_owned()),
            _ => {
                return Err(refuse(
                    "/features".into(),
                    "an ED-269 document is an object with a features array, or that array",
                ))
            }
        },
        _ => return Err(refuse(String::new(), "an ED-269 document is a JSON object")),
    };
    let mut zones = Vec::new();
    for (index, feature) in features.iter().enumerate() {
        let at = format!("{base}/{index}");
        zones.extend(feature_zones(feature, &at)?);
    }
    let mut ids: Vec<&String> = zones.iter().map(|(id, _)| id).collect();
    ids.sort();
    if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(refuse(
            base,
            format!("identifier {:?} appears twice", pair[0]),
        ));
    }
    Ok(zones)
}

fn feature_zones(feature: &Value, at: &str) -> Result<Vec<(String, ZoneSpec)>, Ed269Error> {
    let identifier = text(feature, at, "identifier")?;
    let name = feature
        .get("name")
        .and_then(Value::as_str)
        .filter(|name| !name.trim().is_empty())
        .unwrap_or(identifier);
    let (enforcement, rule) = match text(feature, at, "restriction")? {
        "PROHIBITED" => (Enforcement::Hard, deny_all()),
        "REQ_AUTHORISATION" => (Enforcement::Advisory, deny_all()),
        "CONDITIONAL" | "NO_RESTRICTION" => (Enforcement::Advisory, ZoneRule::Notify),
        other => {
            return Err(refuse(
                format!("{at}/restriction"),
                format!("restriction {other:?} is not one of PROHIBITED, REQ_AUTHORISATION, CONDITIONAL, NO_RESTRICTION"),
            ))
        }
    };
    let schedule = applicability(feature.get("applicability"), &format!("{at}/applicability"))?;
    let geometries = feature
        .get("geometry")
        .and_then(Value::as_array)
        .filter(|geometries| !geometries.is_empty())
        .ok_or_else(|| {
            refuse(
                format!("{at}/geometry"),
                "geometry must be a non-empty array",
            )
        })?;
    geometries
        .iter()
        .enumerate()
        .map(|(index, geometry)| {
            let at = format!("{at}/geometry/{index}");
            let (footprint, lower, upper) = zone_geometry(geometry, &at)?;
            let id = if index == 0 {
                identifier.to_owned()
            } else {
                format!("{identifier}-{}", index + 1)
            };
            Ok((
                id,
                ZoneSpec {
                    name: name.to_owned(),
                    footprint,
                    altitude_lower_m: lower,
                    altitude_upper_m: upper,
                    schedule: schedule.clone(),
                    enforcement,
                    rules: vec![rule.clone()],
                },
            ))
        })
        .collect()
}

fn deny_all() -> ZoneRule {
    ZoneRule::Deny {
        parties: Vec::new(),
        all_except: true,
    }
}

fn zone_geometry(geometry: &Value, at: &str) -> Result<(FootprintSpec, f64, f64), Ed269Error> {
    let factor = match text(geometry, at, "uomDimensions")? {
        "M" => 1.0,
        "FT" => FOOT_M,
        other => {
            return Err(refuse(
                format!("{at}/uomDimensions"),
                format!("uomDimensions {other:?} is not M or FT"),
            ))
        }
    };
    let limit = |value: &str, reference: &str, lower: bool| -> Result<f64, Ed269Error> {
        let metres = number(geometry, at, value)? * factor;
        match text(geometry, at, reference)? {
            "WGS84" => Ok(metres),
            "AMSL" if lower => Ok(metres - AMSL_MARGIN_M),
            "AMSL" => Ok(metres + AMSL_MARGIN_M),
            "AGL" if lower && metres == 0.0 => Ok(SURFACE_M),
            "AGL" => Err(refuse(
                format!("{at}/{reference}"),
                format!("{value} of {metres} m above ground level is not supported: deconflict has no terrain model (only AGL 0, the surface, is)"),
            )),
            other => Err(refuse(
                format!("{at}/{reference}"),
                format!("{reference} {other:?} is not WGS84, AMSL or AGL"),
            )),
        }
    };
    let lower = limit("lowerLimit", "lowerVerticalReference", true)?;
    let upper = limit("upperLimit", "upperVerticalReference", false)?;
    let projection_at = format!("{at}/horizontalProjection");
    let projection = geometry
        .get("horizontalProjection")
        .ok_or_else(|| refuse(projection_at.clone(), "horizontalProjection is missing"))?;
    let footprint = match text(projection, &projection_at, "type")? {
        "Polygon" => FootprintSpec::Polygon {
            coordinates: serde_json::from_value(
                projection
                    .get("coordinates")
                    .cloned()
                    .unwrap_or(Value::Null),
            )
            .map_err(|error| {
                refuse(
                    format!("{projection_at}/coordinates"),
                    format!("coordinates must be rings of [lon, lat]: {error}"),
                )
            })?,
        },
        "Circle" => {
            let center: Vec<f64> =
                serde_json::from_value(projection.get("center").cloned().unwrap_or(Value::Null))
                    .map_err(|_| {
                        refuse(
                            format!("{projection_at}/center"),
                            "center must be [lon, lat]",
                        )
                    })?;
            FootprintSpec::Circle {
                center,
                radius_m: number(projection, &projection_at, "radius")? * factor,
            }
        }
        other => {
            return Err(refuse(
                format!("{projection_at}/type"),
                format!("horizontalProjection type {other:?} is not supported (Polygon or Circle)"),
            ))
        }
    };
    Ok((footprint, lower, upper))
}

fn applicability(value: Option<&Value>, at: &str) -> Result<Schedule, Ed269Error> {
    let Some(value) = value else {
        return Ok(Schedule::default());
    };
    let entries = value
        .as_array()
        .ok_or_else(|| refuse(at.to_owned(), "applicability must be an array"))?;
    let mut schedule = Schedule::default();
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("{at}/{index}");
        if entry.get("permanent").and_then(Value::as_str) == Some("YES") {
            return Ok(Schedule::default());
        }
        let date = |field: &str| -> Result<Option<DateTime<Utc>>, Ed269Error> {
            match entry.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => value
                    .as_str()
                    .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
                    .map(|time| Some(time.with_timezone(&Utc)))
                    .ok_or_else(|| {
                        refuse(
                            format!("{at}/{field}"),
                            format!("{field} must be an RFC 3339 time"),
                        )
                    }),
            }
        };
        let (start, end) = (date("startDateTime")?, date("endDateTime")?);
        let slots = entry.get("schedule").and_then(Value::as_array);
        match (start, end, slots) {
            (Some(_), Some(_), Some(_)) => {
                return Err(refuse(
                    format!("{at}/schedule"),
                    "a schedule within a date range is not supported: give either dates or a weekly schedule",
                ))
            }
            (Some(start), Some(end), None) => schedule.windows.push(Window { start, end }),
            (None, None, Some(slots)) => {
                for (slot_index, slot) in slots.iter().enumerate() {
                    schedule
                        .weekly
                        .push(weekly_slot(slot, &format!("{at}/schedule/{slot_index}"))?);
                }
            }
            _ => {
                return Err(refuse(
                    at,
                    "an applicability entry needs permanent YES, both startDateTime and endDateTime, or a schedule",
                ))
            }
        }
    }
    Ok(schedule)
}

fn weekly_slot(slot: &Value, at: &str) -> Result<WeeklySlot, Ed269Error> {
    const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];
    let day = |text: &str| -> Result<Vec<Day>, Ed269Error> {
        Ok(match text {
            "ANY" => ALL.to_vec(),
            "MON" => vec![Day::Mon],
            "TUE" => vec![Day::Tue],
            "WED" => vec![Day::Wed],
            "THU" => vec![Day::Thu],
            "FRI" => vec![Day::Fri],
            "SAT" => vec![Day::Sat],
            "SUN" => vec![Day::Sun],
            other => {
                return Err(refuse(
                    format!("{at}/day"),
                    format!("day {other:?} is not MON..SUN or ANY"),
                ))
            }
        })
    };
    let days = match slot.get("day") {
        Some(Value::String(text)) => day(text)?,
        Some(Value::Array(items)) => {
            let mut days = Vec::new();
            for item in items {
                days.extend(day(item.as_str().unwrap_or_default())?);
            }
            days
        }
        _ => {
            return Err(refuse(
                format!("{at}/day"),
                "day must be a day or a list of days",
            ))
        }
    };
    let time = |field: &str| -> Result<String, Ed269Error> {
        let value = text(slot, at, field)?;
        // ED-269 writes "HH:MM" or "HH:MM:SS" (UTC); seconds are dropped.
        Ok(value.get(..5).unwrap_or(value).to_owned())
    };
    Ok(WeeklySlot {
        days,
        start: time("startTime")?,
        end: time("endTime")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_prohibited_circle_in_feet_becomes_a_hard_zone_in_metres() {
        let document = json!({"features": [{
            "identifier": "LSZ01", "name": "Bern", "restriction": "PROHIBITED",
            "applicability": [{"permanent": "YES"}],
            "geometry": [{"uomDimensions": "FT", "lowerLimit": 0, "lowerVerticalReference": "AGL",
                          "upperLimit": 1000, "upperVerticalReference": "WGS84",
                          "horizontalProjection": {"type": "Circle", "center": [7.44, 46.95], "radius": 3000}}]
        }]});
        let zones = parse(&document).unwrap();
        let (id, spec) = &zones[0];
        assert_eq!(id, "LSZ01");
        assert_eq!(spec.enforcement, Enforcement::Hard);
        assert_eq!(spec.altitude_lower_m, SURFACE_M);
        assert!((spec.altitude_upper_m - 304.8).abs() < 1e-9);
        match &spec.footprint {
            FootprintSpec::Circle { radius_m, .. } => assert!((radius_m - 914.4).abs() < 1e-9),
            other => panic!("{other:?}"),
        }
        assert!(spec.schedule.is_always());
    }
}
