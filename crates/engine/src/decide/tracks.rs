//! Commands on live tracks: accepting position reports, and the periodic pass that runs
//! tactical detection (SPEC §5.2) and conformance (§5.3) over every live track and brings the
//! alerts in line with what it finds.
//!
//! An alert's figures change every pass; to keep the log readable it is *updated* only when
//! something a person acts on changes: the severity, loss of separation now, the time to LoS
//! by 5 s or more, or the closest approach by 10 % (at least 100 m). It is resolved when the
//! condition clears.

use chrono::{DateTime, Utc};
use deconflict_geometry::{Limits, Volume4d};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

use super::Decision;
use crate::agreement::AgreementParams;
use crate::alert::{Alert, AlertDetail, NonconformanceDetail, Severity, TacticalDetail, TrackRef};
use crate::event::Event;
use crate::ids::{OperationId, OperationKey, PartyId};
use crate::lifecycle::{self, Condition, ConditionKind, Found};
use crate::operation::Operation;
use crate::shard::{Cell, Shard};
use crate::state::State;
use crate::tactical::{self, TacticalDomains, TacticalParams, TrackState};
use crate::track::{LiveTrack, Motion, ReportRefusal, TrackReport, STALE_AFTER_S};

/// Conformance tolerances (SPEC §5.3 defaults).
pub const CONFORMANCE_HORIZONTAL_M: f64 = 0.0;
pub const CONFORMANCE_VERTICAL_M: f64 = 30.0;
pub const CONFORMANCE_TIME_S: i64 = 10;

/// A refused report: its position in the batch, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub index: usize,
    pub refusal: ReportRefusal,
}

/// How far a report's time may lie from the receiving clock (SPEC §10). An older report says
/// nothing about now; a later one comes from a wrong clock. Either, accepted, would stand as
/// the track's newest report and hide the real ones after it (a report dated 9999 froze its
/// track), so both are refused with the reason.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportWindow {
    pub back_s: f64,
    pub ahead_s: f64,
}

impl Default for ReportWindow {
    /// 10 minutes back, 60 s ahead.
    fn default() -> Self {
        Self {
            back_s: 600.0,
            ahead_s: 60.0,
        }
    }
}

impl ReportWindow {
    /// `Err` with the reason when `time` is outside the window around `now`.
    pub fn check(&self, time: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ReportRefusal> {
        let offset_s = (time - now).num_milliseconds() as f64 / 1000.0;
        let reason = if offset_s < -self.back_s {
            format!(
                "{time} is {:.0} s before the receiving clock ({now}): reports more than {:.0} s old are refused",
                -offset_s, self.back_s
            )
        } else if offset_s > self.ahead_s {
            format!(
                "{time} is {offset_s:.0} s after the receiving clock ({now}): reports more than {:.0} s ahead are refused",
                self.ahead_s
            )
        } else {
            return Ok(());
        };
        Err(ReportRefusal {
            field: "/time",
            reason,
        })
    }
}

/// Accepts a batch of already-parsed reports from `owner`: each is validated, quantised to what
/// receivers resolve ([`TrackReport::quantised`]), refused if its time is outside `window`
/// around `now`, and refused if its track belongs to another party; the rest become one
/// `PositionsReported` event.
pub fn report_positions(
    state: &State,
    owner: &PartyId,
    reports: Vec<(usize, TrackReport)>,
    now: DateTime<Utc>,
    window: &ReportWindow,
) -> Decision<(usize, Vec<Refused>)> {
    let mut refused = Vec::new();
    let mut accepted = Vec::with_capacity(reports.len());
    for (index, report) in reports {
        if let Err(refusal) = report.validate() {
            refused.push(Refused { index, refusal });
            continue;
        }
        // Kept as receivers resolve it, before anything is decided on it (`track::quantised`).
        let report = report.quantised();
        if let Err(refusal) = window.check(report.motion.time, now) {
            refused.push(Refused { index, refusal });
            continue;
        }
        if state
            .track(&report.track_id)
            .is_some_and(|t| t.owner != owner)
        {
            refused.push(Refused {
                index,
                refusal: ReportRefusal {
                    field: "/track_id",
                    reason: "this track id is reported by another party".to_owned(),
                },
            });
            continue;
        }
        accepted.push(report);
    }
    let count = accepted.len();
    let events = if accepted.is_empty() {
        Vec::new()
    } else {
        let digest = hex::encode(Sha256::digest(crate::track::compact::to_json_bytes(
            &accepted,
        )));
        vec![Event::PositionsReported {
            owner: owner.clone(),
            digest,
            reports: accepted,
        }]
    };
    Decision {
        events,
        outcome: (count, refused),
    }
}

/// What one pass found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassOutcome {
    pub live_tracks: usize,
    pub tactical_conflicts: usize,
    pub nonconforming: usize,
    pub lost: usize,
    /// Tracks in or heading into a zone against its rules (SPEC §5.4).
    pub zone_entries: usize,
    /// Tracks near or heading for a protected site (SPEC §5.5).
    pub site_proximities: usize,
    /// A shard's pass whose band did not cover the parameters in force or a report's age, so
    /// it detected over every live track ([`tactical_pass_in`]).
    pub band_exceeded: bool,
    /// Live tracks whose conditions this pass decided: all of them, or in a pass of moved
    /// tracks ([`tactical_pass_moved`]) those reported since.
    pub moved_tracks: usize,
}

/// The periodic pass: marks stale tracks lost, detects tactical conflicts over all live
/// tracks, checks conformance, and raises, updates or resolves their alerts.
pub fn tactical_pass(state: &State, now: DateTime<Utc>) -> Decision<PassOutcome> {
    tactical_pass_in(state, now, Scope::Whole)
}

/// What one node's periodic pass decides: everything (a single node), or one shard's share of
/// a cluster (SPEC §9, [`crate::shard`]).
#[derive(Debug, Clone, Copy)]
pub enum Scope<'s> {
    Whole,
    /// Tracks whose reported cell the shard owns (lost, conformance, zones, sites), pairs whose
    /// anchor's cell it owns; detection over the tracks it would receive. The shards of a
    /// cluster on one state decide, together, exactly what [`Scope::Whole`] decides
    /// (`tests/shard.rs`).
    Shard(&'s Shard),
    /// As [`Scope::Shard`], for a node whose reports come from NATS JetStream by cell
    /// (issue 21): it holds only its band's tracks, so a track it does not know is another
    /// node's, not a forgotten one, and conditions on tracks it does not know are not its own.
    StreamedShard(&'s Shard),
}

impl<'s> Scope<'s> {
    /// The shard, for a shard's pass.
    fn shard(&self) -> Option<&'s Shard> {
        match *self {
            Scope::Whole => None,
            Scope::Shard(shard) | Scope::StreamedShard(shard) => Some(shard),
        }
    }

    /// Whether checks of this one track (lost, conformance, zones, sites) are this pass's.
    fn owns(&self, track: LiveTrack<'_>) -> bool {
        match self.shard() {
            None => true,
            Some(shard) => shard.owns(&track_state(track)),
        }
    }

    /// Whether an open alert's condition is this pass's to decide: a pair by its anchor, one
    /// track by its cell. A condition whose tracks the state no longer holds (forgotten) is
    /// decided by the owner of the cell at 0°, 0°, so that it is decided by someone.
    fn decides(&self, state: &State, condition: &Condition) -> bool {
        let Some(shard) = self.shard() else {
            return true;
        };
        let known = |t: &TrackRef| state.track(&t.track_id).map(track_state);
        let streamed = matches!(self, Scope::StreamedShard(_));
        let fallback =
            || !streamed && Cell::of(0.0, 0.0).is_some_and(|cell| shard.owned().contains(&cell));
        match condition {
            Condition::Tactical([a, b]) => match (known(a), known(b)) {
                (Some(a), Some(b)) => shard.decides(&a, &b),
                (Some(_), None) | (None, Some(_)) if streamed => false,
                (Some(t), None) | (None, Some(t)) => shard.owns(&t),
                (None, None) => fallback(),
            },
            Condition::Nonconformance(track, _)
            | Condition::TrackZone(track, _)
            | Condition::TrackSite(track, _) => match known(track) {
                Some(t) => shard.owns(&t),
                None => fallback(),
            },
            _ => true,
        }
    }
}

/// [`tactical_pass`] for one [`Scope`]. A shard detects over the tracks it would receive only
/// when its band covers the widest parameters in force and every live report's age; otherwise
/// over every live track (the pairs it decides are the same; only slower), counted in
/// [`PassOutcome::band_exceeded`].
pub fn tactical_pass_in(state: &State, now: DateTime<Utc>, scope: Scope) -> Decision<PassOutcome> {
    pass(state, now, scope, None, false)
}

/// The pass of the tracks whose report changed since the state's
/// [`State::report_generation`] was `since` (the pass started by reports, issue 20): it decides
/// exactly what [`tactical_pass_in`] at the same `now` decides of every condition that involves
/// such a track — the pairs they are in (against every live track, moved or not), their
/// conformance, zones and sites — and leaves every other condition as it is, for the tick's
/// pass ([`tactical_pass_due`]); `tests/shard.rs` checks both against the whole pass.
///
/// Why that is enough between ticks: a condition of tracks none of which reported again can
/// change only with time (the look-ahead sliding along the same prediction, a zone's schedule,
/// a plan's window), and the tick's pass still decides those. A report, the one thing that
/// changes a prediction at once, is decided here, so its alert does not wait for the tick, and
/// the work is that of the moved tracks, not of every track: the detection still indexes every
/// live track (a moved track's partner may not have moved), but only pairs with a moved track
/// meet the owners' parameters and the rule, and only their alerts are reconciled.
pub fn tactical_pass_moved(
    state: &State,
    now: DateTime<Utc>,
    scope: Scope,
    since: u64,
) -> Decision<PassOutcome> {
    pass(state, now, scope, Some(0..=since), false)
}

/// The tick's pass when passes of moved tracks ran since the previous tick: it decides every
/// condition [`tactical_pass_in`] decides except those of tracks that were reported after the
/// previous tick (generation `previous_tick`) *and* decided by a pass of moved tracks since
/// (the last of which ran at generation `last_pass`): generations in
/// `previous_tick + 1 ..= last_pass`. Those were decided less than one tick ago, on their
/// latest report; everything else — tracks silent since the previous tick, tracks reported
/// after the last pass, and every condition of a track no longer live — is decided now, as the
/// whole pass would. So every condition is still decided at least once per tick, and when every
/// track reports between two ticks the tick costs what a pass of moved tracks costs. With
/// `last_pass <= previous_tick` (no pass of moved tracks between) it is the whole pass.
pub fn tactical_pass_due(
    state: &State,
    now: DateTime<Utc>,
    scope: Scope,
    previous_tick: u64,
    last_pass: u64,
) -> Decision<PassOutcome> {
    pass(
        state,
        now,
        scope,
        Some(previous_tick.saturating_add(1)..=last_pass),
        true,
    )
}

/// The pass: of every live track (`skip` `None`), or of those whose [`LiveTrack::reported`]
/// lies outside `skip`, with (`include_gone`) the conditions of tracks no longer live.
fn pass(
    state: &State,
    now: DateTime<Utc>,
    scope: Scope,
    skip: Option<std::ops::RangeInclusive<u64>>,
    include_gone: bool,
) -> Decision<PassOutcome> {
    let widest = state.widest_params();
    let mut events = Vec::new();
    let mut outcome = PassOutcome::default();

    let mut lost = Vec::new();
    let mut live: Vec<LiveTrack<'_>> = Vec::new();
    for track in state.live_tracks() {
        if track.age_s(now) > STALE_AFTER_S {
            if scope.owns(track) {
                lost.push(track.id.to_owned());
            }
        } else {
            live.push(track);
        }
    }
    outcome.lost = lost.len();
    if !lost.is_empty() {
        events.push(Event::TracksLost { track_ids: lost });
    }

    let widest_tactical = tactical_domains(&widest);
    if let Some(shard) = scope.shard() {
        let band = shard.band();
        let within = band.covers_domains(&widest_tactical)
            && live
                .iter()
                .all(|t| t.age_s(now).abs() <= band.max_extrapolation_s);
        if within {
            live.retain(|t| shard.receives(&track_state(*t)));
        } else {
            outcome.band_exceeded = true;
        }
    }
    outcome.live_tracks = live.len();
    // Which live tracks this pass decides the conditions of: all, or those outside `skip`
    // (still called "moved": in a pass of moved tracks, they are).
    let moved: Vec<bool> = live
        .iter()
        .map(|t| {
            skip.as_ref()
                .is_none_or(|skip| !skip.contains(&t.reported()))
        })
        .collect();
    let partial = skip.is_some();
    let moved_ids: std::collections::HashSet<&str> = match partial {
        false => Default::default(),
        true => live
            .iter()
            .zip(&moved)
            .filter(|(_, &m)| m)
            .map(|(t, _)| t.id)
            .collect(),
    };
    outcome.moved_tracks = moved.iter().filter(|&&m| m).count();
    if partial && !include_gone && moved_ids.is_empty() {
        return Decision { events, outcome };
    }
    // A track no longer live (lost now or before, forgotten, or stale) as the whole pass
    // sees it: its conditions resolve.
    let gone = |track: &TrackRef| {
        state
            .track(&track.track_id)
            .is_none_or(|t| t.lost || t.age_s(now) > STALE_AFTER_S)
    };
    let decided = |track: &TrackRef| {
        moved_ids.contains(track.track_id.as_str()) || (include_gone && gone(track))
    };
    let involves_moved = |condition: &Condition| match condition {
        Condition::Tactical([a, b]) => decided(a) || decided(b),
        Condition::Nonconformance(track, _)
        | Condition::TrackZone(track, _)
        | Condition::TrackSite(track, _) => decided(track),
        _ => false,
    };

    // The detector's input, in a buffer kept per thread: from one pass to the next the live
    // tracks are mostly the same, so their ids and owners are written into the strings already
    // there rather than allocated again (a pass every few tens of milliseconds otherwise
    // allocates two strings per live track each time).
    let mut states = STATES.with_borrow_mut(std::mem::take);
    states.truncate(live.len());
    for (i, track) in live.iter().enumerate() {
        match states.get_mut(i) {
            Some(kept) => write_track_state(kept, *track),
            None => states.push(track_state(*track)),
        }
    }
    // Larger minima and look-ahead only add conflicts, so a pass with the widest parameters
    // finds a superset; each pair is then judged with its own agreement's parameters.
    // Only pairs with a moved track, in a pass of moved tracks. The detector's buffers are
    // kept per thread from one pass to the next, so a pass allocates little but its answer.
    let focus = partial.then_some(moved.as_slice());
    let candidates = DETECTOR.with_borrow_mut(|detector| {
        detector.detect_in_focused(&states, now, &widest_tactical, focus)
    });
    let mut found: BTreeMap<[TrackRef; 2], TacticalDetail> = BTreeMap::new();
    for candidate in candidates {
        if !moved[candidate.a] && !moved[candidate.b] {
            continue;
        }
        if let Some(shard) = scope.shard() {
            if !shard.decides(&states[candidate.a], &states[candidate.b]) {
                continue;
            }
        }
        let pair_params = state.params_between(live[candidate.a].owner, live[candidate.b].owner);
        let conflict = if pair_params == widest {
            candidate.figures()
        } else {
            match tactical::pair_conflict_in(
                &states[candidate.a],
                &states[candidate.b],
                now,
                &tactical_domains(&pair_params),
            ) {
                Some(figures) => figures,
                None => continue,
            }
        };
        let conflict = (candidate.a, candidate.b, conflict);
        let (a, b, conflict) = conflict;
        let mut pair = [
            (track_ref(live[a]), live[a].domain()),
            (track_ref(live[b]), live[b].domain()),
        ];
        pair.sort_by(|x, y| x.0.cmp(&y.0));
        let [(first, first_domain), (second, second_domain)] = pair;
        let pair = [first, second];
        let detail = TacticalDetail {
            domains: [first_domain, second_domain],
            tracks: pair.clone(),
            evaluated_at: now,
            los_now: conflict.los_now,
            t_los_s: conflict.t_los_s,
            t_out_s: conflict.t_out_s,
            t_cpa_s: conflict.t_cpa_s,
            d_cpa_m: conflict.d_cpa_m,
            horizontal_distance_now_m: conflict.horizontal_distance_now_m,
            vertical_offset_now_m: conflict.vertical_offset_now_m,
        };
        found.insert(pair, detail);
    }
    outcome.tactical_conflicts = found.len();
    let decides_condition = |condition: &Condition| {
        (!partial || involves_moved(condition)) && scope.decides(state, condition)
    };
    let decides: Option<&dyn Fn(&Condition) -> bool> = match (scope, partial) {
        (Scope::Whole, false) => None,
        _ => Some(&decides_condition),
    };
    reconcile_tactical(state, now, decides, &found, &mut events);

    // Checks of one track are its cell owner's (and, in a pass of moved tracks, the moved ones').
    let mut index = 0;
    live.retain(|t| {
        index += 1;
        moved[index - 1] && scope.owns(*t)
    });
    let mut nonconforming = BTreeMap::new();
    for &track in &live {
        if let Some(detail) = conformance(state, track, now) {
            nonconforming.insert((detail.track.clone(), detail.operation.clone()), detail);
        }
    }
    outcome.nonconforming = nonconforming.len();
    reconcile_nonconformance(state, now, decides, &nonconforming, &mut events);
    let places = super::sites::track_places(state, &live, now, decides, &mut events);
    outcome.zone_entries = places.zone_entries;
    outcome.site_proximities = places.site_proximities;
    STATES.with_borrow_mut(|kept| *kept = states);
    Decision { events, outcome }
}

thread_local! {
    /// The detector of the passes run on this thread, its working memory kept between them.
    static DETECTOR: std::cell::RefCell<tactical::TacticalDetector> = Default::default();
    /// The detector's input of the last pass on this thread, its strings reused by the next.
    static STATES: std::cell::RefCell<Vec<TrackState>> = Default::default();
}

/// [`track_state`] written into a kept value, reusing its strings' buffers.
fn write_track_state(kept: &mut TrackState, track: LiveTrack<'_>) {
    kept.owner.0.clear();
    kept.owner.0.push_str(&track.owner.0);
    kept.track_id.clear();
    kept.track_id.push_str(track.id);
    kept.motion = *track.motion();
    kept.domain = track.domain();
}

/// The tactical rule's parameters, per domain, from an agreement's.
pub(crate) fn tactical_domains(params: &AgreementParams) -> TacticalDomains {
    let air = TacticalParams {
        separation_horizontal_m: params.separation_horizontal_m,
        separation_vertical_m: params.separation_vertical_m,
        lookahead_s: params.lookahead_s,
        ..TacticalParams::default()
    };
    TacticalDomains::new(
        air,
        params.sea.separation_horizontal_m,
        params.sea.lookahead_s,
        params.air_sea_checked,
    )
}

fn track_ref(track: LiveTrack<'_>) -> TrackRef {
    TrackRef {
        owner: track.owner.clone(),
        track_id: track.id.to_owned(),
    }
}

fn track_state(track: LiveTrack<'_>) -> TrackState {
    TrackState {
        owner: track.owner.clone(),
        track_id: track.id.to_owned(),
        motion: *track.motion(),
        domain: track.domain(),
    }
}

fn tactical_severity(detail: &TacticalDetail) -> Severity {
    if detail.los_now {
        Severity::Warning
    } else {
        Severity::from_time_to_conflict_s(detail.t_los_s)
    }
}

/// Whether the figures moved enough for a person to be told again: loss of separation now
/// began or ended, the predicted instant of loss moved (not merely came nearer with time), or
/// the closest approach changed by 10 % (at least 100 m).
fn materially_changed(old: &TacticalDetail, new: &TacticalDetail) -> bool {
    old.los_now != new.los_now
        || lifecycle::prediction_moved(old.evaluated_at, old.t_los_s, new.evaluated_at, new.t_los_s)
        || (old.d_cpa_m - new.d_cpa_m).abs() >= (0.1 * old.d_cpa_m).max(100.0)
}

fn reconcile_tactical(
    state: &State,
    now: DateTime<Utc>,
    decides: Option<&dyn Fn(&Condition) -> bool>,
    found: &BTreeMap<[TrackRef; 2], TacticalDetail>,
    events: &mut Vec<Event>,
) {
    let found: BTreeMap<Condition, Found> = found
        .iter()
        .map(|(pair, detail)| {
            let finding = Found {
                severity: tactical_severity(detail),
                detail: AlertDetail::TacticalConflict(detail.clone()),
            };
            (Condition::Tactical(pair.clone()), finding)
        })
        .collect();
    let changed = |alert: &Alert, finding: &Found| match (alert.tactical(), &finding.detail) {
        (Some(old), AlertDetail::TacticalConflict(new)) => {
            alert.severity != finding.severity || materially_changed(old, new)
        }
        _ => true,
    };
    lifecycle::reconcile_tracks(
        state,
        now,
        ConditionKind::Tactical,
        decides,
        &found,
        &changed,
        "separation is no longer predicted to be lost",
        false,
        events,
    );
}

/// A non-conformance reason without its figures: which limits the track is outside of. A track
/// drifting further out changes the metres every pass, which is not news; leaving another limit,
/// or coming near another party, is.
fn reason_shape(reason: &str) -> String {
    reason
        .chars()
        .filter(|c| !c.is_ascii_digit() && *c != '.')
        .collect()
}

/// SPEC §5.3: `Some` when the track flies for an operation and is outside all of its active
/// volumes (tolerances 0 m horizontal, 30 m vertical, 10 s), or the operation is not live.
fn conformance(
    state: &State,
    track: LiveTrack<'_>,
    now: DateTime<Utc>,
) -> Option<NonconformanceDetail> {
    let operation_id = track.operation_id()?;
    let key = OperationKey {
        owner: track.owner.clone(),
        id: OperationId(operation_id.to_owned()),
    };
    let report = track.motion();
    let position = [report.lon_deg, report.lat_deg];
    let reason = match state.operation(&key) {
        None => format!("operation {operation_id} is not filed"),
        Some(operation) if !operation.state.is_live() => {
            format!("operation {operation_id} is {}", operation.state)
        }
        Some(operation) => outside_reason(operation, report)?,
    };
    Some(NonconformanceDetail {
        track: track_ref(track),
        operation: key,
        evaluated_at: now,
        position,
        altitude_m: report.altitude_m,
        reason,
        nearby_parties: nearby_parties(state, track),
    })
}

/// `None` when the report is inside some volume of the operation (with the tolerances);
/// otherwise why not, for the nearest miss.
fn outside_reason(operation: &Operation, report: &Motion) -> Option<String> {
    let tolerance = chrono::Duration::seconds(CONFORMANCE_TIME_S);
    let mut reasons = Vec::new();
    for (index, volume) in operation.volumes.iter().enumerate() {
        if report.time < volume.time_start() - tolerance
            || report.time >= volume.time_end() + tolerance
        {
            reasons.push(format!("outside the time window of volume {index}"));
            continue;
        }
        let below = volume.altitude_lower_m() - CONFORMANCE_VERTICAL_M - report.altitude_m;
        let above = report.altitude_m - volume.altitude_upper_m() - CONFORMANCE_VERTICAL_M;
        if below > 0.0 || above > 0.0 {
            reasons.push(format!(
                "{:.0} m outside the altitude band of volume {index}",
                below.max(above)
            ));
            continue;
        }
        let distance = volume
            .footprint()
            .distance_to_point_m([report.lon_deg, report.lat_deg]);
        if distance > CONFORMANCE_HORIZONTAL_M {
            reasons.push(format!(
                "{distance:.0} m outside the footprint of volume {index}"
            ));
            continue;
        }
        return None;
    }
    Some(reasons.join("; "))
}

/// Parties other than the track's owner with a live operation within separation of the track.
fn nearby_parties(state: &State, track: LiveTrack<'_>) -> Vec<PartyId> {
    let report = track.motion();
    let spec = deconflict_geometry::Volume4dSpec {
        footprint: deconflict_geometry::FootprintSpec::Circle {
            center: vec![report.lon_deg, report.lat_deg],
            radius_m: 1.0,
        },
        altitude_lower_m: report.altitude_m,
        altitude_upper_m: report.altitude_m,
        time_start: report.time,
        time_end: report.time + chrono::Duration::seconds(1),
    };
    let Ok(volume) = Volume4d::from_spec(&spec, &Limits::default()) else {
        return Vec::new();
    };
    let key = OperationKey {
        owner: track.owner.clone(),
        id: OperationId(format!("track:{}", track.id)),
    };
    let parties: BTreeSet<PartyId> = super::find_conflicts(state, &key, track.domain(), &[volume])
        .into_iter()
        .map(|conflict| conflict.operation_b.owner)
        .collect();
    parties.into_iter().collect()
}

fn reconcile_nonconformance(
    state: &State,
    now: DateTime<Utc>,
    decides: Option<&dyn Fn(&Condition) -> bool>,
    found: &BTreeMap<(TrackRef, OperationKey), NonconformanceDetail>,
    events: &mut Vec<Event>,
) {
    let found: BTreeMap<Condition, Found> = found
        .iter()
        .map(|((track, operation), detail)| {
            let finding = Found {
                severity: if detail.nearby_parties.is_empty() {
                    Severity::Caution
                } else {
                    Severity::Warning
                },
                detail: AlertDetail::Nonconformance(detail.clone()),
            };
            (
                Condition::Nonconformance(track.clone(), operation.clone()),
                finding,
            )
        })
        .collect();
    let changed = |alert: &Alert, finding: &Found| match (alert.nonconformance(), &finding.detail) {
        (Some(old), AlertDetail::Nonconformance(new)) => {
            reason_shape(&old.reason) != reason_shape(&new.reason)
                || old.nearby_parties != new.nearby_parties
        }
        _ => true,
    };
    lifecycle::reconcile_tracks(
        state,
        now,
        ConditionKind::Nonconformance,
        decides,
        &found,
        &changed,
        "the track is back inside its operation, or no longer live",
        true,
        events,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kept state written over with another track reads exactly as one made afresh.
    #[test]
    fn a_kept_track_state_written_over_equals_a_fresh_one() {
        let time = DateTime::parse_from_rfc3339("2030-01-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let report = |id: &str, lat: f64, domain| TrackReport {
            track_id: id.to_owned(),
            motion: Motion {
                time,
                lat_deg: lat,
                lon_deg: 36.0,
                altitude_m: 9_000.0,
                ground_speed_mps: 200.0,
                track_deg: 90.0,
                vertical_rate_mps: -5.0,
            },
            operation_id: None,
            callsign: None,
            domain,
            vessel: None,
        };
        let mut state = State::new();
        state.apply(
            time,
            &Event::PositionsReported {
                owner: PartyId("a-long-party-name".into()),
                digest: String::new(),
                reports: vec![report(
                    "first-track-with-a-long-id",
                    35.0,
                    Default::default(),
                )],
            },
        );
        state.apply(
            time,
            &Event::PositionsReported {
                owner: PartyId("b".into()),
                digest: String::new(),
                reports: vec![report("t2", -12.5, crate::operation::Domain::Sea)],
            },
        );
        let tracks: Vec<LiveTrack<'_>> = state.live_tracks().collect();
        let mut kept = track_state(tracks[0]);
        write_track_state(&mut kept, tracks[1]);
        assert_eq!(kept, track_state(tracks[1]));
        write_track_state(&mut kept, tracks[0]);
        assert_eq!(kept, track_state(tracks[0]));
    }
}
