//! Commands on operations: filing, replacing, lifecycle changes, and the strategic alerts
//! they raise, update and resolve.

use chrono::{DateTime, Utc};
use deconflict_geometry::{Limits, Volume4d};
use std::collections::BTreeMap;

use crate::alert::{AlertDetail, AlertKind, Severity, StrategicDetail};
use crate::error::EngineError;
use crate::event::Event;
use crate::ids::{validate_id, OperationId, OperationKey, PartyId};
use crate::lifecycle::{self, Condition, Found};

use super::Decision;
use crate::operation::{Domain, MissionType, OperationSpec, OperationState};
use crate::state::State;
use crate::strategic::{volumes_conflict_with, PlanMinima, StrategicConflict};

/// The answer to a filing.
#[derive(Debug, Clone)]
pub struct FilingOutcome {
    pub key: OperationKey,
    pub version: u64,
    pub created: bool,
    /// The same plan was filed again: nothing was logged (idempotent PUT).
    pub unchanged: bool,
    /// Every conflicting volume pair with other parties' live operations.
    pub conflicts: Vec<StrategicConflict>,
}

/// How far ahead of the deciding clock an operation's window may reach (SPEC §10). A plan for
/// 9999 would stay live, indexed and checked against every filing for ever, and no pass of
/// time would end it; a real plan is filed days or weeks ahead, so a window ending more than a
/// year ahead comes from a mistake or from someone filling the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationHorizon {
    pub ahead_days: u32,
}

impl Default for OperationHorizon {
    /// One year (365 days).
    fn default() -> Self {
        OperationHorizon { ahead_days: 365 }
    }
}

impl OperationHorizon {
    /// `Err` naming the first volume whose window ends (or starts) beyond the horizon.
    pub fn check(&self, volumes: &[Volume4d], now: DateTime<Utc>) -> Result<(), EngineError> {
        let limit = now + chrono::Duration::days(i64::from(self.ahead_days));
        // A window ends after it starts (validated), so its end is the one to check.
        for (index, volume) in volumes.iter().enumerate() {
            if volume.time_end() > limit {
                return Err(EngineError::BeyondHorizon {
                    volume: index,
                    time_end: volume.time_end(),
                    horizon_days: self.ahead_days,
                    limit,
                });
            }
        }
        Ok(())
    }
}

/// Files a new operation or replaces one (PUT semantics), and detects its conflicts. A plan
/// reaching beyond `horizon` is refused (an unchanged one filed again is not: it adds nothing).
#[allow(clippy::too_many_arguments)]
pub fn file_operation(
    state: &State,
    owner: &PartyId,
    id: &str,
    spec: OperationSpec,
    if_match: Option<u64>,
    now: DateTime<Utc>,
    limits: &Limits,
    horizon: &OperationHorizon,
) -> Result<Decision<FilingOutcome>, EngineError> {
    validate_id("operation id", id)?;
    let key = OperationKey {
        owner: owner.clone(),
        id: OperationId(id.to_owned()),
    };
    let existing = state.operation(&key);
    match (existing, if_match) {
        (Some(current), Some(expected)) if current.version != expected => {
            return Err(EngineError::VersionMismatch {
                expected,
                current: current.version,
            })
        }
        (None, Some(_)) => {
            return Err(EngineError::NotFound {
                what: "operation",
                id: id.to_owned(),
            })
        }
        _ => {}
    }
    let volumes = spec.validate(limits)?;
    if let Some(current) = existing {
        if !current.state.is_live() {
            return Err(EngineError::InvalidTransition {
                from: current.state,
                attempted: "replaced (file a new operation instead)",
            });
        }
        if current.spec == spec {
            return Ok(Decision {
                events: Vec::new(),
                outcome: FilingOutcome {
                    key: key.clone(),
                    version: current.version,
                    created: false,
                    unchanged: true,
                    conflicts: find_conflicts(state, &key, spec.domain, &volumes),
                },
            });
        }
    }
    horizon.check(&volumes, now)?;
    super::zones::hard_refusal(state, owner, spec.mission_type, &volumes)?;
    let version = existing.map_or(1, |current| current.version + 1);
    let conflicts = find_conflicts(state, &key, spec.domain, &volumes);
    // ASTM F3548: a lower priority may not create a conflict with a higher one.
    if let Some((conflict, other)) = conflicts.iter().find_map(|conflict| {
        let other = state.operation(&conflict.operation_b)?;
        (other.spec.priority > spec.priority).then_some((conflict, other))
    }) {
        return Err(EngineError::LowerPriority {
            volume: conflict.volume_a,
            party: conflict.operation_b.owner.to_string(),
            own: spec.priority,
            other: other.spec.priority,
        });
    }
    let spec_mission = spec.mission_type;
    let mut events = vec![Event::OperationFiled {
        key: key.clone(),
        version,
        spec,
    }];
    events.extend(reconcile_alerts(state, &key, spec_mission, &conflicts, now));
    events.extend(super::zones::reconcile_zones(
        state,
        &key,
        spec_mission,
        &volumes,
        now,
    ));
    events.extend(super::sites::reconcile_sites(
        state,
        &key,
        spec_mission,
        &volumes,
        now,
    ));
    Ok(Decision {
        events,
        outcome: FilingOutcome {
            key,
            version,
            created: existing.is_none(),
            unchanged: false,
            conflicts,
        },
    })
}

/// A requested lifecycle change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Activate,
    End,
    Cancel,
}

impl Transition {
    fn target(self) -> OperationState {
        match self {
            Transition::Activate => OperationState::Active,
            Transition::End => OperationState::Ended,
            Transition::Cancel => OperationState::Cancelled,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Transition::Activate => "activated",
            Transition::End => "ended",
            Transition::Cancel => "cancelled",
        }
    }
}

/// Activates, ends or cancels an operation. Repeating the current state is a no-op.
/// Ending or cancelling resolves its open alerts.
pub fn change_operation_state(
    state: &State,
    owner: &PartyId,
    id: &str,
    transition: Transition,
    if_match: Option<u64>,
    now: DateTime<Utc>,
) -> Result<Decision<u64>, EngineError> {
    let key = OperationKey {
        owner: owner.clone(),
        id: OperationId(id.to_owned()),
    };
    let current = state.operation(&key).ok_or_else(|| EngineError::NotFound {
        what: "operation",
        id: id.to_owned(),
    })?;
    if let Some(expected) = if_match {
        if expected != current.version {
            return Err(EngineError::VersionMismatch {
                expected,
                current: current.version,
            });
        }
    }
    let target = transition.target();
    if current.state == target {
        return Ok(Decision {
            events: Vec::new(),
            outcome: current.version,
        });
    }
    let allowed = matches!(
        (current.state, target),
        (OperationState::Filed, OperationState::Active)
            | (OperationState::Active, OperationState::Ended)
            | (OperationState::Filed, OperationState::Cancelled)
            | (OperationState::Active, OperationState::Cancelled)
    );
    if !allowed {
        return Err(EngineError::InvalidTransition {
            from: current.state,
            attempted: transition.verb(),
        });
    }
    let version = current.version + 1;
    let mut events = vec![Event::OperationStateChanged {
        key: key.clone(),
        version,
        state: target,
    }];
    if !target.is_live() {
        let reason = format!("an operation was {}", transition.verb());
        events.extend(
            state
                .open_alerts_of(&key)
                .map(|alert| lifecycle::resolved_event(alert, now, reason.clone())),
        );
    }
    Ok(Decision {
        events,
        outcome: version,
    })
}

/// Every conflicting volume pair between `volumes` (of operation `key`) and the live
/// operations of other parties, found through the index, each pair judged with the parameters
/// of the agreement between the two owners. Sorted, so the result is exact.
///
/// The index is queried with the widest parameters in force for every kind of pair `domain`
/// takes part in, so it returns a superset of the candidates any pair's own parameters can
/// make conflict; pairs of domains the agreement does not check are skipped.
pub fn find_conflicts(
    state: &State,
    key: &OperationKey,
    domain: Domain,
    volumes: &[Volume4d],
) -> Vec<StrategicConflict> {
    let widest = state.widest_params();
    // What the index is asked for: every pair kind this operation's domain takes part in.
    let sea = PlanMinima::between(&widest, Domain::Sea, Domain::Sea).expect("always checked");
    let query = match domain {
        Domain::Air => PlanMinima::air(&widest),
        Domain::Sea if widest.air_sea_checked => PlanMinima {
            separation_horizontal_m: sea
                .separation_horizontal_m
                .max(widest.separation_horizontal_m),
            ..sea
        },
        Domain::Sea => sea,
    };
    let mut conflicts = Vec::new();
    for (volume_a, volume) in volumes.iter().enumerate() {
        for candidate in state.index().candidates_within(volume, &query) {
            if candidate.operation.owner == key.owner {
                continue;
            }
            let other = state
                .operation(&candidate.operation)
                .expect("indexed operations exist");
            let params = state.params_between(&key.owner, &candidate.operation.owner);
            let Some(minima) = PlanMinima::between(&params, domain, other.spec.domain) else {
                continue;
            };
            push_if_conflict(
                &mut conflicts,
                key,
                volume_a,
                volume,
                other,
                candidate.volume,
                &minima,
            );
        }
    }
    sort_conflicts(&mut conflicts);
    conflicts
}

/// The same result as [`find_conflicts`], by comparing with every volume of every live
/// operation. Obviously correct and slow: the reference for tests.
pub fn find_conflicts_exhaustive(
    state: &State,
    key: &OperationKey,
    domain: Domain,
    volumes: &[Volume4d],
) -> Vec<StrategicConflict> {
    let mut conflicts = Vec::new();
    for other in state.operations() {
        if other.key.owner == key.owner || !other.state.is_live() {
            continue;
        }
        let params = state.params_between(&key.owner, &other.key.owner);
        let Some(minima) = PlanMinima::between(&params, domain, other.spec.domain) else {
            continue;
        };
        for (volume_a, volume) in volumes.iter().enumerate() {
            for volume_b in 0..other.volumes.len() {
                push_if_conflict(
                    &mut conflicts,
                    key,
                    volume_a,
                    volume,
                    other,
                    volume_b,
                    &minima,
                );
            }
        }
    }
    sort_conflicts(&mut conflicts);
    conflicts
}

fn push_if_conflict(
    conflicts: &mut Vec<StrategicConflict>,
    key: &OperationKey,
    volume_a: usize,
    volume: &Volume4d,
    other: &crate::operation::Operation,
    volume_b: usize,
    minima: &PlanMinima,
) {
    if let Some(overlap) = volumes_conflict_with(volume, &other.volumes[volume_b], minima) {
        conflicts.push(StrategicConflict {
            operation_a: key.clone(),
            volume_a,
            operation_b: other.key.clone(),
            volume_b,
            overlap,
        });
    }
}

fn sort_conflicts(conflicts: &mut [StrategicConflict]) {
    conflicts.sort_by(|x, y| {
        (&x.operation_b, x.volume_a, x.volume_b).cmp(&(&y.operation_b, y.volume_a, y.volume_b))
    });
}

/// The alert events that bring the alerts of operation `key` in line with its new conflicts:
/// raise for a new pair, update a pair whose figures changed, resolve a pair that cleared.
fn reconcile_alerts(
    state: &State,
    key: &OperationKey,
    mission: MissionType,
    conflicts: &[StrategicConflict],
    now: DateTime<Utc>,
) -> Vec<Event> {
    let mut by_other: BTreeMap<&OperationKey, Vec<StrategicConflict>> = BTreeMap::new();
    for conflict in conflicts {
        by_other
            .entry(&conflict.operation_b)
            .or_default()
            .push(oriented(conflict));
    }
    let found: BTreeMap<Condition, Found> = by_other
        .into_iter()
        .map(|(other, pair_conflicts)| {
            let detail = strategic_detail(state, key, mission, other, pair_conflicts);
            let found = Found {
                severity: strategic_severity(&detail, now),
                detail: AlertDetail::StrategicConflict(detail),
            };
            (
                Condition::of(&found.detail).expect("a strategic condition"),
                found,
            )
        })
        .collect();
    lifecycle::reconcile_plans(
        state,
        now,
        state
            .open_alerts_of(key)
            .filter(|alert| alert.kind == AlertKind::StrategicConflict),
        &found,
        "the plans no longer conflict",
    )
}

/// The conflict oriented so that `operation_a` is the smaller key, whoever filed last.
fn oriented(conflict: &StrategicConflict) -> StrategicConflict {
    if conflict.operation_a <= conflict.operation_b {
        return conflict.clone();
    }
    StrategicConflict {
        operation_a: conflict.operation_b.clone(),
        volume_a: conflict.volume_b,
        operation_b: conflict.operation_a.clone(),
        volume_b: conflict.volume_a,
        overlap: conflict.overlap.clone(),
    }
}

fn strategic_detail(
    state: &State,
    key: &OperationKey,
    mission: MissionType,
    other: &OperationKey,
    mut conflicts: Vec<StrategicConflict>,
) -> StrategicDetail {
    conflicts.sort_by_key(|c| (c.volume_a, c.volume_b));
    let operations = if key <= other {
        [key.clone(), other.clone()]
    } else {
        [other.clone(), key.clone()]
    };
    // The filed plan is not in the state yet, so its mission type is passed in.
    let right_of_way = operations
        .iter()
        .find(|op| {
            let mission = if *op == key {
                Some(mission)
            } else {
                state.operation(op).map(|o| o.spec.mission_type)
            };
            mission.is_some_and(|m| m.has_right_of_way())
        })
        .map(|op| op.owner.clone());
    StrategicDetail {
        operations,
        conflicts,
        right_of_way,
    }
}

/// Severity of a strategic conflict: by how soon its earliest overlap begins.
fn strategic_severity(detail: &StrategicDetail, now: DateTime<Utc>) -> Severity {
    let earliest = detail
        .conflicts
        .iter()
        .map(|c| c.overlap.time_start)
        .min()
        .expect("a strategic alert has at least one conflict");
    let seconds = (earliest - now).num_milliseconds() as f64 / 1000.0;
    Severity::from_time_to_conflict_s(seconds)
}
