//! Retention (SPEC §8): position batches older than the horizon are pruned to their digest, in
//! the background, while the server runs.
//!
//! What is pruned: the `reports` of `positions_reported` events older than
//! `Config::retention_horizon` (default 30 days) plus a margin (the report window and an hour,
//! `decide::prune_before`) before the server's clock. What is kept: of those events,
//! everything else (owner, the batch's SHA-256 digest, actor, time) and the salted digest of
//! the reports, so the chain and every receipt still verify; every other event whole (alerts,
//! operations, messages, tracks lost …). Replay skips a pruned batch
//! (`engine::track::compact`). The server's time pass forgets lost tracks last seen more than
//! the horizon ago, by a logged event (`decide::forget_tracks`), before any of their batches
//! can be pruned; so a replay of the pruned log gives exactly the live state (the proof is in
//! `engine::decide::retention`).
//!
//! The task opens its own connection to the database (the store is one file; the writer's lock
//! is taken a chunk of a few dozen events at a time, see `deconflict_store::PRUNE_CHUNK_EVENTS`,
//! so commands wait tens of milliseconds at most), runs first a minute after start and then
//! every `Config::retention_interval` (default hourly), and gives the freed pages back with an
//! incremental vacuum when the file was created by a build that sets it up (a file from before
//! needs one `deconflict db compact` to be converted; until then freed pages are reused by new
//! appends, so the file stops growing but does not shrink).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deconflict_engine::decide::ReportWindow;
use deconflict_store::{AnyLog, Database, PruneOutcome, PrunePolicy, StoreError, VacuumOutcome};

use crate::App;

/// The event kind whose payload subtree retention prunes, and that subtree.
pub const PRUNED_KIND: &str = "positions_reported";
pub const PRUNED_POINTER: &str = "/reports";

/// The shortest horizon accepted: a day. It must exceed the track staleness limit and the
/// report window (a report may arrive 10 minutes late) by far, or a replay could lose a live
/// track's latest report.
pub const MIN_HORIZON: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// When the task first runs after the server starts.
const FIRST_RUN_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// What retention prunes when the clock reads `now`, for a server that forgets tracks after
/// `horizon` and accepts reports within `window`: batches older than the horizon plus a margin
/// (`decide::prune_before`, which proves that a replay of the pruned log is then exact).
pub fn policy(
    now: DateTime<Utc>,
    horizon: chrono::TimeDelta,
    window: &ReportWindow,
) -> PrunePolicy {
    PrunePolicy {
        kinds: vec![PRUNED_KIND.to_owned()],
        pointer: PRUNED_POINTER.to_owned(),
        before: deconflict_engine::decide::prune_before(now, horizon, window),
    }
}

/// One run: prunes what `policy` names and, if anything was pruned, releases the freed pages
/// without rewriting the file (SQLite; PostgreSQL's autovacuum does that by itself, `None`).
pub fn run_once(
    database: &Path,
    now: DateTime<Utc>,
    horizon: chrono::TimeDelta,
    window: &ReportWindow,
) -> Result<(PruneOutcome, Option<VacuumOutcome>), StoreError> {
    let mut log = AnyLog::open(&Database::from_path(database))?;
    let outcome = log.prune(&policy(now, horizon, window), now, &mut |_| {})?;
    let vacuum = match outcome.events_pruned {
        0 => None,
        _ => log.release_space(false)?,
    };
    Ok((outcome, vacuum))
}

/// Starts the periodic task if the configuration asks for retention and names a file.
pub fn spawn(app: Arc<App>) -> Option<tokio::task::JoinHandle<()>> {
    let horizon = app.config.retention_horizon?;
    if app.config.database.as_os_str().is_empty() {
        return None;
    }
    let horizon = horizon.max(MIN_HORIZON);
    let interval = app.config.retention_interval;
    Some(tokio::spawn(async move {
        let start = tokio::time::Instant::now() + FIRST_RUN_AFTER;
        let mut timer = tokio::time::interval_at(start, interval);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            timer.tick().await;
            let app = app.clone();
            let run = tokio::task::spawn_blocking(move || {
                run_once(
                    &app.config.database,
                    app.now(),
                    horizon,
                    &app.config.report_window,
                )
            });
            match run.await {
                Ok(Ok((outcome, vacuum))) if outcome.events_pruned > 0 => tracing::info!(
                    batches_pruned = outcome.events_pruned,
                    payload_bytes_freed = outcome
                        .payload_bytes_before
                        .saturating_sub(outcome.payload_bytes_after),
                    database_bytes_before = vacuum.as_ref().map(|v| v.bytes_before),
                    database_bytes_after = vacuum.as_ref().map(|v| v.bytes_after),
                    horizon_days = horizon.num_days(),
                    "retention: position batches pruned to their digest"
                ),
                Ok(Ok(_)) => tracing::debug!("retention: nothing to prune"),
                Ok(Err(error)) => tracing::error!(%error, "retention failed"),
                Err(error) => tracing::error!(%error, "retention panicked"),
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pruned_kind_is_the_engines_position_batch() {
        let event = deconflict_engine::Event::PositionsReported {
            owner: deconflict_engine::PartyId("p".into()),
            digest: String::new(),
            reports: Vec::new(),
        };
        assert_eq!(event.kind(), PRUNED_KIND);
        assert!(event.to_log().1.get(&PRUNED_POINTER[1..]).is_some());
    }
}
