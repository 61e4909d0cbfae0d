//! What one party may see of data that is not its own (SPEC §7).
//!
//! Every read path builds its answer through these functions. Under the default
//! `conflicts_only` release another party's operation appears only inside a conflict,
//! reduced to the overlap (time interval, altitude interval, region) and the owning
//! party's id — never its operation id, mission type, callsign or other volumes.
//! A function returns `None` when the viewer may not know the thing exists, so callers
//! answer 404, never 403.
//!
//! The agreement between the viewer and the owner decides how much more or less is shown
//! ([`releases`]): `full` operations appear whole in the viewer's list; `none` keeps even the
//! overlap of a conflict back (the viewer still learns that its own volume conflicts with the
//! other party's, and when the alert was raised: a conflict is never hidden). `full` tracks
//! appear in the viewer's track list; `proximity` tracks appear only within the look-ahead
//! reach of one of the viewer's own live tracks.

use chrono::{DateTime, Utc};
use deconflict_geometry::Volume4dSpec;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::agreement::{AgreementParams, OperationRelease, TrackRelease};
use crate::alert::{Alert, AlertKind, AlertState, NonconformanceDetail, Severity, TacticalDetail};
use crate::ids::{AlertId, OperationId, PartyId};
use crate::operation::{Domain, MissionType, Operation, OperationState};
use crate::state::State;
use crate::strategic::Overlap;
use crate::track::{LiveTrack, TrackReport};

/// How much `owner` releases to `viewer`: the strictest agreement in force between them, or
/// the defaults of SPEC §7; while their channel is frozen, never more than the defaults.
pub fn releases(state: &State, viewer: &PartyId, owner: &PartyId) -> AgreementParams {
    let params = state.params_between(viewer, owner);
    if state.frozen_between(viewer, owner).is_some() {
        params.strictest(AgreementParams::default())
    } else {
        params
    }
}

/// One conflicting volume pair, seen from the viewer's side.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConflictView {
    #[schema(value_type = String)]
    pub alert_id: AlertId,
    /// The viewer's operation and the index of its volume in conflict.
    #[schema(value_type = String)]
    pub own_operation: OperationId,
    pub own_volume: usize,
    /// The party whose operation conflicts (its operation is not named).
    #[schema(value_type = String)]
    pub other_party: PartyId,
    /// The party with right of way (a `medical` or `humanitarian` operation), if any.
    #[schema(value_type = Option<String>)]
    pub right_of_way: Option<PartyId>,
    /// The party whose operation has the higher ASTM F3548 priority, if they differ (its
    /// number is not released; a lower priority may not create such a conflict, so this is
    /// the side that filed later with the higher priority).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub priority_over: Option<PartyId>,
    /// The overlap of SPEC §5.1; `null` when the other party releases nothing of its
    /// operations (`none`) to the viewer.
    pub overlap: Option<Overlap>,
}

/// One's own operation, in full, with its current conflicts.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OperationView {
    #[schema(value_type = String)]
    pub id: OperationId,
    pub mission_type: MissionType,
    pub domain: Domain,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// ASTM F3548 priority (absent: 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub priority: i32,
    pub state: OperationState,
    pub version: u64,
    pub filed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(value_type = Vec<Object>)]
    pub volumes: Vec<Volume4dSpec>,
    pub conflicts: Vec<ConflictView>,
}

/// Another party's operation as released under `conflicts_only` or `full`: where it
/// conflicts with the viewer's, reduced to the overlaps.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OtherOperationView {
    #[schema(value_type = String)]
    pub party: PartyId,
    #[schema(value_type = String)]
    pub alert_id: AlertId,
    pub overlaps: Vec<Overlap>,
}

/// Another party's operation released whole (`full`): everything but its conflicts with
/// third parties.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReleasedOperationView {
    #[schema(value_type = String)]
    pub party: PartyId,
    #[schema(value_type = String)]
    pub id: OperationId,
    pub mission_type: MissionType,
    pub domain: Domain,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// ASTM F3548 priority (absent: 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub priority: i32,
    pub state: OperationState,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
    #[schema(value_type = Vec<Object>)]
    pub volumes: Vec<Volume4dSpec>,
}

/// Another party's live track released to the viewer (`full`, or `proximity` while near).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReleasedTrackView {
    #[schema(value_type = String)]
    pub party: PartyId,
    pub report: TrackReport,
    pub lost: bool,
}

/// A tactical conflict as one of the two track owners sees it: its own track, the other
/// party, and the figures of SPEC §5.2 — never the other track's id, callsign or position.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TacticalView {
    pub own_track: String,
    #[schema(value_type = String)]
    pub other_party: PartyId,
    /// The other track's id, only if the other party releases its tracks (`full`, or
    /// `proximity`: a track that can lose separation with one's own is within reach).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_track: Option<String>,
    pub evaluated_at: DateTime<Utc>,
    pub los_now: bool,
    pub t_los_s: f64,
    pub t_out_s: f64,
    pub t_cpa_s: f64,
    pub d_cpa_m: f64,
    pub horizontal_distance_now_m: f64,
    pub vertical_offset_now_m: f64,
    /// `air` or `sea`: which minima judged the pair (two ships: the sea's).
    pub own_domain: Domain,
    pub other_domain: Domain,
}

/// A non-conformance: in full for the track's owner; for a party with an operation nearby,
/// only where the track is and whose it is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NonconformanceView {
    #[schema(value_type = String)]
    pub track_owner: PartyId,
    /// Only for the owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_id: Option<String>,
    /// Only for the owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// Only for the owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub evaluated_at: DateTime<Utc>,
    /// `[lon, lat]`.
    pub position: [f64; 2],
    pub altitude_m: f64,
}

/// An alert as one of its recipients sees it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AlertView {
    #[schema(value_type = String)]
    pub id: AlertId,
    pub kind: AlertKind,
    pub severity: Severity,
    pub state: AlertState,
    #[schema(value_type = Vec<String>)]
    pub recipients: Vec<PartyId>,
    pub raised_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Recipients who have acknowledged, and when.
    #[schema(value_type = Object)]
    pub acknowledged_by: std::collections::BTreeMap<PartyId, DateTime<Utc>>,
    /// Times escalated for want of acknowledgement (each raised the severity one step).
    pub escalations: u32,
    /// Times pushed again at `warning` for want of acknowledgement.
    pub renotifications: u32,
    /// Open at `warning`, not acknowledged by every recipient, and re-notified the most times
    /// the agreement allows: nothing more will be pushed; it awaits a person.
    pub overdue: bool,
    /// Why it was resolved: `past` when its window has passed, otherwise in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_reason: Option<String>,
    /// Strategic conflicts: the viewer's side of each conflicting volume pair.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<ConflictView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tactical: Option<TacticalView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonconformance: Option<NonconformanceView>,
    /// The incident report, as its reporter shared it with the recipients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<crate::incident::Incident>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_entry: Option<ZoneEntryView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_zone_entry: Option<TrackZoneView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteAlertView>,
}

/// A live track entering a zone against its rules: in full for the track's owner; for the
/// zone's owner the party, where the track is and when it enters, and the rules broken — the
/// track's id only if the party releases its tracks in full, the mission only if it releases
/// its operations in full.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrackZoneView {
    pub zone: String,
    pub zone_name: String,
    #[schema(value_type = String)]
    pub zone_owner: PartyId,
    pub enforcement: crate::zone::Enforcement,
    #[schema(value_type = String)]
    pub party: PartyId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mission_type: Option<MissionType>,
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<crate::zone::Finding>,
    pub evaluated_at: DateTime<Utc>,
    pub inside_now: bool,
    pub t_entry_s: f64,
    pub position: [f64; 2],
    pub altitude_m: f64,
    /// `sea` for a ship (its altitude is then sea level, not a flight level).
    pub domain: Domain,
}

fn track_zone_view(
    state: &State,
    detail: &crate::alert::TrackZoneDetail,
    viewer: &PartyId,
) -> TrackZoneView {
    let owner = &detail.track.owner;
    let params = releases(state, viewer, owner);
    let own = owner == viewer;
    TrackZoneView {
        zone: detail.zone.clone(),
        zone_name: detail.zone_name.clone(),
        zone_owner: detail.zone_owner.clone(),
        enforcement: detail.enforcement,
        party: owner.clone(),
        track_id: (own || params.release_tracks == TrackRelease::Full)
            .then(|| detail.track.track_id.clone()),
        mission_type: detail
            .mission_type
            .filter(|_| own || params.release_operations == OperationRelease::Full),
        findings: detail.findings.clone(),
        evaluated_at: detail.evaluated_at,
        inside_now: detail.inside_now,
        t_entry_s: detail.t_entry_s,
        position: detail.position,
        altitude_m: detail.altitude_m,
        domain: state
            .track(&detail.track.track_id)
            .map(|track| track.domain())
            .unwrap_or_default(),
    }
}

/// Something near a protected site. The operation's or track's owner sees it in full, with the
/// site's details. The site's owner (SPEC §5.5) is told that its site is affected and when —
/// not by whom, nor where the other party is, unless that party releases its operations (for
/// an operation) or its tracks (for a track) in full.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SiteAlertView {
    pub site: String,
    pub site_name: String,
    pub site_kind: crate::site::SiteKind,
    #[schema(value_type = String)]
    pub site_owner: PartyId,
    pub buffer_m: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `operation` or `track`.
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub party: Option<PartyId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mission_type: Option<MissionType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_id: Option<String>,
    /// An operation's volumes near the site: when (and, in full, which and how close).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<SiteVolumeView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluated_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inside_now: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t_entry_s: Option<f64>,
    /// The track's `[lon, lat]` and altitude, in full only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub altitude_m: Option<f64>,
    /// A convoy's expected position (at the predicted entry, for a track).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_position: Option<[f64; 2]>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SiteVolumeView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<usize>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_position: Option<[f64; 2]>,
}

/// Whether `viewer` sees a site alert's subject in full.
pub fn site_subject_released(
    state: &State,
    detail: &crate::alert::SiteDetail,
    viewer: &PartyId,
) -> bool {
    use crate::alert::SiteSubject;
    match &detail.subject {
        SiteSubject::Operation { operation, .. } => {
            &operation.owner == viewer
                || releases(state, viewer, &operation.owner).release_operations
                    == OperationRelease::Full
        }
        SiteSubject::Track { track, .. } => {
            &track.owner == viewer
                || releases(state, viewer, &track.owner).release_tracks == TrackRelease::Full
        }
    }
}

fn site_view(state: &State, detail: &crate::alert::SiteDetail, viewer: &PartyId) -> SiteAlertView {
    use crate::alert::SiteSubject;
    let full = site_subject_released(state, detail, viewer);
    let mut view = SiteAlertView {
        site: detail.site.clone(),
        site_name: detail.site_name.clone(),
        site_kind: detail.site_kind,
        site_owner: detail.site_owner.clone(),
        buffer_m: detail.buffer_m,
        description: detail.description.clone(),
        subject: String::new(),
        party: None,
        operation_id: None,
        mission_type: None,
        track_id: None,
        volumes: Vec::new(),
        evaluated_at: None,
        inside_now: None,
        t_entry_s: None,
        position: None,
        altitude_m: None,
        site_position: None,
    };
    match &detail.subject {
        SiteSubject::Operation {
            operation,
            mission_type,
            volumes,
        } => {
            view.subject = "operation".into();
            if full {
                view.party = Some(operation.owner.clone());
                view.operation_id = Some(operation.id.0.clone());
                view.mission_type = Some(*mission_type);
            }
            view.volumes = volumes
                .iter()
                .map(|v| SiteVolumeView {
                    volume: full.then_some(v.volume),
                    from: v.from,
                    to: v.to,
                    distance_m: full.then_some(v.distance_m),
                    site_position: v.site_position,
                })
                .collect();
        }
        SiteSubject::Track {
            track,
            evaluated_at,
            inside_now,
            t_entry_s,
            position,
            altitude_m,
            site_position,
        } => {
            view.subject = "track".into();
            if full {
                view.party = Some(track.owner.clone());
                view.track_id = Some(track.track_id.clone());
                view.position = Some(*position);
                view.altitude_m = Some(*altitude_m);
            }
            view.evaluated_at = Some(*evaluated_at);
            view.inside_now = Some(*inside_now);
            view.t_entry_s = Some(*t_entry_s);
            view.site_position = *site_position;
        }
    }
    view
}

/// An operation entering a zone: in full for the operation's owner; for the zone's owner the
/// party, where and when, and the rules engaged — the operation's id and mission type only if
/// its operations are released in full.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ZoneEntryView {
    pub zone: String,
    pub zone_name: String,
    #[schema(value_type = String)]
    pub zone_owner: PartyId,
    pub enforcement: crate::zone::Enforcement,
    #[schema(value_type = String)]
    pub party: PartyId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mission_type: Option<MissionType>,
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<crate::alert::ZoneEntryVolume>,
}

fn zone_entry_view(
    state: &State,
    detail: &crate::alert::ZoneEntryDetail,
    viewer: &PartyId,
) -> ZoneEntryView {
    let owner = &detail.operation.owner;
    let full = owner == viewer
        || releases(state, viewer, owner).release_operations == OperationRelease::Full;
    ZoneEntryView {
        zone: detail.zone.clone(),
        zone_name: detail.zone_name.clone(),
        zone_owner: detail.zone_owner.clone(),
        enforcement: detail.enforcement,
        party: owner.clone(),
        operation_id: full.then(|| detail.operation.id.0.clone()),
        mission_type: full.then_some(detail.mission_type),
        entries: detail.entries.clone(),
    }
}

/// The viewer's side of every conflict of an alert; empty if the viewer is not concerned.
fn conflict_views(state: &State, alert: &Alert, viewer: &PartyId) -> Vec<ConflictView> {
    let Some(detail) = alert.strategic() else {
        return Vec::new();
    };
    detail
        .conflicts
        .iter()
        .filter_map(|conflict| {
            let (own, own_volume, other) = if &conflict.operation_a.owner == viewer {
                (
                    &conflict.operation_a,
                    conflict.volume_a,
                    &conflict.operation_b,
                )
            } else if &conflict.operation_b.owner == viewer {
                (
                    &conflict.operation_b,
                    conflict.volume_b,
                    &conflict.operation_a,
                )
            } else {
                return None;
            };
            Some(ConflictView {
                alert_id: alert.id.clone(),
                own_operation: own.id.clone(),
                own_volume,
                other_party: other.owner.clone(),
                right_of_way: detail.right_of_way.clone(),
                priority_over: higher_priority(state, own, other),
                overlap: (releases(state, viewer, &other.owner).release_operations
                    != OperationRelease::None)
                    .then(|| conflict.overlap.clone()),
            })
        })
        .collect()
}

/// An operation as `viewer` may see it: in full if it is the viewer's own, otherwise not at all
/// (others' operations appear only through [`others_in_conflict`]).
pub fn operation_view(
    state: &State,
    viewer: &PartyId,
    operation: &Operation,
) -> Option<OperationView> {
    if &operation.key.owner != viewer {
        return None;
    }
    let conflicts = state
        .open_alerts_of(&operation.key)
        .flat_map(|alert| conflict_views(state, alert, viewer))
        .filter(|view| view.own_operation == operation.key.id)
        .collect();
    Some(OperationView {
        id: operation.key.id.clone(),
        mission_type: operation.spec.mission_type,
        domain: operation.spec.domain,
        callsign: operation.spec.callsign.clone(),
        priority: operation.spec.priority,
        state: operation.state,
        version: operation.version,
        filed_at: operation.filed_at,
        updated_at: operation.updated_at,
        volumes: operation.spec.volumes.clone(),
        conflicts,
    })
}

/// Others' operations in conflict with `viewer`'s: one entry per open conflict, reduced to
/// the overlaps; nothing for a party that releases `none`.
pub fn others_in_conflict(state: &State, viewer: &PartyId) -> Vec<OtherOperationView> {
    state
        .alerts()
        .filter(|alert| alert.state == AlertState::Open && alert.recipients.contains(viewer))
        .filter(|alert| shown_now(state, alert, viewer))
        .filter_map(|alert| {
            let views = conflict_views(state, alert, viewer);
            let party = views.first()?.other_party.clone();
            let overlaps: Vec<Overlap> =
                views.into_iter().filter_map(|view| view.overlap).collect();
            (!overlaps.is_empty()).then(|| OtherOperationView {
                party,
                alert_id: alert.id.clone(),
                overlaps,
            })
        })
        .collect()
}

/// Others' live operations released whole to `viewer` (`full`).
pub fn released_operations(state: &State, viewer: &PartyId) -> Vec<ReleasedOperationView> {
    state
        .operations()
        .filter(|operation| &operation.key.owner != viewer && operation.state.is_live())
        .filter(|operation| {
            releases(state, viewer, &operation.key.owner).release_operations
                == OperationRelease::Full
        })
        .map(|operation| ReleasedOperationView {
            party: operation.key.owner.clone(),
            id: operation.key.id.clone(),
            mission_type: operation.spec.mission_type,
            domain: operation.spec.domain,
            callsign: operation.spec.callsign.clone(),
            priority: operation.spec.priority,
            state: operation.state,
            version: operation.version,
            updated_at: operation.updated_at,
            volumes: operation.spec.volumes.clone(),
        })
        .collect()
}

/// Others' live tracks released to `viewer`: all of a party that releases `full`, and those of
/// a party that releases `proximity` within the look-ahead reach of one of the viewer's own
/// live tracks ([`within_reach`]).
pub fn released_tracks(state: &State, viewer: &PartyId) -> Vec<ReleasedTrackView> {
    let own: Vec<LiveTrack<'_>> = state
        .live_tracks()
        .filter(|track| track.owner == viewer)
        .collect();
    state
        .live_tracks()
        .filter(|track| track.owner != viewer)
        .filter(|track| {
            let params = releases(state, viewer, track.owner);
            match params.release_tracks {
                TrackRelease::Full => true,
                TrackRelease::Proximity => {
                    own.iter().any(|mine| within_reach(*mine, *track, &params))
                }
                TrackRelease::ConflictsOnly => false,
            }
        })
        .map(|track| {
            let mut report = track.report();
            // The operation a track flies for is operation data: released only with `full`.
            if releases(state, viewer, track.owner).release_operations != OperationRelease::Full {
                report.operation_id = None;
            }
            ReleasedTrackView {
                party: track.owner.clone(),
                report,
                lost: track.lost,
            }
        })
        .collect()
}

/// Whether two tracks could come within separation of each other inside the look-ahead:
/// the horizontal (geodesic) distance is at most the horizontal separation plus the distance
/// both could close at their current speeds, and likewise vertically.
/// Two ships are measured with the sea minima and look-ahead, and on the horizontal only.
pub fn within_reach(a: LiveTrack<'_>, b: LiveTrack<'_>, params: &AgreementParams) -> bool {
    let ships = a.domain() == Domain::Sea && b.domain() == Domain::Sea;
    let (a, b) = (a.motion(), b.motion());
    let (lookahead, separation_horizontal_m) = if ships {
        (params.sea.lookahead_s, params.sea.separation_horizontal_m)
    } else {
        (params.lookahead_s, params.separation_horizontal_m)
    };
    let horizontal_reach =
        separation_horizontal_m + lookahead * (a.ground_speed_mps.abs() + b.ground_speed_mps.abs());
    let vertical_reach = params.separation_vertical_m
        + lookahead * (a.vertical_rate_mps.abs() + b.vertical_rate_mps.abs());
    (ships || (a.altitude_m - b.altitude_m).abs() <= vertical_reach)
        && deconflict_geometry::geodesic_distance_m([a.lon_deg, a.lat_deg], [b.lon_deg, b.lat_deg])
            <= horizontal_reach
}

/// Whether an alert is about safety (SPEC §2: it flows even while an agreement is suspended):
/// a loss of separation, a predicted one at `warning`, or a non-conformance.
pub fn is_safety_alert(alert: &Alert) -> bool {
    match alert.kind {
        AlertKind::TacticalConflict => {
            alert.tactical().is_some_and(|t| t.los_now)
                || alert.effective_severity() == Severity::Warning
        }
        AlertKind::Nonconformance => true,
        AlertKind::StrategicConflict
        | AlertKind::Incident
        | AlertKind::ZoneEntry
        | AlertKind::TrackZoneEntry
        | AlertKind::SiteProximity => false,
    }
}

/// An alert as `viewer` may see it now: `None` unless the viewer is a recipient, and `None`
/// for a non-safety alert shared with a party whose channel with the viewer is frozen.
pub fn alert_view_now(state: &State, alert: &Alert, viewer: &PartyId) -> Option<AlertView> {
    if !shown_now(state, alert, viewer) {
        return None;
    }
    alert_view(state, alert, viewer)
}

/// Whether [`alert_view_now`] shows `alert` to `viewer`, without building the view: the viewer
/// is a recipient, and the alert is about safety or no channel it shares is frozen.
pub fn shown_now(state: &State, alert: &Alert, viewer: &PartyId) -> bool {
    alert.recipients.contains(viewer)
        && (is_safety_alert(alert)
            || !alert
                .recipients
                .iter()
                .any(|other| other != viewer && state.frozen_between(viewer, other).is_some()))
}

/// An alert as `viewer` may see it; `None` unless the viewer is a recipient.
pub fn alert_view(state: &State, alert: &Alert, viewer: &PartyId) -> Option<AlertView> {
    if !alert.recipients.contains(viewer) {
        return None;
    }
    Some(AlertView {
        id: alert.id.clone(),
        kind: alert.kind,
        severity: alert.effective_severity(),
        state: alert.state,
        recipients: alert.recipients.clone(),
        raised_at: alert.raised_at,
        updated_at: alert.updated_at,
        resolved_at: alert.resolved_at,
        acknowledged_by: alert.acknowledgements.clone(),
        escalations: alert.escalations,
        renotifications: alert.renotifications,
        overdue: crate::lifecycle::overdue(alert, &state.alert_params(alert)),
        resolved_reason: alert.resolved_reason.clone(),
        conflicts: conflict_views(state, alert, viewer),
        tactical: alert
            .tactical()
            .and_then(|detail| tactical_view(state, detail, viewer)),
        nonconformance: alert
            .nonconformance()
            .map(|detail| nonconformance_view(detail, viewer)),
        incident: alert.incident().cloned(),
        zone_entry: alert
            .zone_entry()
            .map(|detail| zone_entry_view(state, detail, viewer)),
        track_zone_entry: alert
            .track_zone()
            .map(|detail| track_zone_view(state, detail, viewer)),
        site: alert.site().map(|detail| site_view(state, detail, viewer)),
    })
}

fn tactical_view(state: &State, detail: &TacticalDetail, viewer: &PartyId) -> Option<TacticalView> {
    let (own, other, own_domain, other_domain) = if &detail.tracks[0].owner == viewer {
        (
            &detail.tracks[0],
            &detail.tracks[1],
            detail.domains[0],
            detail.domains[1],
        )
    } else if &detail.tracks[1].owner == viewer {
        (
            &detail.tracks[1],
            &detail.tracks[0],
            detail.domains[1],
            detail.domains[0],
        )
    } else {
        return None;
    };
    Some(TacticalView {
        own_track: own.track_id.clone(),
        other_party: other.owner.clone(),
        other_track: (releases(state, viewer, &other.owner).release_tracks
            != TrackRelease::ConflictsOnly)
            .then(|| other.track_id.clone()),
        evaluated_at: detail.evaluated_at,
        los_now: detail.los_now,
        t_los_s: detail.t_los_s,
        t_out_s: detail.t_out_s,
        t_cpa_s: detail.t_cpa_s,
        d_cpa_m: detail.d_cpa_m,
        horizontal_distance_now_m: detail.horizontal_distance_now_m,
        vertical_offset_now_m: detail.vertical_offset_now_m,
        own_domain,
        other_domain,
    })
}

fn nonconformance_view(detail: &NonconformanceDetail, viewer: &PartyId) -> NonconformanceView {
    let own = &detail.track.owner == viewer;
    NonconformanceView {
        track_owner: detail.track.owner.clone(),
        track_id: own.then(|| detail.track.track_id.clone()),
        operation_id: own.then(|| detail.operation.id.0.clone()),
        reason: own.then(|| detail.reason.clone()),
        evaluated_at: detail.evaluated_at,
        position: detail.position,
        altitude_m: detail.altitude_m,
    }
}

/// The owner of whichever of two operations has the higher F3548 priority; `None` if equal
/// (or one is gone).
fn higher_priority(
    state: &State,
    a: &crate::OperationKey,
    b: &crate::OperationKey,
) -> Option<PartyId> {
    let (a_op, b_op) = (state.operation(a)?, state.operation(b)?);
    match a_op.spec.priority.cmp(&b_op.spec.priority) {
        std::cmp::Ordering::Greater => Some(a.owner.clone()),
        std::cmp::Ordering::Less => Some(b.owner.clone()),
        std::cmp::Ordering::Equal => None,
    }
}

fn is_zero(priority: &i32) -> bool {
    *priority == 0
}
