//! 5,000 AIS targets (issue 17 point 5): ingest and detection at typical AIS reporting rates,
//! beside the same number of aircraft, and the memory a live ship holds.
//!
//! The traffic: 5,000 ships of 10 parties over the eastern Mediterranean (28°–36° E, 31°–37° N,
//! about one ship per 80 km², busier than most open sea), 70 % class A and 30 % class B. Class A
//! reports as ITU-R M.1371 has it by speed (at anchor or moored every 180 s, up to 14 kn every
//! 10 s, up to 23 kn every 6 s, faster every 2 s); a fifth of the class A ships are at anchor,
//! the rest make 5–30 kn; class B (5–15 kn) every 30 s. Each report carries what the AIS reader
//! puts on it: the track `mmsi-<MMSI>`, the callsign and the vessel's name, length and beam.
//!
//! Measured, on one core:
//! - `sea/ingest_one_second`: one second of those reports (about 600) through
//!   `decide::report_positions` (validation, quantising, the batch digest) and `State::apply`,
//!   one batch per party, on a state holding every ship;
//! - `sea/pass/5000`: the whole periodic pass (`decide::tactical_pass`: lost tracks, tactical
//!   detection with each pair's minima, conformance, zones, sites) over the 5,000 ships, and
//!   `air/pass/5000` the same over 5,000 aircraft of the benchmark traffic (`levels`), and
//!   `mixed/pass/15000` over 10,000 aircraft and the 5,000 ships together;
//! - `sea/detect_in/5000`, `air/detect_in/5000`: tactical detection alone.
//!
//! Printed before the measurements: the heap and inline bytes the state holds per live ship
//! (a counting allocator around building the state from one report per ship: the track's
//! record, its strings and vessel data, its entry in the state's map of tracks, and the shared
//! owner table amortised; see `engine::track::live`), the same per
//! aircraft, and the detector's working memory (the index, which SPEC §10's 256 bytes leave
//! aside).
//!
//! `cargo bench -p deconflict-engine --bench sea`.

use deconflict_engine::Motion;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use deconflict_engine::decide::{self, Actor};
use deconflict_engine::tactical::{
    generate, TacticalDetector, TacticalDomains, TrackState, TrafficShape,
};
use deconflict_engine::track::VesselParticulars;
use deconflict_engine::{Domain, PartyId, Role, State, TrackReport};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Counts the bytes allocated and not yet freed, to measure what the state holds.
struct Counting;

static ALLOCATED: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SHIPS: usize = 5_000;
const PARTIES: usize = 10;
const KNOT_MPS: f64 = 1852.0 / 3600.0;

/// One AIS target: its report at time 0 and its reporting interval.
struct Ship {
    report: TrackReport,
    owner: PartyId,
    interval_s: i64,
}

fn ships(now: DateTime<Utc>) -> Vec<Ship> {
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    (0..SHIPS)
        .map(|i| {
            let class_a = rng.random_bool(0.7);
            let (speed_kn, interval_s) = if class_a {
                if rng.random_bool(0.2) {
                    (0.0, 180)
                } else {
                    let kn = rng.random_range(5.0..30.0);
                    (
                        kn,
                        if kn <= 14.0 {
                            10
                        } else if kn <= 23.0 {
                            6
                        } else {
                            2
                        },
                    )
                }
            } else {
                (rng.random_range(5.0..15.0), 30)
            };
            let mmsi = 200_000_000 + i as u32 * 37;
            let report = TrackReport {
                track_id: format!("mmsi-{mmsi}"),
                motion: Motion {
                    time: now,
                    lat_deg: rng.random_range(31.0..37.0),
                    lon_deg: rng.random_range(28.0..36.0),
                    altitude_m: 0.0,
                    ground_speed_mps: speed_kn * KNOT_MPS,
                    track_deg: rng.random_range(0.0..360.0),
                    vertical_rate_mps: 0.0,
                },
                operation_id: None,
                callsign: Some(format!("C{:06}", i)),
                domain: Domain::Sea,
                vessel: Some(Box::new(VesselParticulars {
                    name: Some(format!("VESSEL NUMBER {i:05}")),
                    length_m: Some(rng.random_range(20.0..300.0_f64).round()),
                    beam_m: Some(rng.random_range(5.0..45.0_f64).round()),
                })),
            };
            Ship {
                report,
                owner: PartyId(format!("party-{}", i % PARTIES)),
                interval_s,
            }
        })
        .collect()
}

fn aircraft(now: DateTime<Utc>, n: usize) -> Vec<(PartyId, TrackReport)> {
    generate(TrafficShape::LevelsAndClimbers, n, 2030, now)
        .into_iter()
        .map(|t| {
            let report = TrackReport {
                track_id: t.track_id.clone(),
                motion: Motion {
                    time: now,
                    lat_deg: t.motion.lat_deg,
                    lon_deg: t.motion.lon_deg,
                    altitude_m: t.motion.altitude_m.clamp(-500.0, 30_000.0),
                    ground_speed_mps: t.motion.ground_speed_mps,
                    track_deg: t.motion.track_deg.rem_euclid(360.0),
                    vertical_rate_mps: t.motion.vertical_rate_mps,
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

fn state_with_parties() -> State {
    let mut state = State::new();
    for p in 0..PARTIES {
        let id = format!("party-{p}");
        let decision =
            decide::register_party(&state, &Actor::Admin, &id, &id, Role::Operator, id.clone())
                .expect("a new party");
        for event in &decision.events {
            state.apply(Utc::now(), event);
        }
    }
    state
}

/// Reports every track once (one batch per owner) into `state`.
fn report(state: &mut State, tracks: &[(PartyId, TrackReport)], now: DateTime<Utc>) {
    let mut by_owner: std::collections::BTreeMap<&PartyId, Vec<(usize, TrackReport)>> =
        Default::default();
    for (i, (owner, report)) in tracks.iter().enumerate() {
        by_owner.entry(owner).or_default().push((
            i,
            TrackReport {
                motion: Motion {
                    time: now,
                    ..report.clone().motion
                },
                ..report.clone()
            },
        ));
    }
    for (owner, reports) in by_owner {
        let decision =
            decide::report_positions(state, owner, reports, now, &decide::ReportWindow::default());
        assert!(decision.outcome.1.is_empty(), "{:?}", decision.outcome.1);
        for event in &decision.events {
            state.apply(now, event);
        }
    }
}

/// Bytes the state holds per track, once every track has reported once: the state's growth,
/// measured by the counting allocator (what `report_positions` builds and drops meanwhile is
/// freed, so not counted).
fn bytes_per_track(tracks: &[(PartyId, TrackReport)], now: DateTime<Utc>) -> (State, f64) {
    let mut state = state_with_parties();
    let before = ALLOCATED.load(Ordering::Relaxed);
    report(&mut state, tracks, now);
    // The events' batch was freed after apply; what remains is the state's.
    let after = ALLOCATED.load(Ordering::Relaxed);
    (state, (after - before) as f64 / tracks.len() as f64)
}

fn states(tracks: &State) -> Vec<TrackState> {
    tracks
        .live_tracks()
        .map(|t| TrackState {
            owner: t.owner.clone(),
            track_id: t.id.to_owned(),
            motion: *t.motion(),
            domain: t.domain(),
        })
        .collect()
}

fn sea(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap();
    let fleet = ships(now);
    let ship_reports: Vec<(PartyId, TrackReport)> = fleet
        .iter()
        .map(|s| (s.owner.clone(), s.report.clone()))
        .collect();
    let air_reports = aircraft(now, SHIPS);
    let (mut sea_state, sea_bytes) = bytes_per_track(&ship_reports, now);
    let (air_state, air_bytes) = bytes_per_track(&air_reports, now);
    let mut mixed_reports = aircraft(now, 2 * SHIPS);
    mixed_reports.extend(ship_reports.iter().cloned());
    let (mixed_state, _) = bytes_per_track(&mixed_reports, now);

    let domains = TacticalDomains::default();
    let sea_tracks = states(&sea_state);
    let air_tracks = states(&air_state);
    let mut detector = TacticalDetector::default();
    let sea_conflicts = detector.detect_in(&sea_tracks, now, &domains).len();
    let sea_working = detector.working_bytes() as f64 / SHIPS as f64;
    let per_second: f64 = fleet.iter().map(|s| 1.0 / s.interval_s as f64).sum();
    eprintln!(
        "{SHIPS} ships: {per_second:.0} AIS reports a second; state {sea_bytes:.0} bytes per live \
         ship (aircraft: {air_bytes:.0}); {sea_conflicts} sea conflicts now; detector working \
         memory {sea_working:.0} bytes per ship"
    );

    // One second of reports: the ships whose interval falls due at each of 60 seconds.
    let seconds: Vec<Vec<(PartyId, TrackReport)>> = (1..=60)
        .map(|t: i64| {
            fleet
                .iter()
                .filter(|s| t % s.interval_s == 0)
                .map(|s| {
                    let mut r = s.report.clone();
                    let moved_m = r.motion.ground_speed_mps * t as f64;
                    r.motion.lat_deg += moved_m * r.motion.track_deg.to_radians().cos() / 111_320.0;
                    r.motion.lon_deg += moved_m * r.motion.track_deg.to_radians().sin()
                        / (111_320.0 * r.motion.lat_deg.to_radians().cos());
                    r.motion.time = now + chrono::Duration::seconds(t);
                    (s.owner.clone(), r)
                })
                .collect()
        })
        .collect();
    let mean: f64 = seconds.iter().map(Vec::len).sum::<usize>() as f64 / 60.0;
    eprintln!("one second of AIS: {mean:.0} reports on average");

    let mut group = c.benchmark_group("sea");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    let mut second = 0usize;
    group.bench_function("ingest_one_second", |b| {
        b.iter(|| {
            second = (second + 1) % seconds.len();
            let batch = &seconds[second];
            let at = batch.first().map_or(now, |(_, r)| r.motion.time);
            report(&mut sea_state, batch, at);
        })
    });
    let pass_at = now + chrono::Duration::seconds(1);
    group.bench_function("pass/5000", |b| {
        b.iter(|| decide::tactical_pass(black_box(&sea_state), pass_at))
    });
    group.bench_function("detect_in/5000", |b| {
        b.iter(|| detector.detect_in(black_box(&sea_tracks), now, &domains))
    });
    group.finish();

    let mut group = c.benchmark_group("air");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("pass/5000", |b| {
        b.iter(|| decide::tactical_pass(black_box(&air_state), pass_at))
    });
    group.bench_function("detect_in/5000", |b| {
        b.iter(|| detector.detect_in(black_box(&air_tracks), now, &domains))
    });
    group.finish();

    let mut group = c.benchmark_group("mixed");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("pass/15000", |b| {
        b.iter(|| decide::tactical_pass(black_box(&mixed_state), pass_at))
    });
    group.finish();
}

criterion_group!(benches, sea);
criterion_main!(benches);
