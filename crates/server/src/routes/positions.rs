//! Position reports (`POST /v1/positions`) and the caller's live tracks (`GET /v1/tracks`).
//!
//! A batch is a JSON array (`application/json`) or one report per line (`application/x-ndjson`).
//! Each report is checked on its own: a malformed or out-of-range report, or one for a track
//! that another party reports, is refused with its index and reason, and the rest are kept.

use axum::extract::State;
use axum::Json;
use deconflict_engine::decide;
use deconflict_engine::release::{self, ReleasedTrackView};
use deconflict_engine::TrackReport;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::body::{pointer_of, strip_position, RawBody, TRAILING_CONTENT};
use crate::problem::{ApiError, Problem};
use crate::App;

/// The most reports accepted in one request.
pub const MAX_REPORTS_PER_REQUEST: usize = 100_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedReport {
    /// Position in the batch (array index, or line number counted from 0, blank lines included).
    pub index: usize,
    /// JSON pointer of the bad field within the report, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PositionsAccepted {
    pub accepted: usize,
    pub refused: Vec<RefusedReport>,
}

fn parse_one(
    index: usize,
    value: &[u8],
    refused: &mut Vec<RefusedReport>,
) -> Option<(usize, TrackReport)> {
    // The plain parser is much faster; the path-tracking one runs only to explain a failure.
    if let Ok(report) = serde_json::from_slice::<TrackReport>(value) {
        return Some((index, report));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(value);
    match serde_path_to_error::deserialize::<_, TrackReport>(&mut deserializer) {
        // `{a}{b}` on one line: the first value read, the rest would be silently dropped.
        Ok(_) if deserializer.end().is_err() => {
            refused.push(RefusedReport {
                index,
                pointer: None,
                reason: TRAILING_CONTENT.to_owned(),
            });
            None
        }
        Ok(report) => Some((index, report)),
        Err(error) => {
            let pointer = pointer_of(error.path());
            refused.push(RefusedReport {
                index,
                pointer: (!pointer.is_empty()).then_some(pointer),
                reason: strip_position(&error.into_inner().to_string()),
            });
            None
        }
    }
}

/// The reports that could be read, each with its position, and the ones that could not.
type ParsedBatch = (Vec<(usize, TrackReport)>, Vec<RefusedReport>);

/// Splits the body into reports, recording the ones that cannot be read.
fn parse_batch(body: &RawBody) -> Result<ParsedBatch, ApiError> {
    let mut refused = Vec::new();
    let mut reports = Vec::new();
    match body.media_type.as_str() {
        "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
            for (index, line) in body.bytes.split(|b| *b == b'\n').enumerate() {
                let line = line.trim_ascii();
                if line.is_empty() {
                    continue;
                }
                reports.extend(parse_one(index, line, &mut refused));
            }
        }
        "application/json" => {
            let elements: Vec<&serde_json::value::RawValue> = serde_json::from_slice(&body.bytes)
                .map_err(|error| {
                if error.is_data() {
                    ApiError::InvalidField {
                        pointer: String::new(),
                        detail: "the body must be a JSON array of position reports".to_owned(),
                    }
                } else {
                    ApiError::MalformedJson(error.to_string())
                }
            })?;
            for (index, element) in elements.into_iter().enumerate() {
                reports.extend(parse_one(index, element.get().as_bytes(), &mut refused));
            }
        }
        _ => return Err(ApiError::UnsupportedMediaType),
    }
    let total = reports.len() + refused.len();
    if total > MAX_REPORTS_PER_REQUEST {
        return Err(ApiError::InvalidField {
            pointer: String::new(),
            detail: format!(
                "{total} reports in one request; send at most {MAX_REPORTS_PER_REQUEST}"
            ),
        });
    }
    Ok((reports, refused))
}

/// Reports positions of the caller's tracks. Refused reports are listed; the others are kept.
#[utoipa::path(post, path = "/v1/positions", tag = "tracks",
    request_body(content = Vec<TrackReport>, description = "a JSON array, or NDJSON with content type application/x-ndjson"),
    security(("bearer" = [])),
    responses((status = 200, body = PositionsAccepted), (status = 400, body = Problem),
              (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn report(
    State(app): State<Arc<App>>,
    caller: Caller,
    body: RawBody,
) -> Result<Json<PositionsAccepted>, ApiError> {
    let owner = caller.party()?.clone();
    let actor = caller.actor();
    let (reports, mut refused) = parse_batch(&body)?;
    let window = app.config.report_window;
    let (accepted, engine_refused) = tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |state, now| {
                Ok(decide::report_positions(
                    state, &owner, reports, now, &window,
                ))
            },
            |_, outcome| outcome,
        )
    })
    .await
    .expect("command task does not panic")?;
    refused.extend(engine_refused.into_iter().map(|r| RefusedReport {
        index: r.index,
        pointer: Some(r.refusal.field.to_owned()),
        reason: r.refusal.reason,
    }));
    refused.sort_by_key(|r| r.index);
    metrics::counter!("deconflict_positions_total", "outcome" => "accepted")
        .increment(accepted as u64);
    metrics::counter!("deconflict_positions_total", "outcome" => "refused")
        .increment(refused.len() as u64);
    Ok(Json(PositionsAccepted { accepted, refused }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrackView {
    pub report: TrackReport,
    /// No report for longer than the staleness limit (30 s).
    pub lost: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrackList {
    /// The caller's own tracks.
    pub tracks: Vec<TrackView>,
    /// Others' live tracks as their agreements with the caller release them: all under
    /// `full`, those within look-ahead reach of the caller's own under `proximity`, none under
    /// `conflicts_only` (those appear only inside tactical alerts).
    pub others: Vec<ReleasedTrackView>,
}

/// The caller's tracks, each with its latest report, and others' as released.
#[utoipa::path(get, path = "/v1/tracks", tag = "tracks", security(("bearer" = [])),
    responses((status = 200, body = TrackList), (status = 401, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<TrackList>, ApiError> {
    let viewer = caller.party()?.clone();
    Ok(Json(app.read(|state| {
        TrackList {
            tracks: state
                .tracks()
                .filter(|track| track.owner == viewer)
                .map(|track| TrackView {
                    report: track.report.clone(),
                    lost: track.lost,
                })
                .collect(),
            others: release::released_tracks(state, &viewer),
        }
    })))
}
