//! Filing, reading and changing operations (`/v1/operations`).
//!
//! Operation ids are scoped to the calling party: `PUT /v1/operations/p1` by two parties
//! files two operations. A party reads only its own operations in full; others' appear
//! only as conflict overlaps (release `conflicts_only`, SPEC §7).
//!
//! Volumes are filed in deconflict's shape or in ASTM F3548's `Volume4D` (a volume with a
//! `volume` member; the two may be mixed), and read back in F3548's with `?format=f3548`
//! (mapping: `deconflict_geometry::f3548`). They are kept in deconflict's shape either way.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use deconflict_engine::decide::{self, Transition};
use deconflict_engine::release::{self, OperationView, OtherOperationView, ReleasedOperationView};
use deconflict_engine::{OperationId, OperationKey, OperationSpec, PartyId, State as EngineState};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::body::{from_value, JsonBody};
use crate::problem::{ApiError, Problem};
use crate::App;

/// The version named by an `If-Match` header: `"3"`, `W/"3"` or `3`.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse::<u64>().map(Some).map_err(|_| {
        ApiError::BadHeader(format!(
            "If-Match must be the ETag of the operation (a version such as \"3\"), not {text:?}"
        ))
    })
}

fn with_etag(status: StatusCode, view: OperationView) -> Response {
    let etag =
        HeaderValue::from_str(&format!("\"{}\"", view.version)).expect("digits are a valid header");
    (status, [(header::ETAG, etag)], Json(view)).into_response()
}

/// The operation spec of a filing body whose volumes may be in F3548's shape: each such
/// volume is converted (refusals point into it: `/volumes/2/volume/altitude_lower`), then the
/// whole body is read as deconflict's spec, with the pointers of a body in that shape.
fn operation_spec(mut body: serde_json::Value) -> Result<OperationSpec, ApiError> {
    use deconflict_geometry::f3548::Volume4D;
    if let Some(volumes) = body.get_mut("volumes").and_then(|v| v.as_array_mut()) {
        for (index, volume) in volumes.iter_mut().enumerate() {
            if volume.get("volume").is_none() {
                continue;
            }
            let prefix = format!("/volumes/{index}");
            let f3548: Volume4D = from_value(volume.take(), &prefix)?;
            let spec = deconflict_geometry::Volume4dSpec::try_from(&f3548).map_err(|error| {
                ApiError::InvalidField {
                    detail: format!("{prefix}{}: {}", error.pointer, error.reason),
                    pointer: format!("{prefix}{}", error.pointer),
                }
            })?;
            *volume = serde_json::to_value(spec).expect("a volume spec is JSON");
        }
    }
    from_value(body, "")
}

/// `?format=`: how volumes are written in a response.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct VolumeFormat {
    /// `f3548` for ASTM F3548 `Volume4D` volumes; deconflict's GeoJSON-based shape otherwise.
    #[serde(default)]
    format: Option<String>,
}

impl VolumeFormat {
    /// Whether volumes go out in F3548's shape; an unknown format is refused.
    fn f3548(&self) -> Result<bool, ApiError> {
        match self.format.as_deref() {
            None | Some("geojson") => Ok(false),
            Some("f3548") => Ok(true),
            Some(other) => Err(ApiError::InvalidField {
                detail: format!("format must be f3548 or geojson, not {other:?}"),
                pointer: String::new(),
            }),
        }
    }
}

/// `view` as JSON, its volumes in F3548's shape.
fn in_f3548(view: &OperationView) -> serde_json::Value {
    let mut json = serde_json::to_value(view).expect("a view is JSON");
    json["volumes"] = view
        .volumes
        .iter()
        .flat_map(deconflict_geometry::f3548::volumes)
        .map(|volume| serde_json::to_value(volume).expect("a volume is JSON"))
        .collect();
    json
}

fn own_view(state: &EngineState, owner: &PartyId, id: &str) -> Option<OperationView> {
    let key = OperationKey {
        owner: owner.clone(),
        id: OperationId(id.to_owned()),
    };
    state
        .operation(&key)
        .and_then(|operation| release::operation_view(state, owner, operation))
}

/// Files a new operation or replaces one of the caller's (idempotent). The response
/// includes the conflicts found; `If-Match` with a stale version gets 409.
#[utoipa::path(put, path = "/v1/operations/{id}", tag = "operations", request_body = OperationSpec,
    params(("id" = String, Path, description = "the caller's id for the operation"),
           ("If-Match" = Option<String>, Header, description = "the version (ETag) being replaced")),
    security(("bearer" = [])),
    responses((status = 201, body = OperationView, description = "filed"),
              (status = 200, body = OperationView, description = "replaced, or unchanged"),
              (status = 400, body = Problem), (status = 409, body = Problem),
              (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn file(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Response, ApiError> {
    let spec = operation_spec(body)?;
    let owner = caller.party()?.clone();
    let expected = if_match(&headers)?;
    let actor = caller.actor();
    let task_app = app.clone();
    let (created, view) = tokio::task::spawn_blocking(move || {
        let limits = task_app.config.limits;
        let horizon = task_app.config.operation_horizon;
        task_app.execute(
            &actor,
            |state, now| {
                decide::file_operation(
                    state,
                    &owner,
                    &id,
                    spec.clone(),
                    expected,
                    now,
                    &limits,
                    &horizon,
                )
            },
            |state, outcome| {
                let view = own_view(state, &owner, &outcome.key.id.0)
                    .expect("a filed operation is readable by its owner");
                (outcome.created, view)
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
    Ok(with_etag(status, view))
}

/// One of the caller's operations. Another party's id is simply not found.
#[utoipa::path(get, path = "/v1/operations/{id}", tag = "operations",
    params(("id" = String, Path,), VolumeFormat), security(("bearer" = [])),
    responses((status = 200, body = OperationView), (status = 404, body = Problem)))]
pub async fn read(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(format): Query<VolumeFormat>,
) -> Result<Response, ApiError> {
    let f3548 = format.f3548()?;
    let owner = caller.party()?.clone();
    let view = app
        .read(|state| own_view(state, &owner, &id))
        .ok_or_else(|| {
            ApiError::from(deconflict_engine::EngineError::NotFound {
                what: "operation",
                id,
            })
        })?;
    if f3548 {
        let etag = HeaderValue::from_str(&format!("\"{}\"", view.version))
            .expect("digits are a valid header");
        return Ok((
            StatusCode::OK,
            [(header::ETAG, etag)],
            Json(in_f3548(&view)),
        )
            .into_response());
    }
    Ok(with_etag(StatusCode::OK, view))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperationList {
    /// The caller's own operations, in full.
    pub operations: Vec<OperationView>,
    /// Others' operations where they conflict with the caller's, reduced to the overlaps
    /// (nothing from a party that releases `none`).
    pub others: Vec<OtherOperationView>,
    /// Others' live operations released whole by their agreement with the caller (`full`).
    pub released: Vec<ReleasedOperationView>,
}

/// The caller's operations, and others' as far as they are released.
#[utoipa::path(get, path = "/v1/operations", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = OperationList), (status = 401, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<OperationList>, ApiError> {
    let viewer = caller.party()?.clone();
    Ok(Json(app.read(|state| {
        OperationList {
            operations: state
                .operations_of(&viewer)
                .filter_map(|operation| release::operation_view(state, &viewer, operation))
                .collect(),
            others: release::others_in_conflict(state, &viewer),
            released: release::released_operations(state, &viewer),
        }
    })))
}

async fn transition(
    app: Arc<App>,
    caller: Caller,
    id: String,
    headers: HeaderMap,
    transition: Transition,
) -> Result<Response, ApiError> {
    let owner = caller.party()?.clone();
    let expected = if_match(&headers)?;
    let actor = caller.actor();
    let view = tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, now| {
                decide::change_operation_state(state, &owner, &id, transition, expected, now)
            },
            |state, _version| own_view(state, &owner, &id).expect("the operation exists"),
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok(with_etag(StatusCode::OK, view))
}

/// Marks an operation as under way.
#[utoipa::path(post, path = "/v1/operations/{id}/activate", tag = "operations",
    params(("id" = String, Path,), ("If-Match" = Option<String>, Header,)), security(("bearer" = [])),
    responses((status = 200, body = OperationView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn activate(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    transition(app, caller, id, headers, Transition::Activate).await
}

/// Ends an active operation; its alerts are resolved.
#[utoipa::path(post, path = "/v1/operations/{id}/end", tag = "operations",
    params(("id" = String, Path,), ("If-Match" = Option<String>, Header,)), security(("bearer" = [])),
    responses((status = 200, body = OperationView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn end(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    transition(app, caller, id, headers, Transition::End).await
}

/// Cancels an operation; its alerts are resolved.
#[utoipa::path(post, path = "/v1/operations/{id}/cancel", tag = "operations",
    params(("id" = String, Path,), ("If-Match" = Option<String>, Header,)), security(("bearer" = [])),
    responses((status = 200, body = OperationView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    transition(app, caller, id, headers, Transition::Cancel).await
}
