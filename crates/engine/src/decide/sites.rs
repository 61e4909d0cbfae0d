//! Commands on protected sites (SPEC §5.5), the site checks of operations, and the checks of
//! live tracks against zones (§5.4) and sites (§5.5) in the periodic pass.
//!
//! - An operation with a volume within a site's buffer while the site is present (a convoy:
//!   while it drives the stretch of road it covers during the volume's window) raises one alert
//!   per (operation, site) to the operation's owner and the site's owner.
//! - A live track within a site's buffer, or predicted to enter it within the look-ahead of the
//!   agreement between the two parties, raises one alert per (track, site); likewise a track
//!   inside a zone against its rules, or predicted to enter one, per (track, zone), to the track's
//!   and the zone's owners. A zone's `notify` rule concerns filed operations only: tracks are
//!   alerted when they break a rule, as §5.4 says.
//!
//! Alerts are updated when a figure a person acts on moves, and resolved when the condition
//! clears, like the strategic and tactical ones.

use chrono::{DateTime, Utc};
use deconflict_geometry::{Limits, Volume4d};
use std::collections::BTreeMap;

use super::Decision;
use crate::alert::{
    Alert, AlertDetail, Severity, SiteDetail, SiteSubject, SiteVolume, TrackRef, TrackZoneDetail,
};
use crate::error::EngineError;
use crate::event::Event;
use crate::ids::{validate_id, OperationId, OperationKey, PartyId};
use crate::lifecycle::{self, Condition, ConditionKind, Found};
use crate::operation::MissionType;
use crate::party::Role;
use crate::predict;
use crate::site::{Site, SiteSpec};
use crate::state::State;
use crate::track::{LiveTrack, Motion};
use crate::zone::{Finding, Zone, ZoneRule};

/// The answer to a notification.
#[derive(Debug, Clone)]
pub struct SiteOutcome {
    pub id: String,
    pub version: u64,
    pub created: bool,
}

fn may_notify(state: &State, party: &PartyId) -> Result<(), EngineError> {
    match state.party(party).map(|p| p.role) {
        Some(Role::Humanitarian | Role::Admin) => Ok(()),
        _ => Err(EngineError::Forbidden {
            needed: "a humanitarian or admin party",
            action: "notify protected sites",
        }),
    }
}

fn owned<'a>(state: &'a State, owner: &PartyId, id: &str) -> Result<Option<&'a Site>, EngineError> {
    match state.site(id) {
        Some(site) if &site.owner != owner => Err(EngineError::Forbidden {
            needed: "the site's owner",
            action: "replace or withdraw a protected site",
        }),
        found => Ok(found),
    }
}

/// Notifies or replaces a site; live operations are checked against it at once.
pub fn publish_site(
    state: &State,
    owner: &PartyId,
    id: &str,
    spec: SiteSpec,
    now: DateTime<Utc>,
    limits: &Limits,
) -> Result<Decision<SiteOutcome>, EngineError> {
    may_notify(state, owner)?;
    validate_id("site id", id)?;
    let existing = owned(state, owner, id)?;
    let shape = spec.validate(limits)?;
    if let Some(current) = existing.filter(|site| site.spec == spec) {
        return Ok(Decision {
            events: Vec::new(),
            outcome: SiteOutcome {
                id: id.to_owned(),
                version: current.version,
                created: false,
            },
        });
    }
    let version = existing.map_or(1, |site| site.version + 1);
    let site = Site {
        id: id.to_owned(),
        owner: owner.clone(),
        spec: spec.clone(),
        version,
        shape,
        updated_at: now,
    };
    let mut events = vec![Event::SitePublished {
        id: id.to_owned(),
        owner: owner.clone(),
        version,
        spec,
    }];
    for operation in state.operations().filter(|op| op.state.is_live()) {
        events.extend(reconcile_site(
            state,
            &operation.key,
            operation.spec.mission_type,
            &operation.volumes,
            &site,
            now,
        ));
    }
    Ok(Decision {
        events,
        outcome: SiteOutcome {
            id: id.to_owned(),
            version,
            created: existing.is_none(),
        },
    })
}

/// Withdraws a site; its open alerts are resolved.
pub fn withdraw_site(
    state: &State,
    owner: &PartyId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Decision<()>, EngineError> {
    let Some(site) = owned(state, owner, id)? else {
        return Err(EngineError::NotFound {
            what: "site",
            id: id.to_owned(),
        });
    };
    let mut events = vec![Event::SiteWithdrawn { id: id.to_owned() }];
    let reason = format!("site {} was withdrawn", site.id);
    events.extend(
        [ConditionKind::OperationSite, ConditionKind::TrackSite]
            .into_iter()
            .flat_map(|kind| state.open_alerts_of_kind(kind))
            .filter(|alert| alert.site().is_some_and(|d| d.site == site.id))
            .map(|alert| lifecycle::resolved_event(alert, now, reason.clone())),
    );
    Ok(Decision {
        events,
        outcome: (),
    })
}

/// The site alert events that bring operation `key`'s site alerts in line with its volumes.
pub fn reconcile_sites(
    state: &State,
    key: &OperationKey,
    mission: MissionType,
    volumes: &[Volume4d],
    now: DateTime<Utc>,
) -> Vec<Event> {
    state
        .sites()
        .flat_map(|site| reconcile_site(state, key, mission, volumes, site, now))
        .collect()
}

fn site_detail(site: &Site, subject: SiteSubject) -> SiteDetail {
    SiteDetail {
        site: site.id.clone(),
        site_name: site.spec.name.clone(),
        site_kind: site.spec.kind,
        site_owner: site.owner.clone(),
        buffer_m: site.spec.buffer_m,
        description: site.spec.description.clone(),
        subject,
    }
}

/// The alert events for one (operation, site) pair.
fn reconcile_site(
    state: &State,
    key: &OperationKey,
    mission: MissionType,
    volumes: &[Volume4d],
    site: &Site,
    now: DateTime<Utc>,
) -> Vec<Event> {
    let near: Vec<SiteVolume> = if key.owner == site.owner {
        Vec::new()
    } else {
        volumes
            .iter()
            .enumerate()
            .filter_map(|(index, volume)| {
                let nearness = site.near_footprint(
                    volume.footprint(),
                    volume.time_start(),
                    volume.time_end(),
                )?;
                Some(SiteVolume {
                    volume: index,
                    from: nearness.from,
                    to: nearness.to,
                    distance_m: nearness.distance_m,
                    site_position: site.convoy_position(nearness.from),
                })
            })
            .collect()
    };
    let condition = Condition::OperationSite(key.clone(), site.id.clone());
    let mut found = BTreeMap::new();
    if !near.is_empty() {
        let detail = site_detail(
            site,
            SiteSubject::Operation {
                operation: key.clone(),
                mission_type: mission,
                volumes: near,
            },
        );
        found.insert(
            condition.clone(),
            Found {
                severity: Severity::Caution,
                detail: AlertDetail::SiteProximity(detail),
            },
        );
    }
    lifecycle::reconcile_plans(
        state,
        now,
        state.open_alert_for(&condition),
        &found,
        &format!("the operation no longer comes near site {}", site.id),
    )
}

/// The mission a track flies, from the filed operation it names.
fn track_mission(state: &State, track: LiveTrack<'_>) -> Option<MissionType> {
    let id = track.operation_id()?;
    let key = OperationKey {
        owner: track.owner.clone(),
        id: OperationId(id.to_owned()),
    };
    state.operation(&key).map(|op| op.spec.mission_type)
}

/// The rules of `zone` a track of `party` on `mission` would break by entering. A track that
/// names no filed operation cannot show an allowed mission, so `allow_only_missions` binds it.
fn broken_rules(zone: &Zone, party: &PartyId, mission: Option<MissionType>) -> Vec<Finding> {
    if &zone.owner == party {
        return Vec::new();
    }
    zone.spec
        .rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| match (rule, mission) {
            (ZoneRule::Notify, _) => false,
            (_, Some(mission)) => rule.broken_by(party, mission),
            (ZoneRule::AllowOnlyMissions { parties, .. }, None) => parties.contains(party),
            (ZoneRule::Deny { .. }, None) => rule.broken_by(party, MissionType::Other),
        })
        .map(|(index, rule)| Finding {
            rule: index,
            description: rule.describe(),
            broken: true,
        })
        .collect()
}

/// How far a track and a place moving at `place_speed_mps` may close in over the look-ahead,
/// as [`predict::first_near`] samples it: its last interval ends half an interval past the
/// look-ahead, and an interval is at most the whole look-ahead, hence 1.5 times. A place
/// farther than this from the track now is out of every sample's reach: skipping it changes
/// nothing (tested against the unfiltered sampling).
fn reach(track: &Motion, place_speed_mps: f64, lookahead_s: f64) -> f64 {
    1.5 * (track.ground_speed_mps.abs() + place_speed_mps.abs()) * lookahead_s.max(0.0) + 1.0
}

/// When a track first enters `zone` within `lookahead_s` (seconds from `now`): the zone when
/// nowhere near is skipped at once, and far stretches of the look-ahead are skipped by
/// [`predict::first_near`]. Equal to [`sample_zone_entry`] (tested).
pub fn track_zone_entry(
    zone: &Zone,
    track: &Motion,
    now: DateTime<Utc>,
    lookahead_s: f64,
) -> Option<f64> {
    let (now_at, _) = predict::position_at(track, now);
    if zone.footprint.distance_to_point_m(now_at) - reach(track, 0.0, lookahead_s)
        > deconflict_geometry::ALLOWANCE_M
    {
        return None;
    }
    predict::first_near(track, now, lookahead_s, 0.0, zone_excess(zone))
}

/// [`track_zone_entry`] the obvious way: every sample of the look-ahead checked.
pub fn sample_zone_entry(
    zone: &Zone,
    track: &Motion,
    now: DateTime<Utc>,
    lookahead_s: f64,
) -> Option<f64> {
    predict::first_near_every(track, now, lookahead_s, 0.0, zone_excess(zone))
}

/// A sample against a zone: out unless within its altitude band and schedule; then how far
/// outside its footprint, less the slack.
fn zone_excess(zone: &Zone) -> impl Fn(&predict::Sample) -> predict::Excess + '_ {
    let (lower, upper) = (zone.spec.altitude_lower_m, zone.spec.altitude_upper_m);
    move |s| {
        let in_band = s.altitude_m + s.vertical_slack_m >= lower
            && s.altitude_m - s.vertical_slack_m <= upper;
        (in_band && zone.spec.schedule.meets(s.from, s.to)).then(|| {
            zone.footprint.distance_to_point_m(s.position)
                - s.slack_m
                - deconflict_geometry::ALLOWANCE_M
        })
    }
}

/// When a track first comes within `site`'s buffer within `lookahead_s` (seconds from `now`),
/// skipping sites and stretches of the look-ahead out of reach. Equal to [`sample_site_entry`]
/// (tested).
pub fn track_site_entry(
    site: &Site,
    track: &Motion,
    now: DateTime<Utc>,
    lookahead_s: f64,
) -> Option<f64> {
    let buffer = site.spec.buffer_m + deconflict_geometry::ALLOWANCE_M;
    let (now_at, _) = predict::position_at(track, now);
    let now_distance = match site.convoy_position(now) {
        Some(convoy_at) => deconflict_geometry::geodesic_distance_m(now_at, convoy_at),
        None => site.distance_at(now_at, now).unwrap_or(0.0),
    };
    if now_distance - reach(track, site.speed_mps(), lookahead_s) > buffer {
        return None;
    }
    predict::first_near(track, now, lookahead_s, site.speed_mps(), site_excess(site))
}

/// [`track_site_entry`] the obvious way: every sample of the look-ahead checked.
pub fn sample_site_entry(
    site: &Site,
    track: &Motion,
    now: DateTime<Utc>,
    lookahead_s: f64,
) -> Option<f64> {
    predict::first_near_every(track, now, lookahead_s, site.speed_mps(), site_excess(site))
}

/// A sample against a site: out unless the site is there; then how far outside its buffer,
/// less the slack.
fn site_excess(site: &Site) -> impl Fn(&predict::Sample) -> predict::Excess + '_ {
    let buffer = site.spec.buffer_m + deconflict_geometry::ALLOWANCE_M;
    let convoy = site.convoy_window();
    move |s| {
        let present = match convoy {
            Some((start, end)) => s.from < end && start < s.to,
            None => site.spec.schedule.meets(s.from, s.to),
        };
        if !present {
            return None;
        }
        // A convoy is taken where it is at the sample time, clamped into its window; over the
        // interval it moves at most its speed × half the interval, which the slack includes.
        let at = match convoy {
            Some((start, end)) => s.at.clamp(start, end),
            None => s.at,
        };
        let distance = match site.convoy_position(at) {
            Some(convoy_at) => deconflict_geometry::geodesic_distance_m(s.position, convoy_at),
            None => site.distance_at(s.position, at)?,
        };
        Some(distance - s.slack_m - buffer)
    }
}

/// Where a site is, for the pass's first filter: a point (a convoy: where it is now), or a box
/// holding an area.
enum Anchor {
    Point([f64; 3]),
    Box(deconflict_geometry::EcefBox),
    Anywhere,
}

impl Anchor {
    /// A lower bound on the geodesic distance from the surface point `p` (ECEF).
    fn distance_to(&self, p: [f64; 3]) -> f64 {
        match self {
            Anchor::Point(q) => {
                ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
            }
            Anchor::Box(bounds) => bounds.distance_to(p),
            Anchor::Anywhere => 0.0,
        }
    }
}

/// What the periodic pass found of tracks against zones and sites.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlacesOutcome {
    pub zone_entries: usize,
    pub site_proximities: usize,
}

/// Checks every live track against the zones and sites and reconciles the alerts.
pub fn track_places(
    state: &State,
    live: &[LiveTrack<'_>],
    now: DateTime<Utc>,
    decides: Option<&dyn Fn(&Condition) -> bool>,
    events: &mut Vec<Event>,
) -> PlacesOutcome {
    let mut zone_found: BTreeMap<(TrackRef, String), TrackZoneDetail> = BTreeMap::new();
    let mut site_found: BTreeMap<(TrackRef, String), SiteDetail> = BTreeMap::new();
    // A first, cheap filter: the straight-line distance from the track to a box holding the
    // place (or to the place's point now) is never more than the geodesic, and the widest
    // look-ahead in force is never shorter than a pair's. A place farther than the track can
    // reach by that measure is skipped before any geodesic is computed; the exact checks
    // below apply the same test with the geodesic and the pair's look-ahead.
    let widest = state.widest_params();
    let zones: Vec<(&Zone, deconflict_geometry::EcefBox)> = state
        .zones()
        .map(|zone| (zone, zone.footprint.ecef_bounds()))
        .collect();
    let sites: Vec<(&Site, Anchor)> = state
        .sites()
        .map(|site| {
            let anchor = match (&site.shape, site.convoy_position(now)) {
                (_, Some(convoy_at)) => Anchor::Point(deconflict_geometry::ecef(convoy_at)),
                (crate::site::SiteShape::Point(p), None) => {
                    Anchor::Point(deconflict_geometry::ecef(*p))
                }
                (crate::site::SiteShape::Area(area), None) => Anchor::Box(area.ecef_bounds()),
                (crate::site::SiteShape::Route(_), None) => Anchor::Anywhere,
            };
            (site, anchor)
        })
        .collect();
    // With no zone and no site there is nothing to find, and no track need be extrapolated.
    let live = if zones.is_empty() && sites.is_empty() {
        &[]
    } else {
        live
    };
    for &track in live {
        let track_ref = TrackRef {
            owner: track.owner.clone(),
            track_id: track.id.to_owned(),
        };
        let motion = track.motion();
        let (position, altitude_m) = predict::position_at(motion, now);
        let here = deconflict_geometry::ecef(position);
        let mission = track_mission(state, track);
        for (zone, bounds) in &zones {
            if bounds.distance_to(here) - reach(motion, 0.0, widest.lookahead_for(track.domain()))
                > deconflict_geometry::ALLOWANCE_M
            {
                continue;
            }
            let findings = broken_rules(zone, track.owner, mission);
            if findings.is_empty() {
                continue;
            }
            let lookahead = state
                .params_between(track.owner, &zone.owner)
                .lookahead_for(track.domain());
            let Some(t_entry_s) = track_zone_entry(zone, motion, now, lookahead) else {
                continue;
            };
            zone_found.insert(
                (track_ref.clone(), zone.id.clone()),
                TrackZoneDetail {
                    track: track_ref.clone(),
                    zone: zone.id.clone(),
                    zone_name: zone.spec.name.clone(),
                    zone_owner: zone.owner.clone(),
                    enforcement: zone.spec.enforcement,
                    mission_type: mission,
                    findings,
                    evaluated_at: now,
                    inside_now: t_entry_s == 0.0,
                    t_entry_s,
                    position,
                    altitude_m,
                },
            );
        }
        for (site, anchor) in &sites {
            if site.owner == *track.owner
                || anchor.distance_to(here)
                    - reach(
                        motion,
                        site.speed_mps(),
                        widest.lookahead_for(track.domain()),
                    )
                    > site.spec.buffer_m + deconflict_geometry::ALLOWANCE_M
            {
                continue;
            }
            let lookahead = state
                .params_between(track.owner, &site.owner)
                .lookahead_for(track.domain());
            let Some(t_entry_s) = track_site_entry(site, motion, now, lookahead) else {
                continue;
            };
            let entry_at = now + chrono::Duration::milliseconds((t_entry_s * 1000.0) as i64);
            site_found.insert(
                (track_ref.clone(), site.id.clone()),
                site_detail(
                    site,
                    SiteSubject::Track {
                        track: track_ref.clone(),
                        evaluated_at: now,
                        inside_now: t_entry_s == 0.0,
                        t_entry_s,
                        position,
                        altitude_m,
                        site_position: site.convoy_position(entry_at),
                    },
                ),
            );
        }
    }
    let outcome = PlacesOutcome {
        zone_entries: zone_found.len(),
        site_proximities: site_found.len(),
    };
    reconcile_track_zones(state, now, decides, &zone_found, events);
    reconcile_track_sites(state, now, decides, &site_found, events);
    outcome
}

fn entry_severity(inside_now: bool, t_entry_s: f64) -> Severity {
    if inside_now {
        Severity::Warning
    } else {
        Severity::from_time_to_conflict_s(t_entry_s)
    }
}

/// Whether an entry's figures moved enough for a person to be told again: inside now or not,
/// or the predicted instant of entry moved.
fn entry_changed(old: Entry, new: Entry) -> bool {
    old.inside_now != new.inside_now
        || lifecycle::prediction_moved(old.at, old.t_entry_s, new.at, new.t_entry_s)
}

/// A track's entry into a zone or a site's buffer, as evaluated at `at`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    inside_now: bool,
    at: DateTime<Utc>,
    t_entry_s: f64,
}

fn reconcile_track_zones(
    state: &State,
    now: DateTime<Utc>,
    decides: Option<&dyn Fn(&Condition) -> bool>,
    found: &BTreeMap<(TrackRef, String), TrackZoneDetail>,
    events: &mut Vec<Event>,
) {
    let found: BTreeMap<Condition, Found> = found
        .iter()
        .map(|((track, zone), detail)| {
            let finding = Found {
                severity: entry_severity(detail.inside_now, detail.t_entry_s),
                detail: AlertDetail::TrackZoneEntry(detail.clone()),
            };
            (Condition::TrackZone(track.clone(), zone.clone()), finding)
        })
        .collect();
    let changed = |alert: &Alert, finding: &Found| match (alert.track_zone(), &finding.detail) {
        (Some(old), AlertDetail::TrackZoneEntry(new)) => {
            alert.severity != finding.severity
                || old.findings != new.findings
                || entry_changed(
                    Entry {
                        inside_now: old.inside_now,
                        at: old.evaluated_at,
                        t_entry_s: old.t_entry_s,
                    },
                    Entry {
                        inside_now: new.inside_now,
                        at: new.evaluated_at,
                        t_entry_s: new.t_entry_s,
                    },
                )
        }
        _ => true,
    };
    lifecycle::reconcile_tracks(
        state,
        now,
        ConditionKind::TrackZone,
        decides,
        &found,
        &changed,
        "the track is no longer in or heading into the zone",
        false,
        events,
    );
}

/// A track's entry into a site's buffer.
fn track_entry(detail: &SiteDetail) -> Option<Entry> {
    match &detail.subject {
        SiteSubject::Track {
            inside_now,
            t_entry_s,
            evaluated_at,
            ..
        } => Some(Entry {
            inside_now: *inside_now,
            at: *evaluated_at,
            t_entry_s: *t_entry_s,
        }),
        SiteSubject::Operation { .. } => None,
    }
}

fn reconcile_track_sites(
    state: &State,
    now: DateTime<Utc>,
    decides: Option<&dyn Fn(&Condition) -> bool>,
    found: &BTreeMap<(TrackRef, String), SiteDetail>,
    events: &mut Vec<Event>,
) {
    let found: BTreeMap<Condition, Found> = found
        .iter()
        .map(|((track, site), detail)| {
            let entry = track_entry(detail).expect("a track's entry");
            let finding = Found {
                severity: entry_severity(entry.inside_now, entry.t_entry_s),
                detail: AlertDetail::SiteProximity(detail.clone()),
            };
            (Condition::TrackSite(track.clone(), site.clone()), finding)
        })
        .collect();
    let changed = |alert: &Alert, finding: &Found| {
        let old = alert.site().and_then(track_entry);
        let new = match &finding.detail {
            AlertDetail::SiteProximity(detail) => track_entry(detail),
            _ => None,
        };
        match (old, new) {
            (Some(old), Some(new)) => alert.severity != finding.severity || entry_changed(old, new),
            _ => true,
        }
    };
    lifecycle::reconcile_tracks(
        state,
        now,
        ConditionKind::TrackSite,
        decides,
        &found,
        &changed,
        "the track is no longer near or heading for the site",
        false,
        events,
    );
}
