//! The caller's alerts (`GET /v1/alerts`). Delivery, acknowledgement and the live stream
//! come with the hotline; this is the listing.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use deconflict_engine::release::{self, AlertView};
use deconflict_engine::AlertState;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::problem::{ApiError, Problem};
use crate::App;

#[derive(Debug, Deserialize, IntoParams)]
pub struct AlertFilter {
    /// Only alerts in this state.
    pub state: Option<AlertState>,
    /// How many resolved alerts to include, the most recently resolved (default 100, at most
    /// 10,000). Every open alert is always included.
    pub resolved_limit: Option<usize>,
}

/// Resolved alerts listed by default: a party's history grows for ever, its inbox should not.
const RESOLVED_DEFAULT: usize = 100;
const RESOLVED_MAX: usize = 10_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    /// Every open alert and the most recently resolved ones (`resolved_limit`): most severe
    /// first, then most recently updated first.
    pub alerts: Vec<AlertView>,
}

/// Alerts of which the caller is a recipient.
#[utoipa::path(get, path = "/v1/alerts", tag = "alerts", params(AlertFilter), security(("bearer" = [])),
    responses((status = 200, body = AlertList), (status = 401, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    filter: Result<Query<AlertFilter>, QueryRejection>,
) -> Result<Json<AlertList>, ApiError> {
    let Query(filter) = filter.map_err(|rejection| ApiError::InvalidField {
        pointer: String::new(),
        detail: format!("bad query string: {}", rejection.body_text()),
    })?;
    let viewer = caller.party()?.clone();
    let resolved_limit = filter.resolved_limit.unwrap_or(RESOLVED_DEFAULT);
    if resolved_limit > RESOLVED_MAX {
        return Err(ApiError::InvalidField {
            pointer: String::new(),
            detail: format!("resolved_limit {resolved_limit} is over {RESOLVED_MAX}"),
        });
    }
    let mut alerts: Vec<AlertView> = app.read(|state| {
        let open = state.open_alerts_for(&viewer);
        let resolved = state.resolved_alerts_for(&viewer).take(resolved_limit);
        let wanted: Vec<&deconflict_engine::Alert> = match filter.state {
            Some(AlertState::Open) => open.collect(),
            Some(AlertState::Resolved) => resolved.collect(),
            None => open.chain(resolved).collect(),
        };
        wanted
            .into_iter()
            .filter_map(|alert| release::alert_view_now(state, alert, &viewer))
            .collect()
    });
    alerts.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.updated_at.cmp(&a.updated_at))
            .then(a.id.cmp(&b.id))
    });
    Ok(Json(AlertList { alerts }))
}

/// Acknowledges an alert for the caller (idempotent). Stops its escalation once every
/// recipient has acknowledged.
#[utoipa::path(post, path = "/v1/alerts/{id}/ack", tag = "alerts", params(("id" = String, Path,)), security(("bearer" = [])),
    responses((status = 200, body = AlertView), (status = 404, body = Problem)))]
pub async fn acknowledge(
    State(app): State<Arc<App>>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<AlertView>, ApiError> {
    let party = caller.party()?.clone();
    let actor = caller.actor();
    let view = tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, now| {
                // What the party may not see now (a frozen channel) it cannot acknowledge either.
                let visible = state
                    .alert(&deconflict_engine::AlertId(id.clone()))
                    .and_then(|alert| release::alert_view_now(state, alert, &party))
                    .is_some();
                if !visible {
                    return Err(deconflict_engine::EngineError::NotFound {
                        what: "alert",
                        id: id.clone(),
                    });
                }
                deconflict_engine::decide::acknowledge_alert(state, &party, &id, now)
            },
            |state, ()| {
                let alert = state
                    .alert(&deconflict_engine::AlertId(id.clone()))
                    .expect("an acknowledged alert exists");
                release::alert_view(state, alert, &party).expect("the party is a recipient")
            },
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok(Json(view))
}
