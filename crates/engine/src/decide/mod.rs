//! Commands: validate against the current state, answer with the events that record them.
//!
//! Nothing here changes state. The caller appends the returned events to the log and then
//! applies them, so a command either is logged whole or changes nothing.
//!
//! - [`operations`]: filing and lifecycle of operations, strategic alerts.
//! - [`tracks`]: position reports, the tactical pass, conformance.
//! - [`hotline`]: acknowledgement, messages, incidents, shared reports.
//! - [`time`]: what time brings: plans past, operations ended, escalation and re-notification.
//!
//! The alert lifecycle every command shares (raise, update, resolve, recipients) is
//! [`crate::lifecycle`].

mod agreements;
mod hotline;
mod operations;
mod retention;
mod sites;
mod time;
mod tracks;
mod zones;

pub use agreements::*;
pub use hotline::*;
pub use operations::*;
pub use retention::*;
pub use sites::*;
pub use time::*;
pub use tracks::*;
pub use zones::*;

use crate::error::EngineError;
use crate::event::Event;
use crate::ids::{validate_id, PartyId};
use crate::party::{Party, Role, NAME_MAX_CHARS};
use crate::state::State;

/// Who issues a command: the holder of the admin token, or a registered party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Admin,
    Party(PartyId),
    /// The server itself: the periodic tactical pass.
    System,
}

impl Actor {
    /// The actor as recorded in the log. `@admin` cannot clash with a party id ('@' is not allowed in ids).
    pub fn log_name(&self) -> String {
        match self {
            Actor::Admin => "@admin".to_owned(),
            Actor::System => "@system".to_owned(),
            Actor::Party(id) => id.0.clone(),
        }
    }
}

/// The events to log, and what the caller should answer.
#[derive(Debug, Clone)]
pub struct Decision<T> {
    pub events: Vec<Event>,
    pub outcome: T,
}

/// Registers a party. Only the admin token or a party with role `admin` may.
pub fn register_party(
    state: &State,
    actor: &Actor,
    id: &str,
    name: &str,
    role: Role,
    token_hash: String,
) -> Result<Decision<PartyId>, EngineError> {
    let allowed = match actor {
        Actor::Admin => true,
        Actor::Party(party) => state.party(party).map(|p| p.role) == Some(Role::Admin),
        Actor::System => false,
    };
    if !allowed {
        return Err(EngineError::Forbidden {
            needed: "the admin",
            action: "register parties",
        });
    }
    validate_id("id", id)?;
    crate::ids::check_text("name", name, NAME_MAX_CHARS)?;
    let id = PartyId(id.to_owned());
    if state.party(&id).is_some() {
        return Err(EngineError::PartyExists(id.0));
    }
    let party = Party {
        id: id.clone(),
        name: name.to_owned(),
        role,
        token_hash,
    };
    Ok(Decision {
        events: vec![Event::PartyRegistered { party }],
        outcome: id,
    })
}

/// Whether `actor` may manage `party`'s tokens: the party itself, or the admin.
fn may_manage_tokens(state: &State, actor: &Actor, party: &PartyId) -> bool {
    match actor {
        Actor::Admin => true,
        Actor::Party(own) => own == party || state.party(own).map(|p| p.role) == Some(Role::Admin),
        Actor::System => false,
    }
}

/// Issues a further token to a party (by itself or the admin); returns the new token's id.
/// Someone else's party is simply not found.
pub fn issue_token(
    state: &State,
    actor: &Actor,
    party: &str,
    token_hash: String,
) -> Result<Decision<String>, EngineError> {
    let party = PartyId(party.to_owned());
    if state.party(&party).is_none() || !may_manage_tokens(state, actor, &party) {
        return Err(EngineError::NotFound {
            what: "party",
            id: party.0,
        });
    }
    let token_id = format!("t{}", state.tokens_issued(&party) + 1);
    Ok(Decision {
        events: vec![Event::TokenIssued {
            party,
            token_id: token_id.clone(),
            token_hash,
        }],
        outcome: token_id,
    })
}

/// Revokes one of a party's tokens; requests with it are refused from then on.
pub fn revoke_token(
    state: &State,
    actor: &Actor,
    party: &str,
    token_id: &str,
) -> Result<Decision<()>, EngineError> {
    let party = PartyId(party.to_owned());
    if state.party(&party).is_none() || !may_manage_tokens(state, actor, &party) {
        return Err(EngineError::NotFound {
            what: "party",
            id: party.0,
        });
    }
    if !state.token_ids(&party).iter().any(|id| id == token_id) {
        return Err(EngineError::NotFound {
            what: "token",
            id: token_id.to_owned(),
        });
    }
    Ok(Decision {
        events: vec![Event::TokenRevoked {
            party,
            token_id: token_id.to_owned(),
        }],
        outcome: (),
    })
}
