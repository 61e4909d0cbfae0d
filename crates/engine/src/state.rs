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
use crate::lifecycle::{self, Condition, ConditionKind};
use crate::message::Message;
use crate::operation::Operation;
use crate::party::Party;
use crate::track::{LiveTrack, SnapshotTracks, TrackTable};

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
    /// Open alerts by the kind and condition they are about: a check finds the open alerts it
    /// decides without walking the others (SPEC §6: cost proportional to change).
    open_by_condition: BTreeMap<ConditionKind, BTreeMap<Condition, AlertId>>,
    /// Each party's open alerts, and its resolved ones by when they were resolved: its inbox
    /// is read without walking everyone's alerts.
    open_by_party: HashMap<PartyId, BTreeSet<AlertId>>,
    resolved_by_party: HashMap<PartyId, BTreeSet<(DateTime<Utc>, AlertId)>>,
    /// How many alerts each condition (by base id) has had: the next one's id is one more.
    alert_generations: HashMap<String, u32>,
    /// Time-ordered queues of what the periodic pass must do when its time comes: escalate or
    /// re-notify an unacknowledged alert, resolve a plan alert whose window has passed, end an
    /// operation whose last window has closed. Each with its entry per key, to move it.
    deadlines: TimeQueue<AlertId>,
    expiries: TimeQueue<AlertId>,
    operation_ends: TimeQueue<OperationKey>,
    /// Every track ever reported (and not forgotten), by its (global) id, live and lost.
    tracks: TrackTable,
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
                match operation.volumes.iter().map(|v| v.time_end()).max() {
                    Some(end) => self.operation_ends.set(key.clone(), end),
                    None => self.operation_ends.remove(key),
                }
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
                    self.operation_ends.remove(key);
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
                if matches!(event, Event::AlertRaised { .. }) {
                    if let Some(condition) = Condition::of(&alert.detail) {
                        *self
                            .alert_generations
                            .entry(condition.base_id())
                            .or_default() += 1;
                    }
                }
                self.alerts.insert(alert.id.clone(), alert.clone());
                self.reindex_alert(&alert.id);
            }
            Event::AlertResolved { id, reason, .. } => {
                let alert = self
                    .alerts
                    .get_mut(id)
                    .expect("a logged resolution names a known alert");
                lifecycle::resolved(alert, time, reason);
                self.reindex_alert(id);
            }
            Event::PositionsReported { owner, reports, .. } => {
                self.tracks.report(owner, reports, time);
            }
            Event::AlertAcknowledged { id, party, .. } => {
                let alert = self
                    .alerts
                    .get_mut(id)
                    .expect("a logged acknowledgement names a known alert");
                lifecycle::acknowledged(alert, party, time);
                self.reindex_alert(id);
            }
            Event::AlertEscalated {
                id, escalations, ..
            } => {
                let alert = self
                    .alerts
                    .get_mut(id)
                    .expect("a logged escalation names a known alert");
                lifecycle::escalated(alert, *escalations, time);
                self.reindex_alert(id);
            }
            Event::AlertRenotified {
                id,
                renotifications,
                ..
            } => {
                let alert = self
                    .alerts
                    .get_mut(id)
                    .expect("a logged re-notification names a known alert");
                lifecycle::renotified(alert, *renotifications, time);
                self.reindex_alert(id);
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
                if promote_if_accepted(agreement) {
                    self.reschedule_deadlines();
                }
            }
            Event::AgreementAccepted { id, party } => {
                let agreement = self
                    .agreements
                    .get_mut(id)
                    .expect("a logged acceptance names a known agreement");
                if let Some(pending) = agreement.pending.as_mut() {
                    pending.accepted_by.insert(party.clone());
                }
                if promote_if_accepted(agreement) {
                    self.reschedule_deadlines();
                }
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
            // The reports themselves reach the nodes that detect over them from the stream
            // ([`State::apply_streamed_positions`]); the log holds only their digest.
            Event::PositionsPublished { .. } => {}
            Event::TracksLost { track_ids } => self.tracks.mark_lost(track_ids),
            Event::TracksForgotten { track_ids } => self.tracks.forget(track_ids),
        }
    }

    /// Folds a batch of reports that travelled on NATS JetStream rather than in the log (SPEC
    /// §9, issue 21) exactly as a logged batch is folded, but without counting it as a logged
    /// event: `events_applied` stays the log position this state was built to. `time` is when
    /// the publishing node received the batch, so every node folds it alike.
    pub fn apply_streamed_positions(
        &mut self,
        time: DateTime<Utc>,
        owner: PartyId,
        reports: Vec<crate::track::TrackReport>,
    ) {
        let applied = self.events_applied;
        self.apply(
            time,
            &Event::PositionsReported {
                owner,
                digest: String::new(),
                reports,
            },
        );
        self.events_applied = applied;
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

    pub fn track(&self, id: &str) -> Option<LiveTrack<'_>> {
        self.tracks.get(id)
    }

    /// Every track ever reported (and not forgotten), in id order (lost ones included).
    pub fn tracks(&self) -> impl Iterator<Item = LiveTrack<'_>> {
        self.tracks.all()
    }

    /// How many tracks [`State::tracks`] yields, without walking them.
    pub fn track_count(&self) -> usize {
        self.tracks.len()
    }

    /// How many alerts are open, without counting them.
    pub fn open_alert_count(&self) -> usize {
        self.open_alerts.len()
    }

    /// The open alerts of which `party` is a recipient, in id order.
    pub fn open_alerts_for<'a>(&'a self, party: &PartyId) -> impl Iterator<Item = &'a Alert> {
        self.open_by_party
            .get(party)
            .into_iter()
            .flatten()
            .filter_map(|id| self.alerts.get(id))
    }

    /// The resolved alerts of which `party` is a recipient, most recently resolved first.
    pub fn resolved_alerts_for<'a>(&'a self, party: &PartyId) -> impl Iterator<Item = &'a Alert> {
        self.resolved_by_party
            .get(party)
            .into_iter()
            .flat_map(|resolved| resolved.iter().rev())
            .filter_map(|(_, id)| self.alerts.get(id))
    }

    /// The open alert about a condition, if any.
    pub fn open_alert_for(&self, condition: &Condition) -> Option<&Alert> {
        self.open_by_condition
            .get(&condition.kind())?
            .get(condition)
            .and_then(|id| self.alerts.get(id))
    }

    /// The open alerts about one kind of condition, in condition order.
    pub fn open_alerts_of_kind(&self, kind: ConditionKind) -> impl Iterator<Item = &Alert> {
        self.open_by_condition
            .get(&kind)
            .into_iter()
            .flat_map(|open| open.values())
            .filter_map(|id| self.alerts.get(id))
    }

    /// The open alerts about one kind of condition with their conditions, in condition order
    /// (the conditions as indexed, so a check need not derive them again).
    pub fn open_conditions_of_kind(
        &self,
        kind: ConditionKind,
    ) -> impl Iterator<Item = (&Condition, &Alert)> {
        self.open_by_condition
            .get(&kind)
            .into_iter()
            .flat_map(|open| open.iter())
            .filter_map(|(condition, id)| Some((condition, self.alerts.get(id)?)))
    }

    /// The id for a new alert about `condition`: its base id the first time, then `-2`, `-3`, …
    /// (a condition that cleared and came back is a new alert).
    pub fn fresh_alert_id(&self, condition: &Condition) -> AlertId {
        let base = condition.base_id();
        match self.alert_generations.get(&base) {
            None | Some(0) => AlertId(base),
            Some(generations) => AlertId(format!("{base}-{}", generations + 1)),
        }
    }

    /// The parameters that govern an alert's acknowledgement deadlines: the strictest of the
    /// agreements between its recipients (the defaults of SPEC §7 for a single recipient).
    pub fn alert_params(&self, alert: &Alert) -> AgreementParams {
        let parties = &alert.recipients;
        let mut params: Option<AgreementParams> = None;
        for (i, a) in parties.iter().enumerate() {
            for b in &parties[i + 1..] {
                let pair = self.params_between(a, b);
                params = Some(params.map_or(pair, |p| p.strictest(pair)));
            }
        }
        params.unwrap_or_default()
    }

    /// Open alerts due to be escalated or re-notified at `now`, soonest first.
    pub fn due_deadlines(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Alert> {
        self.deadlines
            .due(now)
            .filter_map(|(_, id)| self.alerts.get(id))
    }

    /// Open plan alerts whose window has passed at `now`, soonest first.
    pub fn due_expiries(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Alert> {
        self.expiries
            .due(now)
            .filter_map(|(_, id)| self.alerts.get(id))
    }

    /// Live operations whose last volume window has closed at `now`, soonest first.
    pub fn due_operation_ends(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Operation> {
        self.operation_ends
            .due(now)
            .filter_map(|(_, key)| self.operations.get(key))
    }

    /// How many entries each time queue holds (deadlines, expiries, operation ends).
    pub fn queue_lengths(&self) -> (usize, usize, usize) {
        (
            self.deadlines.len(),
            self.expiries.len(),
            self.operation_ends.len(),
        )
    }

    /// The lost tracks last seen before `before`, oldest first.
    pub fn lost_tracks_seen_before(
        &self,
        before: DateTime<Utc>,
    ) -> impl Iterator<Item = LiveTrack<'_>> {
        self.tracks.lost_seen_before(before)
    }

    /// The tracks not lost, in id order.
    pub fn live_tracks(&self) -> impl Iterator<Item = LiveTrack<'_>> {
        self.tracks.live()
    }

    /// How many batches of position reports this state has folded, from the log or the
    /// position stream. A pass that notes it can later find the tracks whose report changed
    /// since: those with [`LiveTrack::reported`] above it (`decide::tactical_pass_moved`).
    pub fn report_generation(&self) -> u64 {
        self.tracks.generation()
    }

    /// Brings the derived indexes of one alert in line with it: open set, condition index,
    /// deadline and expiry queues.
    fn reindex_alert(&mut self, id: &AlertId) {
        let Some(alert) = self.alerts.get(id) else {
            return;
        };
        let condition = Condition::of(&alert.detail);
        for party in &alert.recipients {
            let open = self.open_by_party.entry(party.clone()).or_default();
            match (alert.state, alert.resolved_at) {
                (AlertState::Open, _) => {
                    open.insert(id.clone());
                }
                (AlertState::Resolved, resolved_at) => {
                    open.remove(id);
                    let at = resolved_at.unwrap_or(alert.updated_at);
                    self.resolved_by_party
                        .entry(party.clone())
                        .or_default()
                        .insert((at, id.clone()));
                }
            }
        }
        if alert.state == AlertState::Open {
            self.open_alerts.insert(id.clone());
            if let Some(condition) = condition {
                self.open_by_condition
                    .entry(condition.kind())
                    .or_default()
                    .insert(condition, id.clone());
            }
            match lifecycle::next_deadline(alert, &self.alert_params(alert)) {
                Some(at) => self.deadlines.set(id.clone(), at),
                None => self.deadlines.remove(id),
            }
            match lifecycle::ends_at(alert) {
                Some(at) => self.expiries.set(id.clone(), at),
                None => self.expiries.remove(id),
            }
        } else {
            self.open_alerts.remove(id);
            if let Some(condition) = condition {
                if let Some(open) = self.open_by_condition.get_mut(&condition.kind()) {
                    if open.get(&condition) == Some(id) {
                        open.remove(&condition);
                    }
                }
            }
            self.deadlines.remove(id);
            self.expiries.remove(id);
        }
    }

    /// Recomputes every open alert's deadline: the agreements in force have changed.
    fn reschedule_deadlines(&mut self) {
        let open: Vec<AlertId> = self.open_alerts.iter().cloned().collect();
        for id in open {
            self.reindex_alert(&id);
        }
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

impl State {
    /// The snapshot body of this state, borrowing from it (see [`crate::snapshot`]).
    pub(crate) fn to_snapshot_body(&self) -> crate::snapshot::BodyRef<'_> {
        use crate::snapshot::{OperationRecord, PlaceRecord};
        crate::snapshot::BodyOf {
            events_applied: self.events_applied,
            parties: &self.parties,
            tokens: &self.tokens,
            tokens_issued: self.tokens_issued.clone(),
            operations: self
                .operations
                .values()
                .map(|operation| OperationRecord {
                    key: operation.key.clone(),
                    spec: &operation.spec,
                    state: operation.state,
                    version: operation.version,
                    filed_at: operation.filed_at,
                    updated_at: operation.updated_at,
                })
                .collect(),
            alerts: &self.alerts,
            alert_generations: self
                .alert_generations
                .iter()
                .map(|(base, count)| (base.clone(), *count))
                .collect(),
            resolved_by_party: self.resolved_by_party.iter().collect(),
            deadlines: self.deadlines.entries(),
            expiries: self.expiries.entries(),
            operation_ends: self.operation_ends.entries(),
            tracks: SnapshotTracks(&self.tracks),
            messages: &self.messages,
            incidents: &self.incidents,
            reports: &self.reports,
            agreements: self.agreements.clone(),
            zones: self
                .zones
                .values()
                .map(|zone| PlaceRecord {
                    id: zone.id.clone(),
                    owner: zone.owner.clone(),
                    spec: &zone.spec,
                    version: zone.version,
                    updated_at: zone.updated_at,
                })
                .collect(),
            sites: self
                .sites
                .values()
                .map(|site| PlaceRecord {
                    id: site.id.clone(),
                    owner: site.owner.clone(),
                    spec: &site.spec,
                    version: site.version,
                    updated_at: site.updated_at,
                })
                .collect(),
        }
    }

    /// The state a snapshot body describes, with everything derived rebuilt: volumes,
    /// footprints and shapes by the validation replay uses, the R-tree, the token-hash lookup,
    /// the live tracks, and the open-alert indexes (one open alert per condition, so the
    /// condition index does not depend on the order alerts were raised in). An invalid spec
    /// is an error: the caller discards the snapshot and replays.
    pub(crate) fn from_snapshot_body(body: crate::snapshot::Body) -> Result<State, String> {
        let mut state = State {
            events_applied: body.events_applied,
            parties: body.parties,
            tokens: body.tokens,
            tokens_issued: body.tokens_issued,
            alerts: body.alerts,
            alert_generations: body.alert_generations.into_iter().collect(),
            resolved_by_party: body.resolved_by_party.into_iter().collect(),
            deadlines: TimeQueue::from_entries(body.deadlines),
            expiries: TimeQueue::from_entries(body.expiries),
            operation_ends: TimeQueue::from_entries(body.operation_ends),
            tracks: TrackTable::from_snapshot(body.tracks),
            messages: body.messages,
            incidents: body.incidents,
            reports: body.reports,
            agreements: body.agreements,
            ..State::default()
        };
        for (party, tokens) in &state.tokens {
            for hash in tokens.values() {
                state
                    .party_by_token_hash
                    .insert(hash.clone(), party.clone());
            }
        }
        for record in body.operations {
            let volumes = record
                .spec
                .validate(&replay_limits())
                .map_err(|error| format!("operation {:?}: {error}", record.key))?;
            if record.state.is_live() {
                state.index.insert(&record.key, &volumes);
            }
            let operation = Operation {
                key: record.key.clone(),
                spec: record.spec,
                volumes,
                state: record.state,
                version: record.version,
                filed_at: record.filed_at,
                updated_at: record.updated_at,
            };
            state.operations.insert(record.key, operation);
        }
        for record in body.zones {
            let footprint = record
                .spec
                .validate(&replay_limits())
                .map_err(|error| format!("zone {}: {error}", record.id))?;
            let zone = crate::zone::Zone {
                id: record.id.clone(),
                owner: record.owner,
                spec: record.spec,
                version: record.version,
                footprint,
                updated_at: record.updated_at,
            };
            state.zones.insert(record.id, zone);
        }
        for record in body.sites {
            let shape = record
                .spec
                .validate(&replay_limits())
                .map_err(|error| format!("site {}: {error}", record.id))?;
            let site = crate::site::Site {
                id: record.id.clone(),
                owner: record.owner,
                spec: record.spec,
                version: record.version,
                shape,
                updated_at: record.updated_at,
            };
            state.sites.insert(record.id, site);
        }
        state.reindex_alerts_from_scratch();
        Ok(state)
    }

    /// Rebuilds the indexes that are a function of the alerts alone: by operation, open, open
    /// by condition, open by party.
    fn reindex_alerts_from_scratch(&mut self) {
        for alert in self.alerts.values() {
            for operation in alert.operations() {
                self.alerts_by_operation
                    .entry(operation.clone())
                    .or_default()
                    .insert(alert.id.clone());
            }
            if alert.state != AlertState::Open {
                continue;
            }
            self.open_alerts.insert(alert.id.clone());
            for party in &alert.recipients {
                self.open_by_party
                    .entry(party.clone())
                    .or_default()
                    .insert(alert.id.clone());
            }
            if let Some(condition) = Condition::of(&alert.detail) {
                self.open_by_condition
                    .entry(condition.kind())
                    .or_default()
                    .insert(condition, alert.id.clone());
            }
        }
    }
}

/// Puts the pending version in force once every named party has accepted it; true if it did.
fn promote_if_accepted(agreement: &mut Agreement) -> bool {
    let accepted = agreement.pending.as_ref().is_some_and(|pending| {
        agreement
            .parties
            .iter()
            .all(|p| pending.accepted_by.contains(p))
    });
    if accepted {
        agreement.in_force = agreement.pending.take();
    }
    accepted
}

/// Keys ordered by an instant, each key at most once: what falls due first comes first.
#[derive(Debug)]
struct TimeQueue<K: Ord + Clone + std::hash::Hash> {
    by_time: BTreeSet<(DateTime<Utc>, K)>,
    at: HashMap<K, DateTime<Utc>>,
}

impl<K: Ord + Clone + std::hash::Hash> Default for TimeQueue<K> {
    fn default() -> Self {
        Self {
            by_time: BTreeSet::new(),
            at: HashMap::new(),
        }
    }
}

impl<K: Ord + Clone + std::hash::Hash> TimeQueue<K> {
    fn set(&mut self, key: K, time: DateTime<Utc>) {
        self.remove(&key);
        self.by_time.insert((time, key.clone()));
        self.at.insert(key, time);
    }

    fn remove(&mut self, key: &K) {
        if let Some(time) = self.at.remove(key) {
            self.by_time.remove(&(time, key.clone()));
        }
    }

    /// The keys due at `now` (their instant not after it), soonest first.
    fn due(&self, now: DateTime<Utc>) -> impl Iterator<Item = (&DateTime<Utc>, &K)> {
        self.by_time
            .iter()
            .take_while(move |(time, _)| *time <= now)
            .map(|(time, key)| (time, key))
    }

    fn len(&self) -> usize {
        self.at.len()
    }

    /// Every (instant, key), soonest first: what a snapshot stores.
    fn entries(&self) -> Vec<(DateTime<Utc>, K)> {
        self.by_time.iter().cloned().collect()
    }

    fn from_entries(entries: Vec<(DateTime<Utc>, K)>) -> Self {
        let mut queue = Self::default();
        for (time, key) in entries {
            queue.set(key, time);
        }
        queue
    }
}
