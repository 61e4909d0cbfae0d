//! Snapshots of the state in the log's store (SPEC §8): start-up from the newest one that
//! checks out, and the background task that takes them.
//!
//! Start-up ([`restore`]) tries the stored snapshots newest first. A snapshot is used only if
//! its format version is this build's, the seq and head hash it records are those of the
//! log's event at that seq, its digest verifies, and its state has applied exactly that many
//! events; otherwise it is passed over with a `warn!` saying why, and the next older one is
//! tried, then a full replay from the first event. A snapshot is a cache: nothing is lost by
//! refusing one, so no refusal is an error.
//!
//! Taking ([`spawn`], [`crate::App::snapshot`]): every `Config::snapshot_every_events` logged
//! events or `Config::snapshot_interval`, whichever comes first (the interval only if
//! something was logged since), and once more on graceful shutdown by the binary.

use deconflict_engine::snapshot;
use deconflict_engine::{Event, State};
use deconflict_store::{EventLog, StoreError};
use std::sync::Arc;
use std::time::Duration;

use crate::App;

/// How the state was rebuilt at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Startup {
    /// The seq of the snapshot the state was loaded from; `None`: replayed from the start.
    pub snapshot_seq: Option<u64>,
    /// Events applied from the log after the snapshot (all of them without one).
    pub events_replayed: u64,
    /// Snapshots passed over, newest first: their seq and why.
    pub refused: Vec<(u64, String)>,
}

/// The events of a page read at start-up.
const REPLAY_PAGE: usize = 10_000;

/// Rebuilds the state: from the newest usable snapshot and the log after it, or from the log.
pub fn restore(log: &dyn EventLog) -> Result<(State, Startup), StoreError> {
    let mut startup = Startup::default();
    let mut candidate = log.latest_snapshot()?;
    let mut restored = None;
    while let Some((seq, bytes)) = candidate.take() {
        match usable(log, seq, &bytes) {
            Ok(state) => {
                restored = Some((seq, state));
                break;
            }
            Err(reason) => {
                tracing::warn!(seq, %reason, "snapshot not used; trying an older one or a full replay");
                startup.refused.push((seq, reason));
                candidate = log.snapshot_before(seq)?;
            }
        }
    }
    let (mut after, mut state) = match restored {
        Some((seq, state)) => {
            startup.snapshot_seq = Some(seq);
            (seq, state)
        }
        None => (0, State::new()),
    };
    loop {
        let page = log.read_from(after, REPLAY_PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for stored in page {
            let event = Event::from_parts(&stored.kind, stored.payload).map_err(|error| {
                StoreError::Corrupt {
                    seq: stored.seq,
                    reason: error.to_string(),
                }
            })?;
            state.apply(stored.time, &event);
            startup.events_replayed += 1;
        }
    }
    tracing::info!(
        snapshot_seq = startup.snapshot_seq,
        events_replayed = startup.events_replayed,
        events = state.events_applied(),
        "state rebuilt"
    );
    Ok((state, startup))
}

/// The snapshot's state if it may be trusted for the log; otherwise why not.
fn usable(log: &dyn EventLog, seq: u64, bytes: &[u8]) -> Result<State, String> {
    let claimed = snapshot::read_header(bytes).map_err(|error| error.to_string())?;
    if claimed.seq != seq {
        return Err(format!(
            "stored at seq {seq} but records seq {}",
            claimed.seq
        ));
    }
    let event = log
        .read_from(seq.saturating_sub(1), 1)
        .map_err(|error| format!("cannot read event {seq}: {error}"))?;
    match event.first() {
        Some(event) if event.seq == seq && event.hash == claimed.head_hash => {}
        Some(event) if event.seq == seq => {
            return Err(format!(
                "records head hash {} but the log's event {seq} has {}",
                claimed.head_hash, event.hash
            ))
        }
        _ => return Err(format!("the log has no event {seq}")),
    }
    let (_, state) = snapshot::decode(bytes).map_err(|error| error.to_string())?;
    if state.events_applied() != seq {
        return Err(format!(
            "its state applied {} events, not {seq}",
            state.events_applied()
        ));
    }
    Ok(state)
}

/// Encodes the body of a snapshot of `state`, which has applied the log up to `seq`: the part
/// that must see the state unchanged; [`snapshot::frame`] does the rest.
pub fn encode_body(state: &State, seq: u64) -> Result<snapshot::EncodedBody, StoreError> {
    snapshot::encode_body(state).map_err(|error| StoreError::Corrupt {
        seq,
        reason: format!("the state cannot be encoded as a snapshot: {error}"),
    })
}

/// How often the background task looks whether a snapshot is due.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Stops the background task when dropped (shared with [`crate::follow`]).
pub struct Task(pub(crate) Option<tokio::task::JoinHandle<()>>);

impl Drop for Task {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.abort();
        }
    }
}

/// Starts the task that takes a snapshot whenever [`App::snapshot_due`] says so, on a
/// blocking thread (it holds the writer lock while it encodes and stores). No task when the
/// configuration asks for neither a count nor an interval.
pub fn spawn(app: Arc<App>) -> Task {
    if app.config.snapshot_every_events.is_none() && app.config.snapshot_interval.is_none() {
        return Task(None);
    }
    Task(Some(tokio::spawn(async move {
        let mut timer = tokio::time::interval(CHECK_INTERVAL);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            timer.tick().await;
            if !app.snapshot_due() {
                continue;
            }
            let app = app.clone();
            match tokio::task::spawn_blocking(move || app.snapshot()).await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::error!(%error, "taking a snapshot failed"),
                Err(error) => tracing::error!(%error, "taking a snapshot panicked"),
            }
        }
    })))
}
