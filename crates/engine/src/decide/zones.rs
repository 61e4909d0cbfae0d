//! Commands on zones (SPEC §5.4), and the zone checks of operations: a `hard` rule broken
//! refuses the filing; an `advisory` rule broken, or a `notify` rule, raises one alert per
//! (operation, zone) to the operation's and the zone's owners, updated and resolved like the
//! strategic ones.

use chrono::{DateTime, Utc};
use deconflict_geometry::{Limits, Volume4d};
use std::collections::BTreeMap;

use super::Decision;
use crate::alert::{AlertDetail, Severity, ZoneEntryDetail, ZoneEntryVolume};
use crate::error::EngineError;
use crate::event::Event;
use crate::ids::{validate_id, OperationKey, PartyId};
use crate::lifecycle::{self, Condition, ConditionKind, Found};
use crate::operation::MissionType;
use crate::party::Role;
use crate::state::State;
use crate::zone::{Enforcement, Zone, ZoneSpec};

/// The answer to a publication.
#[derive(Debug, Clone)]
pub struct ZoneOutcome {
    pub id: String,
    pub version: u64,
    pub created: bool,
}

fn may_publish(state: &State, party: &PartyId) -> Result<(), EngineError> {
    match state.party(party).map(|p| p.role) {
        Some(Role::Authority | Role::Admin) => Ok(()),
        _ => Err(EngineError::Forbidden {
            needed: "an authority or admin party",
            action: "publish zones",
        }),
    }
}

fn owned<'a>(state: &'a State, owner: &PartyId, id: &str) -> Result<Option<&'a Zone>, EngineError> {
    match state.zone(id) {
        Some(zone) if &zone.owner != owner => Err(EngineError::Forbidden {
            needed: "the zone's owner",
            action: "replace or withdraw a zone",
        }),
        found => Ok(found),
    }
}

/// Publishes or replaces a zone; live operations are checked against it at once (they are
/// never refused after the fact: a broken rule of a new zone raises an alert instead).
pub fn publish_zone(
    state: &State,
    owner: &PartyId,
    id: &str,
    spec: ZoneSpec,
    now: DateTime<Utc>,
    limits: &Limits,
) -> Result<Decision<ZoneOutcome>, EngineError> {
    may_publish(state, owner)?;
    validate_id("zone id", id)?;
    let existing = owned(state, owner, id)?;
    let footprint = spec.validate(limits)?;
    if let Some(current) = existing.filter(|zone| zone.spec == spec) {
        return Ok(Decision {
            events: Vec::new(),
            outcome: ZoneOutcome {
                id: id.to_owned(),
                version: current.version,
                created: false,
            },
        });
    }
    let version = existing.map_or(1, |zone| zone.version + 1);
    let zone = Zone {
        id: id.to_owned(),
        owner: owner.clone(),
        spec: spec.clone(),
        version,
        footprint,
        updated_at: now,
    };
    let mut events = vec![Event::ZonePublished {
        id: id.to_owned(),
        owner: owner.clone(),
        version,
        spec,
    }];
    for operation in state.operations().filter(|op| op.state.is_live()) {
        events.extend(reconcile_zone(
            state,
            &operation.key,
            operation.spec.mission_type,
            &operation.volumes,
            &zone,
            true,
            now,
        ));
    }
    Ok(Decision {
        events,
        outcome: ZoneOutcome {
            id: id.to_owned(),
            version,
            created: existing.is_none(),
        },
    })
}

/// Publishes several zones at once (an ED-269 import): all or none.
pub fn publish_zones(
    state: &State,
    owner: &PartyId,
    zones: Vec<(String, ZoneSpec)>,
    now: DateTime<Utc>,
    limits: &Limits,
) -> Result<Decision<Vec<ZoneOutcome>>, EngineError> {
    may_publish(state, owner)?;
    let mut events = Vec::new();
    let mut outcomes = Vec::new();
    for (id, spec) in zones {
        let decision = publish_zone(state, owner, &id, spec, now, limits).map_err(|error| {
            EngineError::InvalidParameter {
                field: "/features",
                reason: format!("zone {id:?}: {error}"),
            }
        })?;
        events.extend(decision.events);
        outcomes.push(decision.outcome);
    }
    Ok(Decision {
        events,
        outcome: outcomes,
    })
}

/// Withdraws a zone; its open alerts are resolved.
pub fn withdraw_zone(
    state: &State,
    owner: &PartyId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Decision<()>, EngineError> {
    let Some(zone) = owned(state, owner, id)? else {
        return Err(EngineError::NotFound {
            what: "zone",
            id: id.to_owned(),
        });
    };
    let mut events = vec![Event::ZoneWithdrawn { id: id.to_owned() }];
    let reason = format!("zone {} was withdrawn", zone.id);
    events.extend(
        state
            .open_alerts_of_kind(ConditionKind::OperationZone)
            .filter(|alert| alert.zone_entry().is_some_and(|d| d.zone == zone.id))
            .map(|alert| lifecycle::resolved_event(alert, now, reason.clone())),
    );
    Ok(Decision {
        events,
        outcome: (),
    })
}

/// The first `hard` rule the volumes break, as the refusal of the filing.
pub fn hard_refusal(
    state: &State,
    owner: &PartyId,
    mission: MissionType,
    volumes: &[Volume4d],
) -> Result<(), EngineError> {
    for zone in state
        .zones()
        .filter(|zone| zone.spec.enforcement == Enforcement::Hard)
    {
        for (index, volume) in volumes.iter().enumerate() {
            if let Some(finding) = zone
                .findings(owner, mission, volume)
                .into_iter()
                .find(|finding| finding.broken)
            {
                return Err(EngineError::ZoneRefused {
                    zone: zone.id.clone(),
                    name: zone.spec.name.clone(),
                    rule: finding.rule,
                    description: finding.description,
                    volume: index,
                });
            }
        }
    }
    Ok(())
}

/// The zone alert events that bring operation `key`'s zone alerts in line with its volumes,
/// over every zone.
pub fn reconcile_zones(
    state: &State,
    key: &OperationKey,
    mission: MissionType,
    volumes: &[Volume4d],
    now: DateTime<Utc>,
) -> Vec<Event> {
    let mut events = Vec::new();
    for zone in state.zones() {
        events.extend(reconcile_zone(
            state, key, mission, volumes, zone, false, now,
        ));
    }
    events
}

/// The alert events for one (operation, zone) pair. `retroactive`: the zone is new or changed,
/// so broken `hard` rules are alerted too (the operation was filed before).
fn reconcile_zone(
    state: &State,
    key: &OperationKey,
    mission: MissionType,
    volumes: &[Volume4d],
    zone: &Zone,
    retroactive: bool,
    now: DateTime<Utc>,
) -> Vec<Event> {
    let entries: Vec<ZoneEntryVolume> = volumes
        .iter()
        .enumerate()
        .filter_map(|(index, volume)| {
            let findings: Vec<_> = zone
                .findings(&key.owner, mission, volume)
                .into_iter()
                .filter(|finding| {
                    !finding.broken || zone.spec.enforcement == Enforcement::Advisory || retroactive
                })
                .collect();
            (!findings.is_empty()).then(|| ZoneEntryVolume {
                volume: index,
                time_start: volume.time_start(),
                time_end: volume.time_end(),
                altitude_lower_m: volume.altitude_lower_m().max(zone.spec.altitude_lower_m),
                altitude_upper_m: volume.altitude_upper_m().min(zone.spec.altitude_upper_m),
                findings,
            })
        })
        .collect();
    let condition = Condition::OperationZone(key.clone(), zone.id.clone());
    let mut found = BTreeMap::new();
    if !entries.is_empty() {
        let broken = entries
            .iter()
            .flat_map(|entry| &entry.findings)
            .any(|finding| finding.broken);
        let detail = ZoneEntryDetail {
            zone: zone.id.clone(),
            zone_name: zone.spec.name.clone(),
            zone_owner: zone.owner.clone(),
            enforcement: zone.spec.enforcement,
            operation: key.clone(),
            mission_type: mission,
            entries,
        };
        found.insert(
            condition.clone(),
            Found {
                severity: if broken {
                    Severity::Caution
                } else {
                    Severity::Advisory
                },
                detail: AlertDetail::ZoneEntry(detail),
            },
        );
    }
    lifecycle::reconcile_plans(
        state,
        now,
        state.open_alert_for(&condition),
        &found,
        &format!("the operation no longer enters zone {}", zone.id),
    )
}
