//! The events of the log (SPEC §8): every state change is one of these.
//!
//! These are domain events: what the engine decides and applies. How each is written to the
//! log, version by version, is [`crate::wire`]'s business; an event travels to the store as the
//! `kind` string and JSON `payload` that [`Event::to_log`] gives, and the store hashes the
//! canonical encoding of both into the chain.

use crate::agreement::AgreementVersion;
use crate::alert::Alert;
use crate::ids::{AlertId, OperationKey, PartyId};
use crate::incident::{Incident, SharedReport};
use crate::message::Message;
use crate::operation::{OperationSpec, OperationState};
use crate::party::Party;
use crate::track::TrackReport;

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    PartyRegistered {
        party: Party,
    },
    /// A further bearer token for a party (rotation: issue a new one, then revoke the old).
    TokenIssued {
        party: PartyId,
        token_id: String,
        token_hash: String,
    },
    TokenRevoked {
        party: PartyId,
        token_id: String,
    },
    /// Created or replaced (the whole plan), with its new version.
    OperationFiled {
        key: OperationKey,
        version: u64,
        spec: OperationSpec,
    },
    OperationStateChanged {
        key: OperationKey,
        version: u64,
        state: OperationState,
    },
    AlertRaised {
        alert: Alert,
    },
    /// Same condition, new figures: replaces the alert's content, keeps its id.
    AlertUpdated {
        alert: Alert,
    },
    AlertResolved {
        id: AlertId,
        reason: String,
        /// The alert as resolved: what the parties were told (absent in logs written before).
        alert: Option<Box<Alert>>,
    },
    /// A batch of position reports from one party (SPEC §8: one event per batch, with its digest).
    PositionsReported {
        owner: PartyId,
        /// SHA-256 (hex) of the compact JSON encoding of `reports` ([`crate::track::compact`]).
        digest: String,
        reports: Vec<TrackReport>,
    },
    /// A batch of position reports from one party carried on NATS JetStream, not in the log
    /// (SPEC §9, issue 21): the log keeps its digest and where in the stream it lies, so audit
    /// still covers it while the stream holds it, and its digest forever after.
    PositionsPublished {
        owner: PartyId,
        /// SHA-256 (hex) of the compact JSON encoding of the batch's reports, in the order of
        /// the messages at `seqs` ([`crate::track::compact`]), as for `PositionsReported`.
        digest: String,
        /// How many reports the batch holds.
        reports: u32,
        /// The JetStream stream holding the batch.
        stream: String,
        /// The stream sequences of the batch's messages (one per cell subject), ascending.
        seqs: Vec<u64>,
    },
    AlertAcknowledged {
        id: AlertId,
        party: PartyId,
        /// The alert as acknowledged (absent in logs written before).
        alert: Option<Box<Alert>>,
    },
    /// Not acknowledged in time: severity one step up, pushed again.
    AlertEscalated {
        id: AlertId,
        escalations: u32,
        /// The alert as escalated (absent in logs written before).
        alert: Option<Box<Alert>>,
    },
    /// Not acknowledged in time at `warning`: pushed again, at most the agreed number of times.
    AlertRenotified {
        id: AlertId,
        renotifications: u32,
        alert: Box<Alert>,
    },

    MessageSent {
        message: Message,
    },
    MessageRead {
        id: String,
        party: PartyId,
    },
    IncidentReported {
        incident: Incident,
    },
    /// Released to exactly `report.to`; never widened.
    ReportShared {
        report: SharedReport,
    },
    /// A recipient acknowledged receipt of a shared report.
    ReportReceived {
        id: String,
        party: PartyId,
    },
    /// A new version proposed (the proposer's acceptance included).
    AgreementProposed {
        id: String,
        parties: Vec<PartyId>,
        version: AgreementVersion,
    },
    AgreementAccepted {
        id: String,
        party: PartyId,
    },
    AgreementSuspended {
        id: String,
        party: PartyId,
    },
    AgreementResumed {
        id: String,
        party: PartyId,
    },
    /// A zone published or replaced (SPEC §5.4).
    ZonePublished {
        id: String,
        owner: PartyId,
        version: u64,
        spec: crate::zone::ZoneSpec,
    },
    /// A zone withdrawn by its owner.
    ZoneWithdrawn {
        id: String,
    },
    /// A protected site notified or replaced (SPEC §5.5).
    SitePublished {
        id: String,
        owner: PartyId,
        version: u64,
        spec: crate::site::SiteSpec,
    },
    /// A protected site withdrawn by its owner.
    SiteWithdrawn {
        id: String,
    },
    /// Tracks with no report for longer than the staleness limit.
    TracksLost {
        track_ids: Vec<String>,
    },
    /// Lost tracks whose last report batch is older than the retention horizon, forgotten
    /// (their last report, and which party owns their id). Logged so that the live state and a
    /// replay of the log whose old batches retention pruned agree (`decide::forget_tracks`).
    TracksForgotten {
        track_ids: Vec<String>,
    },
}

/// Every kind of event, as stored beside its payload.
pub const KINDS: &[&str] = &[
    "party_registered",
    "operation_filed",
    "token_issued",
    "token_revoked",
    "operation_state_changed",
    "alert_raised",
    "alert_updated",
    "alert_resolved",
    "positions_reported",
    "positions_published",
    "tracks_lost",
    "alert_acknowledged",
    "alert_escalated",
    "alert_renotified",
    "message_sent",
    "message_read",
    "incident_reported",
    "report_shared",
    "report_received",
    "agreement_proposed",
    "agreement_accepted",
    "agreement_suspended",
    "agreement_resumed",
    "zone_published",
    "zone_withdrawn",
    "site_published",
    "site_withdrawn",
    "tracks_forgotten",
];

pub use crate::wire::DecodeError;

impl Event {
    /// The kind string stored beside the payload.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::PartyRegistered { .. } => "party_registered",
            Event::OperationFiled { .. } => "operation_filed",
            Event::TokenIssued { .. } => "token_issued",
            Event::TokenRevoked { .. } => "token_revoked",
            Event::OperationStateChanged { .. } => "operation_state_changed",
            Event::AlertRaised { .. } => "alert_raised",
            Event::AlertUpdated { .. } => "alert_updated",
            Event::AlertResolved { .. } => "alert_resolved",
            Event::PositionsReported { .. } => "positions_reported",
            Event::PositionsPublished { .. } => "positions_published",
            Event::TracksLost { .. } => "tracks_lost",
            Event::AlertAcknowledged { .. } => "alert_acknowledged",
            Event::AlertEscalated { .. } => "alert_escalated",
            Event::AlertRenotified { .. } => "alert_renotified",
            Event::MessageSent { .. } => "message_sent",
            Event::MessageRead { .. } => "message_read",
            Event::IncidentReported { .. } => "incident_reported",
            Event::ReportShared { .. } => "report_shared",
            Event::ReportReceived { .. } => "report_received",
            Event::AgreementProposed { .. } => "agreement_proposed",
            Event::AgreementAccepted { .. } => "agreement_accepted",
            Event::AgreementSuspended { .. } => "agreement_suspended",
            Event::AgreementResumed { .. } => "agreement_resumed",
            Event::ZonePublished { .. } => "zone_published",
            Event::ZoneWithdrawn { .. } => "zone_withdrawn",
            Event::SitePublished { .. } => "site_published",
            Event::SiteWithdrawn { .. } => "site_withdrawn",
            Event::TracksForgotten { .. } => "tracks_forgotten",
        }
    }

    /// The stored kind (with its version, see [`crate::wire`]) and payload of this event.
    pub fn to_log(&self) -> (String, serde_json::Value) {
        crate::wire::encode(self)
    }

    /// The payload stored in the log. Crate-private: outside the engine, a payload is only ever
    /// written together with its kind ([`Event::to_log`]), since the kind carries the version
    /// that says how the payload reads.
    pub(crate) fn payload(&self) -> serde_json::Value {
        self.to_log().1
    }

    /// Reads an event back from its stored kind and payload, whatever version wrote it.
    pub fn from_parts(kind: &str, payload: serde_json::Value) -> Result<Event, DecodeError> {
        crate::wire::decode(kind, payload)
    }
}
