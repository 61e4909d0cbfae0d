//! The alert lifecycle of SPEC §6, in one place.
//!
//! Every kind of alert is about a *condition* ([`Condition`]): a pair of operations, a pair of
//! tracks, a track and its operation, an operation or a track and a zone or a site. A check
//! (a filing, the periodic pass) finds the conditions that hold now and hands them to
//! [`reconcile`], with the open alerts it is responsible for; `reconcile` raises an alert for a
//! new condition, updates one whose figures a person acts on have changed (the kind's
//! [`Rule`] says which), and resolves one whose condition is no longer found. Recipients are
//! computed here ([`recipients`]), from the condition's detail, and only ever grow while an
//! alert is open: whoever was told of a condition is told that it cleared.
//!
//! Time moves alerts too ([`next_deadline`], [`ends_at`]): an unacknowledged alert is escalated
//! one severity step per missed deadline up to `warning`, then re-notified at an interval a
//! bounded number of times, then left open and *overdue* with no further events; a strategic,
//! zone or site alert resolves (reason [`PAST`]) once its overlap window has passed. The state
//! keeps these instants in time-ordered queues so the periodic pass touches only what is due
//! (`decide::time_pass`).
//!
//! Each change to an alert is made by one function here ([`resolved`], [`acknowledged`],
//! [`escalated`], [`renotified`]) used both by the commands, to put the alert as it stands
//! after the change into the event (so a replayed stream shows what was said then), and by
//! [`crate::State::apply`], so the two can never differ.

use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

use crate::agreement::AgreementParams;
use crate::alert::{
    nonconformance_alert_base_id, site_operation_alert_base_id, site_track_alert_base_id,
    strategic_alert_base_id, tactical_alert_base_id, track_zone_alert_base_id, zone_alert_base_id,
    Alert, AlertDetail, AlertKind, AlertState, Severity, SiteSubject, TrackRef,
};
use crate::event::Event;
use crate::ids::{OperationKey, PartyId};
use crate::state::State;
use crate::track::STALE_AFTER_S;

/// The reason given when an alert's overlap window has passed.
pub const PAST: &str = "past";

/// What an alert is about; one open alert per condition at a time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Condition {
    Strategic([OperationKey; 2]),
    Tactical([TrackRef; 2]),
    Nonconformance(TrackRef, OperationKey),
    OperationZone(OperationKey, String),
    TrackZone(TrackRef, String),
    OperationSite(OperationKey, String),
    TrackSite(TrackRef, String),
}

/// The kinds of condition, to find the open alerts of one kind without walking the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConditionKind {
    Strategic,
    Tactical,
    Nonconformance,
    OperationZone,
    TrackZone,
    OperationSite,
    TrackSite,
}

impl ConditionKind {
    /// The kinds the periodic pass over live tracks owns.
    pub const OF_TRACKS: [ConditionKind; 4] = [
        ConditionKind::Tactical,
        ConditionKind::Nonconformance,
        ConditionKind::TrackZone,
        ConditionKind::TrackSite,
    ];
}

impl Condition {
    /// The condition an alert's detail is about (`None` for incidents, which have no condition).
    pub fn of(detail: &AlertDetail) -> Option<Condition> {
        Some(match detail {
            AlertDetail::StrategicConflict(d) => Condition::Strategic(d.operations.clone()),
            AlertDetail::TacticalConflict(d) => Condition::Tactical(d.tracks.clone()),
            AlertDetail::Nonconformance(d) => {
                Condition::Nonconformance(d.track.clone(), d.operation.clone())
            }
            AlertDetail::ZoneEntry(d) => {
                Condition::OperationZone(d.operation.clone(), d.zone.clone())
            }
            AlertDetail::TrackZoneEntry(d) => Condition::TrackZone(d.track.clone(), d.zone.clone()),
            AlertDetail::SiteProximity(d) => match &d.subject {
                SiteSubject::Operation { operation, .. } => {
                    Condition::OperationSite(operation.clone(), d.site.clone())
                }
                SiteSubject::Track { track, .. } => {
                    Condition::TrackSite(track.clone(), d.site.clone())
                }
            },
            AlertDetail::Incident(_) => return None,
        })
    }

    pub fn kind(&self) -> ConditionKind {
        match self {
            Condition::Strategic(_) => ConditionKind::Strategic,
            Condition::Tactical(_) => ConditionKind::Tactical,
            Condition::Nonconformance(..) => ConditionKind::Nonconformance,
            Condition::OperationZone(..) => ConditionKind::OperationZone,
            Condition::TrackZone(..) => ConditionKind::TrackZone,
            Condition::OperationSite(..) => ConditionKind::OperationSite,
            Condition::TrackSite(..) => ConditionKind::TrackSite,
        }
    }

    /// The alert kind raised for this condition.
    pub fn alert_kind(&self) -> AlertKind {
        match self {
            Condition::Strategic(_) => AlertKind::StrategicConflict,
            Condition::Tactical(_) => AlertKind::TacticalConflict,
            Condition::Nonconformance(..) => AlertKind::Nonconformance,
            Condition::OperationZone(..) => AlertKind::ZoneEntry,
            Condition::TrackZone(..) => AlertKind::TrackZoneEntry,
            Condition::OperationSite(..) | Condition::TrackSite(..) => AlertKind::SiteProximity,
        }
    }

    /// The id of the condition's first alert; later generations append `-2`, `-3`, ….
    pub fn base_id(&self) -> String {
        match self {
            Condition::Strategic([a, b]) => strategic_alert_base_id(a, b),
            Condition::Tactical([a, b]) => tactical_alert_base_id(a, b),
            Condition::Nonconformance(track, operation) => {
                nonconformance_alert_base_id(track, operation)
            }
            Condition::OperationZone(operation, zone) => zone_alert_base_id(operation, zone),
            Condition::TrackZone(track, zone) => track_zone_alert_base_id(track, zone),
            Condition::OperationSite(operation, site) => {
                site_operation_alert_base_id(operation, site)
            }
            Condition::TrackSite(track, site) => site_track_alert_base_id(track, site),
        }
    }
}

/// The parties told of an alert with this detail, sorted: the owners of whatever it concerns,
/// and the parties near a non-conforming track.
pub fn recipients(detail: &AlertDetail) -> Vec<PartyId> {
    let mut parties: Vec<PartyId> = match detail {
        AlertDetail::StrategicConflict(d) => d.operations.iter().map(|o| o.owner.clone()).collect(),
        AlertDetail::TacticalConflict(d) => d.tracks.iter().map(|t| t.owner.clone()).collect(),
        AlertDetail::Nonconformance(d) => std::iter::once(d.track.owner.clone())
            .chain(d.nearby_parties.iter().cloned())
            .collect(),
        AlertDetail::ZoneEntry(d) => vec![d.operation.owner.clone(), d.zone_owner.clone()],
        AlertDetail::TrackZoneEntry(d) => vec![d.track.owner.clone(), d.zone_owner.clone()],
        AlertDetail::SiteProximity(d) => {
            let subject_owner = match &d.subject {
                SiteSubject::Operation { operation, .. } => operation.owner.clone(),
                SiteSubject::Track { track, .. } => track.owner.clone(),
            };
            vec![subject_owner, d.site_owner.clone()]
        }
        AlertDetail::Incident(incident) => std::iter::once(incident.reporter.clone())
            .chain(incident.shared_with.iter().cloned())
            .collect(),
    };
    parties.sort();
    parties.dedup();
    parties
}

/// What a check found for one condition: how urgent, and the figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub severity: Severity,
    pub detail: AlertDetail,
}

/// The kind-specific parts of the lifecycle.
pub struct Rule<'a> {
    /// Whether the new figures differ from the alert's in something a person acts on (then
    /// the alert is updated and pushed again; otherwise nothing is logged).
    pub changed: &'a dyn Fn(&Alert, &Found) -> bool,
    /// Why an open alert whose condition was not found is resolved.
    pub cleared: &'a dyn Fn(&Condition) -> String,
    /// Whether an update keeps the higher of the old and new severities (a non-conformance
    /// that once endangered others stays a warning).
    pub severity_ratchets: bool,
}

/// How far a predicted instant (loss of separation, entry into a zone or a site's buffer) must
/// move before a person is told again: the countdown they see already follows time.
pub const PREDICTION_MOVED_S: f64 = 5.0;

/// Whether the instant predicted at `old_at` in `old_s` seconds and the one predicted at
/// `new_at` in `new_s` seconds differ by [`PREDICTION_MOVED_S`] or more. The same prediction
/// re-evaluated later counts down by itself and is not news.
pub fn prediction_moved(
    old_at: DateTime<Utc>,
    old_s: f64,
    new_at: DateTime<Utc>,
    new_s: f64,
) -> bool {
    let elapsed_s = (new_at - old_at).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
    (old_s - elapsed_s - new_s).abs() >= PREDICTION_MOVED_S
}

/// The default test for an update: any change of severity or figures.
pub fn any_change(alert: &Alert, found: &Found) -> bool {
    alert.severity != found.severity || alert.detail != found.detail
}

/// Brings the alerts of one check in line with what it found: raises, updates and resolves.
///
/// `open` are the open alerts this check is responsible for (it decides each of their
/// conditions); a condition of `found` with no open alert is raised, one whose alert is not in
/// `found` is resolved. Events come in condition order: raises and updates, then resolutions.
pub fn reconcile<'a>(
    state: &State,
    now: DateTime<Utc>,
    open: impl IntoIterator<Item = &'a Alert>,
    found: &BTreeMap<Condition, Found>,
    rule: &Rule<'_>,
    events: &mut Vec<Event>,
) {
    let mut open: Vec<(Condition, &Alert)> = open
        .into_iter()
        .filter(|alert| alert.state == AlertState::Open)
        .filter_map(|alert| Some((Condition::of(&alert.detail)?, alert)))
        .collect();
    // In condition order; of two alerts on one condition, the later given (as a map would).
    open.reverse();
    open.sort_by(|x, y| x.0.cmp(&y.0));
    open.dedup_by(|x, y| x.0 == y.0);
    reconcile_keyed(
        state,
        now,
        open.iter().map(|(condition, alert)| (condition, *alert)),
        found,
        rule,
        events,
    );
}

/// [`reconcile`] given each open alert with its condition, in condition order: one walk
/// along both ordered lists, with nothing copied or searched.
fn reconcile_keyed<'a>(
    state: &State,
    now: DateTime<Utc>,
    open: impl Iterator<Item = (&'a Condition, &'a Alert)>,
    found: &BTreeMap<Condition, Found>,
    rule: &Rule<'_>,
    events: &mut Vec<Event>,
) {
    let mut open = open
        .filter(|(_, alert)| alert.state == AlertState::Open)
        .peekable();
    let mut resolutions = Vec::new();
    for (condition, finding) in found {
        // Open alerts before this condition were not found: resolved.
        while let Some((c, alert)) = open.next_if(|(c, _)| *c < condition) {
            resolutions.push(resolved_event(alert, now, (rule.cleared)(c)));
        }
        match open.next_if(|(c, _)| *c == condition) {
            Some((_, alert)) if !(rule.changed)(alert, finding) => {}
            Some((_, alert)) => events.push(Event::AlertUpdated {
                alert: updated(alert, finding, rule.severity_ratchets, now),
            }),
            None => events.push(Event::AlertRaised {
                alert: Alert::raise(
                    state.fresh_alert_id(condition),
                    condition.alert_kind(),
                    finding.severity,
                    recipients(&finding.detail),
                    now,
                    finding.detail.clone(),
                ),
            }),
        }
    }
    for (condition, alert) in open {
        resolutions.push(resolved_event(alert, now, (rule.cleared)(condition)));
    }
    events.extend(resolutions);
}

/// [`reconcile`] for a check of plans (a filing, a zone or site published): any change of
/// figures is told, and a condition no longer found is resolved for `cleared`.
pub fn reconcile_plans<'a>(
    state: &State,
    now: DateTime<Utc>,
    open: impl IntoIterator<Item = &'a Alert>,
    found: &BTreeMap<Condition, Found>,
    cleared: &str,
) -> Vec<Event> {
    let mut events = Vec::new();
    let cleared = |_: &Condition| cleared.to_owned();
    let rule = Rule {
        changed: &any_change,
        cleared: &cleared,
        severity_ratchets: false,
    };
    reconcile(state, now, open, found, &rule, &mut events);
    events
}

/// [`reconcile`] for the periodic pass over live tracks: every open alert of `kind` whose
/// condition the pass `decides` (all of them when `None`, on a single node; a shard's share in a cluster,
/// `decide::Scope`) is decided by it. A condition no longer found is resolved because one of
/// its tracks was lost, or for `otherwise`.
#[allow(clippy::too_many_arguments)]
pub fn reconcile_tracks(
    state: &State,
    now: DateTime<Utc>,
    kind: ConditionKind,
    decides: Option<&dyn Fn(&Condition) -> bool>,
    found: &BTreeMap<Condition, Found>,
    changed: &dyn Fn(&Alert, &Found) -> bool,
    otherwise: &str,
    severity_ratchets: bool,
    events: &mut Vec<Event>,
) {
    let cleared = |condition: &Condition| track_cleared(state, now, condition, otherwise);
    let rule = Rule {
        changed,
        cleared: &cleared,
        severity_ratchets,
    };
    let open = state
        .open_conditions_of_kind(kind)
        .filter(|(condition, _)| decides.is_none_or(|decides| decides(condition)));
    reconcile_keyed(state, now, open, found, &rule, events);
}

/// Why a track alert cleared: one of its tracks was lost (no report within the staleness
/// limit), or `otherwise`. Names no track: every recipient reads the reason.
fn track_cleared(
    state: &State,
    now: DateTime<Utc>,
    condition: &Condition,
    otherwise: &str,
) -> String {
    let tracks: &[TrackRef] = match condition {
        Condition::Tactical(pair) => pair,
        Condition::Nonconformance(track, _)
        | Condition::TrackZone(track, _)
        | Condition::TrackSite(track, _) => std::slice::from_ref(track),
        _ => &[],
    };
    let lost = tracks.iter().any(|t| {
        state
            .track(&t.track_id)
            .is_none_or(|track| track.lost || track.age_s(now) > STALE_AFTER_S)
    });
    if lost {
        format!("a track was lost (no report for {STALE_AFTER_S} s)")
    } else {
        otherwise.to_owned()
    }
}

/// The alert with new figures; its id, acknowledgements and escalations kept, recipients widened.
fn updated(alert: &Alert, finding: &Found, ratchet: bool, now: DateTime<Utc>) -> Alert {
    let mut parties = alert.recipients.clone();
    parties.extend(recipients(&finding.detail));
    parties.sort();
    parties.dedup();
    Alert {
        severity: if ratchet {
            finding.severity.max(alert.severity)
        } else {
            finding.severity
        },
        recipients: parties,
        updated_at: now,
        detail: finding.detail.clone(),
        ..alert.clone()
    }
}

/// Resolves an alert: the change, as applied to the state and as told in the event.
pub fn resolved(alert: &mut Alert, time: DateTime<Utc>, reason: &str) {
    alert.state = AlertState::Resolved;
    alert.resolved_at = Some(time);
    alert.resolved_reason = Some(reason.to_owned());
    alert.updated_at = time;
}

/// The event resolving `alert` at `now`, carrying the alert as resolved.
pub fn resolved_event(alert: &Alert, now: DateTime<Utc>, reason: String) -> Event {
    let mut after = alert.clone();
    resolved(&mut after, now, &reason);
    Event::AlertResolved {
        id: alert.id.clone(),
        reason,
        alert: Some(Box::new(after)),
    }
}

/// A recipient acknowledges.
pub fn acknowledged(alert: &mut Alert, party: &PartyId, time: DateTime<Utc>) {
    alert.acknowledgements.insert(party.clone(), time);
}

/// Severity one step up for want of acknowledgement.
pub fn escalated(alert: &mut Alert, escalations: u32, time: DateTime<Utc>) {
    alert.escalations = escalations;
    alert.escalated_at = Some(time);
    alert.updated_at = time;
}

/// Pushed again at `warning` for want of acknowledgement.
pub fn renotified(alert: &mut Alert, renotifications: u32, time: DateTime<Utc>) {
    alert.renotifications = renotifications;
    alert.renotified_at = Some(time);
    alert.updated_at = time;
}

/// When an unacknowledged alert is next due to be escalated or re-notified; `None` when it is
/// resolved, acknowledged by every recipient, or overdue (re-notified the most times allowed).
///
/// Below `warning`, the deadline of the effective severity counts from the last push (raise or
/// escalation). At `warning`, the first re-notification comes at the `warning` deadline, the
/// next ones every `renotify_interval_s`, at most `renotify_limit` in all.
pub fn next_deadline(alert: &Alert, params: &AgreementParams) -> Option<DateTime<Utc>> {
    if alert.state != AlertState::Open || alert.unacknowledged().next().is_none() {
        return None;
    }
    let last_push = [
        Some(alert.raised_at),
        alert.escalated_at,
        alert.renotified_at,
    ]
    .into_iter()
    .flatten()
    .max()
    .expect("raised_at is always set");
    let wait_s = match alert.effective_severity() {
        Severity::Warning if alert.renotifications >= params.renotify_limit => return None,
        Severity::Warning if alert.renotifications == 0 => params.ack_deadline_warning_s,
        Severity::Warning => params.renotify_interval_s,
        Severity::Caution | Severity::Advisory => params.ack_deadline_s,
    };
    Some(last_push + Duration::milliseconds((wait_s * 1000.0).round() as i64))
}

/// Whether an open alert has been re-notified the most times allowed and is still not
/// acknowledged by everyone: it stays open, with no further events.
pub fn overdue(alert: &Alert, params: &AgreementParams) -> bool {
    alert.state == AlertState::Open
        && alert.effective_severity() == Severity::Warning
        && alert.unacknowledged().next().is_some()
        && alert.renotifications >= params.renotify_limit
}

/// When the condition of a plan alert is over: the end of the last overlap window (strategic),
/// of the last volume inside the zone, or of the last stretch near the site. Track alerts are
/// decided by the periodic pass and have none.
pub fn ends_at(alert: &Alert) -> Option<DateTime<Utc>> {
    match &alert.detail {
        AlertDetail::StrategicConflict(d) => d.conflicts.iter().map(|c| c.overlap.time_end).max(),
        AlertDetail::ZoneEntry(d) => d.entries.iter().map(|e| e.time_end).max(),
        AlertDetail::SiteProximity(d) => match &d.subject {
            SiteSubject::Operation { volumes, .. } => volumes.iter().map(|v| v.to).max(),
            SiteSubject::Track { .. } => None,
        },
        _ => None,
    }
}
