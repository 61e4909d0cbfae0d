//! Incident reports (`/v1/incidents`) and shared reports (`/v1/reports`).
//!
//! Both are released to an explicit list of parties fixed when they are sent; a party reads only
//! what it sent or was sent, and any other id is not found.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use deconflict_engine::decide::{self, NewIncident};
use deconflict_engine::incident::{Incident, IncidentCategory, Place, SharedReport};
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
pub struct FileIncident {
    pub time: DateTime<Utc>,
    pub place: Place,
    pub category: IncidentCategory,
    #[serde(default)]
    pub tracks: Vec<String>,
    #[serde(default)]
    pub operations: Vec<String>,
    pub narrative: String,
    /// The parties to share it with; each gets an alert.
    pub share_with: Vec<String>,
}

/// Files an incident report, shared with the parties named; each of them gets an alert.
#[utoipa::path(post, path = "/v1/incidents", tag = "hotline", request_body = FileIncident, security(("bearer" = [])),
    responses((status = 201, body = Incident), (status = 422, body = Problem)))]
pub async fn file(
    State(app): State<Arc<App>>,
    caller: Caller,
    JsonBody(request): JsonBody<FileIncident>,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    let reporter = caller.party()?.clone();
    let actor = caller.actor();
    let new = NewIncident {
        time: request.time,
        place: request.place,
        category: request.category,
        tracks: request.tracks,
        operations: request.operations,
        narrative: request.narrative,
        share_with: request.share_with.into_iter().map(PartyId).collect(),
    };
    let incident = tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, now| decide::report_incident(state, &reporter, new.clone(), now),
            |state, id| {
                state
                    .incident(&id)
                    .cloned()
                    .expect("a filed incident exists")
            },
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok((StatusCode::CREATED, Json(incident)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentList {
    pub incidents: Vec<Incident>,
}

/// Incidents the caller reported or that were shared with it.
#[utoipa::path(get, path = "/v1/incidents", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = IncidentList), (status = 401, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<IncidentList>, ApiError> {
    let viewer = caller.party()?.clone();
    Ok(Json(app.read(|state| {
        IncidentList {
            incidents: state
                .incidents()
                .filter(|i| i.reporter == viewer || i.shared_with.contains(&viewer))
                .cloned()
                .collect(),
        }
    })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareReport {
    /// Exactly the parties it is released to; never widened afterwards.
    pub to: Vec<String>,
    pub title: String,
    pub content: String,
}

/// Releases a report to the parties listed, and to nobody else.
#[utoipa::path(post, path = "/v1/reports", tag = "hotline", request_body = ShareReport, security(("bearer" = [])),
    responses((status = 201, body = SharedReport), (status = 422, body = Problem)))]
pub async fn share(
    State(app): State<Arc<App>>,
    caller: Caller,
    JsonBody(request): JsonBody<ShareReport>,
) -> Result<(StatusCode, Json<SharedReport>), ApiError> {
    let from = caller.party()?.clone();
    let actor = caller.actor();
    let to: Vec<_> = request.to.into_iter().map(PartyId).collect();
    let report = tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, now| {
                decide::share_report(
                    state,
                    &from,
                    to.clone(),
                    request.title.clone(),
                    request.content.clone(),
                    now,
                )
            },
            |state, id| state.report(&id).cloned().expect("a shared report exists"),
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok((StatusCode::CREATED, Json(report)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    pub reports: Vec<SharedReport>,
}

/// Reports the caller shared or received.
#[utoipa::path(get, path = "/v1/reports", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = ReportList), (status = 401, body = Problem)))]
pub async fn list_reports(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<ReportList>, ApiError> {
    let viewer = caller.party()?.clone();
    Ok(Json(app.read(|state| {
        ReportList {
            reports: state
                .reports()
                .filter(|r| r.visible_to(&viewer))
                .cloned()
                .collect(),
        }
    })))
}

/// Acknowledges receipt of a shared report (idempotent).
#[utoipa::path(post, path = "/v1/reports/{id}/ack", tag = "hotline", params(("id" = String, Path,)), security(("bearer" = [])),
    responses((status = 200, body = SharedReport), (status = 404, body = Problem)))]
pub async fn acknowledge_report(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SharedReport>, ApiError> {
    let party = caller.party()?.clone();
    let actor = caller.actor();
    let report = tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, _now| decide::acknowledge_report(state, &party, &id),
            |state, ()| {
                state
                    .report(&id)
                    .cloned()
                    .expect("an acknowledged report exists")
            },
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok(Json(report))
}
