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
            |state, _now| decide::register_party(state, &actor, &id, &name, role, token_hash),
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
