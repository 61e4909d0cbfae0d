//! The per-party live stream (`GET /v1/alerts/stream`, Server-Sent Events).
//!
//! Every change to an alert the party is told of, and every message it sent or received, is one
//! SSE event whose `id` is the event's sequence number in the log: ids only grow. A client that
//! reconnects with `Last-Event-ID` (or `?after=SEQ`) first receives, from the stored log, every
//! event after that id, then the live ones — so nothing is missed across its own outage or a
//! server restart, and nothing is sent twice within one connection. Comments are sent as
//! heartbeats every 15 s so idle connections survive proxies.
//!
//! Ordering without gaps: the connection subscribes to live events *before* reading the backlog,
//! then forwards live events only past the last id it sent. If it falls behind the live buffer it
//! re-reads the log from its last id.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use deconflict_engine::release;
use deconflict_engine::{Event, PartyId, State as EngineState};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use utoipa::IntoParams;

use crate::app::Committed;
use crate::auth::Caller;
use crate::problem::{ApiError, Problem};
use crate::App;

/// Events read from the log per page of a backlog.
const BACKLOG_PAGE: usize = 2_000;
/// Events buffered per connection before the sender waits for the client.
const CONNECTION_BUFFER: usize = 1_024;

#[derive(Debug, Deserialize, IntoParams)]
pub struct StreamFrom {
    /// Resume after this event id (as `Last-Event-ID`); 0 replays everything the party was told.
    /// Without either, the stream starts with the next event.
    pub after: Option<u64>,
}

/// The SSE event for `viewer`, or `None` if the event is not the viewer's to see.
pub fn stream_event(
    state: &EngineState,
    viewer: &PartyId,
    committed: &Committed,
) -> Option<SseEvent> {
    let (kind, body) = match &committed.event {
        // Each alert event is shown with the alert as it stood when the event was committed
        // (SPEC §6: a replayed stream says what was said), not as it stands now. Events logged
        // before changes carried their alert fall back to the current state.
        Event::AlertRaised { alert } | Event::AlertUpdated { alert } => (
            "alert",
            serde_json::to_value(release::alert_view_now(state, alert, viewer)?).ok()?,
        ),
        Event::AlertRenotified { alert, .. } => (
            "alert",
            serde_json::to_value(release::alert_view_now(state, alert, viewer)?).ok()?,
        ),
        Event::AlertResolved { id, alert, .. }
        | Event::AlertAcknowledged { id, alert, .. }
        | Event::AlertEscalated { id, alert, .. } => {
            let then = alert.as_deref().or_else(|| state.alert(id))?;
            (
                "alert",
                serde_json::to_value(release::alert_view_now(state, then, viewer)?).ok()?,
            )
        }
        Event::MessageSent { message } => {
            let current = state.message(&message.id).unwrap_or(message);
            if !current.visible_to(viewer) {
                return None;
            }
            ("message", serde_json::to_value(current).ok()?)
        }
        Event::MessageRead { id, .. } => {
            let message = state.message(id).filter(|m| m.visible_to(viewer))?;
            ("message", serde_json::to_value(message).ok()?)
        }
        Event::ReportShared { report } => {
            let current = state.report(&report.id).unwrap_or(report);
            if !current.visible_to(viewer) {
                return None;
            }
            ("report", serde_json::to_value(current).ok()?)
        }
        Event::ReportReceived { id, .. } => {
            let report = state.report(id).filter(|r| r.visible_to(viewer))?;
            ("report", serde_json::to_value(report).ok()?)
        }
        _ => return None,
    };
    let data =
        serde_json::json!({ "seq": committed.seq, "change": committed.event.kind(), kind: body });
    Some(
        SseEvent::default()
            .id(committed.seq.to_string())
            .event(kind)
            .data(data.to_string()),
    )
}

/// Live changes of the caller's alerts and messages, resumable with `Last-Event-ID`.
#[utoipa::path(get, path = "/v1/alerts/stream", tag = "alerts", params(StreamFrom,
        ("Last-Event-ID" = Option<String>, Header, description = "resume after this event id")),
    security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "Server-Sent Events: `alert` and `message` events, id = log sequence number"),
              (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn stream(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    from: Result<Query<StreamFrom>, axum::extract::rejection::QueryRejection>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let viewer = caller.party()?.clone();
    let Query(from) = from.map_err(|rejection| ApiError::InvalidField {
        pointer: String::new(),
        detail: format!("bad query string: {}", rejection.body_text()),
    })?;
    let last_event_id = match headers.get("last-event-id") {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiError::BadHeader(
                        "Last-Event-ID must be the id of an event received (a number)".to_owned(),
                    )
                })?,
        ),
        None => None,
    };
    let live = app.subscribe();
    let after = match last_event_id.or(from.after) {
        Some(after) => after,
        None => app
            .log_head()
            .map_err(|e| ApiError::Command(e.into()))?
            .map_or(0, |(seq, _)| seq),
    };
    let (sender, receiver) = mpsc::channel(CONNECTION_BUFFER);
    tokio::spawn(forward(app, viewer, after, live, sender));
    Ok(Sse::new(ReceiverStream::new(receiver)).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("heartbeat"),
    ))
}

type Sender = mpsc::Sender<Result<SseEvent, Infallible>>;

/// Sends the backlog after `after`, then live events, until the client goes away.
async fn forward(
    app: Arc<App>,
    viewer: PartyId,
    after: u64,
    live: tokio::sync::broadcast::Receiver<Arc<Committed>>,
    sender: Sender,
) {
    metrics::gauge!("deconflict_streams").increment(1.0);
    forward_events(app, viewer, after, live, sender).await;
    metrics::gauge!("deconflict_streams").decrement(1.0);
}

async fn forward_events(
    app: Arc<App>,
    viewer: PartyId,
    mut after: u64,
    mut live: tokio::sync::broadcast::Receiver<Arc<Committed>>,
    sender: Sender,
) {
    if !send_backlog(&app, &viewer, &mut after, &sender).await {
        return;
    }
    loop {
        match live.recv().await {
            Ok(committed) => {
                if committed.seq <= after {
                    continue;
                }
                after = committed.seq;
                let event = app.read(|state| stream_event(state, &viewer, &committed));
                if let Some(event) = event {
                    if sender.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
            }
            Err(RecvError::Lagged(_)) => {
                if !send_backlog(&app, &viewer, &mut after, &sender).await {
                    return;
                }
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Sends every stored event after `*after` that the viewer may see; false if the client left.
async fn send_backlog(app: &Arc<App>, viewer: &PartyId, after: &mut u64, sender: &Sender) -> bool {
    loop {
        let reader = app.clone();
        let from = *after;
        let page =
            match tokio::task::spawn_blocking(move || reader.read_log(from, BACKLOG_PAGE)).await {
                Ok(Ok(page)) => page,
                Ok(Err(error)) => {
                    tracing::error!(%error, "stream cannot read the log");
                    return false;
                }
                Err(_) => return false,
            };
        let Some(last) = page.last() else { return true };
        let last_seq = last.seq;
        let events: Vec<SseEvent> = app.read(|state| {
            page.iter()
                .filter_map(|c| stream_event(state, viewer, c))
                .collect()
        });
        for event in events {
            if sender.send(Ok(event)).await.is_err() {
                return false;
            }
        }
        *after = last_seq;
    }
}
