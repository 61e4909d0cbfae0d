//! When a live track first comes near a place within the look-ahead (SPEC §5.4 for zones,
//! §5.5 for protected sites).
//!
//! A track is extrapolated from its latest report along the geodesic leaving at its track angle,
//! at its ground speed, climbing at its vertical rate. The look-ahead `[0, L]` is cut into `N`
//! intervals of `2h` seconds around sample times; over an interval the track stays within
//! `speed × h` metres of the sample (and `|vertical rate| × h` of its altitude), and a moving
//! place (a convoy) within `its speed × h` of its own. A place whose distance from the sample,
//! less those slacks, is within its limit *may* be reached in that interval, and the first such
//! interval is the predicted entry. Every instant of the look-ahead lies in some interval, so an
//! entry is never missed nor found late; it may be found up to [`STEP_M`] early, which is what
//! the check errs towards.

use chrono::{DateTime, Duration, Utc};
use deconflict_geometry::geodesic_direct;

use crate::track::Motion;

/// The most two samples are apart, in metres of relative motion (track and place together).
pub const STEP_M: f64 = 100.0;
/// Most samples per look-ahead (the step grows beyond this, the slack with it).
pub const MAX_SAMPLES: usize = 3_000;

/// A track's predicted state over one interval of the look-ahead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The interval `[from, to)` (its middle is the sample time `at`).
    pub from: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `[lon, lat]` at `at`.
    pub position: [f64; 2],
    pub altitude_m: f64,
    /// How far the track and the place may move apart from their positions at `at` within
    /// the interval, horizontally (m) and, for the track, vertically (m).
    pub slack_m: f64,
    pub vertical_slack_m: f64,
}

/// The track's position and altitude at `t`.
pub fn position_at(report: &Motion, t: DateTime<Utc>) -> ([f64; 2], f64) {
    let dt = seconds(t - report.time);
    let position = geodesic_direct(
        [report.lon_deg, report.lat_deg],
        report.track_deg,
        report.ground_speed_mps * dt,
    );
    (position, report.altitude_m + report.vertical_rate_mps * dt)
}

fn seconds(d: Duration) -> f64 {
    d.num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6
}

/// How a sample stands against a place: `None` when a condition other than distance rules it
/// out (altitude, schedule); otherwise its *excess*, the distance less the slack and the limit,
/// in metres — near when it is at most 0.
pub type Excess = Option<f64>;

/// The first interval of `[now, now + lookahead_s]` whose sample is near (`excess` at most 0),
/// as the seconds from `now` to its start (0 when it is near now). `place_speed_mps` bounds how
/// fast the place moves (0 for a fixed one).
///
/// Intervals that cannot be near are skipped: the distance between track and place changes by
/// at most `speed` metres a second, so after a sample with excess `e` the next `e / (speed × 2h)`
/// samples (rounded down) are farther than their limit too. [`first_near_every`] visits every
/// sample and is the reference this is tested against.
pub fn first_near(
    report: &Motion,
    now: DateTime<Utc>,
    lookahead_s: f64,
    place_speed_mps: f64,
    excess: impl FnMut(&Sample) -> Excess,
) -> Option<f64> {
    sampled(report, now, lookahead_s, place_speed_mps, true, excess)
}

/// [`first_near`] visiting every sample.
pub fn first_near_every(
    report: &Motion,
    now: DateTime<Utc>,
    lookahead_s: f64,
    place_speed_mps: f64,
    excess: impl FnMut(&Sample) -> Excess,
) -> Option<f64> {
    sampled(report, now, lookahead_s, place_speed_mps, false, excess)
}

fn sampled(
    report: &Motion,
    now: DateTime<Utc>,
    lookahead_s: f64,
    place_speed_mps: f64,
    skip: bool,
    mut excess: impl FnMut(&Sample) -> Excess,
) -> Option<f64> {
    let speed = report.ground_speed_mps.abs() + place_speed_mps.abs();
    let lookahead_s = lookahead_s.max(0.0);
    let n = ((speed * lookahead_s) / STEP_M)
        .ceil()
        .clamp(1.0, MAX_SAMPLES as f64) as usize;
    let half = lookahead_s / (2.0 * n as f64);
    let micros = |s: f64| Duration::microseconds((s * 1e6).round() as i64);
    // Intervals [(2k-1)h, (2k+1)h] for k = 0..=n cover [0, L] (and a little either side).
    let mut k = 0;
    while k <= n {
        let mid = 2.0 * half * k as f64;
        let at = now + micros(mid);
        let (position, altitude_m) = position_at(report, at);
        let sample = Sample {
            from: now + micros((mid - half).max(0.0)),
            at,
            to: now + micros(mid + half) + Duration::microseconds(1),
            position,
            altitude_m,
            slack_m: speed * half,
            vertical_slack_m: report.vertical_rate_mps.abs() * half,
        };
        match excess(&sample) {
            Some(e) if e <= 0.0 => return Some((mid - half).max(0.0)),
            Some(e) if skip => {
                let closing_per_sample = speed * 2.0 * half;
                if closing_per_sample <= 0.0 {
                    // Neither moves: the distance never changes, so it is never near.
                    return None;
                }
                let ahead = (e / closing_per_sample).floor();
                k += if ahead >= 1.0 {
                    ahead.min(n as f64) as usize
                } else {
                    1
                };
            }
            _ => k += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(lon: f64, lat: f64, speed: f64, track: f64) -> Motion {
        Motion {
            time: "2026-01-01T00:00:00Z".parse().unwrap(),
            lat_deg: lat,
            lon_deg: lon,
            altitude_m: 1_000.0,
            ground_speed_mps: speed,
            track_deg: track,
            vertical_rate_mps: 0.0,
        }
    }

    #[test]
    fn entry_is_found_at_most_one_step_early_and_never_late() {
        // Due east at 200 m/s towards a point 30 km away with a 1 km buffer: at the buffer's
        // edge after (30,000 - 1,000) / 200 = 145 s.
        let r = report(36.0, 35.0, 200.0, 90.0);
        let target = geodesic_direct([36.0, 35.0], 90.0, 30_000.0);
        let now = r.time;
        let excess = |s: &Sample| {
            Some(deconflict_geometry::geodesic_distance_m(s.position, target) - s.slack_m - 1_000.0)
        };
        let t = first_near(&r, now, 300.0, 0.0, excess).unwrap();
        assert_eq!(first_near_every(&r, now, 300.0, 0.0, excess), Some(t));
        assert!((145.0 - STEP_M / 200.0 - 0.01..=145.0).contains(&t), "{t}");
        // Out of reach within the look-ahead.
        assert_eq!(first_near(&r, now, 100.0, 0.0, excess), None);
    }
}
