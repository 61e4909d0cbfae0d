//! The log's wire format: how each event is written, version by version (SPEC §8).
//!
//! The log is hash-chained and never rewritten, so what was written once must be read forever
//! after. The domain types ([`crate::alert::Alert`], [`crate::party::Party`], …) change with the
//! product; the structures here change only by adding a version. [`encode`] writes every event
//! in its current version; [`decode`] reads every version ever written and upgrades it to the
//! domain [`Event`].
//!
//! # Kinds and versions
//!
//! The version is part of the stored kind: `alert_raised` is version 1 (no suffix: the logs
//! written before versions were explicit are version 1), `alert_raised.v2` version 2. The kind is
//! disclosed in every receipt of an event a party may see, so a party always knows which
//! structure it is reading, and the store stays ignorant of payloads.
//!
//! | kind | versions | current |
//! |---|---|---|
//! | `alert_raised` | 1: `{alert: Alert v1}`; 2: `{alert: Raised alert v2}` (the lifecycle fields, always empty at a raise, left out) | 2 |
//! | every other kind | 1: as listed in [`LogEvent`] | 1 |
//!
//! Version 1 of `alert_resolved`, `alert_acknowledged` and `alert_escalated` has an optional
//! `alert` (absent in logs written before the alert lifecycle, issue 14).
//!
//! # What is frozen here, and what is guarded
//!
//! The event envelopes, the alert and the party (internal records that no API returns as they
//! are) have structures of their own below. The nested values that are documents of the public
//! API (operation, zone and site specs, messages, incidents, shared reports, agreement versions,
//! alert details) and the position table (`track::compact`) are written by their own types; a
//! change to their encoding is caught by the golden logs (`crates/server/tests/golden_log.rs`),
//! which must decode and re-encode to the same payloads, and then needs a new version here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agreement::AgreementVersion;
use crate::alert::{Alert, AlertDetail, AlertKind, AlertState, Severity};
use crate::event::Event;
use crate::ids::{AlertId, OperationKey, PartyId};
use crate::incident::{Incident, SharedReport};
use crate::message::Message;
use crate::operation::{OperationSpec, OperationState};
use crate::party::{Party, Role};
use crate::site::SiteSpec;
use crate::track::TrackReport;
use crate::zone::ZoneSpec;

/// An event that could not be read back from the log.
#[derive(Debug, thiserror::Error)]
#[error("event of kind {kind:?} cannot be decoded: {source}")]
pub struct DecodeError {
    kind: String,
    #[source]
    source: serde_json::Error,
}

/// A party as logged, version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartyV1 {
    pub id: PartyId,
    pub name: String,
    pub role: Role,
    pub token_hash: String,
}

/// An alert as logged, version 1: every field, including its lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertV1 {
    pub id: AlertId,
    pub kind: AlertKind,
    pub severity: Severity,
    pub state: AlertState,
    pub recipients: Vec<PartyId>,
    pub raised_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub detail: AlertDetail,
    #[serde(default)]
    pub acknowledgements: BTreeMap<PartyId, DateTime<Utc>>,
    #[serde(default)]
    pub escalations: u32,
    #[serde(default)]
    pub escalated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub renotifications: u32,
    #[serde(default)]
    pub renotified_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resolved_reason: Option<String>,
}

/// A newly raised alert, version 2: what a raise says. An alert is raised open, unacknowledged,
/// never escalated or re-notified, and updated when raised; version 1 wrote all of that out in
/// every raise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaisedAlertV2 {
    pub id: AlertId,
    pub kind: AlertKind,
    pub severity: Severity,
    pub recipients: Vec<PartyId>,
    pub raised_at: DateTime<Utc>,
    pub detail: AlertDetail,
}

/// Every (kind, version) ever written, as the `kind` and `payload` columns of the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum LogEvent {
    PartyRegistered {
        party: PartyV1,
    },
    TokenIssued {
        party: PartyId,
        token_id: String,
        token_hash: String,
    },
    TokenRevoked {
        party: PartyId,
        token_id: String,
    },
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
        alert: AlertV1,
    },
    #[serde(rename = "alert_raised.v2")]
    AlertRaisedV2 {
        alert: RaisedAlertV2,
    },
    AlertUpdated {
        alert: AlertV1,
    },
    AlertResolved {
        id: AlertId,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert: Option<Box<AlertV1>>,
    },
    PositionsReported {
        owner: PartyId,
        digest: String,
        #[serde(with = "crate::track::compact")]
        reports: Vec<TrackReport>,
    },
    PositionsPublished {
        owner: PartyId,
        digest: String,
        reports: u32,
        stream: String,
        seqs: Vec<u64>,
    },
    AlertAcknowledged {
        id: AlertId,
        party: PartyId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert: Option<Box<AlertV1>>,
    },
    AlertEscalated {
        id: AlertId,
        escalations: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert: Option<Box<AlertV1>>,
    },
    AlertRenotified {
        id: AlertId,
        renotifications: u32,
        alert: Box<AlertV1>,
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
    ReportShared {
        report: SharedReport,
    },
    ReportReceived {
        id: String,
        party: PartyId,
    },
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
    ZonePublished {
        id: String,
        owner: PartyId,
        version: u64,
        spec: ZoneSpec,
    },
    ZoneWithdrawn {
        id: String,
    },
    SitePublished {
        id: String,
        owner: PartyId,
        version: u64,
        spec: SiteSpec,
    },
    SiteWithdrawn {
        id: String,
    },
    TracksLost {
        track_ids: Vec<String>,
    },
    TracksForgotten {
        track_ids: Vec<String>,
    },
}

impl From<&Party> for PartyV1 {
    fn from(party: &Party) -> Self {
        let Party {
            id,
            name,
            role,
            token_hash,
        } = party.clone();
        PartyV1 {
            id,
            name,
            role,
            token_hash,
        }
    }
}

impl From<PartyV1> for Party {
    fn from(party: PartyV1) -> Self {
        let PartyV1 {
            id,
            name,
            role,
            token_hash,
        } = party;
        Party {
            id,
            name,
            role,
            token_hash,
        }
    }
}

impl From<&Alert> for AlertV1 {
    fn from(alert: &Alert) -> Self {
        let Alert {
            id,
            kind,
            severity,
            state,
            recipients,
            raised_at,
            updated_at,
            resolved_at,
            detail,
            acknowledgements,
            escalations,
            escalated_at,
            renotifications,
            renotified_at,
            resolved_reason,
        } = alert.clone();
        AlertV1 {
            id,
            kind,
            severity,
            state,
            recipients,
            raised_at,
            updated_at,
            resolved_at,
            detail,
            acknowledgements,
            escalations,
            escalated_at,
            renotifications,
            renotified_at,
            resolved_reason,
        }
    }
}

impl From<AlertV1> for Alert {
    fn from(alert: AlertV1) -> Self {
        let AlertV1 {
            id,
            kind,
            severity,
            state,
            recipients,
            raised_at,
            updated_at,
            resolved_at,
            detail,
            acknowledgements,
            escalations,
            escalated_at,
            renotifications,
            renotified_at,
            resolved_reason,
        } = alert;
        Alert {
            id,
            kind,
            severity,
            state,
            recipients,
            raised_at,
            updated_at,
            resolved_at,
            detail,
            acknowledgements,
            escalations,
            escalated_at,
            renotifications,
            renotified_at,
            resolved_reason,
        }
    }
}

impl RaisedAlertV2 {
    /// The alert as version 2 writes it, if it is as fresh as a raise is (otherwise version 1
    /// says what version 2 cannot).
    fn of(alert: &Alert) -> Option<Self> {
        let fresh = alert.state == AlertState::Open
            && alert.updated_at == alert.raised_at
            && alert.resolved_at.is_none()
            && alert.acknowledgements.is_empty()
            && alert.escalations == 0
            && alert.escalated_at.is_none()
            && alert.renotifications == 0
            && alert.renotified_at.is_none()
            && alert.resolved_reason.is_none();
        fresh.then(|| RaisedAlertV2 {
            id: alert.id.clone(),
            kind: alert.kind,
            severity: alert.severity,
            recipients: alert.recipients.clone(),
            raised_at: alert.raised_at,
            detail: alert.detail.clone(),
        })
    }
}

impl From<RaisedAlertV2> for Alert {
    fn from(alert: RaisedAlertV2) -> Self {
        Alert {
            id: alert.id,
            kind: alert.kind,
            severity: alert.severity,
            state: AlertState::Open,
            recipients: alert.recipients,
            raised_at: alert.raised_at,
            updated_at: alert.raised_at,
            resolved_at: None,
            detail: alert.detail,
            acknowledgements: BTreeMap::new(),
            escalations: 0,
            escalated_at: None,
            renotifications: 0,
            renotified_at: None,
            resolved_reason: None,
        }
    }
}

fn alert_v1(alert: &Alert) -> Box<AlertV1> {
    Box::new(AlertV1::from(alert))
}

fn alert_of(alert: Box<AlertV1>) -> Box<Alert> {
    Box::new(Alert::from(*alert))
}

/// The variants that are the same in the domain and in the log (version 1 of their kind, the
/// current one), with their fields: `$from` to `$to` field by field; anything else to `$rest`.
macro_rules! same_fields {
    ($value:expr, $from:ident => $to:ident, $rest:expr) => {
        same_fields!(@ $value, $from, $to, $rest, {
            TokenIssued { party, token_id, token_hash },
            TokenRevoked { party, token_id },
            OperationFiled { key, version, spec },
            OperationStateChanged { key, version, state },
            PositionsReported { owner, digest, reports },
            PositionsPublished { owner, digest, reports, stream, seqs },
            MessageSent { message },
            MessageRead { id, party },
            IncidentReported { incident },
            ReportShared { report },
            ReportReceived { id, party },
            AgreementProposed { id, parties, version },
            AgreementAccepted { id, party },
            AgreementSuspended { id, party },
            AgreementResumed { id, party },
            ZonePublished { id, owner, version, spec },
            ZoneWithdrawn { id },
            SitePublished { id, owner, version, spec },
            SiteWithdrawn { id },
            TracksLost { track_ids },
            TracksForgotten { track_ids },
        })
    };
    (@ $value:expr, $from:ident, $to:ident, $rest:expr, { $($variant:ident { $($field:ident),* }),* $(,)? }) => {
        match $value {
            $( $from::$variant { $($field),* } => $to::$variant { $($field),* }, )*
            other => $rest(other),
        }
    };
}

impl LogEvent {
    /// The event in its current version. (Position batches are encoded by [`encode`] without
    /// going through here, so that a batch is not copied.)
    pub fn current(event: &Event) -> LogEvent {
        same_fields!(event.clone(), Event => LogEvent, |event| match event {
            Event::PartyRegistered { party } => LogEvent::PartyRegistered {
                party: PartyV1::from(&party),
            },
            Event::AlertRaised { alert } => match RaisedAlertV2::of(&alert) {
                Some(alert) => LogEvent::AlertRaisedV2 { alert },
                None => LogEvent::AlertRaised {
                    alert: AlertV1::from(&alert),
                },
            },
            Event::AlertUpdated { alert } => LogEvent::AlertUpdated {
                alert: AlertV1::from(&alert),
            },
            Event::AlertResolved { id, reason, alert } => LogEvent::AlertResolved {
                id,
                reason,
                alert: alert.as_deref().map(alert_v1),
            },
            Event::AlertAcknowledged { id, party, alert } => LogEvent::AlertAcknowledged {
                id,
                party,
                alert: alert.as_deref().map(alert_v1),
            },
            Event::AlertEscalated {
                id,
                escalations,
                alert,
            } => LogEvent::AlertEscalated {
                id,
                escalations,
                alert: alert.as_deref().map(alert_v1),
            },
            Event::AlertRenotified {
                id,
                renotifications,
                alert,
            } => LogEvent::AlertRenotified {
                id,
                renotifications,
                alert: alert_v1(&alert),
            },
            _ => unreachable!("same_fields! handles every other variant"),
        })
    }

    /// The domain event this logged event means, whatever its version.
    pub fn upgrade(self) -> Event {
        same_fields!(self, LogEvent => Event, |event| match event {
            LogEvent::PartyRegistered { party } => Event::PartyRegistered {
                party: party.into(),
            },
            LogEvent::AlertRaised { alert } => Event::AlertRaised {
                alert: alert.into(),
            },
            LogEvent::AlertRaisedV2 { alert } => Event::AlertRaised {
                alert: alert.into(),
            },
            LogEvent::AlertUpdated { alert } => Event::AlertUpdated {
                alert: alert.into(),
            },
            LogEvent::AlertResolved { id, reason, alert } => Event::AlertResolved {
                id,
                reason,
                alert: alert.map(alert_of),
            },
            LogEvent::AlertAcknowledged { id, party, alert } => Event::AlertAcknowledged {
                id,
                party,
                alert: alert.map(alert_of),
            },
            LogEvent::AlertEscalated {
                id,
                escalations,
                alert,
            } => Event::AlertEscalated {
                id,
                escalations,
                alert: alert.map(alert_of),
            },
            LogEvent::AlertRenotified {
                id,
                renotifications,
                alert,
            } => Event::AlertRenotified {
                id,
                renotifications,
                alert: alert_of(alert),
            },
            _ => unreachable!("same_fields! handles every other variant"),
        })
    }
}

/// The stored kind and payload of `event`, in its current version.
pub fn encode(event: &Event) -> (String, Value) {
    if let Event::PositionsReported {
        owner,
        digest,
        reports,
    } = event
    {
        // Version 1, written without copying the batch.
        #[derive(Serialize)]
        struct PositionsReportedV1<'a> {
            owner: &'a PartyId,
            digest: &'a str,
            #[serde(with = "crate::track::compact")]
            reports: &'a [TrackReport],
        }
        let payload = serde_json::to_value(PositionsReportedV1 {
            owner,
            digest,
            reports,
        })
        .expect("a position batch always serialises");
        return ("positions_reported".to_owned(), payload);
    }
    let mut value = serde_json::to_value(LogEvent::current(event)).expect("events serialise");
    let object = value
        .as_object_mut()
        .expect("log events are tagged with kind and payload");
    let payload = object.remove("payload").unwrap_or(Value::Null);
    let kind = match object.remove("kind") {
        Some(Value::String(kind)) => kind,
        _ => unreachable!("log events are tagged with a string kind"),
    };
    (kind, payload)
}

/// Reads an event back from its stored kind and payload, whatever version wrote it.
pub fn decode(kind: &str, payload: Value) -> Result<Event, DecodeError> {
    let value = serde_json::json!({ "kind": kind, "payload": payload });
    serde_json::from_value::<LogEvent>(value)
        .map(LogEvent::upgrade)
        .map_err(|source| DecodeError {
            kind: kind.to_owned(),
            source,
        })
}

/// The event's name without its version (`alert_raised.v2` → `alert_raised`).
pub fn name_of(kind: &str) -> &str {
    match kind.rsplit_once(".v") {
        Some((name, version)) if version.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{StrategicDetail, TacticalDetail, TrackRef};

    fn tactical_alert() -> Alert {
        let t = "2030-01-07T10:00:00Z".parse().unwrap();
        let side = |party: &str, track: &str| TrackRef {
            owner: PartyId::from(party),
            track_id: track.to_owned(),
        };
        Alert {
            id: AlertId::from("tc-0123456789abcdef"),
            kind: AlertKind::TacticalConflict,
            severity: Severity::Caution,
            state: AlertState::Open,
            recipients: vec![PartyId::from("blue"), PartyId::from("red")],
            raised_at: t,
            updated_at: t,
            resolved_at: None,
            detail: AlertDetail::TacticalConflict(TacticalDetail {
                tracks: [side("blue", "b1"), side("red", "r1")],
                evaluated_at: t,
                los_now: false,
                t_los_s: 30.0,
                t_out_s: 60.0,
                t_cpa_s: 42.0,
                d_cpa_m: 900.0,
                horizontal_distance_now_m: 9000.0,
                vertical_offset_now_m: 100.0,
                domains: Default::default(),
            }),
            acknowledgements: BTreeMap::new(),
            escalations: 0,
            escalated_at: None,
            renotifications: 0,
            renotified_at: None,
            resolved_reason: None,
        }
    }

    #[test]
    fn a_fresh_raise_is_written_as_version_2_and_reads_back_the_same() {
        let event = Event::AlertRaised {
            alert: tactical_alert(),
        };
        let (kind, payload) = encode(&event);
        assert_eq!(kind, "alert_raised.v2");
        assert!(payload["alert"].get("acknowledgements").is_none());
        assert!(payload["alert"].get("state").is_none());
        assert_eq!(decode(&kind, payload).unwrap(), event);
    }

    #[test]
    fn a_version_1_raise_upgrades_to_the_same_event() {
        let event = Event::AlertRaised {
            alert: tactical_alert(),
        };
        // Exactly as builds before explicit versions wrote it.
        let v1 = serde_json::json!({ "alert": AlertV1::from(&tactical_alert()) });
        assert!(v1["alert"]["acknowledgements"].is_object());
        assert_eq!(decode("alert_raised", v1).unwrap(), event);
    }

    #[test]
    fn a_raise_version_2_cannot_express_is_written_as_version_1() {
        let mut alert = tactical_alert();
        alert.updated_at = alert.raised_at + chrono::Duration::seconds(1);
        let event = Event::AlertRaised { alert };
        let (kind, payload) = encode(&event);
        assert_eq!(kind, "alert_raised");
        assert_eq!(decode(&kind, payload).unwrap(), event);
    }

    #[test]
    fn an_unknown_field_in_a_version_2_raise_is_refused() {
        let (kind, mut payload) = encode(&Event::AlertRaised {
            alert: tactical_alert(),
        });
        payload["alert"]["escalations"] = 3.into();
        assert!(decode(&kind, payload).is_err());
    }

    #[test]
    fn names_drop_the_version() {
        assert_eq!(name_of("alert_raised.v2"), "alert_raised");
        assert_eq!(name_of("alert_raised"), "alert_raised");
        assert_eq!(name_of("a.very_odd"), "a.very_odd");
    }

    #[test]
    fn a_strategic_raise_round_trips() {
        let mut alert = tactical_alert();
        alert.kind = AlertKind::StrategicConflict;
        let key = |owner: &str, id: &str| OperationKey {
            owner: PartyId::from(owner),
            id: crate::ids::OperationId::from(id),
        };
        alert.detail = AlertDetail::StrategicConflict(StrategicDetail {
            operations: [key("blue", "b"), key("red", "r")],
            right_of_way: Some(PartyId::from("red")),
            conflicts: Vec::new(),
        });
        let event = Event::AlertRaised { alert };
        let (kind, payload) = encode(&event);
        assert_eq!(decode(&kind, payload).unwrap(), event);
    }
}
