//! Retention and the state (SPEC §8): which tracks are forgotten, and how far back retention
//! may prune position batches so that a replay of the pruned log still gives the live state.
//!
//! Retention prunes the reports out of `positions_reported` batches older than a cut-off
//! (the store keeps their digest). The state keeps every track it has seen, with its last
//! report and the party that owns its id. Were a track's batches all pruned while the state
//! still knew it, a replay would not know it: the two would disagree, and the replayed server
//! would let another party take the id. So a lost track is *forgotten* by a logged
//! [`Event::TracksForgotten`] once its last batch is older than the horizon
//! ([`forget_tracks`]), and retention prunes only batches older than the horizon plus a
//! margin ([`prune_before`]). This also bounds the memory of a server that runs for months
//! with tracks that come and go.
//!
//! # Why a replay of the pruned log is exact
//!
//! Let `H` be the horizon, `[t − back, t + ahead]` the report window around a batch's time `t`
//! (a report's own time `r` lies in it, `ReportWindow`), and `M ≥ back + ahead + 1 h` the
//! margin. Retention running at `P` prunes batches with `t < P − H − M`. Take any track `X`:
//!
//! 1. *All of `X`'s batches pruned.* Then its last batch `t_last < P − H − M`, so `X` was due
//!    to be forgotten from `t_last + H`, at least `M` (over an hour) before `P`; the periodic
//!    pass runs every second (and retention first runs a minute after start), so the
//!    `tracks_forgotten` naming `X` is in the log before `P`. A replay never creates `X`
//!    and the forgetting is a no-op; while `X` was known live, no other party's report of its
//!    id was accepted (refused when decided), so no batch of another owner names it before the
//!    forgetting. Both end without `X`.
//! 2. *Some pruned, some kept, `X` not forgotten.* Then `t_last ≥ P − H` (else it would have
//!    been forgotten, as in 1). Let `E*` be the batch with `X`'s newest report `r*` (the one
//!    the state holds). Every later batch carries `r ≤ r*` and so has
//!    `t ≤ r + back ≤ r* + back ≤ t* + ahead + back`; the last one included:
//!    `t_last ≤ t* + ahead + back`. Hence `t* ≥ P − H − back − ahead > P − H − M`: `E*` is
//!    kept. A replay applies `E*` and every kept batch after it exactly as the live state
//!    did (a report older than the one held is ignored in both, `lost` is set by the same
//!    `tracks_lost` events), and what the pruned batches before `E*` did was overwritten by
//!    `E*` in both. The owner is the first reporter in both (others were refused), and
//!    `seen_at` is `t_last`, kept. Both hold the same track.
//!
//! A track forgotten is free: its id may be reported again, by anyone, as a new track.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Decision, ReportWindow};
use crate::event::Event;
use crate::state::State;

/// Most tracks one pass forgets (one bounded event); the rest are forgotten at the next pass,
/// a second later.
pub const FORGET_MAX_TRACKS: usize = 10_000;

/// The slack above the report window in [`prune_before`]'s margin: far longer than the
/// one-second period of the pass that forgets.
pub const PRUNE_SLACK: TimeDelta = TimeDelta::hours(1);

/// The lost tracks last seen more than `horizon` before `now`, forgotten (at most
/// [`FORGET_MAX_TRACKS`], oldest first). Returns how many.
pub fn forget_tracks(state: &State, now: DateTime<Utc>, horizon: TimeDelta) -> Decision<usize> {
    let track_ids: Vec<String> = state
        .lost_tracks_seen_before(now - horizon)
        .take(FORGET_MAX_TRACKS)
        .map(|track| track.id.to_owned())
        .collect();
    let count = track_ids.len();
    let events = if track_ids.is_empty() {
        Vec::new()
    } else {
        vec![Event::TracksForgotten { track_ids }]
    };
    Decision {
        events,
        outcome: count,
    }
}

/// The cut-off for retention at `now`: batches logged before it may be pruned without a
/// replay disagreeing with the live state, for a server that forgets tracks after `horizon`
/// and accepts reports within `window` (see the module doc for the proof).
pub fn prune_before(
    now: DateTime<Utc>,
    horizon: TimeDelta,
    window: &ReportWindow,
) -> DateTime<Utc> {
    // A window of centuries (a server configured to accept anything) saturates.
    let window_ms = ((window.back_s.max(0.0) + window.ahead_s.max(0.0)) * 1000.0)
        .ceil()
        .min(1e15) as i64;
    let margin = TimeDelta::milliseconds(window_ms) + PRUNE_SLACK;
    now.checked_sub_signed(horizon + margin)
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_the_report_window_and_an_hour() {
        let now: DateTime<Utc> = "2030-03-01T00:00:00Z".parse().unwrap();
        let cut = prune_before(now, TimeDelta::days(30), &ReportWindow::default());
        assert_eq!(
            now - cut,
            TimeDelta::days(30) + TimeDelta::seconds(660) + TimeDelta::hours(1)
        );
        let open = ReportWindow {
            back_s: f64::INFINITY,
            ahead_s: 60.0,
        };
        assert!(prune_before(now, TimeDelta::days(30), &open) < now - TimeDelta::days(365 * 1000));
    }
}
