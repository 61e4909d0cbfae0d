//! Position reports (`POST /v1/positions`) and the caller's live tracks (`GET /v1/tracks`).
//!
//! A batch is a JSON array (`application/json`) or one report per line (`application/x-ndjson`).
//! Each report is checked on its own: a malformed or out-of-range report, or one for a track
//! that another party reports, is refused with its index and reason, and the rest are kept.
//! NDJSON is parsed a line at a time as it arrives, so an upload never holds its whole text.

use axum::extract::{Request, State};
use axum::Json;
use deconflict_engine::decide;
use deconflict_engine::release::{self, ReleasedTrackView};
use deconflict_engine::TrackReport;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::body::{self, BodyBudget, BodyReader, Held, RawBody};
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

/// Reads one report with the one parser of the format (`deconflict_feeds::parse_report_json`,
/// which files and `ingest` use too); a failure is listed with its pointer and reason.
fn parse_one(
    index: usize,
    value: &[u8],
    refused: &mut Vec<RefusedReport>,
) -> Option<(usize, TrackReport)> {
    match deconflict_feeds::parse_report_json(value) {
        Ok(report) => Some((index, report)),
        Err(refusal) => {
            refused.push(RefusedReport {
                index,
                pointer: (!refusal.pointer.is_empty()).then_some(refusal.pointer),
                reason: refusal.message,
            });
            None
        }
    }
}

/// The reports that could be read, each with its position, and the ones that could not.
type ParsedBatch = (Vec<(usize, TrackReport)>, Vec<RefusedReport>);

/// The NDJSON media types.
fn is_ndjson(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/x-ndjson" | "application/ndjson" | "application/jsonl"
    )
}

/// Reads an NDJSON upload a line at a time as it arrives: an unfinished upload holds one
/// unfinished line (at most [`ServerLimits::ndjson_line_max_bytes`]) and the reports parsed so
/// far, which take their share of the body budget (returned with them).
///
/// [`ServerLimits::ndjson_line_max_bytes`]: crate::limits::ServerLimits::ndjson_line_max_bytes
async fn read_ndjson(request: Request, app: &App) -> Result<(ParsedBatch, Held), ApiError> {
    let budget = body::budget_of(&request);
    let max_line_bytes = app.config.server_limits.ndjson_line_max_bytes;
    let mut reader = BodyReader::new(request, app);
    let mut batch = NdjsonBatch::default();
    let mut line = Vec::new();
    let too_long = |index| ApiError::LineTooLong {
        line: index,
        limit_bytes: max_line_bytes,
    };
    while let Some(chunk) = reader.next_chunk().await? {
        let mut rest = &chunk[..];
        while let Some(newline) = rest.iter().position(|b| *b == b'\n') {
            let (head, tail) = rest.split_at(newline);
            if line.len() + head.len() > max_line_bytes {
                return Err(too_long(batch.next_index));
            }
            if line.is_empty() {
                batch.take_line(head, &budget)?;
            } else {
                line.extend_from_slice(head);
                batch.take_line(&line, &budget)?;
                line.clear();
            }
            rest = &tail[1..];
        }
        if line.len() + rest.len() > max_line_bytes {
            return Err(too_long(batch.next_index));
        }
        line.extend_from_slice(rest);
    }
    if !line.is_empty() {
        batch.take_line(&line, &budget)?;
    }
    Ok(((batch.reports, batch.refused), batch.held))
}

/// An NDJSON upload's reports so far.
#[derive(Default)]
struct NdjsonBatch {
    reports: Vec<(usize, TrackReport)>,
    refused: Vec<RefusedReport>,
    held: Held,
    /// The index of the next line (counted from 0, blank lines included).
    next_index: usize,
}

impl NdjsonBatch {
    fn take_line(&mut self, line: &[u8], budget: &BodyBudget) -> Result<(), ApiError> {
        let index = self.next_index;
        self.next_index += 1;
        let line = line.trim_ascii();
        if line.is_empty() {
            return Ok(());
        }
        let total = self.reports.len() + self.refused.len() + 1;
        if total > MAX_REPORTS_PER_REQUEST {
            return Err(too_many(total));
        }
        // A parsed report costs about its text, and never less than its struct.
        self.held
            .take(budget, line.len().max(std::mem::size_of::<TrackReport>()))?;
        self.reports
            .extend(parse_one(index, line, &mut self.refused));
        Ok(())
    }
}

fn too_many(total: usize) -> ApiError {
    ApiError::InvalidField {
        pointer: String::new(),
        detail: format!("{total} reports in one request; send at most {MAX_REPORTS_PER_REQUEST}"),
    }
}

/// Splits a JSON array body into reports, recording the ones that cannot be read.
fn parse_array(bytes: &[u8]) -> Result<ParsedBatch, ApiError> {
    let mut refused = Vec::new();
    let mut reports = Vec::new();
    let elements: Vec<&serde_json::value::RawValue> =
        serde_json::from_slice(bytes).map_err(|error| {
            if error.is_data() {
                ApiError::InvalidField {
                    pointer: String::new(),
                    detail: "the body must be a JSON array of position reports".to_owned(),
                }
            } else {
                ApiError::MalformedJson(error.to_string())
            }
        })?;
    if elements.len() > MAX_REPORTS_PER_REQUEST {
        return Err(too_many(elements.len()));
    }
    for (index, element) in elements.into_iter().enumerate() {
        reports.extend(parse_one(index, element.get().as_bytes(), &mut refused));
    }
    Ok((reports, refused))
}

/// Reports positions of the caller's tracks. Refused reports are listed; the others are kept.
#[utoipa::path(post, path = "/v1/positions", tag = "tracks",
    request_body(content = Vec<TrackReport>, description = "a JSON array, or NDJSON with content type application/x-ndjson (read a line at a time; a line may be at most 64 KiB by default)"),
    security(("bearer" = [])),
    responses((status = 200, body = PositionsAccepted), (status = 400, body = Problem),
              (status = 408, body = Problem), (status = 413, body = Problem),
              (status = 415, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem), (status = 503, body = Problem)))]
pub async fn report(
    State(app): State<Arc<App>>,
    caller: Caller,
    request: Request,
) -> Result<Json<PositionsAccepted>, ApiError> {
    let owner = caller.party()?.clone();
    let actor = caller.actor();
    let media_type = body::media_type(&request);
    // What the reports hold of the body budget is given back once they are decided.
    let ((reports, mut refused), _held) = if is_ndjson(&media_type) {
        read_ndjson(request, &app).await?
    } else if media_type == "application/json" {
        let body = RawBody::read(request, &app).await?;
        (parse_array(&body.bytes)?, body.into_held())
    } else {
        return Err(ApiError::UnsupportedMediaType);
    };
    let window = app.config.report_window;
    let on_bus = app.positions_publisher().is_some();
    let bell = app.clone();
    let (accepted, engine_refused) = if on_bus {
        report_on_bus(app, actor, owner, reports).await?
    } else {
        tokio::task::spawn_blocking(move || {
            app.execute(
                &actor,
                |state, now| {
                    Ok(decide::report_positions(
                        state,
                        &owner,
                        reports.clone(),
                        now,
                        &window,
                    ))
                },
                |_, outcome| outcome,
            )
        })
        .await
        .expect("command task does not panic")?
    };
    if accepted > 0 && !on_bus {
        // (On the bus, the node consuming the reports' cells rings when it applies them.)
        bell.reports_applied();
    }
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

/// Reports through NATS JetStream ([`crate::cellstream`]): decided on this node's state as a
/// logged batch would be, published by cell and acknowledged by JetStream, then recorded in
/// the log by digest and stream sequences. Nothing is accepted unless all of it was published.
async fn report_on_bus(
    app: Arc<App>,
    actor: deconflict_engine::decide::Actor,
    owner: deconflict_engine::PartyId,
    reports: Vec<(usize, deconflict_engine::TrackReport)>,
) -> Result<(usize, Vec<decide::Refused>), ApiError> {
    let window = app.config.report_window;
    let now = app.now();
    let decision = {
        let (app, owner) = (app.clone(), owner.clone());
        tokio::task::spawn_blocking(move || {
            app.read(|state| decide::report_positions(state, &owner, reports, now, &window))
        })
        .await
        .expect("deciding does not panic")
    };
    let (count, refused) = decision.outcome;
    let Some(deconflict_engine::Event::PositionsReported { reports, .. }) =
        decision.events.into_iter().next()
    else {
        return Ok((count, refused));
    };
    let publisher = app
        .positions_publisher()
        .expect("checked by the caller")
        .clone();
    let published = publisher
        .publish(&owner, now, reports)
        .await
        .map_err(|error| {
            metrics::counter!("deconflict_positions_publish_failures_total").increment(1);
            ApiError::PositionsUnavailable(error.to_string())
        })?;
    let event = deconflict_engine::Event::PositionsPublished {
        owner,
        digest: published.digest,
        reports: published.reports,
        stream: crate::cellstream::STREAM.to_owned(),
        seqs: published.seqs,
    };
    tokio::task::spawn_blocking(move || {
        app.execute(
            &actor,
            |_, _| {
                Ok(deconflict_engine::decide::Decision {
                    events: vec![event.clone()],
                    outcome: (),
                })
            },
            |_, ()| (),
        )
    })
    .await
    .expect("command task does not panic")?;
    Ok((count, refused))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackView {
    pub report: TrackReport,
    /// No report for longer than the staleness limit (30 s).
    pub lost: bool,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct TrackList {
    /// The caller's own tracks.
    pub tracks: Vec<TrackView>,
    /// Others' live tracks as their agreements with the caller release them: all under
    /// `full`, those within look-ahead reach of the caller's own under `proximity`, none under
    /// `conflicts_only` (those appear only inside tactical alerts).
    pub others: Vec<ReleasedTrackView>,
    /// On a cluster whose position reports travel on NATS: how many nodes gave their share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Gathered>,
}

/// How many nodes answered for a cluster's track list, of the nodes that held live leases.
/// Fewer than expected: the list lacks the tracks of the cells of the nodes that did not.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Gathered {
    pub answered: u32,
    pub expected: u32,
}

/// The caller's tracks, each with its latest report, and others' as released. On a cluster
/// whose position reports travel on NATS, each node holds only the tracks of its cells: the
/// node asked gathers every node's share ([`crate::tracklist`]).
#[utoipa::path(get, path = "/v1/tracks", tag = "tracks", security(("bearer" = [])),
    responses((status = 200, body = TrackList), (status = 401, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<TrackList>, ApiError> {
    let viewer = caller.party()?.clone();
    if let Some(gatherer) = app.track_lists() {
        return Ok(Json(gatherer.gather(&app, &viewer).await));
    }
    Ok(Json(app.read(|state| local_list(state, &viewer, None))))
}

/// The viewer's tracks and those released to it, as this node's state holds them; with an
/// `owned` set of cells, only the tracks in those cells.
pub fn local_list(
    state: &deconflict_engine::State,
    viewer: &deconflict_engine::PartyId,
    owned: Option<&std::collections::BTreeSet<deconflict_engine::shard::Cell>>,
) -> TrackList {
    let here = |report: &TrackReport| {
        owned.is_none_or(|cells| {
            deconflict_engine::shard::Cell::of(report.motion.lat_deg, report.motion.lon_deg)
                .is_some_and(|cell| cells.contains(&cell))
        })
    };
    TrackList {
        tracks: state
            .tracks()
            .filter(|track| *track.owner == *viewer)
            .map(|track| TrackView {
                report: track.report(),
                lost: track.lost,
            })
            .filter(|view| here(&view.report))
            .collect(),
        others: release::released_tracks(state, viewer)
            .into_iter()
            .filter(|view| here(&view.report))
            .collect(),
        nodes: None,
    }
}
