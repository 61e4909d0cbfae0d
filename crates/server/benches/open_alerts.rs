//! The cost of keeping alerts (SPEC §6, §10): filing p99 and the 1 s periodic pass with 50,000
//! open alerts must be within 20 % of the same with 1,000.
//!
//! Two worlds, each 100,000 operations of 4 parties that nobody acknowledges, filed 100 a
//! second (so their alerts' deadlines fall due spread over time, as in use), in windows that
//! start a day later and run over a week:
//! - `dense`: over lon 25–40°, lat 28–38° — tens of thousands of open conflict alerts;
//! - `sparse`: over lon 0–179°, lat −30–30° — about a thousand.
//!
//! The log is built in batches to a fresh SQLite file (with the pass of time run every simulated
//! second, as the server does) and the server's `App` opened on it with a simulated clock.
//! Then, in each world, identically:
//! 1. the escalation wave: the 1 s pass (tactical, conformance, zones, sites, then time:
//!    escalations, re-notifications, plans past) run at each second just after the filings,
//!    while deadlines fall due — its cost follows what is due, not what is open;
//! 2. the quiet pass: the same 1 s pass once every deadline has been met (each alert escalated
//!    twice and re-notified three times, then overdue), with 1,000 live tracks reporting over the
//!    Pacific, far from every plan (the same tracks in both worlds);
//! 3. filing: 2,000 new operations over North America, far from the stored ones (the same plans
//!    in both worlds), through the whole command path with the durable SQLite append.
//!
//! Prints each figure for both worlds and their ratio, and every event kind logged.
//!
//! Run: `cargo bench -p deconflict-server --bench open_alerts` (STORED=20000 for a quicker run).

use chrono::{DateTime, Duration, TimeZone, Utc};
use deconflict_engine::decide::{self, Actor};
use deconflict_engine::Motion;
use deconflict_engine::{Event, PartyId, Role, State, TrackReport};
use deconflict_geometry::Limits;
use deconflict_server::app::Clock;
use deconflict_server::{App, Config};
use deconflict_store::{EventLog, SqliteLog};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

mod common;
use common::{percentiles, quantile};

const PARTIES: usize = 4;
/// Operations filed per simulated second while the world is built.
const FILED_PER_S: usize = 100;
const TRACKS: usize = 1_000;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
}

/// A box of the globe, degrees.
struct Region {
    name: &'static str,
    lon: (f64, f64),
    lat: (f64, f64),
}

/// The figures of one world.
struct Figures {
    open_alerts: usize,
    wave_pass_ms: Vec<f64>,
    wave_events: usize,
    quiet_pass_ms: Vec<f64>,
    filing_ms: Vec<f64>,
    events_by_kind: BTreeMap<String, u64>,
}

fn at(seconds: f64) -> DateTime<Utc> {
    t0() + Duration::microseconds((seconds * 1e6) as i64)
}

/// Builds the world's log on a bare state, then opens the `App` on it with a clock at `now`.
fn build(region: &Region, stored: usize, database: &std::path::Path, now: Arc<AtomicI64>) -> App {
    let started = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(2015);
    let limits = Limits::default();
    let mut state = State::new();
    let mut log = SqliteLog::open(database).unwrap();
    let mut pending = Vec::new();
    let mut commit = |state: &mut State, time, actor: &str, events: Vec<Event>| {
        for event in events {
            pending.push(deconflict_server::app::new_event(
                time,
                actor.to_owned(),
                &event,
            ));
            state.apply(time, &event);
        }
        if pending.len() >= 5_000 {
            log.append(std::mem::take(&mut pending)).unwrap();
        }
    };
    for p in 0..PARTIES {
        let decided = decide::register_party(
            &state,
            &Actor::Admin,
            &format!("p{p}"),
            "party",
            Role::Operator,
            format!("h{p}"),
        )
        .unwrap();
        commit(&mut state, t0(), "@admin", decided.events);
    }
    for i in 0..stored {
        let time = at(i as f64 / FILED_PER_S as f64);
        let owner = PartyId(format!("p{}", i % PARTIES));
        let spec = common::random_spec(
            &mut rng,
            region.lon,
            region.lat,
            t0() + Duration::days(1),
            7 * 86_400,
        );
        let decided = decide::file_operation(
            &state,
            &owner,
            &format!("op{i}"),
            spec,
            None,
            time,
            &limits,
            &Default::default(),
        )
        .unwrap();
        commit(&mut state, time, &owner.0, decided.events);
        if (i + 1) % FILED_PER_S == 0 {
            // The server's pass of time runs every second while the world fills.
            let decided = decide::time_pass(&state, time);
            commit(&mut state, time, "@system", decided.events);
        }
    }
    log.append(std::mem::take(&mut pending)).unwrap();
    eprintln!(
        "{}: {stored} operations, {} open alerts, {} events, built in {:.1} s",
        region.name,
        state.open_alert_count(),
        log.head().unwrap().unwrap().0,
        started.elapsed().as_secs_f64()
    );
    drop(log);
    let clock: Clock = Arc::new(move || {
        DateTime::from_timestamp_micros(now.load(Ordering::SeqCst)).expect("a valid instant")
    });
    let mut config = Config::new(database.to_owned(), "bench-admin-token-000000".to_owned());
    config.tactical_interval = None;
    App::with_log(config, Box::new(SqliteLog::open(database).unwrap()), clock).unwrap()
}

/// The whole 1 s pass, as the server's ticker runs it; its time (ms) and events logged.
fn periodic_pass(app: &App) -> (f64, usize) {
    let before = app.log_head().unwrap().map_or(0, |(seq, _)| seq);
    let begin = Instant::now();
    app.tactical_pass().unwrap();
    app.time_pass().unwrap();
    let elapsed = begin.elapsed().as_secs_f64() * 1e3;
    let after = app.log_head().unwrap().map_or(0, |(seq, _)| seq);
    (elapsed, (after - before) as usize)
}

/// Reports every track at `time` (not timed: ingest is measured by its own bench).
fn report_tracks(app: &App, time: DateTime<Utc>) {
    let owner = PartyId("p0".to_owned());
    let reports: Vec<(usize, TrackReport)> = (0..TRACKS)
        .map(|i| {
            let report = TrackReport {
                track_id: format!("T{i:04}"),
                motion: Motion {
                    time,
                    lat_deg: 10.0 + (i / 40) as f64 * 0.5,
                    lon_deg: -150.0 + (i % 40) as f64 * 0.5,
                    altitude_m: 3_000.0 + (i % 30) as f64 * 304.8,
                    ground_speed_mps: 200.0,
                    track_deg: (i * 37 % 360) as f64,
                    vertical_rate_mps: 0.0,
                },
                operation_id: None,
                callsign: None,
                domain: Default::default(),
                vessel: None,
            };
            (i, report)
        })
        .collect();
    app.execute(
        &Actor::Party(owner.clone()),
        |state, now| {
            Ok(decide::report_positions(
                state,
                &owner,
                reports.clone(),
                now,
                &Default::default(),
            ))
        },
        |_, _| (),
    )
    .unwrap();
}

fn measure(region: &Region, stored: usize) -> Figures {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("bench.db");
    let now = Arc::new(AtomicI64::new(0));
    let filing_end_s = (stored / FILED_PER_S) as f64;
    let set = |seconds: f64| now.store(at(seconds).timestamp_micros(), Ordering::SeqCst);
    set(filing_end_s);
    let app = build(region, stored, &database, now.clone());
    let open_alerts = app.read(|state| state.open_alert_count());

    // 1. The escalation wave, a pass a second over 300 s after the filings.
    let mut wave_pass_ms = Vec::new();
    let mut wave_events = 0;
    for second in 1..=300 {
        set(filing_end_s + f64::from(second));
        let (ms, events) = periodic_pass(&app);
        wave_pass_ms.push(ms);
        wave_events += events;
    }
    // Every deadline met: the last re-notification is 1,260 s after a raise.
    for second in 301..=1_300 {
        set(filing_end_s + f64::from(second));
        app.time_pass().unwrap();
    }
    let queued = app.read(|state| state.queue_lengths().0);
    assert_eq!(queued, 0, "every alert is overdue or acknowledged");

    // 2. The quiet pass with 1,000 live tracks.
    let mut quiet_pass_ms = Vec::new();
    for second in 0..200 {
        let seconds = filing_end_s + 1_400.0 + f64::from(second);
        set(seconds);
        report_tracks(&app, at(seconds));
        let (ms, _) = periodic_pass(&app);
        if second >= 10 {
            quiet_pass_ms.push(ms);
        }
    }

    // 3. Filing far from everything, the same plans in both worlds.
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let limits = Limits::default();
    let mut filing_ms = Vec::new();
    for i in 0..2_000 {
        set(filing_end_s + 1_700.0 + f64::from(i as u32) * 0.01);
        let owner = PartyId(format!("p{}", i % PARTIES));
        let spec = common::random_spec(
            &mut rng,
            (-120.0, -80.0),
            (30.0, 50.0),
            t0() + Duration::days(1),
            7 * 86_400,
        );
        let begin = Instant::now();
        app.execute(
            &Actor::Party(owner.clone()),
            |state, now| {
                decide::file_operation(
                    state,
                    &owner,
                    &format!("new{i}"),
                    spec.clone(),
                    None,
                    now,
                    &limits,
                    &Default::default(),
                )
            },
            |_, _| (),
        )
        .unwrap();
        filing_ms.push(begin.elapsed().as_secs_f64() * 1e3);
    }

    let mut events_by_kind = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = app.read_log(after, 50_000).unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for committed in page {
            *events_by_kind
                .entry(committed.event.kind().to_owned())
                .or_default() += 1;
        }
    }
    Figures {
        open_alerts,
        wave_pass_ms,
        wave_events,
        quiet_pass_ms,
        filing_ms,
        events_by_kind,
    }
}

fn main() {
    let stored: usize = std::env::var("STORED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let worlds = [
        Region {
            name: "dense",
            lon: (25.0, 40.0),
            lat: (28.0, 38.0),
        },
        Region {
            name: "sparse",
            lon: (0.0, 179.0),
            lat: (-30.0, 30.0),
        },
    ];
    let mut figures = Vec::new();
    for world in &worlds {
        let f = measure(world, stored);
        print_figures(world, &f);
        figures.push(f);
    }
    let (dense, sparse) = (&figures[0], &figures[1]);
    let ratio = |a: &[f64], b: &[f64], q: f64| quantile(a, q) / quantile(b, q);
    println!(
        "dense / sparse: quiet pass median {:.2}×, filing p50 {:.2}×, filing p99 {:.2}×",
        ratio(&dense.quiet_pass_ms, &sparse.quiet_pass_ms, 0.5),
        ratio(&dense.filing_ms, &sparse.filing_ms, 0.5),
        ratio(&dense.filing_ms, &sparse.filing_ms, 0.99),
    );
}

fn print_figures(world: &Region, f: &Figures) {
    println!("== {} ({} open alerts)", world.name, f.open_alerts);
    println!(
        "  escalation wave, 1 s pass: {}  ({} events in 300 passes)",
        percentiles(f.wave_pass_ms.clone()),
        f.wave_events
    );
    println!(
        "  quiet 1 s pass, {TRACKS} tracks: {}",
        percentiles(f.quiet_pass_ms.clone())
    );
    println!("  filing (durable): {}", percentiles(f.filing_ms.clone()));
    let kinds: Vec<String> = f
        .events_by_kind
        .iter()
        .map(|(kind, n)| format!("{kind}={n}"))
        .collect();
    println!("  events logged: {}", kinds.join(" "));
}
