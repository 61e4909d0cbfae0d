//! Zones with rules (SPEC §5.4): an area, an altitude band and a schedule, published by an
//! `authority` (or `admin`) party, with rules on who may fly there and for what.
//!
//! A zone is in effect at the times its schedule gives: one-off windows and weekly slots, in
//! UTC unless a slot gives its own offset from UTC, and a slot may be bounded by a date range;
//! with neither windows nor slots it is always in effect. A slot may start or end at a daylight
//! event (sunrise, sunset, civil twilight: ED-318 schedules) instead of a clock time, computed
//! where the zone is (see [`Daylight`]). An operation's volume *enters* a zone when its
//! footprint meets the zone's (within the geometry allowance), their altitude bands overlap and
//! the volume's time window meets a time the zone is in effect. The zone's owner is never bound
//! by its own rules. Each rule a volume's entry breaks is a [`Finding`]; `hard` enforcement
//! refuses the filing, `advisory` accepts it and alerts the operation's and the zone's owners.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use deconflict_geometry::{Footprint, FootprintSpec, Limits, Volume4d};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::EngineError;
use crate::ids::PartyId;
use crate::operation::MissionType;

/// Most rules per zone, windows and weekly slots per schedule.
pub const MAX_RULES: usize = 32;
pub const MAX_SCHEDULE_ENTRIES: usize = 366;
/// Longest zone name, in characters.
pub const NAME_MAX_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// A filing that breaks a rule is refused, naming the zone and the rule.
    Hard,
    /// A filing that breaks a rule is accepted and both owners are alerted.
    Advisory,
}

/// One rule of a zone (SPEC §5.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ZoneRule {
    /// The listed parties may not enter; with `all_except`, nobody but them may.
    Deny {
        #[schema(value_type = Vec<String>)]
        parties: Vec<PartyId>,
        #[serde(default)]
        all_except: bool,
    },
    /// The listed parties may fly only the listed mission types here (others are not bound).
    AllowOnlyMissions {
        #[schema(value_type = Vec<String>)]
        parties: Vec<PartyId>,
        missions: Vec<MissionType>,
    },
    /// Every entry is reported to the zone's owner.
    Notify,
}

impl ZoneRule {
    /// Whether an entry by `party` on a `mission` breaks this rule (`notify` never does).
    pub fn broken_by(&self, party: &PartyId, mission: MissionType) -> bool {
        match self {
            ZoneRule::Deny {
                parties,
                all_except,
            } => parties.contains(party) != *all_except,
            ZoneRule::AllowOnlyMissions { parties, missions } => {
                parties.contains(party) && !missions.contains(&mission)
            }
            ZoneRule::Notify => false,
        }
    }

    /// The rule in words, for problems and alerts.
    pub fn describe(&self) -> String {
        let list = |parties: &[PartyId]| {
            parties
                .iter()
                .map(|party| party.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            ZoneRule::Deny {
                parties,
                all_except: false,
            } => format!("deny {}", list(parties)),
            ZoneRule::Deny {
                parties,
                all_except: true,
            } if parties.is_empty() => "deny all".to_owned(),
            ZoneRule::Deny {
                parties,
                all_except: true,
            } => format!("deny all except {}", list(parties)),
            ZoneRule::AllowOnlyMissions { parties, missions } => format!(
                "{} may fly only {} missions",
                list(parties),
                missions
                    .iter()
                    .map(|mission| serde_json::to_value(mission)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ZoneRule::Notify => "entries are reported to the zone's owner".to_owned(),
        }
    }
}

/// A one-off period when the zone is in effect, `[start, end)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Day of the week of a weekly slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    fn weekday(self) -> Weekday {
        match self {
            Day::Mon => Weekday::Mon,
            Day::Tue => Weekday::Tue,
            Day::Wed => Weekday::Wed,
            Day::Thu => Weekday::Thu,
            Day::Fri => Weekday::Fri,
            Day::Sat => Weekday::Sat,
            Day::Sun => Weekday::Sun,
        }
    }
}

/// A weekly recurrence: on each listed day from `start` to `end` (`"HH:MM"`), on the clock of
/// `utc_offset` (UTC when absent); an `end` not after `start` runs past midnight into the next
/// day. With `from` and/or `until` the slot recurs only within that date range (an ED-269 or
/// ED-318 applicability that combines a date range with a weekly schedule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklySlot {
    pub days: Vec<Day>,
    pub start: String,
    pub end: String,
    /// The clock the days and times are read on, as an offset from UTC (`"+01:00"`): ED-269
    /// and ED-318 times carry their zone as an offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<String>,
    /// The first instant the slot may apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// The instant from which the slot no longer applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Daylight events the slot starts or ends at instead of `start` / `end` (ED-318).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daylight: Option<Daylight>,
}

/// A daylight event an ED-318 schedule may start or end at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DaylightEvent {
    /// Begin of morning civil twilight (ED-318 `BMCT`): the sun's centre 6° below the horizon,
    /// rising.
    CivilDawn,
    /// Sunrise (`SR`): the sun's upper rim on the horizon, refraction included.
    Sunrise,
    /// Sunset (`SS`).
    Sunset,
    /// End of evening civil twilight (`EECT`): the sun's centre 6° below the horizon, setting.
    CivilDusk,
}

/// How a weekly slot's daylight events are found.
///
/// The events of a day are those of the local (solar) date at the slot's day, computed with the
/// `sunrise` crate (the sunrise equation: within about a minute of NOAA's published times at
/// mid-latitudes) at each of the four corners of `area` — the box of the zone's footprint, so
/// that a wide zone is covered from its first sunrise to its last sunset — taking the earliest
/// for a start and the latest for an end, widened by [`DAYLIGHT_MARGIN_MIN`]. So the slot is
/// never shorter than the event times anywhere in the zone. On a day an event does not happen
/// at a corner (polar day or night), a start is the day's 00:00 and an end the day's 24:00 on
/// the slot's clock: the zone is then taken to apply all day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Daylight {
    /// `[west, south, east, north]` in degrees: where the events are computed.
    pub area: [f64; 4],
    /// The slot starts at this event (`start` is then unused unless `start_time_too`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_event: Option<DaylightEvent>,
    /// The slot ends at this event (`end` is then unused unless `end_time_too`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_event: Option<DaylightEvent>,
    /// The publisher gave both a start time and a start event: the slot starts at the earlier.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub start_time_too: bool,
    /// The publisher gave both an end time and an end event: the slot ends at the later.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub end_time_too: bool,
}

/// Minutes a daylight event is widened by (earlier for a start, later for an end): the sunrise
/// equation's error against NOAA's times (tested to be under two minutes) with room.
pub const DAYLIGHT_MARGIN_MIN: i64 = 3;

impl DaylightEvent {
    fn solar(self) -> sunrise::SolarEvent {
        match self {
            DaylightEvent::CivilDawn => sunrise::SolarEvent::Dawn(sunrise::DawnType::Civil),
            DaylightEvent::Sunrise => sunrise::SolarEvent::Sunrise,
            DaylightEvent::Sunset => sunrise::SolarEvent::Sunset,
            DaylightEvent::CivilDusk => sunrise::SolarEvent::Dusk(sunrise::DawnType::Civil),
        }
    }

    /// The event on the local date `date` at (`lon`, `lat`), if it happens that day.
    pub fn at(self, lon: f64, lat: f64, date: NaiveDate) -> Option<DateTime<Utc>> {
        let coordinates = sunrise::Coordinates::new(lat, lon)?;
        sunrise::SolarDay::new(coordinates, date).event_time(self.solar())
    }
}

impl Daylight {
    fn corners(&self) -> [(f64, f64); 4] {
        let [west, south, east, north] = self.area;
        [(west, south), (west, north), (east, south), (east, north)]
    }

    /// The earliest (`earliest`) or latest time of `event` over the area's corners on `date`;
    /// `None` if it does not happen at some corner that day.
    fn event(
        &self,
        event: DaylightEvent,
        date: NaiveDate,
        earliest: bool,
    ) -> Option<DateTime<Utc>> {
        let times = self
            .corners()
            .into_iter()
            .map(|(lon, lat)| event.at(lon, lat, date))
            .collect::<Option<Vec<_>>>()?;
        if earliest {
            times.into_iter().min()
        } else {
            times.into_iter().max()
        }
    }

    fn check(&self) -> Result<(), String> {
        let [west, south, east, north] = self.area;
        let lon_ok = |x: f64| x.is_finite() && (-180.0..=180.0).contains(&x);
        let lat_ok = |x: f64| x.is_finite() && (-90.0..=90.0).contains(&x);
        if !(lon_ok(west) && lon_ok(east) && lat_ok(south) && lat_ok(north) && south <= north) {
            return Err(format!(
                "daylight area {:?} is not [west, south, east, north] in degrees",
                self.area
            ));
        }
        if self.start_event.is_none() && self.end_event.is_none() {
            return Err("daylight names no start_event and no end_event".into());
        }
        Ok(())
    }
}

/// Parses an offset from UTC written `"+HH:MM"` or `"-HH:MM"` (or `"Z"`), in minutes.
pub fn parse_utc_offset(text: &str) -> Option<i32> {
    if text == "Z" {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 60 + minutes))
}

impl WeeklySlot {
    fn offset(&self) -> Duration {
        Duration::minutes(
            self.utc_offset
                .as_deref()
                .and_then(parse_utc_offset)
                .unwrap_or(0)
                .into(),
        )
    }
}

/// When a zone is in effect; with no windows and no weekly slots, always.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    #[serde(default)]
    pub windows: Vec<Window>,
    #[serde(default)]
    pub weekly: Vec<WeeklySlot>,
}

fn parse_hhmm(text: &str) -> Option<NaiveTime> {
    if text.len() != 5 {
        return None;
    }
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

impl Schedule {
    pub fn is_always(&self) -> bool {
        self.windows.is_empty() && self.weekly.is_empty()
    }

    pub(crate) fn check(&self) -> Result<(), EngineError> {
        let invalid =
            |field: &'static str, reason: String| EngineError::InvalidParameter { field, reason };
        if self.windows.len() + self.weekly.len() > MAX_SCHEDULE_ENTRIES {
            return Err(invalid(
                "/schedule",
                format!("at most {MAX_SCHEDULE_ENTRIES} windows and weekly slots"),
            ));
        }
        for window in &self.windows {
            if window.end <= window.start {
                return Err(invalid(
                    "/schedule/windows",
                    format!("window ending {} does not end after its start", window.end),
                ));
            }
        }
        for slot in &self.weekly {
            if slot.days.is_empty() {
                return Err(invalid(
                    "/schedule/weekly",
                    "a weekly slot needs at least one day".into(),
                ));
            }
            for time in [&slot.start, &slot.end] {
                if parse_hhmm(time).is_none() {
                    return Err(invalid(
                        "/schedule/weekly",
                        format!("{time:?} is not a time of day as \"HH:MM\""),
                    ));
                }
            }
            if let Some(offset) = &slot.utc_offset {
                if parse_utc_offset(offset).is_none() {
                    return Err(invalid(
                        "/schedule/weekly",
                        format!("{offset:?} is not an offset from UTC as \"+HH:MM\" or \"-HH:MM\""),
                    ));
                }
            }
            if let Some(daylight) = &slot.daylight {
                daylight
                    .check()
                    .map_err(|reason| invalid("/schedule/weekly", reason))?;
            }
            if let (Some(from), Some(until)) = (slot.from, slot.until) {
                if until <= from {
                    return Err(invalid(
                        "/schedule/weekly",
                        format!("a slot's range ending {until} does not end after its start"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether the zone is in effect at some instant of `[start, end)`.
    pub fn meets(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        if self.is_always() {
            return start < end;
        }
        let overlaps = |a: DateTime<Utc>, b: DateTime<Utc>| a < end && start < b;
        if self.windows.iter().any(|w| overlaps(w.start, w.end)) {
            return true;
        }
        self.weekly.iter().any(|slot| slot_meets(slot, start, end))
    }
}

/// Whether a weekly slot applies at some instant of `[start, end)`.
fn slot_meets(slot: &WeeklySlot, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    let (Some(from), Some(to)) = (parse_hhmm(&slot.start), parse_hhmm(&slot.end)) else {
        return false;
    };
    // Only the part of the interval within the slot's date range counts.
    let start = slot.from.map_or(start, |from| start.max(from));
    let end = slot.until.map_or(end, |until| end.min(until));
    if start >= end {
        return false;
    }
    let offset = slot.offset();
    let overlaps = |(a, b): (DateTime<Utc>, DateTime<Utc>)| a < end && start < b;
    // Each listed day's period is never empty and lies within a day before it and three days
    // after its date (a start event or polar start is at most a day early, an end at most a
    // day past the next day). So the local days from two before `start` to one after `end`
    // hold every period that can meet the interval, and as every listed day recurs within 7
    // days, looking at no more than 14 days from the first is exact: a longer interval holds
    // the whole period of some listed day among them.
    let local_start = (start + offset).date_naive();
    let local_end = (end + offset).date_naive();
    let first = local_start
        .checked_sub_days(chrono::Days::new(2))
        .unwrap_or(local_start);
    let last = local_end
        .checked_add_days(chrono::Days::new(1))
        .unwrap_or(local_end)
        .min(
            first
                .checked_add_days(chrono::Days::new(14))
                .unwrap_or(NaiveDate::MAX),
        );
    first
        .iter_days()
        .take_while(|day| *day <= last)
        .filter(|day| slot.days.iter().any(|d| d.weekday() == day.weekday()))
        .any(|day| overlaps(slot_period(slot, day, from, to, offset)))
}

/// The period of a weekly slot on the local date `day`, `[begins, ends)`.
fn slot_period(
    slot: &WeeklySlot,
    day: NaiveDate,
    from: NaiveTime,
    to: NaiveTime,
    offset: Duration,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let on_clock =
        |day: NaiveDate, time: NaiveTime| Utc.from_utc_datetime(&day.and_time(time)) - offset;
    let margin = Duration::minutes(DAYLIGHT_MARGIN_MIN);
    let begins = match slot
        .daylight
        .as_ref()
        .and_then(|d| d.start_event.map(|e| (d, e)))
    {
        None => on_clock(day, from),
        Some((daylight, event)) => {
            let at = daylight
                .event(event, day, true)
                .map_or_else(|| on_clock(day, NaiveTime::MIN), |t| t - margin);
            if daylight.start_time_too {
                at.min(on_clock(day, from))
            } else {
                at
            }
        }
    };
    let ends_on = |day: NaiveDate| match slot
        .daylight
        .as_ref()
        .and_then(|d| d.end_event.map(|e| (d, e)))
    {
        None => on_clock(day, to),
        Some((daylight, event)) => {
            let next = day.succ_opt().unwrap_or(day);
            let at = daylight
                .event(event, day, false)
                .map_or_else(|| on_clock(next, NaiveTime::MIN), |t| t + margin);
            if daylight.end_time_too {
                at.max(on_clock(day, to))
            } else {
                at
            }
        }
    };
    let mut ends = ends_on(day);
    if ends <= begins {
        // Past midnight: the end of the next day.
        ends = ends_on(day.succ_opt().unwrap_or(day));
    }
    if ends <= begins {
        ends = begins + Duration::days(1);
    }
    (begins, ends)
}

/// A zone as published (`PUT /v1/zones/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneSpec {
    pub name: String,
    /// GeoJSON Polygon, or `{"type": "Circle", "center": [lon, lat], "radius_m": r}`.
    #[schema(value_type = Object)]
    pub footprint: FootprintSpec,
    pub altitude_lower_m: f64,
    pub altitude_upper_m: f64,
    #[serde(default)]
    pub schedule: Schedule,
    pub enforcement: Enforcement,
    pub rules: Vec<ZoneRule>,
    /// How the declared vertical limits became these heights above the ellipsoid: set by the
    /// ED-269 and ED-318 importers (geoid, terrain model or conservative ground bound), absent
    /// for a zone published in WGS84 metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heights: Option<crate::heights::HeightBasis>,
}

impl ZoneSpec {
    /// Checks the zone and builds its footprint; the field at fault otherwise.
    pub fn validate(&self, limits: &Limits) -> Result<Footprint, EngineError> {
        crate::ids::check_text("name", &self.name, NAME_MAX_CHARS)?;
        let footprint = Footprint::from_spec(&self.footprint, limits).map_err(|error| {
            EngineError::InvalidParameter {
                field: "/footprint",
                reason: error.to_string(),
            }
        })?;
        let band_ok = self.altitude_lower_m.is_finite()
            && self.altitude_upper_m.is_finite()
            && self.altitude_lower_m <= self.altitude_upper_m
            && self.altitude_lower_m >= limits.altitude_min_m
            && self.altitude_upper_m <= limits.altitude_max_m;
        if !band_ok {
            return Err(EngineError::InvalidParameter {
                field: "/altitude_lower_m",
                reason: format!(
                    "the altitude band {}..{} m must be finite, ordered and within {}..{} m",
                    self.altitude_lower_m,
                    self.altitude_upper_m,
                    limits.altitude_min_m,
                    limits.altitude_max_m
                ),
            });
        }
        self.schedule.check()?;
        if self.rules.is_empty() {
            return Err(EngineError::InvalidParameter {
                field: "/rules",
                reason: "a zone needs at least one rule".into(),
            });
        }
        if self.rules.len() > MAX_RULES {
            return Err(EngineError::InvalidParameter {
                field: "/rules",
                reason: format!("at most {MAX_RULES} rules"),
            });
        }
        for rule in &self.rules {
            match rule {
                ZoneRule::Deny {
                    parties,
                    all_except: false,
                }
                | ZoneRule::AllowOnlyMissions { parties, .. }
                    if parties.is_empty() =>
                {
                    return Err(EngineError::InvalidParameter {
                        field: "/rules",
                        reason: format!("rule \"{}\" lists no party", rule.describe()),
                    })
                }
                ZoneRule::AllowOnlyMissions { missions, .. } if missions.is_empty() => {
                    return Err(EngineError::InvalidParameter {
                        field: "/rules",
                        reason: "allow_only_missions lists no mission type".into(),
                    })
                }
                _ => {}
            }
        }
        Ok(footprint)
    }
}

/// A published zone, with its footprint built.
#[derive(Clone)]
pub struct Zone {
    pub id: String,
    pub owner: PartyId,
    pub spec: ZoneSpec,
    pub version: u64,
    pub footprint: Footprint,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Zone")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("version", &self.version)
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

/// One rule a volume's entry into a zone engages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    /// Index of the rule in the zone's `rules`.
    pub rule: usize,
    pub description: String,
    /// `false` for `notify`: reported, not broken.
    pub broken: bool,
}

impl Zone {
    /// Whether `volume` enters the zone (space, altitude and schedule).
    pub fn entered_by(&self, volume: &Volume4d) -> bool {
        volume.altitude_lower_m() <= self.spec.altitude_upper_m
            && self.spec.altitude_lower_m <= volume.altitude_upper_m()
            && self
                .spec
                .schedule
                .meets(volume.time_start(), volume.time_end())
            && self.footprint.distance_m(volume.footprint()) <= deconflict_geometry::ALLOWANCE_M
    }

    /// The rules engaged by `party`'s volume on a `mission`; empty if it does not enter the
    /// zone or the party owns it.
    pub fn findings(
        &self,
        party: &PartyId,
        mission: MissionType,
        volume: &Volume4d,
    ) -> Vec<Finding> {
        if party == &self.owner || !self.entered_by(volume) {
            return Vec::new();
        }
        self.spec
            .rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| matches!(rule, ZoneRule::Notify) || rule.broken_by(party, mission))
            .map(|(index, rule)| Finding {
                rule: index,
                description: rule.describe(),
                broken: !matches!(rule, ZoneRule::Notify),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn weekly(days: Vec<Day>, start: &str, end: &str) -> Schedule {
        Schedule {
            windows: Vec::new(),
            weekly: vec![WeeklySlot {
                days,
                start: start.into(),
                end: end.into(),
                utc_offset: None,
                from: None,
                until: None,
                daylight: None,
            }],
        }
    }

    #[test]
    fn an_empty_schedule_is_always_in_effect() {
        let always = Schedule::default();
        assert!(always.meets(at("2030-01-01T00:00:00Z"), at("2030-01-01T00:00:01Z")));
    }

    #[test]
    fn windows_are_half_open() {
        let schedule = Schedule {
            windows: vec![Window {
                start: at("2030-01-01T10:00:00Z"),
                end: at("2030-01-01T12:00:00Z"),
            }],
            weekly: Vec::new(),
        };
        assert!(schedule.meets(at("2030-01-01T11:00:00Z"), at("2030-01-01T13:00:00Z")));
        assert!(!schedule.meets(at("2030-01-01T12:00:00Z"), at("2030-01-01T13:00:00Z")));
        assert!(!schedule.meets(at("2030-01-01T08:00:00Z"), at("2030-01-01T10:00:00Z")));
    }

    #[test]
    fn weekly_slots_recur_on_their_days_and_may_cross_midnight() {
        // 2030-01-05 is a Saturday.
        let weekend_nights = weekly(vec![Day::Sat, Day::Sun], "22:00", "02:00");
        assert!(weekend_nights.meets(at("2030-01-06T01:00:00Z"), at("2030-01-06T01:30:00Z")));
        assert!(weekend_nights.meets(at("2030-01-07T01:00:00Z"), at("2030-01-07T01:30:00Z")));
        assert!(!weekend_nights.meets(at("2030-01-08T01:00:00Z"), at("2030-01-08T01:30:00Z")));
        assert!(!weekend_nights.meets(at("2030-01-05T12:00:00Z"), at("2030-01-05T21:59:00Z")));
        // A long volume meets every slot.
        let tuesday = weekly(vec![Day::Tue], "09:00", "10:00");
        assert!(tuesday.meets(at("2030-01-01T11:00:00Z"), at("2030-03-01T00:00:00Z")));
        assert!(!tuesday.meets(at("2030-01-02T00:00:00Z"), at("2030-01-07T23:00:00Z")));
    }

    /// The weekly rule against a minute-by-minute walk over random intervals.
    #[test]
    fn weekly_meets_agrees_with_a_minute_walk() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |bound: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as i64
        };
        let slot = weekly(vec![Day::Mon, Day::Thu], "23:30", "00:45");
        let base = at("2030-01-01T00:00:00Z");
        for _ in 0..300 {
            let start = base + Duration::minutes(next(20_000));
            let end = start + Duration::minutes(1 + next(3_000));
            let mut walk = false;
            let mut t = start;
            while t < end {
                let day = t.date_naive();
                let minute = t.time();
                let in_slot = |d: chrono::NaiveDate, from_prev: bool| {
                    let listed = [Weekday::Mon, Weekday::Thu].contains(&d.weekday());
                    listed
                        && if from_prev {
                            minute < NaiveTime::from_hms_opt(0, 45, 0).unwrap()
                        } else {
                            minute >= NaiveTime::from_hms_opt(23, 30, 0).unwrap()
                        }
                };
                if in_slot(day, false) || in_slot(day - Duration::days(1), true) {
                    walk = true;
                    break;
                }
                t += Duration::minutes(1);
            }
            assert_eq!(slot.meets(start, end), walk, "{start} .. {end}");
        }
    }

    /// A slot on a UTC offset within a date range against a minute-by-minute walk of local
    /// time over random intervals.
    #[test]
    fn an_offset_slot_within_a_range_agrees_with_a_minute_walk() {
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |bound: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as i64
        };
        let base = at("2030-01-01T00:00:00Z");
        let (from, until) = (base + Duration::days(3), base + Duration::days(11));
        let offset = Duration::minutes(5 * 60 + 30);
        let slot = Schedule {
            windows: Vec::new(),
            weekly: vec![WeeklySlot {
                days: vec![Day::Tue, Day::Sat],
                start: "22:15".into(),
                end: "01:00".into(),
                utc_offset: Some("+05:30".into()),
                from: Some(from),
                until: Some(until),
                daylight: None,
            }],
        };
        slot.check().unwrap();
        for _ in 0..300 {
            let start = base + Duration::minutes(next(20_000));
            let end = start + Duration::minutes(1 + next(3_000));
            let mut walk = false;
            let mut t = start;
            while t < end {
                let local = t + offset;
                let minute = local.time();
                let day = local.date_naive();
                let listed = |d: NaiveDate| [Weekday::Tue, Weekday::Sat].contains(&d.weekday());
                let in_slot = (listed(day)
                    && minute >= NaiveTime::from_hms_opt(22, 15, 0).unwrap())
                    || (listed(day - Duration::days(1))
                        && minute < NaiveTime::from_hms_opt(1, 0, 0).unwrap());
                if in_slot && from <= t && t < until {
                    walk = true;
                    break;
                }
                t += Duration::minutes(1);
            }
            assert_eq!(slot.meets(start, end), walk, "{start} .. {end}");
        }
    }

    /// Daylight slots (events at a place, a night slot past midnight, one on a polar circle)
    /// against a minute-by-minute walk over random intervals: the day scan of `slot_meets` must
    /// find exactly the instants some listed day's period holds.
    #[test]
    fn a_daylight_slot_agrees_with_a_minute_walk() {
        let mut seed: u64 = 0x5DEE_CE66_D1CE_4E5B;
        let mut next = |bound: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as i64
        };
        let base = at("2030-06-10T00:00:00Z");
        let slot =
            |days: Vec<Day>, start: &str, area: [f64; 4], start_event, end_event| WeeklySlot {
                days,
                start: start.into(),
                end: "00:00".into(),
                utc_offset: Some("+09:00".into()),
                from: Some(base + Duration::days(2)),
                until: Some(base + Duration::days(12)),
                daylight: Some(Daylight {
                    area,
                    start_event,
                    end_event,
                    start_time_too: false,
                    end_time_too: false,
                }),
            };
        let cases = [
            slot(
                vec![Day::Sat],
                "00:00",
                [139.6, 35.6, 139.9, 35.8],
                Some(DaylightEvent::Sunrise),
                Some(DaylightEvent::Sunset),
            ),
            slot(
                vec![Day::Mon, Day::Wed],
                "22:00",
                [-74.1, 40.6, -73.8, 40.9],
                None,
                Some(DaylightEvent::CivilDawn),
            ),
            slot(
                vec![Day::Tue],
                "00:00",
                [18.9, 69.6, 19.0, 69.7],
                Some(DaylightEvent::CivilDawn),
                Some(DaylightEvent::CivilDusk),
            ),
        ];
        for slot in cases {
            let schedule = Schedule {
                windows: Vec::new(),
                weekly: vec![slot.clone()],
            };
            schedule.check().unwrap();
            let offset = slot.offset();
            let (from, to) = (
                parse_hhmm(&slot.start).unwrap(),
                parse_hhmm(&slot.end).unwrap(),
            );
            let in_slot = |t: DateTime<Utc>| {
                let local = (t + offset).date_naive();
                (t >= slot.from.unwrap() && t < slot.until.unwrap())
                    && (-4..=2).any(|k| {
                        let day = local + Duration::days(k);
                        slot.days.iter().any(|d| d.weekday() == day.weekday()) && {
                            let (b, e) = slot_period(&slot, day, from, to, offset);
                            b <= t && t < e
                        }
                    })
            };
            for _ in 0..200 {
                let start = base + Duration::minutes(next(20_000));
                let end = start + Duration::minutes(1 + next(4_000));
                let mut walk = false;
                let mut t = start;
                while t < end {
                    if in_slot(t) {
                        walk = true;
                        break;
                    }
                    t += Duration::minutes(1);
                }
                assert_eq!(
                    schedule.meets(start, end),
                    walk,
                    "{slot:?} {start} .. {end}"
                );
            }
        }
    }

    #[test]
    fn rules_bind_the_listed_parties() {
        let blue = PartyId("blue".into());
        let red = PartyId("red".into());
        let deny = ZoneRule::Deny {
            parties: vec![blue.clone()],
            all_except: false,
        };
        assert!(deny.broken_by(&blue, MissionType::Patrol));
        assert!(!deny.broken_by(&red, MissionType::Patrol));
        let only = ZoneRule::Deny {
            parties: vec![blue.clone()],
            all_except: true,
        };
        assert!(!only.broken_by(&blue, MissionType::Patrol));
        assert!(only.broken_by(&red, MissionType::Patrol));
        let humanitarian = ZoneRule::AllowOnlyMissions {
            parties: vec![blue.clone()],
            missions: vec![MissionType::Humanitarian, MissionType::Medical],
        };
        assert!(humanitarian.broken_by(&blue, MissionType::Combat));
        assert!(!humanitarian.broken_by(&blue, MissionType::Medical));
        assert!(!humanitarian.broken_by(&red, MissionType::Combat));
        assert_eq!(
            humanitarian.describe(),
            "blue may fly only humanitarian, medical missions"
        );
    }
}
