//! Commands on agreements: propose, accept, suspend ("freeze"), resume (SPEC §2, §7).

use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

use super::Decision;
use crate::agreement::{AgreementParams, AgreementVersion};
use crate::error::EngineError;
use crate::event::Event;
use crate::ids::{validate_id, PartyId};
use crate::state::State;

/// The most parties one agreement may name.
pub const AGREEMENT_PARTIES_MAX: usize = 20;

/// Proposes a new agreement, or a new version of an existing one (same parties). The proposer
/// must be one of the parties; its proposal counts as its acceptance.
pub fn propose_agreement(
    state: &State,
    proposer: &PartyId,
    id: &str,
    parties: Vec<PartyId>,
    params: AgreementParams,
    now: DateTime<Utc>,
) -> Result<Decision<()>, EngineError> {
    validate_id("id", id)?;
    params
        .check()
        .map_err(|(field, reason)| EngineError::InvalidParameter { field, reason })?;
    let mut parties = parties;
    parties.sort();
    parties.dedup();
    if parties.len() < 2 || parties.len() > AGREEMENT_PARTIES_MAX {
        return Err(EngineError::InvalidParameter {
            field: "/parties",
            reason: format!("an agreement names 2 to {AGREEMENT_PARTIES_MAX} different parties"),
        });
    }
    if !parties.contains(proposer) {
        return Err(EngineError::InvalidParameter {
            field: "/parties",
            reason: "the proposer must be one of the parties".to_owned(),
        });
    }
    for party in &parties {
        if state.party(party).is_none() {
            return Err(EngineError::UnknownRecipient {
                field: "parties",
                id: party.0.clone(),
            });
        }
    }
    let version = match state.agreement(id) {
        // Someone else's agreement of that id: indistinguishable from a taken id that is not theirs.
        Some(existing) if !existing.names(proposer) => {
            return Err(EngineError::InvalidParameter {
                field: "/id",
                reason: format!("agreement id {id:?} is taken; choose another"),
            })
        }
        Some(existing) if existing.parties != parties => {
            return Err(EngineError::InvalidParameter {
                field: "/parties",
                reason: "a new version must name the same parties".to_owned(),
            })
        }
        Some(existing) => {
            let latest = existing
                .pending
                .as_ref()
                .or(existing.in_force.as_ref())
                .map_or(0, |v| v.version);
            latest + 1
        }
        None => 1,
    };
    let version = AgreementVersion {
        version,
        params,
        proposed_by: proposer.clone(),
        proposed_at: now,
        accepted_by: BTreeSet::from([proposer.clone()]),
    };
    Ok(Decision {
        events: vec![Event::AgreementProposed {
            id: id.to_owned(),
            parties,
            version,
        }],
        outcome: (),
    })
}

/// What a party may do to an agreement besides proposing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementAction {
    Accept,
    Suspend,
    Resume,
}

/// Accepts the pending version, or suspends or resumes the agreement. Repeating is a no-op.
pub fn act_on_agreement(
    state: &State,
    party: &PartyId,
    id: &str,
    action: AgreementAction,
) -> Result<Decision<()>, EngineError> {
    let agreement = state
        .agreement(id)
        .filter(|agreement| agreement.names(party))
        .ok_or_else(|| EngineError::NotFound {
            what: "agreement",
            id: id.to_owned(),
        })?;
    let (id, party) = (id.to_owned(), party.clone());
    let event = match action {
        AgreementAction::Accept => match &agreement.pending {
            None => {
                return Err(EngineError::AgreementState(
                    "there is no pending version to accept",
                ))
            }
            Some(pending) if pending.accepted_by.contains(&party) => None,
            Some(_) => Some(Event::AgreementAccepted { id, party }),
        },
        AgreementAction::Suspend => match (&agreement.in_force, &agreement.suspended) {
            (None, _) => {
                return Err(EngineError::AgreementState(
                    "an agreement not yet in force cannot be suspended",
                ))
            }
            (Some(_), Some(_)) => None,
            (Some(_), None) => Some(Event::AgreementSuspended { id, party }),
        },
        AgreementAction::Resume => agreement
            .suspended
            .as_ref()
            .map(|_| Event::AgreementResumed { id, party }),
    };
    Ok(Decision {
        events: event.into_iter().collect(),
        outcome: (),
    })
}
