//! Following a log other nodes write too (SPEC §9: several nodes on one PostgreSQL database).
//!
//! Commands and reads apply the others' events before they decide or read
//! ([`crate::App::execute`], [`crate::App::read`]); this task applies them when nothing else
//! does, every [`crate::app::Config::follow_interval`], so a stream on this node delivers an
//! alert another node raised within about that interval, and this node's passes start from a
//! recent state; with NATS ([`crate::bus`]), also as soon as another node announces events.
//! Polling, not LISTEN/NOTIFY: the SQL stays within what CockroachDB accepts,
//! and a poll that finds nothing is one indexed query.

use std::sync::Arc;

use crate::snapshot::Task;
use crate::App;

/// Starts the task on a shared log; none otherwise (a node alone on its log has nothing to
/// follow).
pub fn spawn(app: Arc<App>) -> Task {
    if !app.config.shared_log {
        return Task(None);
    }
    Task(Some(tokio::spawn(async move {
        let mut timer = tokio::time::interval(app.config.follow_interval);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            // The poll, or another node's doorbell ([`crate::bus`]), whichever comes first.
            tokio::select! {
                _ = timer.tick() => {}
                _ = app.follower_woken() => {}
            }
            let app = app.clone();
            match tokio::task::spawn_blocking(move || app.follow()).await {
                Ok(Ok(0)) => {}
                Ok(Ok(events)) => tracing::debug!(events, "applied other nodes' events"),
                Ok(Err(error)) => tracing::error!(%error, "following the shared log failed"),
                Err(error) => tracing::error!(%error, "following the shared log panicked"),
            }
        }
    })))
}
