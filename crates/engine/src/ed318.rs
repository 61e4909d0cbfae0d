//! Import of EUROCAE ED-318 UAS geographical zone documents (ED-269's 2024 successor, a GeoJSON
//! FeatureCollection) into deconflict zones (SPEC §3, §5.4).
//!
//! The reference is the published JSON Schema (`Schema_GeoZones.json` and the files it refers
//! to, draft-07), kept with the samples in `tests/data/ed318` (sources in its `SOURCES.md`);
//! the tests validate every sample against it.
//!
//! # The document
//! A `FeatureCollection` (`type`, `features`; `name`, `bbox`, `metadata` read or ignored as
//! below), or a single `Feature`. Each feature is one zone: `properties` (the UASZoneVersion)
//! and `geometry`.
//!
//! # The mapping, zone by zone
//! Each area of a feature's `geometry` becomes one deconflict zone: `identifier` for the first,
//! `identifier-2`, `identifier-3`, … for the next (as the ED-269 importer does).
//!
//! | ED-318 | deconflict |
//! |---|---|
//! | `identifier` (1 to 7 characters, as the schema says) | zone id |
//! | `name` (texts with `lang`) | name: the text in English (`lang` `en…`), else the first text, else the identifier |
//! | `type: PROHIBITED` | `hard`, rule `deny` all |
//! | `type: REQ_AUTHORIZATION` | `advisory`, rule `deny` all: every entry alerts the zone's owner, who grants or refuses outside the system (as ED-269's `REQ_AUTHORISATION`) |
//! | `type: CONDITIONAL`, `NO_RESTRICTION` | `advisory`, rule `notify` |
//! | `type: USPACE` | `advisory`, rule `notify`: U-space airspace needs U-space services deconflict does not provide, so entries are reported to the zone's owner |
//! | `variant` (`COMMON`, `CUSTOMIZED`), `reason`, `otherReasonInfo`, `regulationExemption`, `restrictionConditions`, `region`, `message`, `zoneAuthority`, `dataSource`, `extendedProperties` | not used (checked against the schema where it lists values or shapes) |
//! | geometry `Polygon` | footprint Polygon, holes (interior rings) and all |
//! | geometry `MultiPolygon` | one zone whose footprint is the MultiPolygon (its polygons share the geometry's `layer`) |
//! | geometry `Point` with `extent` `{"subType": "Circle", "radius": r}` | footprint Circle of radius r metres |
//! | geometry `GeometryCollection` | one zone per member; a member without `layer` takes the collection's |
//! | `layer`: `lower`/`upper` in `uom` (`m` by default, `ft`), `lowerReference`/`upperReference` `AGL`, `AMSL`, `WGS84` | altitude band: see [`crate::heights`]; a limit not given is the surface (lower) or unlimited (upper); no `layer` at all is surface to unlimited |
//! | `metadata.otherGeoid` (AMSL heights on another geoid than EGM96, e.g. `CHGeo2004`) | AMSL limits converted with EGM96 and widened by [`OTHER_GEOID_MARGIN_M`] each way, said in the zone's `heights` |
//! | no `limitedApplicability` (or an empty one) | always in effect |
//! | `limitedApplicability` entry with `startDateTime`/`endDateTime` only | one-off window (an open end is 9999-12-31, an open start 0001-01-01) |
//! | `schedule` entries (`day` list, `ANY` for every day; `startTime` or `startEvent`; `endTime` or `endEvent`) | weekly slots on the clock of the times' UTC offset (UTC when none), bounded by the entry's date range |
//! | `startEvent`/`endEvent` `BMCT`, `SR`, `SS`, `EECT` | the slot starts or ends at begin of morning civil twilight, sunrise, sunset, end of evening civil twilight, computed over the zone's footprint box: see [`crate::zone::Daylight`]. Given with a time too, the slot starts at the earlier of the two (ends at the later) |
//!
//! # What is refused
//! What the schema forbids, with the zone (its index and `identifier`) and the field named: a
//! root other than a FeatureCollection or Feature; a feature without properties or geometry; a
//! property the schema does not list; a missing or over-long `identifier`; a `country` that is
//! not three characters; a `type`, `variant`, `reason`, `regulationExemption`, `purpose`,
//! reference, `uom`, day or daylight event outside the schema's lists; texts that are not
//! `{text, lang}`; no `zoneAuthority`; a time period or daily period with members the schema
//! does not list, without a start or an end, with a time that is not a time of day or a date
//! that is not RFC 3339, or ending before it starts; a geometry with no area (`LineString`,
//! `MultiPoint`, `MultiLineString`, a `Point` without a circle); a radius that is not positive;
//! a lower limit above the upper on the same reference; an identifier used twice. Every
//! refused zone is listed, not only the first; a document with any refused zone imports nothing.

use chrono::{DateTime, Utc};
use deconflict_geometry::FootprintSpec;
use serde_json::{Map, Value};

use crate::ed269::{
    days_of, duplicates, far_future, far_past, one_of, refuse, time_of_day, Refusal, Refusals,
    FOOT_M, MAX_LISTED_REFUSALS,
};
use crate::heights::{footprint_box, Declared, Heights, Reference};
use crate::zone::{
    Daylight, DaylightEvent, Enforcement, Schedule, WeeklySlot, Window, ZoneRule, ZoneSpec,
};

/// Metres AMSL limits are widened by, each way, when the document says its heights are on
/// another geoid than EGM96 (`metadata.otherGeoid`). National geoids and height systems in
/// Europe differ from EGM96 by under two metres (EGM96's own error there is under a metre);
/// five metres leave room elsewhere.
pub const OTHER_GEOID_MARGIN_M: f64 = 5.0;

/// The members the schema lists for a zone's `properties` (it allows no others).
const PROPERTIES: [&str; 15] = [
    "identifier",
    "country",
    "name",
    "type",
    "variant",
    "restrictionConditions",
    "region",
    "reason",
    "otherReasonInfo",
    "regulationExemption",
    "message",
    "zoneAuthority",
    "limitedApplicability",
    "dataSource",
    "extendedProperties",
];

/// The zones of an ED-318 document, heights converted with `heights`; every refused zone
/// otherwise.
pub fn parse(document: &Value, heights: &Heights<'_>) -> Result<Vec<(String, ZoneSpec)>, Refusals> {
    let found = features_of(document).map_err(|error| Refusals(vec![error]))?;
    let other_geoid = document
        .pointer("/metadata/otherGeoid")
        .and_then(Value::as_str)
        .filter(|name| !name.trim().is_empty());
    let mut zones = Vec::new();
    let mut refused = Vec::new();
    for (at, feature) in found {
        match feature_zones(feature, &at, heights, other_geoid) {
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

/// Whether a document looks like ED-318 rather than ED-269: a GeoJSON FeatureCollection or
/// Feature (ED-269 documents have no `type` at the root, or a zone's `COMMON`/`CUSTOMIZED`).
pub fn looks_like(document: &Value) -> bool {
    matches!(
        document.get("type").and_then(Value::as_str),
        Some("FeatureCollection" | "Feature")
    )
}

/// The features of a document and where each was found (its JSON pointer).
fn features_of(document: &Value) -> Result<Vec<(String, &Value)>, Refusal> {
    match document.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match document.get("features") {
            Some(Value::Array(features)) => Ok(features
                .iter()
                .enumerate()
                .map(|(index, feature)| (format!("/features/{index}"), feature))
                .collect()),
            _ => Err(refuse(
                "/features".into(),
                "a FeatureCollection needs a features array",
            )),
        },
        Some("Feature") => Ok(vec![(String::new(), document)]),
        _ => Err(refuse(
            "/type".into(),
            "an ED-318 document is a GeoJSON FeatureCollection (or a single Feature)",
        )),
    }
}

fn feature_zones(
    feature: &Value,
    at: &str,
    heights: &Heights<'_>,
    other_geoid: Option<&str>,
) -> Result<Vec<(String, ZoneSpec)>, Refusal> {
    let properties = match feature.get("properties") {
        Some(Value::Object(properties)) => properties,
        _ => {
            return Err(refuse(
                format!("{at}/properties"),
                "a zone needs its properties (identifier, country, type, …)",
            ))
        }
    };
    let identifier = properties
        .get("identifier")
        .and_then(Value::as_str)
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| {
            refuse(
                format!("{at}/properties/identifier"),
                "identifier must be a non-empty string",
            )
        })?;
    let named = |error: Refusal| Refusal {
        reason: format!("zone {identifier}: {}", error.reason),
        ..error
    };
    if identifier.chars().count() > 7 {
        return Err(named(refuse(
            format!("{at}/properties/identifier"),
            "identifier is longer than the 7 characters ED-318 allows",
        )));
    }
    one_of(feature, at, "type", &["Feature"], true).map_err(named)?;
    zone_specs(feature, properties, at, identifier, heights, other_geoid).map_err(named)
}

/// A list of `{text, lang}` (ED-318's `textShortType`), if present: its texts with their
/// languages.
fn texts<'a>(
    object: &'a Map<String, Value>,
    at: &str,
    field: &str,
) -> Result<Vec<(&'a str, &'a str)>, Refusal> {
    let Some(value) = object.get(field) else {
        return Ok(Vec::new());
    };
    let items = value.as_array().ok_or_else(|| {
        refuse(
            format!("{at}/{field}"),
            format!("{field} must be a list of {{text, lang}}"),
        )
    })?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let lang = item.get("lang").and_then(Value::as_str);
            let text = match item.get("text") {
                None => Some(""),
                Some(text) => text.as_str(),
            };
            match (lang, text) {
                (Some(lang), Some(text))
                    if lang.chars().count() <= 5 && text.chars().count() <= 200 =>
                {
                    Ok((lang, text))
                }
                _ => Err(refuse(
                    format!("{at}/{field}/{index}"),
                    format!(
                        "{field} {item} is not {{text (up to 200 characters), lang (up to 5)}}"
                    ),
                )),
            }
        })
        .collect()
}

/// A member that must be a string, if present.
fn string_if_present(object: &Map<String, Value>, at: &str, field: &str) -> Result<(), Refusal> {
    match object.get(field) {
        None | Some(Value::String(_)) => Ok(()),
        Some(other) => Err(refuse(
            format!("{at}/{field}"),
            format!("{field} {other} is not a string"),
        )),
    }
}

fn zone_specs(
    feature: &Value,
    properties: &Map<String, Value>,
    at: &str,
    identifier: &str,
    heights: &Heights<'_>,
    other_geoid: Option<&str>,
) -> Result<Vec<(String, ZoneSpec)>, Refusal> {
    let at_properties = format!("{at}/properties");
    let p = &at_properties;
    let value = &feature["properties"];
    if let Some(unknown) = properties
        .keys()
        .find(|key| !PROPERTIES.contains(&key.as_str()))
    {
        return Err(refuse(
            format!("{p}/{unknown}"),
            format!("{unknown} is not a property of an ED-318 zone"),
        ));
    }
    match properties.get("country").and_then(Value::as_str) {
        Some(country) if country.chars().count() == 3 => {}
        _ => {
            return Err(refuse(
                format!("{p}/country"),
                "country must be a three-letter code (ISO 3166-1 alpha-3)",
            ))
        }
    }
    let names = texts(properties, p, "name")?;
    let name = names
        .iter()
        .find(|(lang, text)| lang.to_ascii_lowercase().starts_with("en") && !text.trim().is_empty())
        .or_else(|| names.iter().find(|(_, text)| !text.trim().is_empty()))
        .map_or(identifier, |(_, text)| text);
    texts(properties, p, "otherReasonInfo")?;
    texts(properties, p, "message")?;
    let (enforcement, rule) = match one_of(
        value,
        p,
        "type",
        &[
            "USPACE",
            "PROHIBITED",
            "REQ_AUTHORIZATION",
            "CONDITIONAL",
            "NO_RESTRICTION",
        ],
        true,
    )? {
        Some("PROHIBITED") => (Enforcement::Hard, deny_all()),
        Some("REQ_AUTHORIZATION") => (Enforcement::Advisory, deny_all()),
        _ => (Enforcement::Advisory, ZoneRule::Notify),
    };
    one_of(value, p, "variant", &["COMMON", "CUSTOMIZED"], true)?;
    one_of(value, p, "regulationExemption", &["YES", "NO"], false)?;
    string_if_present(properties, p, "restrictionConditions")?;
    if let Some(region) = properties.get("region") {
        if !(region.is_i64() || region.is_u64()) {
            return Err(refuse(
                format!("{p}/region"),
                format!("region {region} is not an integer"),
            ));
        }
    }
    if let Some(reasons) = properties.get("reason") {
        const REASONS: [&str; 9] = [
            "AIR_TRAFFIC",
            "SENSITIVE",
            "PRIVACY",
            "POPULATION",
            "NATURE",
            "NOISE",
            "EMERGENCY",
            "DAR",
            "OTHER",
        ];
        let reasons = reasons
            .as_array()
            .filter(|reasons| reasons.len() <= 9)
            .ok_or_else(|| {
                refuse(
                    format!("{p}/reason"),
                    "reason must be a list of up to 9 reasons",
                )
            })?;
        for (index, reason) in reasons.iter().enumerate() {
            if !reason.as_str().is_some_and(|r| REASONS.contains(&r)) {
                return Err(refuse(
                    format!("{p}/reason/{index}"),
                    format!("reason {reason} is not one of {}", REASONS.join(", ")),
                ));
            }
        }
    }
    for field in ["dataSource", "extendedProperties"] {
        if properties.get(field).is_some_and(|v| !v.is_object()) {
            return Err(refuse(
                format!("{p}/{field}"),
                format!("{field} must be an object"),
            ));
        }
    }
    let authorities = match properties.get("zoneAuthority") {
        Some(Value::Array(authorities)) if !authorities.is_empty() => authorities,
        _ => {
            return Err(refuse(
                format!("{p}/zoneAuthority"),
                "zoneAuthority must list at least one authority",
            ))
        }
    };
    for (index, authority) in authorities.iter().enumerate() {
        let at = format!("{p}/zoneAuthority/{index}");
        let Some(object) = authority.as_object() else {
            return Err(refuse(at, "an authority must be an object"));
        };
        one_of(
            authority,
            &at,
            "purpose",
            &["AUTHORIZATION", "NOTIFICATION", "INFORMATION"],
            true,
        )?;
        for field in ["name", "service", "contactName"] {
            texts(object, &at, field)?;
        }
        for field in ["siteURL", "email", "phone", "intervalBefore"] {
            string_if_present(object, &at, field)?;
        }
    }
    let schedule = applicability(
        properties.get("limitedApplicability"),
        &format!("{p}/limitedApplicability"),
    )?;

    let geometry_at = format!("{at}/geometry");
    let geometry = feature
        .get("geometry")
        .filter(|g| !g.is_null())
        .ok_or_else(|| refuse(geometry_at.clone(), "a zone needs a geometry"))?;
    let areas = areas(geometry, &geometry_at, None)?;
    if areas.is_empty() {
        return Err(refuse(geometry_at, "the geometry holds no area"));
    }
    areas
        .into_iter()
        .enumerate()
        .map(|(index, area)| {
            let Area {
                at,
                footprint,
                layer,
                layer_at,
            } = area;
            let (lower, upper) = limits(layer, &layer_at)?;
            let widen = |limit: Declared, sign: f64| match (limit, other_geoid) {
                (Some((value, Reference::Amsl)), Some(_)) => {
                    Some((value + sign * OTHER_GEOID_MARGIN_M, Reference::Amsl))
                }
                _ => limit,
            };
            let mut band = heights.convert(&footprint, widen(lower, -1.0), widen(upper, 1.0));
            if let Some(geoid) = other_geoid {
                let note = format!(
                    " (declared on {geoid}, not EGM96: widened by {OTHER_GEOID_MARGIN_M} m)"
                );
                if matches!(lower, Some((_, Reference::Amsl))) {
                    band.basis.lower.push_str(&note);
                }
                if matches!(upper, Some((_, Reference::Amsl))) {
                    band.basis.upper.push_str(&note);
                }
            }
            let mut schedule = schedule.clone();
            if let Some((west, south, east, north)) = footprint_box(&footprint) {
                for slot in &mut schedule.weekly {
                    if let Some(daylight) = &mut slot.daylight {
                        daylight.area = [west, south, east, north];
                    }
                }
            }
            let spec = ZoneSpec {
                name: name.to_owned(),
                footprint,
                altitude_lower_m: band.lower_m,
                altitude_upper_m: band.upper_m,
                schedule,
                enforcement,
                rules: vec![rule.clone()],
                heights: Some(band.basis),
            };
            if let Err(error) = spec.validate(&heights.limits) {
                let pointer = match &error {
                    crate::error::EngineError::InvalidParameter {
                        field: "/altitude_lower_m",
                        ..
                    } => layer_at,
                    _ => at,
                };
                return Err(refuse(pointer, error.to_string()));
            }
            let id = if index == 0 {
                identifier.to_owned()
            } else {
                format!("{identifier}-{}", index + 1)
            };
            Ok((id, spec))
        })
        .collect()
}

fn deny_all() -> ZoneRule {
    ZoneRule::Deny {
        parties: Vec::new(),
        all_except: true,
    }
}

/// One area of a feature's geometry, with the layer that applies to it and where each is.
struct Area<'a> {
    at: String,
    footprint: FootprintSpec,
    layer: Option<&'a Value>,
    layer_at: String,
}

/// The areas of a geometry; `inherited` is a collection's layer (and where it is).
fn areas<'a>(
    geometry: &'a Value,
    at: &str,
    inherited: Option<(&'a Value, String)>,
) -> Result<Vec<Area<'a>>, Refusal> {
    let own = geometry
        .get("layer")
        .filter(|l| !l.is_null())
        .map(|layer| (layer, format!("{at}/layer")));
    let (layer, layer_at) = match own.or(inherited) {
        Some((layer, layer_at)) => (Some(layer), layer_at),
        None => (None, format!("{at}/layer")),
    };
    let coordinates = || geometry.get("coordinates").cloned().unwrap_or(Value::Null);
    let rings = |value: Value, at: String| -> Result<Vec<Vec<Vec<f64>>>, Refusal> {
        let rings: Vec<Vec<Vec<f64>>> = serde_json::from_value(value).map_err(|error| {
            refuse(
                at.clone(),
                format!("coordinates must be rings of [lon, lat]: {error}"),
            )
        })?;
        Ok(rings)
    };
    let area = |footprint: FootprintSpec, at: String| Area {
        at,
        footprint,
        layer,
        layer_at: layer_at.clone(),
    };
    match one_of(
        geometry,
        at,
        "type",
        &[
            "Polygon",
            "MultiPolygon",
            "Point",
            "GeometryCollection",
            "LineString",
            "MultiPoint",
            "MultiLineString",
        ],
        true,
    )? {
        Some("Polygon") => Ok(vec![area(
            FootprintSpec::Polygon {
                coordinates: rings(coordinates(), format!("{at}/coordinates"))?,
            },
            at.to_owned(),
        )]),
        Some("MultiPolygon") => {
            let polygons: Vec<Value> = serde_json::from_value(coordinates()).map_err(|_| {
                refuse(
                    format!("{at}/coordinates"),
                    "coordinates must be a list of polygons",
                )
            })?;
            let coordinates = polygons
                .into_iter()
                .enumerate()
                .map(|(index, polygon)| rings(polygon, format!("{at}/coordinates/{index}")))
                .collect::<Result<_, _>>()?;
            Ok(vec![area(
                FootprintSpec::MultiPolygon { coordinates },
                at.to_owned(),
            )])
        }
        Some("Point") => {
            let center: Vec<f64> = serde_json::from_value(coordinates()).map_err(|_| {
                refuse(
                    format!("{at}/coordinates"),
                    "a Point's coordinates must be [lon, lat]",
                )
            })?;
            let extent_at = format!("{at}/extent");
            let extent = geometry.get("extent").ok_or_else(|| {
                refuse(
                    extent_at.clone(),
                    "a Point encloses no area without an extent {\"subType\": \"Circle\", \"radius\": …}",
                )
            })?;
            one_of(extent, &extent_at, "subType", &["Circle"], true)?;
            let radius_m = extent
                .get("radius")
                .and_then(Value::as_f64)
                .filter(|r| r.is_finite() && *r > 0.0)
                .ok_or_else(|| {
                    refuse(
                        format!("{extent_at}/radius"),
                        "radius must be a positive number of metres",
                    )
                })?;
            Ok(vec![area(
                FootprintSpec::Circle { center, radius_m },
                at.to_owned(),
            )])
        }
        Some("GeometryCollection") => {
            let members = geometry
                .get("geometries")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    refuse(
                        format!("{at}/geometries"),
                        "a GeometryCollection needs a geometries array",
                    )
                })?;
            let inherited = layer.map(|layer| (layer, layer_at.clone()));
            let mut found = Vec::new();
            for (index, member) in members.iter().enumerate() {
                let member_at = format!("{at}/geometries/{index}");
                if member.get("type").and_then(Value::as_str) == Some("GeometryCollection") {
                    return Err(refuse(
                        member_at,
                        "a GeometryCollection inside a GeometryCollection is not GeoJSON ED-318 allows",
                    ));
                }
                found.extend(areas(member, &member_at, inherited.clone())?);
            }
            Ok(found)
        }
        Some(other) => Err(refuse(
            format!("{at}/type"),
            format!("a {other} encloses no area: a zone is a Polygon, MultiPolygon or circle"),
        )),
        None => unreachable!("type is required"),
    }
}

/// The declared limits of a `layer` (none: surface to unlimited).
fn limits(layer: Option<&Value>, at: &str) -> Result<(Declared, Declared), Refusal> {
    let Some(layer) = layer else {
        return Ok((None, None));
    };
    if !layer.is_object() {
        return Err(refuse(at.to_owned(), "layer must be an object"));
    }
    let factor = match one_of(layer, at, "uom", &["m", "ft"], false)? {
        Some("ft") => FOOT_M,
        _ => 1.0,
    };
    let limit = |value: &str, reference: &str| -> Result<Declared, Refusal> {
        let metres = match layer.get(value) {
            None | Some(Value::Null) => None,
            Some(number) => Some(
                number.as_f64().filter(|n| n.is_finite()).ok_or_else(|| {
                    refuse(
                        format!("{at}/{value}"),
                        format!("{value} {number} is not a number"),
                    )
                })? * factor,
            ),
        };
        let reference = match one_of(
            layer,
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
    let lower = limit("lower", "lowerReference")?;
    let upper = limit("upper", "upperReference")?;
    if let (Some((low, a)), Some((high, b))) = (lower, upper) {
        if a == b && low > high {
            return Err(refuse(
                format!("{at}/lower"),
                format!("lower limit {low} m is above the upper limit {high} m"),
            ));
        }
    }
    Ok((lower, upper))
}

/// The members the schema lists for a time period and a daily period (it allows no others).
const TIME_PERIOD: [&str; 3] = ["startDateTime", "endDateTime", "schedule"];
const DAILY_PERIOD: [&str; 5] = ["day", "startTime", "startEvent", "endTime", "endEvent"];

fn only_members(object: &Value, at: &str, allowed: &[&str], what: &str) -> Result<(), Refusal> {
    let Some(object) = object.as_object() else {
        return Err(refuse(at.to_owned(), format!("a {what} must be an object")));
    };
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(unknown) => Err(refuse(
            format!("{at}/{unknown}"),
            format!(
                "{unknown} is not a member of a {what} (one of {})",
                allowed.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// The zone's schedule from `limitedApplicability`; daylight slots get their area later, from
/// each footprint.
fn applicability(value: Option<&Value>, at: &str) -> Result<Schedule, Refusal> {
    let periods = match value {
        None | Some(Value::Null) => return Ok(Schedule::default()),
        Some(Value::Array(periods)) => periods,
        Some(_) => {
            return Err(refuse(
                at.to_owned(),
                "limitedApplicability must be a list of time periods",
            ))
        }
    };
    let mut schedule = Schedule::default();
    for (index, period) in periods.iter().enumerate() {
        let at = format!("{at}/{index}");
        only_members(period, &at, &TIME_PERIOD, "time period")?;
        let date = |field: &str| -> Result<Option<DateTime<Utc>>, Refusal> {
            match period.get(field) {
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
        let daily = match period.get("schedule") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(daily)) => daily.iter().collect(),
            Some(_) => {
                return Err(refuse(
                    format!("{at}/schedule"),
                    "schedule must be a list of daily periods",
                ))
            }
        };
        if daily.is_empty() {
            if start.is_none() && end.is_none() {
                return Err(refuse(at, "a time period needs a date range or a schedule"));
            }
            schedule.windows.push(Window {
                start: start.unwrap_or_else(far_past),
                end: end.unwrap_or_else(far_future),
            });
            continue;
        }
        for (index, entry) in daily.into_iter().enumerate() {
            let mut slot = daily_period(entry, &format!("{at}/schedule/{index}"))?;
            slot.from = start;
            slot.until = end;
            schedule.weekly.push(slot);
        }
    }
    Ok(schedule)
}

fn daylight_event(entry: &Value, at: &str, field: &str) -> Result<Option<DaylightEvent>, Refusal> {
    Ok(
        match one_of(entry, at, field, &["BMCT", "SR", "SS", "EECT"], false)? {
            Some("BMCT") => Some(DaylightEvent::CivilDawn),
            Some("SR") => Some(DaylightEvent::Sunrise),
            Some("SS") => Some(DaylightEvent::Sunset),
            Some("EECT") => Some(DaylightEvent::CivilDusk),
            _ => None,
        },
    )
}

fn daily_period(entry: &Value, at: &str) -> Result<WeeklySlot, Refusal> {
    only_members(entry, at, &DAILY_PERIOD, "daily period")?;
    let day_list = entry
        .get("day")
        .and_then(Value::as_array)
        .ok_or_else(|| refuse(format!("{at}/day"), "day must be a list of days"))?;
    let mut days = Vec::new();
    for (index, item) in day_list.iter().enumerate() {
        days.extend(item.as_str().and_then(days_of).ok_or_else(|| {
            refuse(
                format!("{at}/day/{index}"),
                format!("day {item} is not MON, TUE, WED, THU, FRI, SAT, SUN or ANY"),
            )
        })?);
    }
    if days.is_empty() {
        return Err(refuse(format!("{at}/day"), "day lists no day"));
    }
    days.sort_by_key(|d| *d as u8);
    days.dedup();
    let time = |field: &str| match entry.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(time_of_day)
            .map(Some)
            .ok_or_else(|| {
                refuse(
                    format!("{at}/{field}"),
                    format!("{field} {value} is not a time of day (HH:MM[:SS][Z|±HH:MM])"),
                )
            }),
    };
    let (start_time, end_time) = (time("startTime")?, time("endTime")?);
    let (start_event, end_event) = (
        daylight_event(entry, at, "startEvent")?,
        daylight_event(entry, at, "endEvent")?,
    );
    if start_time.is_none() && start_event.is_none() {
        return Err(refuse(
            format!("{at}/startTime"),
            "a daily period needs a startTime or a startEvent",
        ));
    }
    if end_time.is_none() && end_event.is_none() {
        return Err(refuse(
            format!("{at}/endTime"),
            "a daily period needs an endTime or an endEvent",
        ));
    }
    let midnight = (chrono::NaiveTime::MIN, None);
    let (start, start_offset) = start_time.unwrap_or(midnight);
    let (end, end_offset) = end_time.unwrap_or(midnight);
    let offset = start_offset.or(end_offset);
    // Both times on the clock of the start's offset.
    let shift = chrono::Duration::minutes(i64::from(
        offset.unwrap_or(0) - end_offset.or(offset).unwrap_or(0),
    ));
    let end = end.overflowing_add_signed(shift).0;
    let daylight = (start_event.is_some() || end_event.is_some()).then(|| Daylight {
        area: [0.0, 0.0, 0.0, 0.0],
        start_event,
        end_event,
        start_time_too: start_event.is_some() && start_time.is_some(),
        end_time_too: end_event.is_some() && end_time.is_some(),
    });
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
        daylight,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heights::GroundSource;
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

    fn feature(kind: &str) -> Value {
        json!({
            "type": "Feature",
            "geometry": {"type": "Polygon",
                         "coordinates": [[[7.40, 46.90], [7.46, 46.90], [7.46, 46.96], [7.40, 46.96], [7.40, 46.90]]],
                         "layer": {"lower": 0, "lowerReference": "AGL", "upper": 120, "upperReference": "AGL", "uom": "m"}},
            "properties": {
                "identifier": "TST01", "country": "CHE", "type": kind, "variant": "COMMON",
                "name": [{"text": "Bern Test", "lang": "de-CH"}, {"text": "Bern test", "lang": "en-GB"}],
                "zoneAuthority": [{"purpose": "AUTHORIZATION"}]
            }
        })
    }

    fn collection(features: Vec<Value>) -> Value {
        json!({"type": "FeatureCollection", "features": features})
    }

    #[test]
    fn each_type_maps_to_its_rule() {
        let geoid = Geoid::new();
        let expected = [
            ("PROHIBITED", Enforcement::Hard, deny_all()),
            ("REQ_AUTHORIZATION", Enforcement::Advisory, deny_all()),
            ("CONDITIONAL", Enforcement::Advisory, ZoneRule::Notify),
            ("NO_RESTRICTION", Enforcement::Advisory, ZoneRule::Notify),
            ("USPACE", Enforcement::Advisory, ZoneRule::Notify),
        ];
        for (kind, enforcement, rule) in expected {
            let zones = parse(&collection(vec![feature(kind)]), &heights(&geoid)).unwrap();
            let (id, spec) = &zones[0];
            assert_eq!(id, "TST01");
            assert_eq!(spec.name, "Bern test", "the English name");
            assert_eq!(
                (spec.enforcement, &spec.rules[..]),
                (enforcement, &[rule][..]),
                "{kind}"
            );
            assert!(spec.schedule.is_always());
            assert_eq!(
                spec.heights.as_ref().unwrap().ground,
                Some(GroundSource::Bundled)
            );
        }
    }

    #[test]
    fn feet_amsl_and_another_geoid_are_converted_and_widened() {
        let geoid = Geoid::new();
        let mut f = feature("PROHIBITED");
        f["geometry"]["layer"] = json!({"lower": 1000, "lowerReference": "AMSL",
                                         "upper": 2000, "upperReference": "AMSL", "uom": "ft"});
        let plain = parse(&f, &heights(&geoid)).unwrap();
        let band = &plain[0].1;
        let declared = 1000.0 * FOOT_M;
        let thickness = band.altitude_upper_m - band.altitude_lower_m;
        assert!(
            thickness >= declared && thickness < declared + 1.5,
            "{band:?}"
        );
        let mut document = collection(vec![f]);
        document["metadata"] = json!({"otherGeoid": "CHGeo2004"});
        let widened = &parse(&document, &heights(&geoid)).unwrap()[0].1;
        assert!(
            (widened.altitude_upper_m - band.altitude_upper_m - OTHER_GEOID_MARGIN_M).abs() < 1e-9
        );
        assert!(
            (band.altitude_lower_m - widened.altitude_lower_m - OTHER_GEOID_MARGIN_M).abs() < 1e-9
        );
        assert!(widened
            .heights
            .as_ref()
            .unwrap()
            .upper
            .contains("CHGeo2004"));
    }

    #[test]
    fn a_collection_of_geometries_gives_one_zone_each_with_its_layer() {
        let geoid = Geoid::new();
        let mut f = feature("CONDITIONAL");
        f["geometry"] = json!({"type": "GeometryCollection",
            "layer": {"upper": 300, "upperReference": "WGS84"},
            "geometries": [
                {"type": "Point", "coordinates": [7.44, 46.95], "extent": {"subType": "Circle", "radius": 500}},
                {"type": "MultiPolygon", "coordinates": [
                    [[[7.0, 46.0], [7.1, 46.0], [7.1, 46.1], [7.0, 46.0]]],
                    [[[8.0, 46.0], [8.1, 46.0], [8.1, 46.1], [8.0, 46.0]]]],
                 "layer": {"lower": 100, "lowerReference": "WGS84", "upper": 200, "upperReference": "WGS84"}}]});
        let zones = parse(&f, &heights(&geoid)).unwrap();
        let ids: Vec<&str> = zones.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["TST01", "TST01-2"], "a MultiPolygon is one zone");
        assert!(matches!(
            zones[1].1.footprint,
            FootprintSpec::MultiPolygon { ref coordinates } if coordinates.len() == 2
        ));
        assert_eq!(zones[0].1.altitude_upper_m, 300.0, "the collection's layer");
        assert_eq!(zones[0].1.altitude_lower_m, SURFACE_OF_LIMITS);
        assert_eq!(
            (zones[1].1.altitude_lower_m, zones[1].1.altitude_upper_m),
            (100.0, 200.0)
        );
    }

    const SURFACE_OF_LIMITS: f64 = -500.0;

    #[test]
    fn what_the_schema_forbids_is_refused_naming_zone_and_field_and_every_zone_is_listed() {
        let geoid = Geoid::new();
        let mut bad_type = feature("FORBIDDEN");
        bad_type["properties"]["identifier"] = json!("BAD1");
        let mut bad_day = feature("PROHIBITED");
        bad_day["properties"]["identifier"] = json!("BAD2");
        bad_day["properties"]["limitedApplicability"] =
            json!([{"schedule": [{"day": ["XYZ"], "startTime": "08:00", "endTime": "09:00"}]}]);
        let mut bad_hour = feature("PROHIBITED");
        bad_hour["properties"]["identifier"] = json!("BAD3");
        bad_hour["properties"]["limitedApplicability"] =
            json!([{"schedule": [{"day": ["MON"], "startTime": "25:00", "endTime": "26:00"}]}]);
        let mut bad_event = feature("PROHIBITED");
        bad_event["properties"]["identifier"] = json!("BAD4");
        bad_event["properties"]["limitedApplicability"] =
            json!([{"schedule": [{"day": ["MON"], "startEvent": "NOON", "endTime": "20:00"}]}]);
        let mut bad_uom = feature("PROHIBITED");
        bad_uom["properties"]["identifier"] = json!("BAD5");
        bad_uom["geometry"]["layer"]["uom"] = json!("yd");
        let mut unknown = feature("PROHIBITED");
        unknown["properties"]["identifier"] = json!("BAD6");
        unknown["properties"]["restriction"] = json!("PROHIBITED");
        let mut line = feature("PROHIBITED");
        line["properties"]["identifier"] = json!("BAD7");
        line["geometry"] = json!({"type": "LineString", "coordinates": [[7.0, 46.0], [7.1, 46.1]]});
        let mut inverted = feature("PROHIBITED");
        inverted["properties"]["identifier"] = json!("BAD8");
        inverted["geometry"]["layer"]["lower"] = json!(200);
        let mut no_authority = feature("PROHIBITED");
        no_authority["properties"]["identifier"] = json!("BAD9");
        no_authority["properties"]["zoneAuthority"] = json!([]);
        let mut long_id = feature("PROHIBITED");
        long_id["properties"]["identifier"] = json!("TOOLONG1");
        let Refusals(refused) = parse(
            &collection(vec![
                feature("PROHIBITED"),
                bad_type,
                bad_day,
                bad_hour,
                bad_event,
                bad_uom,
                unknown,
                line,
                inverted,
                no_authority,
                long_id,
            ]),
            &heights(&geoid),
        )
        .unwrap_err();
        let pointers: Vec<&str> = refused.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/features/1/properties/type",
                "/features/2/properties/limitedApplicability/0/schedule/0/day/0",
                "/features/3/properties/limitedApplicability/0/schedule/0/startTime",
                "/features/4/properties/limitedApplicability/0/schedule/0/startEvent",
                "/features/5/geometry/layer/uom",
                "/features/6/properties/restriction",
                "/features/7/geometry/type",
                "/features/8/geometry/layer/lower",
                "/features/9/properties/zoneAuthority",
                "/features/10/properties/identifier",
            ]
        );
        assert!(
            refused[0]
                .reason
                .starts_with("zone BAD1: type \"FORBIDDEN\""),
            "{:?}",
            refused[0]
        );
        assert!(
            refused[6].reason.contains("LineString encloses no area"),
            "{:?}",
            refused[6]
        );
        // The root itself.
        let Refusals(root) = parse(&json!({"features": []}), &heights(&geoid)).unwrap_err();
        assert_eq!(root[0].pointer, "/type");
    }

    #[test]
    fn a_daylight_schedule_keeps_its_events_and_gets_the_footprints_box() {
        let geoid = Geoid::new();
        let mut f = feature("PROHIBITED");
        f["properties"]["limitedApplicability"] = json!([{
            "startDateTime": "2030-06-01T00:00:00Z", "endDateTime": "2030-09-01T00:00:00Z",
            "schedule": [{"day": ["SAT", "SUN"], "startEvent": "SR", "endEvent": "EECT"},
                         {"day": ["MON"], "startTime": "22:00:00Z", "endEvent": "BMCT"}]}]);
        let zones = parse(&f, &heights(&geoid)).unwrap();
        let slots = &zones[0].1.schedule.weekly;
        let daylight = slots[0].daylight.as_ref().unwrap();
        assert_eq!(
            (daylight.start_event, daylight.end_event),
            (Some(DaylightEvent::Sunrise), Some(DaylightEvent::CivilDusk))
        );
        let [west, south, east, north] = daylight.area;
        assert!(
            west < 7.40 && east > 7.46 && south < 46.90 && north > 46.96,
            "{:?}",
            daylight.area
        );
        assert!(!daylight.start_time_too && !daylight.end_time_too);
        let night = slots[1].daylight.as_ref().unwrap();
        assert_eq!(
            (night.start_event, night.end_event),
            (None, Some(DaylightEvent::CivilDawn))
        );
        assert_eq!(slots[1].start, "22:00");
    }
}
