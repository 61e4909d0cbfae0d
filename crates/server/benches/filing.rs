//! Filing latency with 100,000 active operations stored (SPEC §10: p99 ≤ 5 ms, conflicts included).
//!
//! Set-up: 100,000 operations of 10 parties spread over the eastern Mediterranean and the
//! Middle East (lon 20–50°, lat 25–45°) across a week, each a circle or polygon of 1–20 km
//! with a 1–4 h window, are decided once and logged in batches to a fresh log on each store
//! measured (`DECONFLICT_BENCH_STORE`: SQLite, and PostgreSQL when `DECONFLICT_TEST_POSTGRES`
//! names a server; see `deconflict_store::testing::bench_backends`); the server's `App` then
//! rebuilds its state from each log (the start-up replay, timed too).
//! Measured, each a new operation filed by one party:
//! - `engine`: decide (validation + indexed detection + alert reconciliation) and apply, in memory;
//! - `app`: the whole command path as the HTTP handler runs it, including the durable append,
//!   on each store: the same 2,000 plans, filed in turn on each (filing i on every store before
//!   filing i + 1), so a noisy machine slows both alike.
//!
//! Prints p50/p99/max over 2,000 filings each, the stores side by side, and criterion's
//! estimate for the engine path.
//!
//! Run: `cargo bench -p deconflict-server --bench filing` (STORED=10000 for a quicker run; with
//! PostgreSQL: `source scripts/postgres.sh && start_test_postgres` first).

use chrono::{DateTime, TimeZone, Utc};
use criterion::Criterion;
use deconflict_engine::decide::{self, Actor};
use deconflict_engine::{Event, OperationSpec, PartyId, Role, State};
use deconflict_geometry::Limits;
use deconflict_server::App;
use deconflict_store::{EventLog, NewEvent};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

mod common;
use common::{percentiles, quantile, BenchStore};

const PARTIES: usize = 10;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
}

/// The stored and filed plans: over the eastern Mediterranean and the Middle East, in a week.
fn random_spec(rng: &mut ChaCha8Rng) -> OperationSpec {
    common::random_spec(rng, (20.0, 50.0), (25.0, 45.0), t0(), 7 * 86_400)
}

/// Decides and applies one command on a bare state, collecting its events for the log.
fn run(state: &mut State, actor: &str, events: &mut Vec<NewEvent>, decided: Vec<Event>) {
    for event in decided {
        events.push(deconflict_server::app::new_event(
            t0(),
            actor.to_owned(),
            &event,
        ));
        state.apply(t0(), &event);
    }
}

fn main() {
    let stored: usize = std::env::var("STORED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut rng = ChaCha8Rng::seed_from_u64(2015);
    let limits = Limits::default();
    let stores: Vec<BenchStore> = common::backends()
        .into_iter()
        .map(|backend| BenchStore::new(backend, "filing bench"))
        .collect();

    // Build the stored operations and their log.
    let started = Instant::now();
    let mut state = State::new();
    let mut pending = Vec::new();
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
        run(&mut state, "@admin", &mut pending, decided.events);
    }
    let mut batches = Vec::new();
    for i in 0..stored {
        let owner = PartyId(format!("p{}", i % PARTIES));
        let decided = decide::file_operation(
            &state,
            &owner,
            &format!("op{i}"),
            random_spec(&mut rng),
            None,
            t0(),
            &limits,
            &Default::default(),
        )
        .unwrap();
        run(&mut state, &owner.0, &mut pending, decided.events);
        if pending.len() >= 5_000 {
            batches.push(std::mem::take(&mut pending));
        }
    }
    batches.push(std::mem::take(&mut pending));
    let open_alerts = state
        .alerts()
        .filter(|a| a.state == deconflict_engine::AlertState::Open)
        .count();
    let events: usize = batches.iter().map(Vec::len).sum();
    eprintln!(
        "set-up: {stored} operations, {events} events, {open_alerts} open conflict alerts, decided in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for store in &stores {
        let started = Instant::now();
        let mut log = store.open_log();
        for batch in &batches {
            log.append(batch.clone()).unwrap();
        }
        assert_eq!(log.head().unwrap().unwrap().0, events as u64);
        eprintln!(
            "{}: {events} events appended in batches of 5,000 in {:.1} s",
            store.name(),
            started.elapsed().as_secs_f64()
        );
    }
    drop(batches);

    // Engine path: decide + apply in memory.
    let mut samples = Vec::new();
    let mut conflicts = 0;
    for i in 0..2_000 {
        let owner = PartyId(format!("p{}", i % PARTIES));
        let spec = random_spec(&mut rng);
        let begin = Instant::now();
        let decided = decide::file_operation(
            &state,
            &owner,
            &format!("new{i}"),
            spec,
            None,
            t0(),
            &limits,
            &Default::default(),
        )
        .unwrap();
        conflicts += decided.outcome.conflicts.len();
        for event in &decided.events {
            state.apply(t0(), event);
        }
        samples.push(begin.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "engine decide+apply, {stored} stored: {}  ({conflicts} conflicts found)",
        percentiles(samples)
    );

    // The whole command path, with the durable append, after a start-up replay, on each store.
    let mut apps = Vec::new();
    let mut replays = Vec::new();
    for store in &stores {
        let begin = Instant::now();
        apps.push(App::open(store.config("bench-admin-token-000000")).unwrap());
        replays.push(begin.elapsed().as_secs_f64());
    }
    let mut samples = vec![Vec::new(); stores.len()];
    for i in 0..2_000 {
        let owner = PartyId(format!("p{}", i % PARTIES));
        let spec = random_spec(&mut rng);
        let actor = Actor::Party(owner.clone());
        for (app, samples) in apps.iter().zip(&mut samples) {
            let begin = Instant::now();
            app.execute(
                &actor,
                |state, now| {
                    // The plans lie in 2030, the clock is the real one: no horizon here.
                    let horizon = decide::OperationHorizon { ahead_days: 36_500 };
                    decide::file_operation(
                        state,
                        &owner,
                        &format!("app{i}"),
                        spec.clone(),
                        None,
                        now,
                        &limits,
                        &horizon,
                    )
                },
                |_, outcome| outcome.conflicts.len(),
            )
            .unwrap();
            samples.push(begin.elapsed().as_secs_f64() * 1e3);
        }
    }
    for (store, samples) in stores.iter().zip(&samples) {
        println!(
            "app file_operation (with {} append), {stored} stored: {}",
            store.name(),
            percentiles(samples.clone())
        );
    }
    println!(
        "\nfiling with {stored} stored operations, the same 2,000 plans on each store, in turn:"
    );
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>14}",
        "store", "p50 ms", "p99 ms", "max ms", "start-up s"
    );
    for ((store, samples), replay) in stores.iter().zip(&samples).zip(&replays) {
        println!(
            "{:<10} {:>10.3} {:>10.3} {:>10.3} {:>14.2}",
            store.name(),
            quantile(samples, 0.5),
            quantile(samples, 0.99),
            quantile(samples, 1.0),
            replay
        );
    }
    drop(apps);

    // Criterion's estimate for the engine decision alone (no apply, so the state stays the same).
    let mut criterion = Criterion::default().configure_from_args().sample_size(50);
    let owner = PartyId("p0".to_owned());
    criterion.bench_function(&format!("decide file_operation, {stored} stored"), |b| {
        b.iter_batched(
            || random_spec(&mut rng),
            |spec| {
                decide::file_operation(
                    &state,
                    &owner,
                    "crit",
                    spec,
                    None,
                    t0(),
                    &limits,
                    &Default::default(),
                )
                .unwrap()
            },
            criterion::BatchSize::SmallInput,
        )
    });
    criterion.final_summary();
}
