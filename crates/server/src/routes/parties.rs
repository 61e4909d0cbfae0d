//! Registering parties (admin) and reading who they are.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use deconflict_engine::decide;
use deconflict_engine::Role;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

use crate::auth::{generate_token, hash_token, Caller};
use crate::body::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::App;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterParty {
    /// 1–64 characters of A-Z a-z 0-9 . _ -
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// A newly registered party with its bearer token, shown only in this response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisteredParty {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PartySummary {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// Registers a party and issues its bearer token (admin only).
#[utoipa::path(post, path = "/v1/parties", tag = "parties", request_body = RegisterParty,
    security(("bearer" = [])),
    responses((status = 201, body = RegisteredParty), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(app): State<Arc<App>>,
    caller: Caller,
    JsonBody(request): JsonBody<RegisterParty>,
) -> Result<(StatusCode, Json<RegisteredParty>), ApiError> {
    let token = generate_token();
    let token_hash = hash_token(&token);
    let actor = caller.actor();
    let app_for_task = app.clone();
    let id = request.id.clone();
    let name = request.name.clone();
    let role = request.role;
    tokio::task::spawn_blocking(move || {
        app_for_task.execute(
            &actor,
            |state, _now| {
                decide::register_party(state, &actor, &id, &name, role, token_hash.clone())
            },
            |_, _| (),
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredParty {
            id: request.id,
            name: request.name,
            role: request.role,
            token,
        }),
    ))
}

/// Every registered party (who takes part is not secret; what they do is).
#[utoipa::path(get, path = "/v1/parties", tag = "parties", security(("bearer" = [])),
    responses((status = 200, body = Vec<PartySummary>), (status = 401, body = Problem)))]
pub async fn list(State(app): State<Arc<App>>, _caller: Caller) -> Json<Vec<PartySummary>> {
    Json(app.read(|state| {
        state
            .parties()
            .map(|party| PartySummary {
                id: party.id.0.clone(),
                name: party.name.clone(),
                role: party.role,
            })
            .collect()
    }))
}

/// The calling party.
#[utoipa::path(get, path = "/v1/parties/me", tag = "parties", security(("bearer" = [])),
    responses((status = 200, body = PartySummary), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn me(caller: Caller) -> Result<Json<PartySummary>, ApiError> {
    match caller {
        Caller::Party(party) => Ok(Json(PartySummary {
            id: party.id.0,
            name: party.name,
            role: party.role,
        })),
        Caller::Admin => Err(ApiError::AdminIsNotAParty),
    }
}

/// A newly issued token, shown only in this response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuedToken {
    pub token_id: String,
    pub token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenList {
    /// Ids of the party's valid tokens (never the tokens themselves).
    pub token_ids: Vec<String>,
}

/// Issues a further token to a party (itself, or any party for the admin). Rotate by issuing a
/// new token, switching to it, then revoking the old one.
#[utoipa::path(post, path = "/v1/parties/{id}/tokens", tag = "parties", params(("id" = String, Path,)), security(("bearer" = [])),
    responses((status = 201, body = IssuedToken), (status = 404, body = Problem)))]
pub async fn issue_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    let token = generate_token();
    let token_hash = hash_token(&token);
    let actor = caller.actor();
    let token_id = tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, _| decide::issue_token(state, &actor, &id, token_hash.clone()),
            |_, token_id| token_id,
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok((StatusCode::CREATED, Json(IssuedToken { token_id, token })))
}

/// The ids of a party's valid tokens.
#[utoipa::path(get, path = "/v1/parties/{id}/tokens", tag = "parties", params(("id" = String, Path,)), security(("bearer" = [])),
    responses((status = 200, body = TokenList), (status = 404, body = Problem)))]
pub async fn list_tokens(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<TokenList>, ApiError> {
    let allowed = match &caller {
        Caller::Admin => true,
        Caller::Party(party) => party.id.0 == id || party.role == Role::Admin,
    };
    let party = deconflict_engine::PartyId(id.clone());
    let token_ids = app.read(|state| state.party(&party).map(|_| state.token_ids(&party)));
    match (allowed, token_ids) {
        (true, Some(token_ids)) => Ok(Json(TokenList { token_ids })),
        _ => Err(deconflict_engine::EngineError::NotFound { what: "party", id }.into()),
    }
}

/// Revokes a token: requests with it are refused from now on.
#[utoipa::path(delete, path = "/v1/parties/{id}/tokens/{token_id}", tag = "parties",
    params(("id" = String, Path,), ("token_id" = String, Path,)), security(("bearer" = [])),
    responses((status = 204, description = "revoked"), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path((id, token_id)): axum::extract::Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let actor = caller.actor();
    tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, _| decide::revoke_token(state, &actor, &id, &token_id),
            |_, ()| (),
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok(StatusCode::NO_CONTENT)
}
