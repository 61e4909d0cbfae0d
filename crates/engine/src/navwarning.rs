//! A zone written as a navigational warning, the plain text mariners read on NAVTEX,
//! SafetyNET and in Notices to Mariners.
//!
//! The layout follows the Joint IMO/IHO/WMO Manual on Maritime Safety Information
//! (MSC.1/Circ.1310, the format of the IMO/IHO World-Wide Navigational Warning Service), §5–6:
//! each message element on its own line, in the order of its message elements table —
//! - preamble: the time of origin (`DDHHMM UTC MON YY`), the message series identifier and
//!   number, the general area and the locality;
//! - warning: the key subject with its period, the geographical positions, amplifying remarks;
//! - postscript: the cancellation (`CANCEL THIS MSG DDHHMM UTC MON YY.`).
//!
//! Positions are degrees and decimal minutes with leading zeros, three digits of longitude
//! degrees and the best accuracy the Manual allows (0.01 minute): `34-52.10N 035-51.40E`.
//! A polygon's positions are listed clockwise starting from its north-westernmost corner, as
//! the Manual asks; a circle is a radius in nautical miles around its centre. Text is upper
//! case, as the services broadcast it.
//!
//! deconflict is not a NAVAREA coordinator: the series identifier is the zone's (`DECONFLICT
//! ZONE <ID> <VERSION>`) unless the caller gives one (e.g. `NAVAREA III 0123/26`), and the
//! general area is the caller's too; the locality is the zone's name. The text is a draft a
//! coordinator can broadcast, not a broadcast.

use chrono::{DateTime, Utc};
use deconflict_geometry::FootprintSpec;

use crate::zone::{Day, DaylightEvent, Enforcement, Schedule, WeeklySlot, Zone, ZoneRule};

/// Metres in an international nautical mile.
const METRES_PER_NM: f64 = 1852.0;

/// What the caller adds to the preamble.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preamble {
    /// Message series identifier and number (`NAVAREA III 0123/26`); the zone's id otherwise.
    pub series: Option<String>,
    /// General area (`EASTERN MEDITERRANEAN`).
    pub general_area: Option<String>,
}

/// The zone as a navigational warning, issued at `issued` (the time of origin).
pub fn navigational_warning(zone: &Zone, preamble: &Preamble, issued: DateTime<Utc>) -> String {
    let mut lines = vec![date_time_group(issued)];
    lines.push(match &preamble.series {
        Some(series) => series.trim().to_uppercase(),
        None => format!("DECONFLICT ZONE {} {}", zone.id, zone.version).to_uppercase(),
    });
    if let Some(area) = &preamble.general_area {
        lines.push(sentence(area));
    }
    lines.push(sentence(&zone.spec.name));
    let (area_words, positions) = area(&zone.spec.footprint);
    lines.push(format!("{} {area_words}", period(&zone.spec.schedule)));
    lines.extend(positions);
    if zone.spec.altitude_lower_m != 0.0 || zone.spec.altitude_upper_m != 0.0 {
        lines.push(format!(
            "VERTICAL LIMITS {:.0} TO {:.0} METRES ABOVE WGS84 ELLIPSOID.",
            zone.spec.altitude_lower_m, zone.spec.altitude_upper_m
        ));
    }
    lines.extend(zone.spec.rules.iter().map(|rule| remark(rule, &zone.owner)));
    if zone.spec.enforcement == Enforcement::Advisory {
        lines.push("WIDE BERTH REQUESTED.".to_owned());
    }
    if let Some(end) = last_end(&zone.spec.schedule) {
        lines.push(format!("CANCEL THIS MSG {}.", date_time_group(end)));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// `DDHHMM UTC MON YY`, the date-time group of navigational warnings.
pub fn date_time_group(time: DateTime<Utc>) -> String {
    time.format("%d%H%M UTC %b %y").to_string().to_uppercase()
}

/// A latitude as `DD-MM.mmN`.
pub fn latitude(lat_deg: f64) -> String {
    let (degrees, minutes) = degrees_minutes(lat_deg.abs());
    let hemisphere = if lat_deg < 0.0 && (degrees, minutes) != (0, 0) {
        'S'
    } else {
        'N'
    };
    format!("{degrees:02}-{}{hemisphere}", minutes_text(minutes))
}

/// A longitude as `DDD-MM.mmE`.
pub fn longitude(lon_deg: f64) -> String {
    let (degrees, minutes) = degrees_minutes(lon_deg.abs());
    let hemisphere = if lon_deg < 0.0 && (degrees, minutes) != (0, 0) {
        'W'
    } else {
        'E'
    };
    format!("{degrees:03}-{}{hemisphere}", minutes_text(minutes))
}

/// A position as `DD-MM.mmN DDD-MM.mmE`.
pub fn position(lon_deg: f64, lat_deg: f64) -> String {
    format!("{} {}", latitude(lat_deg), longitude(lon_deg))
}

/// Whole degrees and hundredths of a minute, rounded once so that 59.996' carries into the
/// next degree rather than printing as 60.00.
fn degrees_minutes(value_deg: f64) -> (u32, u32) {
    let hundredths = (value_deg * 6000.0).round() as u64;
    ((hundredths / 6000) as u32, (hundredths % 6000) as u32)
}

fn minutes_text(hundredths: u32) -> String {
    format!("{:02}.{:02}", hundredths / 100, hundredths % 100)
}

fn sentence(text: &str) -> String {
    let text = text.trim().trim_end_matches('.').to_uppercase();
    format!("{text}.")
}

/// The words introducing the area and the lines of positions.
fn area(footprint: &FootprintSpec) -> (String, Vec<String>) {
    match footprint {
        FootprintSpec::Circle { center, radius_m } => {
            let nm = radius_m / METRES_PER_NM;
            let radius = format!("{nm:.1}");
            let radius = radius.strip_suffix(".0").unwrap_or(&radius);
            let (lon, lat) = (center.first(), center.get(1));
            let centre = position(lon.copied().unwrap_or(0.0), lat.copied().unwrap_or(0.0));
            (format!("WITHIN {radius} NM OF {centre}."), Vec::new())
        }
        FootprintSpec::Point { coordinates } => {
            let (lon, lat) = (coordinates.first(), coordinates.get(1));
            let at = position(lon.copied().unwrap_or(0.0), lat.copied().unwrap_or(0.0));
            (format!("IN POSITION {at}."), Vec::new())
        }
        FootprintSpec::Polygon { .. } | FootprintSpec::MultiPolygon { .. } => {
            // One area, or lettered areas A, B, … for the parts of a MultiPolygon; a hole
            // follows its area as an excluded area.
            let polygons = footprint.polygons();
            let lettered = polygons.len() > 1;
            let mut lines = Vec::new();
            for (index, rings) in polygons.iter().enumerate() {
                for (ring_index, ring) in rings.iter().enumerate() {
                    let mut ring_lines = ring_positions(ring);
                    if ring_index > 0 {
                        lines.push("EXCLUDING AREA BOUNDED BY".to_owned());
                    } else if lettered {
                        let letter = char::from(b'A' + (index % 26) as u8);
                        if let Some(first) = ring_lines.first_mut() {
                            *first = format!("{letter}. {first}");
                        }
                    }
                    lines.append(&mut ring_lines);
                }
            }
            let header = if lettered {
                "IN AREAS BOUNDED BY"
            } else {
                "IN AREA BOUNDED BY"
            };
            (header.to_owned(), lines)
        }
    }
}

/// A ring's positions, clockwise from the north-west corner, one per line, the last ending
/// the sentence.
fn ring_positions(ring: &[Vec<f64>]) -> Vec<String> {
    let vertices = clockwise_from_north_west(ring);
    let count = vertices.len();
    vertices
        .iter()
        .enumerate()
        .map(|(index, (lon, lat))| {
            let end = if index + 1 == count { "." } else { "," };
            format!("{}{end}", position(*lon, *lat))
        })
        .collect()
}

/// The ring's vertices (closing repeat dropped) in clockwise order, starting from the vertex
/// furthest north-west. Longitudes are unwrapped from the first vertex for the orientation, so
/// a ring across the antimeridian is judged as drawn.
fn clockwise_from_north_west(ring: &[Vec<f64>]) -> Vec<(f64, f64)> {
    let mut vertices: Vec<(f64, f64)> = ring
        .iter()
        .filter_map(|p| Some((*p.first()?, *p.get(1)?)))
        .collect();
    if vertices.len() > 1 && vertices.first() == vertices.last() {
        vertices.pop();
    }
    let Some(&(first_lon, _)) = vertices.first() else {
        return vertices;
    };
    let unwrap = |lon: f64| {
        let mut delta = lon - first_lon;
        while delta > 180.0 {
            delta -= 360.0;
        }
        while delta < -180.0 {
            delta += 360.0;
        }
        first_lon + delta
    };
    let unwrapped: Vec<(f64, f64)> = vertices.iter().map(|&(x, y)| (unwrap(x), y)).collect();
    let twice_area: f64 = (0..unwrapped.len())
        .map(|i| {
            let (x1, y1) = unwrapped[i];
            let (x2, y2) = unwrapped[(i + 1) % unwrapped.len()];
            x1 * y2 - x2 * y1
        })
        .sum();
    let mut order: Vec<usize> = (0..vertices.len()).collect();
    if twice_area > 0.0 {
        order.reverse(); // counter-clockwise (east = x, north = y)
    }
    let north_west = order
        .iter()
        .enumerate()
        .max_by(|(_, &a), (_, &b)| {
            let score = |i: usize| unwrapped[i].1 - unwrapped[i].0;
            score(a).total_cmp(&score(b)).then(b.cmp(&a))
        })
        .map_or(0, |(at, _)| at);
    order.rotate_left(north_west);
    order.into_iter().map(|i| vertices[i]).collect()
}

/// The key subject's period: the windows and weekly slots in words.
fn period(schedule: &Schedule) -> String {
    if schedule.is_always() {
        return "IN FORCE UNTIL FURTHER NOTICE".to_owned();
    }
    let mut parts: Vec<String> = schedule
        .windows
        .iter()
        .map(|w| format!("{} TO {}", date_time_group(w.start), date_time_group(w.end)))
        .collect();
    parts.extend(schedule.weekly.iter().map(weekly));
    format!("IN FORCE {}", parts.join(" AND "))
}

fn weekly(slot: &WeeklySlot) -> String {
    let days: Vec<&str> = slot.days.iter().map(|day| day_name(*day)).collect();
    let clock = match slot.utc_offset.as_deref() {
        None | Some("+00:00") | Some("Z") => "UTC".to_owned(),
        Some(offset) => format!("UTC{offset}"),
    };
    let event = |event: Option<DaylightEvent>, time: &str| match event {
        Some(event) => event_name(event).to_owned(),
        None => time.replace(':', ""),
    };
    let daylight = slot.daylight.as_ref();
    let start = event(daylight.and_then(|d| d.start_event), &slot.start);
    let end = event(daylight.and_then(|d| d.end_event), &slot.end);
    let mut text = format!("{} {start} TO {end} {clock}", days.join(" "));
    if let Some(from) = slot.from {
        text.push_str(&format!(" FROM {}", date_time_group(from)));
    }
    if let Some(until) = slot.until {
        text.push_str(&format!(" UNTIL {}", date_time_group(until)));
    }
    text
}

fn day_name(day: Day) -> &'static str {
    match day {
        Day::Mon => "MON",
        Day::Tue => "TUE",
        Day::Wed => "WED",
        Day::Thu => "THU",
        Day::Fri => "FRI",
        Day::Sat => "SAT",
        Day::Sun => "SUN",
    }
}

fn event_name(event: DaylightEvent) -> &'static str {
    match event {
        DaylightEvent::CivilDawn => "CIVIL DAWN",
        DaylightEvent::Sunrise => "SUNRISE",
        DaylightEvent::Sunset => "SUNSET",
        DaylightEvent::CivilDusk => "CIVIL DUSK",
    }
}

/// When the last period ends, if every part of the schedule ends.
fn last_end(schedule: &Schedule) -> Option<DateTime<Utc>> {
    if schedule.is_always() {
        return None;
    }
    let windows = schedule.windows.iter().map(|w| Some(w.end));
    let weekly = schedule.weekly.iter().map(|slot| slot.until);
    windows.chain(weekly).try_fold(None, |latest, end| {
        let end = end?;
        Some(Some(latest.map_or(end, |l: DateTime<Utc>| l.max(end))))
    })?
}

/// A rule as an amplifying remark.
fn remark(rule: &ZoneRule, owner: &crate::PartyId) -> String {
    let list = |parties: &[crate::PartyId]| {
        parties
            .iter()
            .map(|party| party.0.to_uppercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match rule {
        ZoneRule::Deny {
            parties,
            all_except: false,
        } => format!("ENTRY PROHIBITED TO {}.", list(parties)),
        ZoneRule::Deny {
            parties,
            all_except: true,
        } if parties.is_empty() => "ENTRY PROHIBITED.".to_owned(),
        ZoneRule::Deny {
            parties,
            all_except: true,
        } => format!("ENTRY PROHIBITED EXCEPT {}.", list(parties)),
        ZoneRule::AllowOnlyMissions { parties, missions } => {
            let missions: Vec<String> = missions
                .iter()
                .map(|m| {
                    serde_json::to_value(m)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_uppercase))
                        .unwrap_or_default()
                })
                .collect();
            format!(
                "{} MAY ENTER ONLY ON {} MISSIONS.",
                list(parties),
                missions.join(", ")
            )
        }
        ZoneRule::Notify => format!("ENTRIES ARE REPORTED TO {}.", owner.0.to_uppercase()),
    }
}

#[cfg(test)]
mod tests;
