//! The whole periodic pass in steady state (issue 20 point 3): 10,000 live aircraft of the
//! `levels` traffic (4 parties), each reporting once a second, the alerts of the pass already
//! open and applied, as in a server that has run for a while.
//!
//! Each measured step is what the server does between two passes and the pass itself: a tenth
//! of the tracks report again (their previous report extrapolated by the elapsed time, so the
//! traffic flies on and the open conflicts evolve), 100 ms later, and the pass runs; its events
//! are applied. Only the pass is timed.
//! - `pass/whole/10000`: `decide::tactical_pass`, every live track (the 1 s tick's pass);
//! - `pass/moved/10000`: `decide::tactical_pass_moved` over the tracks reported since the
//!   previous pass (the pass started by reports);
//! - `pass/tick/10000`: the tick's pass, `decide::tactical_pass_due`, after a second of passes
//!   of moved tracks (ten, each after a tenth of the tracks reported): what the server's 1 s
//!   pass costs in steady state.
//!
//! `cargo bench -p deconflict-engine --bench pass`.

use deconflict_engine::Motion;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use deconflict_engine::decide::{self, Actor, Scope};
use deconflict_engine::tactical::{generate, TrafficShape};
use deconflict_engine::{Domain, PartyId, Role, State, TrackReport};

const TRACKS: usize = 10_000;
/// Reports between two passes: a tenth of the tracks (10,000 at 1 Hz, a pass every 100 ms).
const SLICE: usize = TRACKS / 10;

fn aircraft(now: DateTime<Utc>) -> Vec<(PartyId, TrackReport)> {
    generate(TrafficShape::LevelsAndClimbers, TRACKS, 2030, now)
        .into_iter()
        .map(|t| {
            let report = TrackReport {
                track_id: t.track_id.clone(),
                motion: Motion {
                    time: now,
                    track_deg: t.motion.track_deg.rem_euclid(360.0),
                    ..t.motion
                },
                operation_id: None,
                callsign: Some(format!("AC{}", t.track_id)),
                domain: Domain::Air,
                vessel: None,
            };
            (t.owner, report)
        })
        .collect()
}

/// The report flown on by `dt_s` (flat-earth steps are plenty for traffic that only has to move).
fn flown(report: &TrackReport, dt_s: f64) -> TrackReport {
    let moved_m = report.motion.ground_speed_mps * dt_s;
    let lat =
        report.motion.lat_deg + moved_m * report.motion.track_deg.to_radians().cos() / 111_320.0;
    let lon = report.motion.lon_deg
        + moved_m * report.motion.track_deg.to_radians().sin()
            / (111_320.0 * report.motion.lat_deg.to_radians().cos().max(0.01));
    let altitude = report.motion.altitude_m + report.motion.vertical_rate_mps * dt_s;
    // A climber at the top or bottom of its band turns round, so the traffic keeps its shape.
    let vertical_rate_mps = if !(0.0..=12_500.0).contains(&altitude) {
        -report.motion.vertical_rate_mps
    } else {
        report.motion.vertical_rate_mps
    };
    TrackReport {
        motion: Motion {
            lat_deg: lat.clamp(-89.0, 89.0),
            lon_deg: (lon + 180.0).rem_euclid(360.0) - 180.0,
            altitude_m: altitude.clamp(0.0, 12_500.0),
            vertical_rate_mps,
            time: report.motion.time + chrono::Duration::milliseconds((dt_s * 1000.0) as i64),
            ..report.motion
        },
        ..report.clone()
    }
}

fn apply_all(state: &mut State, now: DateTime<Utc>, events: &[deconflict_engine::Event]) {
    for event in events {
        state.apply(now, event);
    }
}

fn report(state: &mut State, tracks: &[(PartyId, TrackReport)], now: DateTime<Utc>) {
    let mut by_owner: std::collections::BTreeMap<&PartyId, Vec<(usize, TrackReport)>> =
        Default::default();
    for (i, (owner, report)) in tracks.iter().enumerate() {
        by_owner.entry(owner).or_default().push((i, report.clone()));
    }
    for (owner, reports) in by_owner {
        let decision =
            decide::report_positions(state, owner, reports, now, &decide::ReportWindow::default());
        assert!(decision.outcome.1.is_empty(), "{:?}", decision.outcome.1);
        apply_all(state, now, &decision.events);
    }
}

/// A state that has run for a while: every track reported, a whole pass applied.
struct World {
    state: State,
    tracks: Vec<(PartyId, TrackReport)>,
    now: DateTime<Utc>,
    next: usize,
}

impl World {
    fn new() -> World {
        let now = Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap();
        let tracks = aircraft(now);
        let mut state = State::new();
        for p in 0..4 {
            let id = format!("party-{p}");
            let decision =
                decide::register_party(&state, &Actor::Admin, &id, &id, Role::Operator, id.clone())
                    .expect("a new party");
            apply_all(&mut state, now, &decision.events);
        }
        report(&mut state, &tracks, now);
        let decision = decide::tactical_pass(&state, now);
        apply_all(&mut state, now, &decision.events);
        eprintln!(
            "{} live tracks, {} tactical conflicts open",
            decision.outcome.live_tracks, decision.outcome.tactical_conflicts
        );
        World {
            state,
            tracks,
            now,
            next: 0,
        }
    }

    /// 100 ms on: the next tenth of the tracks reports, flown on since its last report.
    /// Returns the ids reported.
    fn step(&mut self) -> Vec<String> {
        self.now += chrono::Duration::milliseconds(100);
        let from = self.next;
        self.next = (self.next + SLICE) % self.tracks.len();
        let now = self.now;
        for (_, r) in &mut self.tracks[from..from + SLICE] {
            let dt = (now - r.motion.time).num_milliseconds() as f64 / 1000.0;
            *r = flown(r, dt);
        }
        let slice = self.tracks[from..from + SLICE].to_vec();
        report(&mut self.state, &slice, now);
        slice.into_iter().map(|(_, r)| r.track_id).collect()
    }
}

fn pass(c: &mut Criterion) {
    let mut group = c.benchmark_group("pass");
    group.sample_size(30);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(15));
    let mut world = World::new();
    group.bench_function(format!("whole/{TRACKS}"), |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                world.step();
                let start = Instant::now();
                let decision = decide::tactical_pass(&world.state, world.now);
                spent += start.elapsed();
                apply_all(&mut world.state, world.now, &decision.events);
            }
            spent
        })
    });
    group.bench_function(format!("moved/{TRACKS}"), |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let since = world.state.report_generation();
                world.step();
                let start = Instant::now();
                let decision =
                    decide::tactical_pass_moved(&world.state, world.now, Scope::Whole, since);
                spent += start.elapsed();
                apply_all(&mut world.state, world.now, &decision.events);
            }
            spent
        })
    });
    // The tick's pass after a second of passes of moved tracks (every track reported once):
    // what the server's 1 s pass costs in steady state.
    let mut previous_tick = world.state.report_generation();
    group.bench_function(format!("tick/{TRACKS}"), |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                for _ in 0..TRACKS / SLICE {
                    let since = world.state.report_generation();
                    world.step();
                    let decision =
                        decide::tactical_pass_moved(&world.state, world.now, Scope::Whole, since);
                    apply_all(&mut world.state, world.now, &decision.events);
                }
                let last_pass = world.state.report_generation();
                let start = Instant::now();
                let decision = decide::tactical_pass_due(
                    &world.state,
                    world.now,
                    Scope::Whole,
                    previous_tick,
                    last_pass,
                );
                spent += start.elapsed();
                previous_tick = last_pass;
                apply_all(&mut world.state, world.now, &decision.events);
            }
            spent
        })
    });
    group.finish();
}

criterion_group!(benches, pass);
criterion_main!(benches);
