//! What one party may see of data that is not its own (SPEC §7).
//!
//! Every read path builds its answer through these functions. Under the default
//! `conflicts_only` release another party's operation appears only inside a conflict,
//! reduced to the overlap (time interval, altitude interval, region) and the owning
//! party's id — never its operation id, mission type, callsign or other volumes.
//! A function returns `None` when the viewer may not know the thing exists, so callers
//! answer 404, never 403.

use chrono::{DateTime, Utc};
use deconflict_geometry::Volume4dSpec;
use serde::Serialize;
use utoipa::ToSchema;

use crate::alert::{Alert, AlertKind, AlertState, Severity};
use crate::ids::{AlertId, OperationId, PartyId};
use crate::operation::{Domain, MissionType, Operation, OperationState};
use crate::state::State;
use crate::strategic::Overlap;

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
    pub overlap: Overlap,
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
    pub state: OperationState,
    pub version: u64,
    pub filed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(value_type = Vec<Object>)]
    pub volumes: Vec<Volume4dSpec>,
    pub conflicts: Vec<ConflictView>,
}

/// Another party's operation as released under `conflicts_only`: only where it conflicts.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OtherOperationView {
    #[schema(value_type = String)]
    pub party: PartyId,
    #[schema(value_type = String)]
    pub alert_id: AlertId,
    pub overlaps: Vec<Overlap>,
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
    pub conflicts: Vec<ConflictView>,
}

/// The viewer's side of every conflict of an alert; empty if the viewer is not concerned.
fn conflict_views(alert: &Alert, viewer: &PartyId) -> Vec<ConflictView> {
    alert
        .detail
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
                right_of_way: alert.detail.right_of_way.clone(),
                overlap: conflict.overlap.clone(),
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
        .flat_map(|alert| conflict_views(alert, viewer))
        .filter(|view| view.own_operation == operation.key.id)
        .collect();
    Some(OperationView {
        id: operation.key.id.clone(),
        mission_type: operation.spec.mission_type,
        domain: operation.spec.domain,
        callsign: operation.spec.callsign.clone(),
        state: operation.state,
        version: operation.version,
        filed_at: operation.filed_at,
        updated_at: operation.updated_at,
        volumes: operation.spec.volumes.clone(),
        conflicts,
    })
}

/// Others' operations released to `viewer`: under `conflicts_only`, one entry per open
/// conflict, reduced to the overlaps.
pub fn others_in_conflict(state: &State, viewer: &PartyId) -> Vec<OtherOperationView> {
    state
        .alerts()
        .filter(|alert| alert.state == AlertState::Open && alert.recipients.contains(viewer))
        .filter_map(|alert| {
            let views = conflict_views(alert, viewer);
            let party = views.first()?.other_party.clone();
            Some(OtherOperationView {
                party,
                alert_id: alert.id.clone(),
                overlaps: views.into_iter().map(|view| view.overlap).collect(),
            })
        })
        .collect()
}

/// An alert as `viewer` may see it; `None` unless the viewer is a recipient.
pub fn alert_view(alert: &Alert, viewer: &PartyId) -> Option<AlertView> {
    if !alert.recipients.contains(viewer) {
        return None;
    }
    Some(AlertView {
        id: alert.id.clone(),
        kind: alert.kind,
        severity: alert.severity,
        state: alert.state,
        recipients: alert.recipients.clone(),
        raised_at: alert.raised_at,
        updated_at: alert.updated_at,
        resolved_at: alert.resolved_at,
        conflicts: conflict_views(alert, viewer),
    })
}
