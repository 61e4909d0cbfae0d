//! The periodic pass of time (SPEC §6, "Time ends things" and "Escalation stops"): what falls
//! due at `now`, and nothing else.
//!
//! The state keeps three time-ordered queues ([`State::due_expiries`],
//! [`State::due_operation_ends`], [`State::due_deadlines`]); this pass reads only their due
//! heads, so its cost is proportional to what happens now, never to the number of open alerts.
//! In order:
//! 1. plan alerts (strategic, zone, site) whose overlap window has passed resolve with reason
//!    [`lifecycle::PAST`];
//! 2. live operations whose last volume window has closed become `ended`, and their other open
//!    alerts resolve;
//! 3. unacknowledged alerts whose deadline has come are escalated one step (below `warning`) or
//!    re-notified (at `warning`, up to the agreed number of times; then overdue and quiet).
//!    An alert resolved in steps 1–2 is not escalated.
//!
//! One pass logs at most [`TIME_PASS_MAX_EVENTS`] events (one store transaction holds a
//! bounded batch): a backlog — after a restart, or a burst of filings whose deadlines fall due
//! together — is worked off over the following passes, soonest first, never refused whole.

use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

use super::Decision;
use crate::alert::Severity;
use crate::event::Event;
use crate::ids::AlertId;
use crate::lifecycle::{self, PAST};
use crate::operation::OperationState;
use crate::state::State;

/// The most events one pass of time logs; what is left is due at the next pass. Each carries its
/// alert (a strategic one with its overlap regions, some kilobytes), so the batch stays far
/// below the store's limits on events and bytes per transaction.
pub const TIME_PASS_MAX_EVENTS: usize = 500;

/// What one pass of time did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeOutcome {
    pub alerts_past: usize,
    pub operations_ended: usize,
    pub escalated: usize,
    pub renotified: usize,
    /// Lost tracks forgotten by retention (`forget_tracks`, run beside this pass by a server
    /// that prunes).
    pub tracks_forgotten: usize,
}

impl TimeOutcome {
    /// Escalations and re-notifications: the alerts pushed again.
    pub fn pushed_again(&self) -> usize {
        self.escalated + self.renotified
    }
}

/// Everything due at `now`: alerts past, operations ended, escalations and re-notifications.
pub fn time_pass(state: &State, now: DateTime<Utc>) -> Decision<TimeOutcome> {
    let mut events = Vec::new();
    let mut outcome = TimeOutcome::default();
    let mut resolved: BTreeSet<AlertId> = BTreeSet::new();

    for alert in state.due_expiries(now) {
        if events.len() >= TIME_PASS_MAX_EVENTS {
            break;
        }
        resolved.insert(alert.id.clone());
        events.push(lifecycle::resolved_event(alert, now, PAST.to_owned()));
        outcome.alerts_past += 1;
    }
    for operation in state.due_operation_ends(now) {
        // Alerts of an ended operation left open by the bound are plan alerts already past
        // (resolved by the next pass) or track alerts (decided by the tactical pass).
        if events.len() >= TIME_PASS_MAX_EVENTS {
            break;
        }
        debug_assert!(operation.state.is_live(), "only live operations are queued");
        events.push(Event::OperationStateChanged {
            key: operation.key.clone(),
            version: operation.version + 1,
            state: OperationState::Ended,
        });
        outcome.operations_ended += 1;
        let reason = "the operation ended: its last window closed".to_owned();
        for alert in state.open_alerts_of(&operation.key) {
            if events.len() >= TIME_PASS_MAX_EVENTS {
                break;
            }
            if resolved.insert(alert.id.clone()) {
                events.push(lifecycle::resolved_event(alert, now, reason.clone()));
            }
        }
    }
    for alert in state.due_deadlines(now) {
        if events.len() >= TIME_PASS_MAX_EVENTS {
            break;
        }
        if resolved.contains(&alert.id) {
            continue;
        }
        let mut after = alert.clone();
        if alert.effective_severity() < Severity::Warning {
            let escalations = alert.escalations + 1;
            lifecycle::escalated(&mut after, escalations, now);
            events.push(Event::AlertEscalated {
                id: alert.id.clone(),
                escalations,
                alert: Some(Box::new(after)),
            });
            outcome.escalated += 1;
        } else {
            let renotifications = alert.renotifications + 1;
            lifecycle::renotified(&mut after, renotifications, now);
            events.push(Event::AlertRenotified {
                id: alert.id.clone(),
                renotifications,
                alert: Box::new(after),
            });
            outcome.renotified += 1;
        }
    }
    Decision { events, outcome }
}
