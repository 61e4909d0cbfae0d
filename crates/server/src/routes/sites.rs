//! Protected sites (SPEC §5.5): `PUT/GET/DELETE /v1/sites/{id}`, `GET /v1/sites` by area and
//! time.
//!
//! A site is notified so that everybody keeps clear of it: every party may read them. Only a
//! `humanitarian` or `admin` party may notify one, and only its owner may replace or withdraw
//! it. A convoy's view carries where it is expected now.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use deconflict_engine::decide;
use deconflict_engine::site::{Site, SiteShape, SiteSpec};
use deconflict_engine::State as EngineState;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::App;

/// A site as every party reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteView {
    pub id: String,
    #[schema(value_type = String)]
    pub owner: deconflict_engine::PartyId,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub spec: SiteSpec,
    /// A convoy's expected `[lon, lat]` at the time of the answer (its start before its window,
    /// its destination after).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convoy_position: Option<[f64; 2]>,
    /// A convoy's expected speed along its route (m/s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convoy_speed_mps: Option<f64>,
}

fn view(site: &Site, now: DateTime<Utc>) -> SiteView {
    let convoy = matches!(site.shape, SiteShape::Route(_));
    SiteView {
        id: site.id.clone(),
        owner: site.owner.clone(),
        version: site.version,
        updated_at: site.updated_at,
        spec: site.spec.clone(),
        convoy_position: site.convoy_position(now),
        convoy_speed_mps: convoy.then(|| site.speed_mps()),
    }
}

fn read_site(state: &EngineState, id: &str, now: DateTime<Utc>) -> Result<SiteView, ApiError> {
    state.site(id).map(|site| view(site, now)).ok_or_else(|| {
        ApiError::from(deconflict_engine::EngineError::NotFound {
            what: "site",
            id: id.to_owned(),
        })
    })
}

/// Notifies or replaces a protected site (humanitarian or admin parties; the owner only). Live
/// operations that come within its buffer are alerted at once.
#[utoipa::path(put, path = "/v1/sites/{id}", tag = "sites", request_body = SiteSpec,
    params(("id" = String, Path,)), security(("bearer" = [])),
    responses((status = 201, body = SiteView, description = "notified"),
              (status = 200, body = SiteView, description = "replaced, or unchanged"),
              (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn publish(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(spec): JsonBody<SiteSpec>,
) -> Result<Response, ApiError> {
    let owner = caller.party()?.clone();
    let actor = caller.actor();
    let task_app = app.clone();
    let (created, site) = tokio::task::spawn_blocking(move || {
        let limits = task_app.config.limits;
        let now = task_app.now();
        task_app.execute(
            &actor,
            |state, now| decide::publish_site(state, &owner, &id, spec.clone(), now, &limits),
            |state, outcome| {
                (
                    outcome.created,
                    read_site(state, &outcome.id, now).expect("a notified site exists"),
                )
            },
        )
    })
    .await
    .expect("command task does not panic")?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(site)).into_response())
}

/// One site.
#[utoipa::path(get, path = "/v1/sites/{id}", tag = "sites", params(("id" = String, Path,)),
    security(("bearer" = [])),
    responses((status = 200, body = SiteView), (status = 404, body = Problem)))]
pub async fn read(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SiteView>, ApiError> {
    caller.party()?;
    let now = app.now();
    Ok(Json(app.read(|state| read_site(state, &id, now))?))
}

/// Withdraws a site (its owner only); its alerts are resolved.
#[utoipa::path(delete, path = "/v1/sites/{id}", tag = "sites", params(("id" = String, Path,)),
    security(("bearer" = [])),
    responses((status = 204, description = "withdrawn"), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn withdraw(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let owner = caller.party()?.clone();
    let actor = caller.actor();
    tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, now| decide::withdraw_site(state, &owner, &id, now),
            |_, ()| (),
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SiteQuery {
    /// `min_lon,min_lat,max_lon,max_lat`: sites within their buffer of this box.
    pub bbox: Option<String>,
    /// With `to`: sites present at some time of `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteList {
    pub sites: Vec<SiteView>,
}

/// Protected sites, optionally only those near a box (`bbox`) and present in `[from, to)`.
#[utoipa::path(get, path = "/v1/sites", tag = "sites", params(SiteQuery), security(("bearer" = [])),
    responses((status = 200, body = SiteList), (status = 422, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    query: Result<Query<SiteQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SiteList>, ApiError> {
    caller.party()?;
    let Query(query) = query.map_err(|rejection| ApiError::InvalidField {
        pointer: String::new(),
        detail: format!("bad query string: {}", rejection.body_text()),
    })?;
    let area = query
        .bbox
        .as_deref()
        .map(super::zones::parse_bbox)
        .transpose()?;
    let window = super::zones::parse_window(query.from, query.to)?;
    let now = app.now();
    let (far_past, far_future) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    Ok(Json(app.read(|state| {
        SiteList {
            sites: state
                .sites()
                .filter(|site| {
                    let (from, to) = window.unwrap_or((far_past, far_future));
                    match &area {
                        Some(area) => site.near_footprint(area, from, to).is_some(),
                        None => site.present_during(from, to),
                    }
                })
                .map(|site| view(site, now))
                .collect(),
        }
    })))
}
