//! Agreements (`/v1/agreements`): propose, accept, suspend ("freeze"), resume. Only the parties
//! an agreement names can see it or act on it; to anyone else it does not exist.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use deconflict_engine::agreement::{Agreement, AgreementParams};
use deconflict_engine::decide::{self, AgreementAction};
use deconflict_engine::PartyId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::App;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeAgreement {
    /// The agreement's id; proposing again under the same id proposes a new version.
    pub id: String,
    /// Every party it binds, the proposer included.
    pub parties: Vec<String>,
    pub params: AgreementParams,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementList {
    pub agreements: Vec<Agreement>,
}

/// Proposes an agreement (or a new version of one); in force once every party has accepted.
#[utoipa::path(post, path = "/v1/agreements", tag = "agreements", request_body = ProposeAgreement, security(("bearer" = [])),
    responses((status = 201, body = Agreement), (status = 422, body = Problem)))]
pub async fn propose(
    State(app): State<Arc<App>>,
    caller: Caller,
    JsonBody(request): JsonBody<ProposeAgreement>,
) -> Result<(StatusCode, Json<Agreement>), ApiError> {
    let proposer = caller.party()?.clone();
    let actor = caller.actor();
    let parties: Vec<_> = request.parties.into_iter().map(PartyId).collect();
    let id = request.id;
    let agreement = tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, now| {
                decide::propose_agreement(
                    state,
                    &proposer,
                    &id,
                    parties.clone(),
                    request.params,
                    now,
                )
            },
            |state, ()| {
                state
                    .agreement(&id)
                    .cloned()
                    .expect("a proposed agreement exists")
            },
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok((StatusCode::CREATED, Json(agreement)))
}

/// Agreements that name the caller.
#[utoipa::path(get, path = "/v1/agreements", tag = "agreements", security(("bearer" = [])),
    responses((status = 200, body = AgreementList), (status = 401, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<AgreementList>, ApiError> {
    let viewer = caller.party()?.clone();
    Ok(Json(app.read(|state| {
        AgreementList {
            agreements: state
                .agreements()
                .filter(|a| a.names(&viewer))
                .cloned()
                .collect(),
        }
    })))
}

/// One agreement that names the caller.
#[utoipa::path(get, path = "/v1/agreements/{id}", tag = "agreements", params(("id" = String, Path,)), security(("bearer" = [])),
    responses((status = 200, body = Agreement), (status = 404, body = Problem)))]
pub async fn read(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Agreement>, ApiError> {
    let viewer = caller.party()?.clone();
    app.read(|state| state.agreement(&id).filter(|a| a.names(&viewer)).cloned())
        .map(Json)
        .ok_or_else(|| {
            deconflict_engine::EngineError::NotFound {
                what: "agreement",
                id,
            }
            .into()
        })
}

async fn act(
    app: Arc<App>,
    caller: Caller,
    id: String,
    action: AgreementAction,
) -> Result<Json<Agreement>, ApiError> {
    let party = caller.party()?.clone();
    let actor = caller.actor();
    let agreement = tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, _now| decide::act_on_agreement(state, &party, &id, action),
            |state, ()| state.agreement(&id).cloned().expect("the agreement exists"),
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok(Json(agreement))
}

/// Accepts the pending version.
#[utoipa::path(post, path = "/v1/agreements/{id}/accept", tag = "agreements", params(("id" = String, Path,)), security(("bearer" = [])),
    responses((status = 200, body = Agreement), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn accept(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Agreement>, ApiError> {
    act(app, caller, id, AgreementAction::Accept).await
}

/// Suspends ("freezes") the agreement: only safety alerts flow between its parties.
#[utoipa::path(post, path = "/v1/agreements/{id}/suspend", tag = "agreements", params(("id" = String, Path,)), security(("bearer" = [])),
    responses((status = 200, body = Agreement), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn suspend(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Agreement>, ApiError> {
    act(app, caller, id, AgreementAction::Suspend).await
}

/// Resumes a suspended agreement.
#[utoipa::path(post, path = "/v1/agreements/{id}/resume", tag = "agreements", params(("id" = String, Path,)), security(("bearer" = [])),
    responses((status = 200, body = Agreement), (status = 404, body = Problem)))]
pub async fn resume(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Agreement>, ApiError> {
    act(app, caller, id, AgreementAction::Resume).await
}
