//! Position-report ingest over HTTP NDJSON on loopback, detection on (SPEC §10: ≥ 200,000
//! reports/s).
//!
//! A real server per store measured (the `App` on a fresh log, the tactical pass every second)
//! serves on 127.0.0.1: SQLite, and PostgreSQL when `DECONFLICT_TEST_POSTGRES` names a server
//! (`DECONFLICT_BENCH_STORE` chooses; see `deconflict_store::testing::bench_backends`).
//! 10,000 tracks of the engine's realistic traffic, owned by 10 parties, report once
//! per simulated second; each party posts its 1,000 reports of a second as one NDJSON request.
//! The bodies are prepared before timing; `CLIENTS` requests are in flight at once. Five rounds
//! of 20 simulated seconds (200,000 reports each) are timed per store, the stores taking turns
//! (round 1 on each, then round 2 on each, …) so a noisy machine slows both alike; the median
//! rate of each is printed, side by side. Each store runs twice: with passes also started by new
//! reports (`+reports`, `Config::pass_after_reports`, the default) and by the 1 s tick only
//! (`+tick`), so the cost of the earlier alerts shows in the same run.
//!
//! Run: `cargo bench -p deconflict-server --bench ingest` (with PostgreSQL: `source
//! scripts/postgres.sh && start_test_postgres` first)

use chrono::{Duration, Utc};
use deconflict_engine::tactical::{generate, TrafficShape};
use deconflict_engine::Motion;
use deconflict_engine::TrackReport;
use deconflict_server::App;
use std::sync::Arc;
use std::time::Instant;

mod common;
use common::BenchStore;

const TRACKS: usize = 10_000;
const PARTIES: usize = 10;
const SECONDS_PER_ROUND: usize = 20;
const ROUNDS: usize = 5;
const CLIENTS: usize = 4;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

/// One store's server and its parties' tokens.
struct Served {
    /// Held for its files (or database), dropped with the server.
    _store: BenchStore,
    /// The store, and how passes are started (`+reports`: also by new reports, the default).
    label: String,
    app: Arc<App>,
    base: String,
    tokens: Vec<String>,
    rates: Vec<f64>,
}

async fn serve(store: BenchStore, pass_after_reports: bool) -> Served {
    let admin = "ingest-bench-admin-token-0000";
    let mut config = store.config(admin);
    if !pass_after_reports {
        config.pass_after_reports = None;
    }
    let label = format!(
        "{}{}",
        store.name(),
        if pass_after_reports {
            "+reports"
        } else {
            "+tick"
        }
    );
    // The bench sends seconds of traffic faster than they pass: its clock runs ahead of the
    // server's, which a live feed's never does.
    config.report_window.ahead_s = 86_400.0;
    let app = Arc::new(App::open(config).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = app.clone();
    tokio::spawn(async move {
        deconflict_server::serve(listener, served, std::future::pending())
            .await
            .unwrap();
    });
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for p in 0..PARTIES {
        let id = format!("p{p}");
        tokens.push(common::register_operator(&client, &base, admin, &id).await);
    }
    Served {
        _store: store,
        label,
        app,
        base,
        tokens,
        rates: Vec::new(),
    }
}

async fn run() {
    let mut servers = Vec::new();
    // Each store twice: passes started by reports too (the default) and by the 1 s tick only.
    for backend in common::backends() {
        for pass_after_reports in [true, false] {
            servers.push(serve(BenchStore::new(backend, "ingest bench"), pass_after_reports).await);
        }
    }
    let client = reqwest::Client::new();

    let start = Utc::now();
    let initial = generate(TrafficShape::Airways, TRACKS, 7, start);
    // One body per (second, party).
    let mut bodies = Vec::new();
    for second in 0..SECONDS_PER_ROUND * ROUNDS {
        let time = start + Duration::seconds(second as i64);
        let mut per_party = vec![String::new(); PARTIES];
        for (i, state) in initial.iter().enumerate() {
            let dt = second as f64;
            let north =
                state.motion.ground_speed_mps * state.motion.track_deg.to_radians().cos() * dt;
            let east =
                state.motion.ground_speed_mps * state.motion.track_deg.to_radians().sin() * dt;
            let lat = state.motion.lat_deg + (north / 6_371_000.0).to_degrees();
            let lon =
                state.motion.lon_deg + (east / (6_371_000.0 * lat.to_radians().cos())).to_degrees();
            let report = TrackReport {
                track_id: format!("t{i}"),
                motion: Motion {
                    time,
                    lat_deg: lat,
                    lon_deg: lon,
                    altitude_m: state.motion.altitude_m,
                    ground_speed_mps: state.motion.ground_speed_mps,
                    track_deg: state.motion.track_deg,
                    vertical_rate_mps: 0.0,
                },
                operation_id: None,
                callsign: None,
                domain: Default::default(),
                vessel: None,
            };
            let body = &mut per_party[i % PARTIES];
            body.push_str(&serde_json::to_string(&report).unwrap());
            body.push('\n');
        }
        bodies.push(per_party);
    }
    eprintln!(
        "prepared {} requests of {} reports",
        bodies.len() * PARTIES,
        TRACKS / PARTIES
    );

    for round in 0..ROUNDS {
        for server in &mut servers {
            let Served { base, tokens, .. } = &*server;
            let requests: Vec<(String, String)> = bodies
                [round * SECONDS_PER_ROUND..(round + 1) * SECONDS_PER_ROUND]
                .iter()
                .flat_map(|per_party| {
                    per_party
                        .iter()
                        .enumerate()
                        .map(|(p, body)| (tokens[p].clone(), body.clone()))
                })
                .collect();
            let queue = Arc::new(std::sync::Mutex::new(requests.into_iter()));
            let began = Instant::now();
            let mut workers = Vec::new();
            for _ in 0..CLIENTS {
                let queue = queue.clone();
                let client = client.clone();
                let url = format!("{base}/v1/positions");
                workers.push(tokio::spawn(async move {
                    let mut accepted = 0u64;
                    loop {
                        let next = queue.lock().unwrap().next();
                        let Some((token, body)) = next else { break };
                        let response: serde_json::Value = client
                            .post(&url)
                            .bearer_auth(token)
                            .header("content-type", "application/x-ndjson")
                            .body(body)
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        accepted += response["accepted"].as_u64().unwrap();
                    }
                    accepted
                }));
            }
            let mut accepted = 0;
            for worker in workers {
                accepted += worker.await.unwrap();
            }
            let elapsed = began.elapsed().as_secs_f64();
            let rate = accepted as f64 / elapsed;
            eprintln!(
                "{} round {round}: {accepted} reports in {elapsed:.2} s = {rate:.0} reports/s",
                server.label
            );
            assert_eq!(accepted as usize, TRACKS * SECONDS_PER_ROUND);
            server.rates.push(rate);
        }
    }
    println!(
        "ingest over HTTP NDJSON, {TRACKS} tracks, {CLIENTS} clients, detection on, {ROUNDS} rounds of {} reports per store, the stores in turn:",
        TRACKS * SECONDS_PER_ROUND
    );
    println!(
        "{:<18} {:>16} {:>12} {:>12}   last pass",
        "store", "median reports/s", "min", "max"
    );
    for server in &mut servers {
        let outcome = server.app.tactical_pass().unwrap();
        let rates = &mut server.rates;
        rates.sort_by(f64::total_cmp);
        println!(
            "{:<18} {:>16.0} {:>12.0} {:>12.0}   {} live tracks, {} conflicts",
            server.label,
            rates[rates.len() / 2],
            rates[0],
            rates[rates.len() - 1],
            outcome.live_tracks,
            outcome.tactical_conflicts
        );
    }
}
