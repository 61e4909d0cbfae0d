//! The state of the system as a fold over the event log.
//!
//! [`State::apply`] is the only function that changes state. It trusts its events: they
//! were validated by [`crate::decide`] before they were logged. Ordered maps are used
//! wherever iteration order can reach an output, so that replay is exact.

use chrono::{DateTime, Utc};
use deconflict_geometry::Limits;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::agreement::{Agreement, AgreementParams};
use crate::alert::{Alert, AlertState};
use crate::event::Event;
use crate::ids::{AlertId, OperationKey, PartyId};
use crate::incident::{Incident, SharedReport};
use crate::index::VolumeIndex;
use crate::message::Message;
use crate::operation::Operation;
use crate::party::Party;
use crate::track::LiveTrack;

#[derive(Debug, Default)]
pub struct State {
    parties: BTreeMap<PartyId, Party>,
    party_by_token_hash: HashMap<String, PartyId>,
    /// Each party's live tokens: token id → hash; and how many it was ever issued.
    tokens: BTreeMap<PartyId, BTreeMap<String, String>>,
    tokens_issued: BTreeMap<PartyId, u32>,
    operations: BTreeMap<OperationKey, Operation>,
    /// Volumes of live (filed or active) operations only.
    index: VolumeIndex,
    alerts: BTreeMap<AlertId, Alert>,
    alerts_by_operation: HashMap<OperationKey, BTreeSet<AlertId>>,
    open_alerts: BTreeSet<AlertId>,
    /// Every track ever reported, by its (global) id.
    tracks: BTreeMap<String, LiveTrack>,
    /// Messages by id (ids are sequential, so this is sending order).
    messages: BTreeMap<String, Message>,
    incidents: BTreeMap<String, Incident>,
    reports: BTreeMap<String, SharedReport>,
    agreements: BTreeMap<String, Agreement>,
    zones: BTreeMap<String, crate::zone::Zone>,
    sites: BTreeMap<String, crate::site::Site>,
    events_applied: u64,
}

/// Replay must never fail on an event that was accepted under other configured limits,
/// so the fold rebuilds volumes under the widest limits (shape validity still holds).
fn replay_limits() -> Limits {
    Limits {
        max_vertices: usize::MAX,
        max_volumes_per_operation: usize::MAX,
        max_window_s: 100 * 366 * 86_400,
        altitude_min_m: f64::MIN,
        altitude_max_m: f64::MAX,
    }
}

impl State {
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds one logged event into the state.
    pub fn apply(&mut self, time: DateTime<Utc>, event: &Event) {
        self.events_applied += 1;
        match event {
            Event::PartyRegistered { party } => {
                self.party_by_token_hash
                    .insert(party.token_hash.clone(), party.id.clone());
                self.tokens
                    .entry(party.id.clone())
                    .or_default()
                    .insert("t1".to_owned(), party.token_hash.clone());
                self.tokens_issued.insert(party.id.clone(), 1);
                self.parties.insert(party.id.clone(), party.clone());
            }
            Event::TokenIssued {
                party,
                token_id,
                token_hash,
            } => {
                self.party_by_token_hash
                    .insert(token_hash.clone(), party.clone());
                self.tokens
                    .entry(party.clone())
                    .or_default()
                    .insert(token_id.clone(), token_hash.clone());
                *self.tokens_issued.entry(party.clone()).or_default() += 1;
            }
            Event::TokenRevoked { party, token_id } => {
                if let Some(hash) = self.tokens.get_mut(party).and_then(|t| t.remove(token_id)) {
                    self.party_by_token_hash.remove(&hash);
                }
            }
            Event::OperationFiled { key, version, spec } => {
                let volumes = spec
                    .validate(&replay_limits())
                    .expect("a logged operation was validated before it was logged");
                let filed_at = match self.operations.remove(key) {
                    Some(previous) => {
                        if previous.state.is_live() {
                            self.index.remove(key, &previous.volumes);
                        }
                        previous.filed_at
                    }
                    None => time,
                };
                let operation = Operation {
                    key: key.clone(),
                    spec: spec.clone(),
                    volumes,
                    state: crate::operation::OperationState::Filed,
                    version: *version,
                    filed_at,
                    updated_at: time,
                };
                self.index.insert(key, &operation.volumes);
                self.operations.insert(key.clone(), operation);
            }
            Event::OperationStateChanged {
                key,
                version,
                state,
            } => {
                let operation = self
                    .operations
                    .get_mut(key)
                    .expect("a logged state change names a known operation");
                if operation.state.is_live() && !state.is_live() {
                    self.index.remove(key, &operation.volumes);
                }
                operation.state = *state;
                operation.version = *version;
                operation.updated_at = time;
            }
            Event::AlertRaised { alert } | Event::AlertUpdated { alert } => {
                for operation in alert.operations() {
                    self.alerts_by_operation
                        .entry(operation.clone())
                        .or_default()
                        .insert(alert.id.clone());
                }
                if alert.state == AlertState::Open {
                    self.open_alerts.insert(alert.id.clone());
                }
                self.alerts.insert(alert.id.clone(), alert.clone());
            }
            Event::AlertResolved { id, .. } => {
                let alert = self
                    .alerts
                    .get_mut(id)
                    .expect("a logged resolution names a known alert");
                alert.state = AlertState::Resolved;
                alert.resolved_at = Some(time);
                alert.updated_at = time;
                self.open_alerts.remove(id);
            }
            Event::PositionsReported { owner, reports, .. } => {
                for report in reports {
                    match self.tracks.get_mut(&report.track_id) {
                        Some(track) => {
                            // Reports may arrive out of order: the newest wins.
                            if &track.owner == owner && report.time >= track.report.time {
                                track.report = report.clone();
                                track.lost = false;
                            }
                        }
                        None => {
                            self.tracks.insert(
                                report.track_id.clone(),
                                LiveTrack {
                                    owner: owner.clone(),
                                    report: report.clone(),
                                    lost: false,
                                },
                            );
                        }
                    }
                }
            }
            Event::AlertAcknowledged { id, party } => {
                let alert = self
                    .alerts
                    .get_mut(id)
                    .expect("a logged acknowledgement names a known alert");
                alert.acknowledgements.insert(party.clone(), time);
            }
            Event::AlertEscalated { id, escalations } => {
                let alert = self
                    .alerts
                    .get_mut(id)
                    .expect("a logged escalation names a known alert");
                alert.escalations = *escalations;
                alert.escalated_at = Some(time);
                alert.updated_at = time;
            }
            Event::MessageSent { message } => {
                self.messages.insert(message.id.clone(), message.clone());
            }
            Event::MessageRead { id, party } => {
                let message = self
                    .messages
                    .get_mut(id)
                    .expect("a logged receipt names a known message");
                message.read_by.insert(party.clone(), time);
            }
            Event::IncidentReported { incident } => {
                self.incidents.insert(incident.id.clone(), incident.clone());
            }
            Event::ReportShared { report } => {
                self.reports.insert(report.id.clone(), report.clone());
            }
            Event::ReportReceived { id, party } => {
                let report = self
                    .reports
                    .get_mut(id)
                    .expect("a logged receipt names a known report");
                report.received_by.insert(party.clone(), time);
            }
            Event::AgreementProposed {
                id,
                parties,
                version,
            } => {
                let agreement = self
                    .agreements
                    .entry(id.clone())
                    .or_insert_with(|| Agreement {
                        id: id.clone(),
                        parties: parties.clone(),
                        in_force: None,
                        pending: None,
                        suspended: None,
                    });
                agreement.pending = Some(version.clone());
                promote_if_accepted(agreement);
            }
            Event::AgreementAccepted { id, party } => {
                let agreement = self
                    .agreements
                    .get_mut(id)
                    .expect("a logged acceptance names a known agreement");
                if let Some(pending) = agreement.pending.as_mut() {
                    pending.accepted_by.insert(party.clone());
                }
                promote_if_accepted(agreement);
            }
            Event::AgreementSuspended { id, party } => {
                let agreement = self
                    .agreements
                    .get_mut(id)
                    .expect("a logged suspension names a known agreement");
                agreement.suspended = Some((party.clone(), time));
            }
            Event::AgreementResumed { id, .. } => {
                let agreement = self
                    .agreements
                    .get_mut(id)
                    .expect("a logged resumption names a known agreement");
                agreement.suspended = None;
            }
            Event::ZonePublished {
                id,
                owner,
                version,
                spec,
            } => {
                let footprint = spec
                    .validate(&replay_limits())
                    .expect("a logged zone was validated before it was logged");
                self.zones.insert(
                    id.clone(),
                    crate::zone::Zone {
                        id: id.clone(),
                        owner: owner.clone(),
                        spec: spec.clone(),
                        version: *version,
                        footprint,
                        updated_at: time,
                    },
                );
            }
            Event::ZoneWithdrawn { id } => {
                self.zones.remove(id);
            }
            Event::SitePublished {
                id,
                owner,
                version,
                spec,
            } => {
                let shape = spec
                    .validate(&replay_limits())
                    .expect("a logged site was validated before it was logged");
                self.sites.insert(
                    id.clone(),
                    crate::site::Site {
                        id: id.clone(),
                        owner: owner.clone(),
                        spec: spec.clone(),
                        version: *version,
                        shape,
                        updated_at: time,
                    },
                );
            }
            Event::SiteWithdrawn { id } => {
                self.sites.remove(id);
            }
            Event::TracksLost { track_ids } => {
                for id in track_ids {
                    if let Some(track) = self.tracks.get_mut(id) {
                        track.lost = true;
                    }
                }
            }
        }
    }

    pub fn events_applied(&self) -> u64 {
        self.events_applied
    }

    pub fn party(&self, id: &PartyId) -> Option<&Party> {
        self.parties.get(id)
    }

    pub fn parties(&self) -> impl Iterator<Item = &Party> {
        self.parties.values()
    }

    /// A party's live token ids.
    pub fn token_ids(&self, party: &PartyId) -> Vec<String> {
        self.tokens
            .get(party)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// How many tokens a party was ever issued (the next id is one more).
    pub fn tokens_issued(&self, party: &PartyId) -> u32 {
        self.tokens_issued.get(party).copied().unwrap_or(0)
    }

    /// The party holding a token, by the token's hash.
    pub fn party_by_token_hash(&self, token_hash: &str) -> Option<&Party> {
        self.party_by_token_hash
            .get(token_hash)
            .and_then(|id| self.parties.get(id))
    }

    pub fn operation(&self, key: &OperationKey) -> Option<&Operation> {
        self.operations.get(key)
    }

    /// Every operation of one owner, in id order.
    pub fn operations_of<'a>(&'a self, owner: &'a PartyId) -> impl Iterator<Item = &'a Operation> {
        self.operations
            .values()
            .filter(move |operation| &operation.key.owner == owner)
    }

    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.operations.values()
    }

    pub fn index(&self) -> &VolumeIndex {
        &self.index
    }

    pub fn alert(&self, id: &AlertId) -> Option<&Alert> {
        self.alerts.get(id)
    }

    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.values()
    }

    /// Every open alert, in id order.
    pub fn open_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.open_alerts.iter().filter_map(|id| self.alerts.get(id))
    }

    pub fn message(&self, id: &str) -> Option<&Message> {
        self.messages.get(id)
    }

    pub fn messages(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.messages.values()
    }

    pub fn agreement(&self, id: &str) -> Option<&Agreement> {
        self.agreements.get(id)
    }

    pub fn zone(&self, id: &str) -> Option<&crate::zone::Zone> {
        self.zones.get(id)
    }

    /// Published zones, by id.
    pub fn site(&self, id: &str) -> Option<&crate::site::Site> {
        self.sites.get(id)
    }

    /// Protected sites, by id.
    pub fn sites(&self) -> impl Iterator<Item = &crate::site::Site> {
        self.sites.values()
    }

    pub fn zones(&self) -> impl Iterator<Item = &crate::zone::Zone> {
        self.zones.values()
    }

    pub fn agreements(&self) -> impl Iterator<Item = &Agreement> {
        self.agreements.values()
    }

    /// The parameters between two parties: the strictest of the agreements in force naming
    /// both (suspended ones included: separation is safety), or the defaults of SPEC §7.
    pub fn params_between(&self, a: &PartyId, b: &PartyId) -> AgreementParams {
        self.agreements
            .values()
            .filter(|agreement| agreement.applies() && agreement.names(a) && agreement.names(b))
            .filter_map(|agreement| agreement.in_force.as_ref().map(|v| v.params))
            .reduce(AgreementParams::strictest)
            .unwrap_or_default()
    }

    /// The strictest parameters any pair may use: what indexes must be queried with.
    pub fn widest_params(&self) -> AgreementParams {
        self.agreements
            .values()
            .filter_map(|agreement| agreement.in_force.as_ref().map(|v| v.params))
            .fold(AgreementParams::default(), AgreementParams::strictest)
    }

    /// A suspended agreement in force between two parties: their channel is frozen.
    pub fn frozen_between(&self, a: &PartyId, b: &PartyId) -> Option<&Agreement> {
        self.agreements
            .values()
            .find(|agreement| agreement.frozen() && agreement.names(a) && agreement.names(b))
    }

    pub fn incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.values()
    }

    pub fn incident(&self, id: &str) -> Option<&Incident> {
        self.incidents.get(id)
    }

    pub fn reports(&self) -> impl Iterator<Item = &SharedReport> {
        self.reports.values()
    }

    pub fn report(&self, id: &str) -> Option<&SharedReport> {
        self.reports.get(id)
    }

    pub fn messages_count(&self) -> usize {
        self.messages.len()
    }

    pub fn track(&self, id: &str) -> Option<&LiveTrack> {
        self.tracks.get(id)
    }

    /// Every track ever reported, in id order (lost ones included).
    pub fn tracks(&self) -> impl Iterator<Item = &LiveTrack> {
        self.tracks.values()
    }

    /// Open alerts that concern one operation, in id order.
    pub fn open_alerts_of<'a>(&'a self, key: &OperationKey) -> impl Iterator<Item = &'a Alert> {
        self.alerts_by_operation
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|id| self.alerts.get(id))
            .filter(|alert| alert.state == AlertState::Open)
    }
}

/// Puts the pending version in force once every named party has accepted it.
fn promote_if_accepted(agreement: &mut Agreement) {
    let accepted = agreement.pending.as_ref().is_some_and(|pending| {
        agreement
            .parties
            .iter()
            .all(|p| pending.accepted_by.contains(p))
    });
    if accepted {
        agreement.in_force = agreement.pending.take();
    }
}
