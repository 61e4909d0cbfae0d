//! The `deconflict` HTTP API.
//!
//! - [`app`]: the single writer. It holds the engine's state and the event log behind one
//!   lock; a command is decided, its events appended (durably) and then applied, so an
//!   acknowledged request is never lost and a refused one changes nothing.
//! - [`auth`]: bearer tokens; only their SHA-256 hashes are stored.
//! - [`problem`]: every error as RFC 9457 `application/problem+json`.
//! - [`body`]: the JSON body extractor: size limit, global budget, and a JSON pointer for
//!   every bad field.
//! - [`connections`]: the accept loop: connection cap, header, body and idle timeouts;
//!   [`concurrency`]: requests in progress per caller; [`limits`]: every limit, its default and
//!   what a client sees at it.
//! - [`routes`]: one module per resource; [`openapi`]: the OpenAPI 3.1 document.
//! - [`snapshot`]: start-up from the newest usable snapshot, and the task that takes them.
//! - [`ui`]: the browser map (`web/`, embedded), served at `/` as a client of the API.

pub mod app;
pub mod auth;
pub mod body;
pub mod bus;
pub mod cellstream;
pub mod cluster;
pub mod concurrency;
pub mod connections;
pub mod follow;
pub mod limits;
pub mod openapi;
pub mod problem;
pub mod ratelimit;
pub mod retention;
pub mod routes;
pub mod snapshot;
pub mod telemetry;
pub mod tracklist;
pub mod ui;

pub use app::{App, Config};
pub use routes::router;

/// How often the log's head is signed and recorded (if it moved).
pub const HEAD_SIGNING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Serves the API on `listener` until `shutdown` completes, running the tactical pass
/// periodically if the configuration asks for it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: std::sync::Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app.clone());
    serve_router(listener, app, router, shutdown).await
}

/// [`serve`] with a given router (tests serve [`routes::router_from`] with extra endpoints).
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    app: std::sync::Arc<App>,
    router: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let ticker = app.config.tactical_interval.map(|interval| {
        let app = app.clone();
        tokio::spawn(pass_loop(app, interval))
    });
    let _snapshots = snapshot::spawn(app.clone());
    let _follower = follow::spawn(app.clone());
    let _bus = match (&app.config.bus, &app.config.cluster) {
        (Some(bus), Some(cluster)) => {
            let (outbox, receiver) = bus::outbox();
            let task = bus::spawn(app.clone(), bus, cluster.node.clone(), receiver)
                .await
                .map_err(std::io::Error::other)?;
            app.attach_outbox(outbox);
            task
        }
        _ => snapshot::Task(None),
    };
    let _positions = match (&app.config.bus, &app.config.cluster) {
        (Some(bus), Some(cluster)) if app.config.positions_on_bus => {
            cellstream::start(app.clone(), bus, cluster)
                .await
                .map_err(std::io::Error::other)?
        }
        _ => snapshot::Task(None),
    };
    let _leases = cluster::spawn(app.clone());
    // SPEC §8: the head is signed periodically as well as on demand.
    let signer = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut timer = tokio::time::interval(HEAD_SIGNING_INTERVAL);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                timer.tick().await;
                let app = app.clone();
                match tokio::task::spawn_blocking(move || app.sign_head()).await {
                    Ok(Ok(head)) => tracing::debug!(seq = head.seq, "log head signed"),
                    Ok(Err(error)) => tracing::error!(%error, "signing the log head failed"),
                    Err(error) => tracing::error!(%error, "signing the log head panicked"),
                }
            }
        })
    };
    let retention = retention::spawn(app.clone());
    let result = connections::serve(listener, router, app.config.server_limits, shutdown).await;
    if let Some(membership) = app.membership() {
        // Hand the cells over at once rather than after the lease time.
        drop(_leases);
        match tokio::task::spawn_blocking(move || membership.release()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "releasing the cluster leases failed"),
            Err(error) => tracing::error!(%error, "releasing the cluster leases panicked"),
        }
    }
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    signer.abort();
    if let Some(retention) = retention {
        retention.abort();
    }
    result
}

/// After a pass started by reports in which every live track had moved, the next waits at
/// least this many times as long as it took (less in proportion when fewer had).
const PASS_REST_FACTOR: f64 = 3.0;

/// The periodic passes: every `interval` the live tracks' pass and the pass of time (plans
/// past, deadlines, escalations); and, with [`Config::pass_after_reports`], a pass of the live
/// tracks that moved soon after new reports: after the previous pass ended, at least that gap
/// and a rest after the last pass started by reports, up to [`PASS_REST_FACTOR`] times as long
/// as it took, in proportion to the share of live tracks that had moved. One pass at a time,
/// on the blocking pool.
async fn pass_loop(app: std::sync::Arc<App>, interval: std::time::Duration) {
    let mut timer = tokio::time::interval(interval);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let gap = app.config.pass_after_reports;
    let mut last_end = tokio::time::Instant::now();
    let mut last_rest = std::time::Duration::ZERO;
    loop {
        let with_time = tokio::select! {
            _ = timer.tick() => true,
            _ = app.reports_rung(), if gap.is_some() => {
                // At least the gap, and a rest after the last pass started by reports: up to
                // three times as long as it took, in proportion to the share of the live
                // tracks it decided. When reports come faster than passes (every track moves
                // between two), passes hold the state at most a quarter of the time and ingest
                // keeps the rest; at an ordinary rate (a few percent move) the gap decides.
                let wait = gap.unwrap_or_default().max(last_rest);
                tokio::time::sleep_until(last_end + wait).await;
                false
            }
        };
        let began = tokio::time::Instant::now();
        let task = app.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            // The tick's pass decides everything; a pass started by reports, what moved.
            let outcome = match with_time {
                true => task.tactical_pass(),
                false => task.tactical_pass_moved(),
            };
            if with_time {
                match task.time_pass() {
                    Ok(time) if time != Default::default() => {
                        tracing::info!(
                            ?time,
                            "pass of time: plans past, operations ended, alerts pushed again"
                        );
                    }
                    Ok(_) => {}
                    Err(error) => tracing::error!(%error, "pass of time failed"),
                }
            }
            outcome
        })
        .await;
        last_end = tokio::time::Instant::now();
        // The rest is measured on passes started by reports: the tick's whole pass, once a
        // second, would otherwise hold back the alerts of the next reports for 3 times its length.
        if !with_time {
            let share = match &outcome {
                Ok(Ok(o)) if o.live_tracks > 0 => o.moved_tracks as f64 / o.live_tracks as f64,
                _ => 1.0,
            };
            last_rest = (last_end - began).mul_f64(PASS_REST_FACTOR * share.min(1.0));
        }
        match outcome {
            Ok(Ok(outcome)) if outcome.tactical_conflicts + outcome.nonconforming > 0 => {
                tracing::debug!(?outcome, "tactical pass");
            }
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::error!(%error, "tactical pass failed"),
            Err(error) => tracing::error!(%error, "tactical pass panicked"),
        }
    }
}
