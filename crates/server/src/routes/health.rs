//! Liveness and readiness.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

use crate::problem::ApiError;
use crate::App;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Ready {
    pub status: &'static str,
    /// Sequence number of the last event in the log (0 when empty).
    pub log_head_seq: u64,
}

/// The event log can be read.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Ready), (status = 500, body = crate::problem::Problem)))]
pub async fn readyz(State(app): State<Arc<App>>) -> Result<Json<Ready>, ApiError> {
    let head = app
        .log_head()
        .map_err(|error| ApiError::Command(error.into()))?;
    Ok(Json(Ready {
        status: "ready",
        log_head_seq: head.map_or(0, |(seq, _)| seq),
    }))
}
