//! Bearer-token authentication.
//!
//! A token is 32 random bytes, shown once when it is issued; the server keeps only its
//! SHA-256 hash (in the event log and in memory), so neither a copy of the database nor
//! the log reveals a usable credential.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use deconflict_engine::decide::Actor;
use deconflict_engine::{Party, PartyId};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;

use crate::problem::ApiError;
use crate::App;

/// SHA-256 of a token, hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: `dcf_` and 64 hex digits.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("dcf_{}", hex::encode(bytes))
}

/// Who made the request.
#[derive(Debug, Clone)]
pub enum Caller {
    Admin,
    Party(Party),
}

impl Caller {
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Admin => Actor::Admin,
            Caller::Party(party) => Actor::Party(party.id.clone()),
        }
    }

    /// The calling party; the admin token is refused where a party is needed.
    pub fn party(&self) -> Result<&PartyId, ApiError> {
        match self {
            Caller::Party(party) => Ok(&party.id),
            Caller::Admin => Err(ApiError::AdminIsNotAParty),
        }
    }
}

/// The caller as [`crate::concurrency`] resolved it (`None`: no valid token), so that the
/// token is hashed and looked up once per request.
#[derive(Debug, Clone)]
pub struct Resolved(pub Option<Caller>);

/// The caller a request's `Authorization` header names.
pub fn resolve(app: &App, headers: &axum::http::HeaderMap) -> Result<Caller, ApiError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated("no Authorization header"))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::Unauthenticated(
            "the Authorization header must be 'Bearer <token>'",
        ))?;
    let hash = hash_token(token);
    if hash == app.admin_token_hash() {
        return Ok(Caller::Admin);
    }
    app.read(|state| state.party_by_token_hash(&hash).cloned())
        .map(Caller::Party)
        .ok_or(ApiError::Unauthenticated("the token is not valid"))
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let caller = match parts.extensions.get::<Resolved>() {
            Some(Resolved(Some(caller))) => caller.clone(),
            // Not resolved, or no valid token: resolving again names the problem.
            _ => resolve(app, &parts.headers)?,
        };
        if let Caller::Party(party) = &caller {
            app.rate_limiter
                .check(&party.id, app.config.rate_limit)
                .map_err(|retry_after_s| ApiError::RateLimited { retry_after_s })?;
        }
        Ok(caller)
    }
}
