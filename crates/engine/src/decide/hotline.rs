//! Commands of the hotline: acknowledging alerts, escalating unacknowledged ones (SPEC §6),
//! and sending and reading messages.

use chrono::{DateTime, Utc};

use super::Decision;
use crate::alert::{Alert, AlertDetail, AlertKind, Severity};
use crate::error::EngineError;
use crate::event::Event;
use crate::ids::{check_text, AlertId, PartyId};
use crate::incident::{
    Incident, IncidentCategory, Place, SharedReport, TEXT_MAX_CHARS as INCIDENT_TEXT_MAX,
};
use crate::lifecycle;
use crate::message::{Message, Priority, Reference, RECIPIENTS_MAX, TEXT_MAX_CHARS};
use crate::state::State;

/// Acknowledges an alert for `party`. Idempotent; an alert the party is not told of is not found.
/// Once every recipient has acknowledged, the alert is no longer escalated.
pub fn acknowledge_alert(
    state: &State,
    party: &PartyId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Decision<()>, EngineError> {
    let alert = state
        .alert(&AlertId(id.to_owned()))
        .filter(|alert| alert.recipients.contains(party))
        .ok_or_else(|| EngineError::NotFound {
            what: "alert",
            id: id.to_owned(),
        })?;
    let events = if alert.acknowledgements.contains_key(party) {
        Vec::new()
    } else {
        let mut after = alert.clone();
        lifecycle::acknowledged(&mut after, party, now);
        vec![Event::AlertAcknowledged {
            id: alert.id.clone(),
            party: party.clone(),
            alert: Some(Box::new(after)),
        }]
    };
    Ok(Decision {
        events,
        outcome: (),
    })
}

/// A message as a party asks to send it.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub to: Vec<PartyId>,
    pub priority: Priority,
    pub text: String,
    pub reference: Option<Reference>,
}

/// Sends a message from `from`. Every recipient must be a registered party other than the sender.
pub fn send_message(
    state: &State,
    from: &PartyId,
    message: NewMessage,
    now: DateTime<Utc>,
) -> Result<Decision<String>, EngineError> {
    crate::ids::check_multiline_text("text", &message.text, TEXT_MAX_CHARS)?;
    let to = recipients(state, from, message.to, "to")?;
    refuse_if_frozen(state, from, &to)?;
    let id = format!("m-{:08}", state.messages_count() + 1);
    let message = Message {
        id: id.clone(),
        from: from.clone(),
        to,
        priority: message.priority,
        text: message.text,
        reference: message.reference,
        sent_at: now,
        read_by: Default::default(),
    };
    Ok(Decision {
        events: vec![Event::MessageSent { message }],
        outcome: id,
    })
}

/// Marks a message read by one of its recipients (a read receipt). Idempotent.
pub fn read_message(state: &State, party: &PartyId, id: &str) -> Result<Decision<()>, EngineError> {
    let message = state
        .message(id)
        .filter(|message| message.visible_to(party))
        .ok_or_else(|| EngineError::NotFound {
            what: "message",
            id: id.to_owned(),
        })?;
    let events = if message.to.contains(party) && !message.read_by.contains_key(party) {
        vec![Event::MessageRead {
            id: id.to_owned(),
            party: party.clone(),
        }]
    } else {
        Vec::new()
    };
    Ok(Decision {
        events,
        outcome: (),
    })
}

/// An incident report as a party files it.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub time: DateTime<Utc>,
    pub place: Place,
    pub category: IncidentCategory,
    pub tracks: Vec<String>,
    pub operations: Vec<String>,
    pub narrative: String,
    pub share_with: Vec<PartyId>,
}

/// Refuses when the channel between `from` and any recipient is frozen (SPEC §2).
fn refuse_if_frozen(state: &State, from: &PartyId, to: &[PartyId]) -> Result<(), EngineError> {
    for recipient in to {
        if let Some(agreement) = state.frozen_between(from, recipient) {
            return Err(EngineError::ChannelFrozen {
                party: recipient.0.clone(),
                agreement: agreement.id.clone(),
            });
        }
    }
    Ok(())
}

/// Checks a recipient list: registered parties other than the sender, sorted, no repeats.
fn recipients(
    state: &State,
    from: &PartyId,
    to: Vec<PartyId>,
    field: &'static str,
) -> Result<Vec<PartyId>, EngineError> {
    if to.is_empty() {
        return Err(EngineError::Empty { field });
    }
    if to.len() > RECIPIENTS_MAX {
        return Err(EngineError::TooLong {
            field,
            max: RECIPIENTS_MAX,
        });
    }
    let mut to = to;
    to.sort();
    to.dedup();
    for recipient in &to {
        if recipient == from || state.party(recipient).is_none() {
            return Err(EngineError::UnknownRecipient {
                field,
                id: recipient.0.clone(),
            });
        }
    }
    Ok(to)
}

/// Files an incident report; the reporter and every party it is shared with get an alert.
pub fn report_incident(
    state: &State,
    reporter: &PartyId,
    new: NewIncident,
    now: DateTime<Utc>,
) -> Result<Decision<String>, EngineError> {
    crate::ids::check_multiline_text("narrative", &new.narrative, INCIDENT_TEXT_MAX)?;
    new.place.check().map_err(EngineError::InvalidPlace)?;
    let shared_with = recipients(state, reporter, new.share_with, "share_with")?;
    refuse_if_frozen(state, reporter, &shared_with)?;
    if new.tracks.len() + new.operations.len() > RECIPIENTS_MAX {
        return Err(EngineError::TooLong {
            field: "tracks",
            max: RECIPIENTS_MAX,
        });
    }
    let id = format!("i-{:08}", state.incidents().count() + 1);
    let incident = Incident {
        id: id.clone(),
        reporter: reporter.clone(),
        time: new.time,
        place: new.place,
        category: new.category,
        tracks: new.tracks,
        operations: new.operations,
        narrative: new.narrative,
        shared_with: shared_with.clone(),
        reported_at: now,
    };
    let detail = AlertDetail::Incident(incident.clone());
    let alert = Alert::raise(
        AlertId(format!("in-{id}")),
        AlertKind::Incident,
        Severity::Caution,
        lifecycle::recipients(&detail),
        now,
        detail,
    );
    Ok(Decision {
        events: vec![
            Event::IncidentReported { incident },
            Event::AlertRaised { alert },
        ],
        outcome: id,
    })
}

/// Releases a report to exactly `to`.
pub fn share_report(
    state: &State,
    from: &PartyId,
    to: Vec<PartyId>,
    title: String,
    content: String,
    now: DateTime<Utc>,
) -> Result<Decision<String>, EngineError> {
    check_text("title", &title, 200)?;
    crate::ids::check_multiline_text("content", &content, INCIDENT_TEXT_MAX)?;
    let to = recipients(state, from, to, "to")?;
    refuse_if_frozen(state, from, &to)?;
    let id = format!("r-{:08}", state.reports().count() + 1);
    let report = SharedReport {
        id: id.clone(),
        from: from.clone(),
        to,
        title,
        content,
        sent_at: now,
        received_by: Default::default(),
    };
    Ok(Decision {
        events: vec![Event::ReportShared { report }],
        outcome: id,
    })
}

/// A recipient acknowledges receipt of a shared report. Idempotent.
pub fn acknowledge_report(
    state: &State,
    party: &PartyId,
    id: &str,
) -> Result<Decision<()>, EngineError> {
    let report = state
        .report(id)
        .filter(|report| report.visible_to(party))
        .ok_or_else(|| EngineError::NotFound {
            what: "report",
            id: id.to_owned(),
        })?;
    let events = if report.to.contains(party) && !report.received_by.contains_key(party) {
        vec![Event::ReportReceived {
            id: id.to_owned(),
            party: party.clone(),
        }]
    } else {
        Vec::new()
    };
    Ok(Decision {
        events,
        outcome: (),
    })
}
