//! Import of EUROCAE ED-269 UAS geographical zone documents, as their publishers write them,
//! into deconflict zones (SPEC §3, §5.4).
//!
//! # The document
//! Every root shape in use is accepted:
//! - a zone array `[zone, …]`;
//! - `{"features": [zone, …]}` (the ED-269 schema's `ED269Schema`, with `title`, `description`);
//! - `{"UASZoneList": [zone, …]}` (with `formatVersion`, `createdAt`, as InterUSS's sample);
//! - `{"UASZoneVersion": zone}` or `{"UASZoneVersion": [zone, …]}`;
//! - a single zone (an object with `identifier` and `geometry`);
//!
//! and an element of any list may itself be `{"UASZoneVersion": zone}`.
//!
//! # The mapping, zone by zone
//! Each element of a zone's `geometry` becomes one deconflict zone: `identifier` for the first,
//! `identifier-2`, `identifier-3`, … for the next.
//!
//! | ED-269 | deconflict |
//! |---|---|
//! | `identifier`, `name` | zone id, name (the identifier when there is no name) |
//! | `restriction: PROHIBITED` | `hard`, rule `deny` all |
//! | `restriction: REQ_AUTHORISATION` | `advisory`, rule `deny` all: every entry alerts the zone's owner, who grants or refuses outside the system |
//! | `restriction: CONDITIONAL`, `NO_RESTRICTION` | `advisory`, rule `notify` |
//! | `horizontalProjection` `Polygon` / `Circle` (`center`, `radius` in `uomDimensions`) | footprint Polygon / Circle |
//! | `lowerLimit`, `upperLimit` in `uomDimensions` (`M`, `FT`), numbers or numeric strings | altitude band: see [`crate::heights`] for `WGS84`, `AMSL` and `AGL`; a limit given as `null` is the surface (lower) or unlimited (upper) |
//! | `applicability` (an array, or one object): `permanent: YES` | always in effect |
//! | `startDateTime`/`endDateTime` without a schedule | one-off window (an open end is 9999-12-31, an open start 0001-01-01) |
//! | `schedule` (or `dailyPeriod`, as some publishers write it): `day` (a day, or a list, `ANY` for every day), `startTime`, `endTime` | weekly slots, on the clock of the times' UTC offset (`"08:00+01:00"`, `"08:00:00.00Z"`; UTC when none); an `endTime` of `24:00` is midnight |
//! | a schedule with `startDateTime`/`endDateTime` | weekly slots bounded by that date range |
//! | `zoneAuthority`, `reason`, `message`, `restrictionConditions`, `region`, `extendedProperties`, … | not used (checked against the standard where it lists values) |
//!
//! # What is refused
//! What the standard forbids, with the zone (its index and `identifier`) and the field named:
//! a `type` other than `COMMON` or `CUSTOMIZED`, a `restriction`, `reason`, `regulationExemption`,
//! `permanent`, `purpose`, `uomDimensions` or vertical reference outside the standard's lists, a
//! `day` that is not `MON`..`SUN` or `ANY`, a time that is not a time of day (hour 25, minute
//! 61), a date that is not RFC 3339, a radius that is not positive, a `horizontalProjection`
//! other than `Polygon` or `Circle`, and an identifier used twice. Every refused zone is listed,
//! not only the first; a document with any refused zone imports nothing.

use chrono::{DateTime, NaiveTime, Utc};
use deconflict_geometry::FootprintSpec;
use serde_json::Value;

use crate::heights::{Declared, Heights, Reference};
use crate::zone::{
    parse_utc_offset, Day, Enforcement, Schedule, WeeklySlot, Window, ZoneRule, ZoneSpec,
};

/// Metres per foot.
pub const FOOT_M: f64 = 0.3048;
/// The altitude standing for "the surface" (AGL 0).
pub const SURFACE_M: f64 = -500.0;
/// Most zones one document may refuse before the listing stops (the import is refused anyway).
pub const MAX_LISTED_REFUSALS: usize = 1000;

/// Why one zone (or the document) was refused: where (a JSON pointer into the document) and what.
/// Shared by the ED-269 and ED-318 importers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{pointer}: {reason}")]
pub struct Refusal {
    pub pointer: String,
    pub reason: String,
}

/// Every refusal in a document: a document with any imports nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} refused: {}", refused_count(.0), .0.first().map(ToString::to_string).unwrap_or_default())]
pub struct Refusals(pub Vec<Refusal>);

fn refused_count(errors: &[Refusal]) -> String {
    match errors.len() {
        1 => "1 zone".to_owned(),
        n => format!("{n} zones"),
    }
}

pub(crate) fn refuse(pointer: String, reason: impl Into<String>) -> Refusal {
    Refusal {
        pointer,
        reason: reason.into(),
    }
}

/// A field that must be one of a list, if present.
pub(crate) fn one_of<'a>(
    value: &'a Value,
    at: &str,
    field: &str,
    allowed: &[&str],
    required: bool,
) -> Result<Option<&'a str>, Refusal> {
    match value.get(field) {
        None | Some(Value::Null) if !required => Ok(None),
        Some(Value::String(text)) if allowed.contains(&text.as_str()) => Ok(Some(text)),
        None | Some(Value::Null) => Err(refuse(
            format!("{at}/{field}"),
            format!("{field} is missing (one of {})", allowed.join(", ")),
        )),
        Some(other) => Err(refuse(
            format!("{at}/{field}"),
            format!("{field} {other} is not one of {}", allowed.join(", ")),
        )),
    }
}

/// A number, or a string holding one (as several publishers write limits); `None` when absent
/// or null.
pub(crate) fn lenient_number(value: &Value, at: &str, field: &str) -> Result<Option<f64>, Refusal> {
    match value.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => Ok(number.as_f64()),
        Some(Value::String(text)) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| {
                refuse(
                    format!("{at}/{field}"),
                    format!("{field} {text:?} is not a number"),
                )
            }),
        Some(other) => Err(refuse(
            format!("{at}/{field}"),
            format!("{field} {other} is not a number"),
        )),
    }
}

/// The zones of a document and where each was found (its JSON pointer).
fn zones_of(document: &Value) -> Result<Vec<(String, &Value)>, Refusal> {
    fn list<'a>(items: &'a [Value], base: &str) -> Vec<(String, &'a Value)> {
        items
            .iter()
            .enumerate()
            .map(|(index, item)| match item.get("UASZoneVersion") {
                Some(zone) if item.get("identifier").is_none() => {
                    (format!("{base}/{index}/UASZoneVersion"), zone)
                }
                _ => (format!("{base}/{index}"), item),
            })
            .collect()
    }
    match document {
        Value::Array(items) => Ok(list(items, "")),
        Value::Object(object) => {
            for key in ["features", "UASZoneList"] {
                match object.get(key) {
                    Some(Value::Array(items)) => return Ok(list(items, &format!("/{key}"))),
                    Some(_) => {
                        return Err(refuse(
                            format!("/{key}"),
                            format!("{key} must be an array of zones"),
                        ))
                    }
                    None => {}
                }
            }
            match object.get("UASZoneVersion") {
                Some(Value::Array(items)) => return Ok(list(items, "/UASZoneVersion")),
                Some(zone @ Value::Object(_)) => {
                    return Ok(vec![("/UASZoneVersion".to_owned(), zone)])
                }
                Some(_) => {
                    return Err(refuse(
                        "/UASZoneVersion".into(),
                        "UASZoneVersion must be a zone or an array of zones",
                    ))
                }
                None => {}
            }
            if object.contains_key("identifier") && object.contains_key("geometry") {
                return Ok(vec![(String::new(), document)]);
            }
            Err(refuse(
                String::new(),
                "an ED-269 document is a zone array, an object with features or UASZoneList, a UASZoneVersion, or a single zone",
            ))
        }
        _ => Err(refuse(
            String::new(),
            "an ED-269 document is a JSON array or object",
        )),
    }
}

/// The zones of an ED-269 document, heights converted with `heights`; every refused zone
/// otherwise.
pub fn parse(document: &Value, heights: &Heights<'_>) -> Result<Vec<(String, ZoneSpec)>, Refusals> {
    let found = zones_of(document).map_err(|error| Refusals(vec![error]))?;
    let mut zones = Vec::new();
    let mut refused = Vec::new();
    for (at, zone) in found {
        match zone_specs(zone, &at, heights) {
            Ok(specs) => zones.extend(specs),
            Err(error) if refused.len() < MAX_LISTED_REFUSALS => refused.push(error),
            Err(_) => {}
        }
    }
    refused.extend(duplicates(&zones));
    if refused.is_empty() {
        Ok(zones)
    } else {
        Err(Refusals(refused))
    }
}

/// One refusal per identifier used more than once.
pub(crate) fn duplicates(zones: &[(String, ZoneSpec)]) -> Vec<Refusal> {
    let mut ids: Vec<&String> = zones.iter().map(|(id, _)| id).collect();
    ids.sort();
    let mut refused: Vec<Refusal> = ids
        .windows(2)
        .filter(|pair| pair[0] == pair[1])
        .map(|pair| {
            refuse(
                String::new(),
                format!("identifier {:?} appears twice", pair[0]),
            )
        })
        .collect();
    refused.dedup();
    refused
}

fn zone_specs(
    zone: &Value,
    at: &str,
    heights: &Heights<'_>,
) -> Result<Vec<(String, ZoneSpec)>, Refusal> {
    let identifier = zone
        .get("identifier")
        .and_then(Value::as_str)
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| {
            refuse(
                format!("{at}/identifier"),
                "identifier must be a non-empty string",
            )
        })?;
    // Name the zone in every refusal below.
    let named = |error: Refusal| Refusal {
        reason: format!("zone {identifier}: {}", error.reason),
        ..error
    };
    zone_specs_of(zone, at, identifier, heights).map_err(named)
}

fn zone_specs_of(
    zone: &Value,
    at: &str,
    identifier: &str,
    heights: &Heights<'_>,
) -> Result<Vec<(String, ZoneSpec)>, Refusal> {
    let name = zone
        .get("name")
        .and_then(Value::as_str)
        .filter(|name| !name.trim().is_empty())
        .unwrap_or(identifier);
    one_of(zone, at, "type", &["COMMON", "CUSTOMIZED"], false)?;
    let (enforcement, rule) = match one_of(
        zone,
        at,
        "restriction",
        &[
            "PROHIBITED",
            "REQ_AUTHORISATION",
            "CONDITIONAL",
            "NO_RESTRICTION",
        ],
        true,
    )? {
        Some("PROHIBITED") => (Enforcement::Hard, deny_all()),
        Some("REQ_AUTHORISATION") => (Enforcement::Advisory, deny_all()),
        _ => (Enforcement::Advisory, ZoneRule::Notify),
    };
    one_of(zone, at, "regulationExemption", &["YES", "NO"], false)?;
    if let Some(reasons) = zone.get("reason").filter(|v| !v.is_null()) {
        let reasons = reasons
            .as_array()
            .ok_or_else(|| refuse(format!("{at}/reason"), "reason must be an array"))?;
        for (index, reason) in reasons.iter().enumerate() {
            const REASONS: [&str; 9] = [
                "AIR_TRAFFIC",
                "SENSITIVE",
                "PRIVACY",
                "POPULATION",
                "NATURE",
                "NOISE",
                "FOREIGN_TERRITORY",
                "EMERGENCY",
                "OTHER",
            ];
            if !reason.as_str().is_some_and(|r| REASONS.contains(&r)) {
                return Err(refuse(
                    format!("{at}/reason/{index}"),
                    format!("reason {reason} is not one of {}", REASONS.join(", ")),
                ));
            }
        }
    }
    for (index, authority) in items(zone.get("zoneAuthority")).into_iter().enumerate() {
        one_of(
            authority,
            &format!("{at}/zoneAuthority/{index}"),
            "purpose",
            &["AUTHORIZATION", "NOTIFICATION", "INFORMATION"],
            false,
        )?;
    }
    let schedule = applicability(zone.get("applicability"), &format!("{at}/applicability"))?;
    let geometries = items(zone.get("geometry"));
    if geometries.is_empty() {
        return Err(refuse(
            format!("{at}/geometry"),
            "geometry must hold at least one volume",
        ));
    }
    geometries
        .into_iter()
        .enumerate()
        .map(|(index, geometry)| {
            let at = format!("{at}/geometry/{index}");
            let (footprint, lower, upper) = zone_geometry(geometry, &at)?;
            let band = heights.convert(&footprint, lower, upper);
            if let Err(error) = (ZoneSpec {
                name: name.to_owned(),
                footprint: footprint.clone(),
                altitude_lower_m: band.lower_m,
                altitude_upper_m: band.upper_m,
                schedule: schedule.clone(),
                enforcement,
                rules: vec![rule.clone()],
                heights: None,
            })
            .validate(&heights.limits)
            {
                let field = match &error {
                    crate::error::EngineError::InvalidParameter { field, .. } => match *field {
                        "/footprint" => "/horizontalProjection",
                        "/altitude_lower_m" => "/lowerLimit",
                        "/name" => "/name",
                        _ => "",
                    },
                    _ => "",
                };
                return Err(refuse(format!("{at}{field}"), error.to_string()));
            }
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
                    altitude_lower_m: band.lower_m,
                    altitude_upper_m: band.upper_m,
                    schedule: schedule.clone(),
                    enforcement,
                    rules: vec![rule.clone()],
                    heights: Some(band.basis),
                },
            ))
        })
        .collect()
}

/// The elements of a field given as an array or as one object.
fn items(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => Vec::new(),
    }
}

fn deny_all() -> ZoneRule {
    ZoneRule::Deny {
        parties: Vec::new(),
        all_except: true,
    }
}

fn zone_geometry(
    geometry: &Value,
    at: &str,
) -> Result<(FootprintSpec, Declared, Declared), Refusal> {
    let factor = match one_of(geometry, at, "uomDimensions", &["M", "FT"], true)? {
        Some("FT") => FOOT_M,
        _ => 1.0,
    };
    let limit = |value: &str, reference: &str| -> Result<Declared, Refusal> {
        let metres = lenient_number(geometry, at, value)?.map(|n| n * factor);
        let reference = match one_of(
            geometry,
            at,
            reference,
            &["AGL", "AMSL", "WGS84"],
            metres.is_some(),
        )? {
            Some("AMSL") => Reference::Amsl,
            Some("WGS84") => Reference::Wgs84,
            _ => Reference::Agl,
        };
        Ok(metres.map(|m| (m, reference)))
    };
    let lower = limit("lowerLimit", "lowerVerticalReference")?;
    let upper = limit("upperLimit", "upperVerticalReference")?;
    let projection_at = format!("{at}/horizontalProjection");
    let projection = geometry
        .get("horizontalProjection")
        .ok_or_else(|| refuse(projection_at.clone(), "horizontalProjection is missing"))?;
    let footprint = match one_of(
        projection,
        &projection_at,
        "type",
        &["Polygon", "Circle"],
        true,
    )? {
        Some("Polygon") => FootprintSpec::Polygon {
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
        _ => {
            let center: Vec<f64> =
                serde_json::from_value(projection.get("center").cloned().unwrap_or(Value::Null))
                    .map_err(|_| {
                        refuse(
                            format!("{projection_at}/center"),
                            "center must be [lon, lat]",
                        )
                    })?;
            let radius = lenient_number(projection, &projection_at, "radius")?
                .filter(|r| *r > 0.0)
                .ok_or_else(|| {
                    refuse(
                        format!("{projection_at}/radius"),
                        "radius must be a positive number",
                    )
                })?;
            FootprintSpec::Circle {
                center,
                radius_m: radius * factor,
            }
        }
    };
    Ok((footprint, lower, upper))
}

/// An open date range's ends.
pub(crate) fn far_past() -> DateTime<Utc> {
    "0001-01-01T00:00:00Z".parse().expect("a valid time")
}
pub(crate) fn far_future() -> DateTime<Utc> {
    "9999-12-31T23:59:59Z".parse().expect("a valid time")
}

fn applicability(value: Option<&Value>, at: &str) -> Result<Schedule, Refusal> {
    let entries: Vec<(String, &Value)> = match value {
        None | Some(Value::Null) => return Ok(Schedule::default()),
        Some(Value::Array(entries)) => entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (format!("{at}/{index}"), entry))
            .collect(),
        Some(entry @ Value::Object(_)) => vec![(at.to_owned(), entry)],
        Some(_) => {
            return Err(refuse(
                at.to_owned(),
                "applicability must be an object or an array",
            ))
        }
    };
    let mut schedule = Schedule::default();
    for (at, entry) in entries {
        if one_of(entry, &at, "permanent", &["YES", "NO"], false)? == Some("YES") {
            return Ok(Schedule::default());
        }
        let date = |field: &str| -> Result<Option<DateTime<Utc>>, Refusal> {
            match entry.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => value
                    .as_str()
                    .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
                    .map(|time| Some(time.with_timezone(&Utc)))
                    .ok_or_else(|| {
                        refuse(
                            format!("{at}/{field}"),
                            format!("{field} {value} is not an RFC 3339 date and time"),
                        )
                    }),
            }
        };
        let (start, end) = (date("startDateTime")?, date("endDateTime")?);
        if let (Some(start), Some(end)) = (start, end) {
            if end <= start {
                return Err(refuse(
                    format!("{at}/endDateTime"),
                    "endDateTime is not after startDateTime",
                ));
            }
        }
        let (slots_field, slots) = match (entry.get("schedule"), entry.get("dailyPeriod")) {
            (Some(slots), _) if !slots.is_null() => ("schedule", items(Some(slots))),
            (_, Some(slots)) if !slots.is_null() => ("dailyPeriod", items(Some(slots))),
            _ => ("schedule", Vec::new()),
        };
        if slots.is_empty() {
            if start.is_none() && end.is_none() {
                return Err(refuse(
                    at,
                    "an applicability entry needs permanent YES, a date range or a schedule",
                ));
            }
            schedule.windows.push(Window {
                start: start.unwrap_or_else(far_past),
                end: end.unwrap_or_else(far_future),
            });
            continue;
        }
        for (index, slot) in slots.into_iter().enumerate() {
            let mut slot = weekly_slot(slot, &format!("{at}/{slots_field}/{index}"))?;
            slot.from = start;
            slot.until = end;
            schedule.weekly.push(slot);
        }
    }
    Ok(schedule)
}

const ALL_DAYS: [Day; 7] = [
    Day::Mon,
    Day::Tue,
    Day::Wed,
    Day::Thu,
    Day::Fri,
    Day::Sat,
    Day::Sun,
];

/// A day of the week as ED-269 and ED-318 write it.
pub(crate) fn days_of(text: &str) -> Option<Vec<Day>> {
    Some(match text {
        "ANY" => ALL_DAYS.to_vec(),
        "MON" => vec![Day::Mon],
        "TUE" => vec![Day::Tue],
        "WED" => vec![Day::Wed],
        "THU" => vec![Day::Thu],
        "FRI" => vec![Day::Fri],
        "SAT" => vec![Day::Sat],
        "SUN" => vec![Day::Sun],
        _ => return None,
    })
}

/// A time of day as ED-269 and ED-318 write it — `HH:MM`, `HH:MM:SS`, `HH:MM:SS.ss`, then
/// optionally `Z` or an offset `±HH:MM` — as (`"HH:MM"`, offset in minutes if given). `24:00`
/// is midnight at the end of the day.
pub(crate) fn time_of_day(text: &str) -> Option<(NaiveTime, Option<i32>)> {
    let split = text.find(['Z', '+', '-']).unwrap_or(text.len());
    let (clock, zone) = text.split_at(split);
    let offset = match zone {
        "" => None,
        zone => Some(parse_utc_offset(zone).or_else(|| {
            // "+0100" as well as "+01:00".
            (zone.len() == 5)
                .then(|| format!("{}:{}", &zone[..3], &zone[3..]))
                .and_then(|z| parse_utc_offset(&z))
        })?),
    };
    if clock == "24:00" || clock == "24:00:00" {
        return Some((NaiveTime::MIN, offset));
    }
    let time = ["%H:%M", "%H:%M:%S", "%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveTime::parse_from_str(clock, format).ok())?;
    Some((time, offset))
}

fn weekly_slot(slot: &Value, at: &str) -> Result<WeeklySlot, Refusal> {
    let bad_day = |value: &Value, pointer: String| {
        refuse(
            pointer,
            format!("day {value} is not MON, TUE, WED, THU, FRI, SAT, SUN or ANY"),
        )
    };
    let mut days = Vec::new();
    match slot.get("day") {
        Some(Value::String(text)) => {
            days = days_of(text)
                .ok_or_else(|| bad_day(&Value::String(text.clone()), format!("{at}/day")))?
        }
        Some(Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                days.extend(
                    item.as_str()
                        .and_then(days_of)
                        .ok_or_else(|| bad_day(item, format!("{at}/day/{index}")))?,
                );
            }
        }
        _ => {
            return Err(refuse(
                format!("{at}/day"),
                "day must be a day or a list of days",
            ))
        }
    }
    if days.is_empty() {
        return Err(refuse(format!("{at}/day"), "day lists no day"));
    }
    days.dedup();
    let time = |field: &str| -> Result<(NaiveTime, Option<i32>), Refusal> {
        let value = slot.get(field);
        value
            .and_then(Value::as_str)
            .and_then(time_of_day)
            .ok_or_else(|| {
                refuse(
                    format!("{at}/{field}"),
                    format!(
                        "{field} {} is not a time of day (HH:MM[:SS][Z|±HH:MM])",
                        value.unwrap_or(&Value::Null)
                    ),
                )
            })
    };
    let (start, start_offset) = time("startTime")?;
    let (end, end_offset) = time("endTime")?;
    let offset = start_offset.or(end_offset);
    // Both times on the clock of the start's offset.
    let shift = chrono::Duration::minutes(i64::from(
        offset.unwrap_or(0) - end_offset.or(offset).unwrap_or(0),
    ));
    let end = end.overflowing_add_signed(shift).0;
    Ok(WeeklySlot {
        days,
        start: start.format("%H:%M").to_string(),
        end: end.format("%H:%M").to_string(),
        utc_offset: offset.filter(|o| *o != 0).map(|o| {
            let sign = if o < 0 { '-' } else { '+' };
            format!("{sign}{:02}:{:02}", o.abs() / 60, o.abs() % 60)
        }),
        from: None,
        until: None,
        daylight: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use deconflict_geometry::geoid::Geoid;
    use deconflict_geometry::Limits;
    use serde_json::json;

    fn heights(geoid: &Geoid) -> Heights<'_> {
        Heights {
            geoid,
            terrain: None,
            limits: Limits::default(),
        }
    }

    fn zone(restriction: &str) -> Value {
        json!({
            "identifier": "LSZ01", "country": "CHE", "name": "Bern", "type": "COMMON",
            "restriction": restriction,
            "applicability": [{"permanent": "YES"}],
            "geometry": [{"uomDimensions": "FT", "lowerLimit": 0, "lowerVerticalReference": "AGL",
                          "upperLimit": 1000, "upperVerticalReference": "WGS84",
                          "horizontalProjection": {"type": "Circle", "center": [7.44, 46.95], "radius": 3000}}]
        })
    }

    /// Found by the `ed269` fuzz target (`fuzz/seeds/ed269/corner-off-the-globe.json`, the
    /// InterUSS sample with one longitude mutated to 2.2·10¹⁹): converting the zone's AGL limits
    /// overflowed the geoid lattice's index. Heights are converted before the zone is
    /// validated; that must not panic, and validation then refuses the zone, naming the corner.
    #[test]
    fn a_corner_off_the_globe_is_refused_by_validation_after_a_conversion_without_panic() {
        let geoid = Geoid::new();
        let mut z = zone("REQ_AUTHORISATION");
        z["geometry"][0] = json!({
            "uomDimensions": "M", "lowerLimit": "0", "lowerVerticalReference": "AGL",
            "upperLimit": null, "upperVerticalReference": "AGL",
            "horizontalProjection": {"type": "Polygon", "coordinates": [[
                [1.166485701899006, 46.217024450605436], [6.167929158182119, 46.212280093834295],
                [6.170816070746923, 46.214777174806045], [22022222222222222221.170695782723101, 46.21802321032931],
                [6.166485701899006, 23.217024450605436]]]}
        });
        let refusals = parse(&json!({"UASZoneList": [z]}), &heights(&geoid)).unwrap_err();
        assert_eq!(refusals.0.len(), 1, "{refusals:?}");
        let refusal = &refusals.0[0];
        assert_eq!(
            refusal.pointer,
            "/UASZoneList/0/geometry/0/horizontalProjection"
        );
        assert!(
            refusal
                .reason
                .contains("at position 3 of the exterior ring is outside -180..180"),
            "{}",
            refusal.reason
        );
    }

    #[test]
    fn a_prohibited_circle_in_feet_becomes_a_hard_zone_in_metres() {
        let geoid = Geoid::new();
        let zones = parse(&json!({"features": [zone("PROHIBITED")]}), &heights(&geoid)).unwrap();
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

    #[test]
    fn every_root_shape_gives_the_same_zones() {
        let geoid = Geoid::new();
        let z = zone("PROHIBITED");
        let expected = parse(&json!([z.clone()]), &heights(&geoid)).unwrap();
        for document in [
            json!({"features": [z.clone()]}),
            json!({"UASZoneList": [z.clone()]}),
            json!({"UASZoneList": [{"UASZoneVersion": z.clone()}]}),
            json!({"UASZoneVersion": z.clone()}),
            json!({"UASZoneVersion": [z.clone()]}),
            z.clone(),
        ] {
            assert_eq!(
                parse(&document, &heights(&geoid)).unwrap(),
                expected,
                "{document}"
            );
        }
        assert!(parse(&json!({"zones": []}), &heights(&geoid)).is_err());
    }

    #[test]
    fn times_read_offsets_seconds_and_midnight() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(time_of_day("08:00"), Some((t(8, 0), None)));
        assert_eq!(time_of_day("08:00:00.00Z"), Some((t(8, 0), Some(0))));
        assert_eq!(time_of_day("08:30+01:00"), Some((t(8, 30), Some(60))));
        assert_eq!(time_of_day("08:30:00-0230"), Some((t(8, 30), Some(-150))));
        assert_eq!(time_of_day("24:00"), Some((t(0, 0), None)));
        assert_eq!(time_of_day("25:00"), None);
        assert_eq!(time_of_day("08:61"), None);
        assert_eq!(time_of_day("8h"), None);
    }

    #[test]
    fn a_schedule_within_a_date_range_applies_only_there_on_its_own_clock() {
        let geoid = Geoid::new();
        let mut z = zone("REQ_AUTHORISATION");
        z["applicability"] = json!({
            "permanent": "NO",
            "startDateTime": "2030-06-01T00:00:00+02:00", "endDateTime": "2030-07-01T00:00:00+02:00",
            "schedule": [{"day": ["SAT", "SUN"], "startTime": "08:00+02:00", "endTime": "12:00+02:00"}]
        });
        let zones = parse(&z, &heights(&geoid)).unwrap();
        let schedule = &zones[0].1.schedule;
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // Saturday 2030-06-08, 09:00 local is 07:00 UTC.
        assert!(schedule.meets(at("2030-06-08T07:00:00Z"), at("2030-06-08T07:10:00Z")));
        assert!(
            !schedule.meets(at("2030-06-08T05:00:00Z"), at("2030-06-08T05:59:00Z")),
            "before 08:00 local"
        );
        assert!(
            !schedule.meets(at("2030-06-07T07:00:00Z"), at("2030-06-07T07:10:00Z")),
            "a Friday"
        );
        assert!(
            !schedule.meets(at("2030-07-06T07:00:00Z"), at("2030-07-06T07:10:00Z")),
            "after the range"
        );
        assert!(
            !schedule.meets(at("2030-05-25T07:00:00Z"), at("2030-05-25T07:10:00Z")),
            "before the range"
        );
    }

    #[test]
    fn what_the_standard_forbids_is_refused_naming_zone_and_field_and_every_zone_is_listed() {
        let geoid = Geoid::new();
        let mut bad_day = zone("PROHIBITED");
        bad_day["identifier"] = json!("BAD1");
        bad_day["applicability"] =
            json!([{"schedule": [{"day": ["XYZ"], "startTime": "08:00", "endTime": "09:00"}]}]);
        let mut bad_hour = zone("PROHIBITED");
        bad_hour["identifier"] = json!("BAD2");
        bad_hour["applicability"] =
            json!([{"schedule": [{"day": "MON", "startTime": "25:00", "endTime": "26:00"}]}]);
        let mut bad_type = zone("PROHIBITED");
        bad_type["identifier"] = json!("BAD3");
        bad_type["type"] = json!("SPECIAL");
        let mut bad_restriction = zone("FORBIDDEN");
        bad_restriction["identifier"] = json!("BAD4");
        let Refusals(refused) = parse(
            &json!([
                zone("PROHIBITED"),
                bad_day,
                bad_hour,
                bad_type,
                bad_restriction
            ]),
            &heights(&geoid),
        )
        .unwrap_err();
        let pointers: Vec<&str> = refused.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/1/applicability/0/schedule/0/day/0",
                "/2/applicability/0/schedule/0/startTime",
                "/3/type",
                "/4/restriction"
            ]
        );
        assert!(
            refused[0].reason.starts_with("zone BAD1: day \"XYZ\""),
            "{:?}",
            refused[0]
        );
        assert!(refused[3].reason.contains("FORBIDDEN"), "{:?}", refused[3]);
    }

    #[test]
    fn numbers_as_strings_and_null_limits_are_read() {
        let geoid = Geoid::new();
        let mut z = zone("CONDITIONAL");
        z["geometry"][0]["lowerLimit"] = json!("0");
        z["geometry"][0]["upperLimit"] = Value::Null;
        z["geometry"][0]["upperVerticalReference"] = json!("AGL");
        z["geometry"][0]["horizontalProjection"]["radius"] = json!("3000");
        let zones = parse(&z, &heights(&geoid)).unwrap();
        assert_eq!(
            zones[0].1.altitude_upper_m,
            Limits::default().altitude_max_m
        );
        z["geometry"][0]["lowerLimit"] = json!("zero");
        let Refusals(refused) = parse(&z, &heights(&geoid)).unwrap_err();
        assert_eq!(refused[0].pointer, "/geometry/0/lowerLimit");
    }
}
