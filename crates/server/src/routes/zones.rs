//! Zones (SPEC §5.4): `PUT/GET/DELETE /v1/zones/{id}` (read also as a navigational warning,
//! `?format=navwarning`), `GET /v1/zones` by area and time,
//! and the imports of authorities' zone files, `POST /v1/zones/ed269` and `POST /v1/zones/ed318`.
//!
//! Zones are published restrictions: every party may read them, so that it can plan around
//! them. Only an `authority` or `admin` party may publish, and only its owner may replace or
//! withdraw one.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use deconflict_engine::decide;
use deconflict_engine::zone::{Zone, ZoneSpec};
use deconflict_engine::State as EngineState;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::App;

/// A zone as every party reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneView {
    pub id: String,
    #[schema(value_type = String)]
    pub owner: deconflict_engine::PartyId,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub spec: ZoneSpec,
}

fn view(zone: &Zone) -> ZoneView {
    ZoneView {
        id: zone.id.clone(),
        owner: zone.owner.clone(),
        version: zone.version,
        updated_at: zone.updated_at,
        spec: zone.spec.clone(),
    }
}

fn read_zone(state: &EngineState, id: &str) -> Result<ZoneView, ApiError> {
    state.zone(id).map(view).ok_or_else(|| {
        ApiError::from(deconflict_engine::EngineError::NotFound {
            what: "zone",
            id: id.to_owned(),
        })
    })
}

/// Publishes or replaces a zone (authority or admin parties; the owner only). Live operations
/// are checked against it at once and alerted, never refused after the fact.
#[utoipa::path(put, path = "/v1/zones/{id}", tag = "zones", request_body = ZoneSpec,
    params(("id" = String, Path,)), security(("bearer" = [])),
    responses((status = 201, body = ZoneView, description = "published"),
              (status = 200, body = ZoneView, description = "replaced, or unchanged"),
              (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn publish(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(spec): JsonBody<ZoneSpec>,
) -> Result<Response, ApiError> {
    let owner = caller.party()?.clone();
    let actor = caller.actor();
    let task_app = app.clone();
    let (created, zone) = tokio::task::spawn_blocking(move || {
        let limits = task_app.config.limits;
        task_app.execute(
            &actor,
            |state, now| decide::publish_zone(state, &owner, &id, spec.clone(), now, &limits),
            |state, outcome| {
                (
                    outcome.created,
                    read_zone(state, &outcome.id).expect("a published zone exists"),
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
    Ok((status, Json(zone)).into_response())
}

/// `?format=`: a zone as JSON (default) or as a navigational warning in plain text.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ZoneFormat {
    /// `navwarning` for the zone as a NAVAREA-style navigational warning (`text/plain`,
    /// `deconflict_engine::navwarning`); `json` or absent for the zone's JSON.
    #[serde(default)]
    format: Option<String>,
    /// With `navwarning`: the message series identifier and number (`NAVAREA III 0123/26`);
    /// the zone's id and version otherwise.
    #[serde(default)]
    series: Option<String>,
    /// With `navwarning`: the general area (`EASTERN MEDITERRANEAN`).
    #[serde(default)]
    area: Option<String>,
}

/// Longest `series` or `area`, in characters: a line of a NAVTEX message.
const PREAMBLE_MAX_CHARS: usize = 80;

impl ZoneFormat {
    /// The preamble when a navigational warning is asked for, `None` for JSON; an unknown
    /// format, or a preamble line too long or with control characters, is refused.
    fn navwarning(&self) -> Result<Option<deconflict_engine::navwarning::Preamble>, ApiError> {
        match self.format.as_deref() {
            None | Some("json") => return Ok(None),
            Some("navwarning") => {}
            Some(other) => {
                return Err(ApiError::InvalidField {
                    detail: format!("format must be json or navwarning, not {other:?}"),
                    pointer: String::new(),
                })
            }
        }
        for (name, value) in [("series", &self.series), ("area", &self.area)] {
            let Some(value) = value else { continue };
            if value.chars().count() > PREAMBLE_MAX_CHARS || value.chars().any(char::is_control) {
                return Err(ApiError::InvalidField {
                    detail: format!(
                        "{name} must be at most {PREAMBLE_MAX_CHARS} characters on one line"
                    ),
                    pointer: String::new(),
                });
            }
        }
        Ok(Some(deconflict_engine::navwarning::Preamble {
            series: self.series.clone(),
            general_area: self.area.clone(),
        }))
    }
}

/// One zone, as JSON or (`?format=navwarning`) as the navigational warning mariners read:
/// NAVAREA style, positions in degrees and decimal minutes, issued now.
#[utoipa::path(get, path = "/v1/zones/{id}", tag = "zones", params(("id" = String, Path,), ZoneFormat),
    security(("bearer" = [])),
    responses((status = 200, description = "the zone; with format=navwarning, the warning as text",
               content((ZoneView = "application/json"), (String = "text/plain"))),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn read(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    query: Result<Query<ZoneFormat>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    caller.party()?;
    let Query(format) = query.map_err(|rejection| ApiError::InvalidField {
        pointer: String::new(),
        detail: format!("bad query string: {}", rejection.body_text()),
    })?;
    let Some(preamble) = format.navwarning()? else {
        return Ok(Json(app.read(|state| read_zone(state, &id))?).into_response());
    };
    let now = app.now();
    let text = app.read(|state| {
        let zone = state.zone(&id).ok_or_else(|| {
            ApiError::from(deconflict_engine::EngineError::NotFound {
                what: "zone",
                id: id.clone(),
            })
        })?;
        Ok::<_, ApiError>(deconflict_engine::navwarning::navigational_warning(
            zone, &preamble, now,
        ))
    })?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// Withdraws a zone (its owner only); its alerts are resolved.
#[utoipa::path(delete, path = "/v1/zones/{id}", tag = "zones", params(("id" = String, Path,)),
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
            |state, now| decide::withdraw_zone(state, &owner, &id, now),
            |_, ()| (),
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ZoneQuery {
    /// `min_lon,min_lat,max_lon,max_lat`: zones whose footprint meets this box.
    pub bbox: Option<String>,
    /// With `to`: zones in effect at some time of `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneList {
    pub zones: Vec<ZoneView>,
}

pub(super) fn parse_bbox(text: &str) -> Result<deconflict_geometry::Footprint, ApiError> {
    let bad = |detail: String| ApiError::InvalidField {
        pointer: "/bbox".to_owned(),
        detail,
    };
    let numbers: Vec<f64> = text
        .split(',')
        .map(|part| part.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad(format!("bbox {text:?} is not four numbers")))?;
    let [min_lon, min_lat, max_lon, max_lat] = numbers[..] else {
        return Err(bad(format!("bbox {text:?} is not four numbers")));
    };
    let spec = deconflict_geometry::FootprintSpec::Polygon {
        coordinates: vec![vec![
            vec![min_lon, min_lat],
            vec![max_lon, min_lat],
            vec![max_lon, max_lat],
            vec![min_lon, max_lat],
            vec![min_lon, min_lat],
        ]],
    };
    deconflict_geometry::Footprint::from_spec(&spec, &deconflict_geometry::Limits::default())
        .map_err(|error| bad(format!("bbox {text:?}: {error}")))
}

/// A `[from, to)` time window.
pub(super) type Window = (DateTime<Utc>, DateTime<Utc>);

/// A `[from, to)` query window: both or neither, `from` first.
pub(super) fn parse_window(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Option<Window>, ApiError> {
    match (from, to) {
        (Some(from), Some(to)) if from < to => Ok(Some((from, to))),
        (None, None) => Ok(None),
        _ => Err(ApiError::InvalidField {
            pointer: "/from".to_owned(),
            detail: "give both from and to, with from before to".to_owned(),
        }),
    }
}

/// Zones, optionally only those meeting a box (`bbox`) and in effect in `[from, to)`.
#[utoipa::path(get, path = "/v1/zones", tag = "zones", params(ZoneQuery), security(("bearer" = [])),
    responses((status = 200, body = ZoneList), (status = 422, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    query: Result<Query<ZoneQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ZoneList>, ApiError> {
    caller.party()?;
    let Query(query) = query.map_err(|rejection| ApiError::InvalidField {
        pointer: String::new(),
        detail: format!("bad query string: {}", rejection.body_text()),
    })?;
    let area = query.bbox.as_deref().map(parse_bbox).transpose()?;
    let window = parse_window(query.from, query.to)?;
    Ok(Json(app.read(|state| {
        ZoneList {
            zones: state
                .zones()
                .filter(|zone| {
                    area.as_ref().is_none_or(|area| {
                        zone.footprint.distance_m(area) <= deconflict_geometry::ALLOWANCE_M
                    })
                })
                .filter(|zone| window.is_none_or(|(from, to)| zone.spec.schedule.meets(from, to)))
                .map(view)
                .collect(),
        }
    })))
}

/// Imports the zones of a EUROCAE ED-269 document as its publisher wrote it (a zone array,
/// `{"features": …}`, `{"UASZoneList": …}`, `{"UASZoneVersion": …}` or a single zone): all of
/// them or, if any zone is refused, none, with every refused zone listed in the problem's
/// `errors`. The body is read under its own limit (`--zone-import-limit-mib`, default 64 MiB),
/// not the general body limit, so national sets fit. Heights are converted as
/// `deconflict_engine::heights` says; the mapping is in `deconflict_engine::ed269`.
#[utoipa::path(post, path = "/v1/zones/ed269", tag = "zones",
    request_body(content = Object, description = "An ED-269 UAS geographical zone document"),
    security(("bearer" = [])),
    responses((status = 201, body = ZoneList), (status = 403, body = Problem),
              (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import_ed269(
    State(app): State<Arc<App>>,
    caller: Caller,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<ZoneList>), ApiError> {
    import(
        app,
        caller,
        request,
        "ED-269",
        deconflict_engine::ed269::parse,
    )
    .await
}

/// Imports the zones of a EUROCAE ED-318 document (a GeoJSON FeatureCollection of UAS
/// geographical zones, as the published ED-318 JSON Schema describes it): all of them or, if any
/// zone is refused, none, with every refused zone listed in the problem's `errors`. Read under
/// the same limit as the ED-269 import (`--zone-import-limit-mib`). Heights are converted as
/// `deconflict_engine::heights` says; schedules may start or end at sunrise, sunset or civil
/// twilight; the mapping is in `deconflict_engine::ed318`.
#[utoipa::path(post, path = "/v1/zones/ed318", tag = "zones",
    request_body(content = Object, description = "An ED-318 UAS geographical zone FeatureCollection"),
    security(("bearer" = [])),
    responses((status = 201, body = ZoneList), (status = 403, body = Problem),
              (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import_ed318(
    State(app): State<Arc<App>>,
    caller: Caller,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<ZoneList>), ApiError> {
    import(
        app,
        caller,
        request,
        "ED-318",
        deconflict_engine::ed318::parse,
    )
    .await
}

/// What the ED-269 and ED-318 importers share: the format's parser turns the document into
/// zones (or every refusal), which are published in one command.
type Parser = fn(
    &serde_json::Value,
    &deconflict_engine::heights::Heights<'_>,
) -> Result<Vec<(String, ZoneSpec)>, deconflict_engine::ed269::Refusals>;

/// Reads a zone document under the import limit, parses it with `parse` and publishes all of
/// its zones, or none.
async fn import(
    app: Arc<App>,
    caller: Caller,
    request: axum::extract::Request,
    format: &'static str,
    parse: Parser,
) -> Result<(StatusCode, Json<ZoneList>), ApiError> {
    let owner = caller.party()?.clone();
    let essence = crate::body::media_type(&request);
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body =
        crate::body::RawBody::read_with_limit(request, &app, app.config.zone_import_limit_bytes)
            .await?;
    let document: serde_json::Value = crate::body::parse(&body.bytes)?;
    drop(body);
    let actor = caller.actor();
    let task_app = app.clone();
    let list = tokio::task::spawn_blocking(move || {
        let limits = task_app.config.limits;
        let geoid = deconflict_geometry::geoid::Geoid::new();
        let heights = deconflict_engine::heights::Heights {
            geoid: &geoid,
            terrain: task_app.config.terrain.as_deref(),
            limits,
        };
        let zones = parse(&document, &heights).map_err(|refused| ApiError::ImportRefused {
            format,
            refusals: refused
                .0
                .into_iter()
                .map(|error| crate::problem::ProblemItem {
                    pointer: error.pointer,
                    detail: error.reason,
                })
                .collect(),
        })?;
        task_app
            .execute(
                &actor,
                |state, now| decide::publish_zones(state, &owner, zones.clone(), now, &limits),
                |state, outcomes| ZoneList {
                    zones: outcomes
                        .iter()
                        .map(|outcome| {
                            read_zone(state, &outcome.id).expect("a published zone exists")
                        })
                        .collect(),
                },
            )
            .map_err(ApiError::from)
    })
    .await
    .expect("command task does not panic")?;
    Ok((StatusCode::CREATED, Json(list)))
}
