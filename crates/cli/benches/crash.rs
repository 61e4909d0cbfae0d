//! kill -9 under load, measured: how many writes a `deconflict serve` acknowledges under load
//! before it is killed with SIGKILL, how long the restart on its log takes (spawn to the first
//! `GET /readyz` 200), and how many acknowledged writes the restarted server lacks (it must be
//! none; the bench fails otherwise). On SQLite and PostgreSQL in the same run
//! (`DECONFLICT_BENCH_STORE`; by default both when `DECONFLICT_TEST_POSTGRES` names a server,
//! see `deconflict_store::testing::bench_backends`).
//!
//! The load and the check are the crash test's (`tests/support/crash.rs`): `WRITERS` threads
//! (default 4), one party each, in turn filing an operation and reporting a batch of 20
//! positions, over HTTP to the real binary. Each round: `LOAD_S` seconds (default 3) of load,
//! SIGKILL, `audit verify`, restart, check; the log grows from round to round. The stores take
//! turns (round 1 on each, then round 2 on each, …) so a noisy machine slows both alike; medians
//! over `ROUNDS` (default 5).
//!
//! Run: `cargo bench -p deconflict --bench crash` (with PostgreSQL: `source scripts/postgres.sh
//! && start_test_postgres` first).

#[path = "../tests/support/crash.rs"]
mod crash;
#[path = "../tests/support/store.rs"]
mod store;

use crash::{Load, Serve, Target};
use std::time::{Duration, Instant};
use store::Store;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One store's server and what was measured on it.
struct Run {
    name: &'static str,
    target: Target,
    server: Option<Serve>,
    tokens: Vec<String>,
    _store: Store,
    acknowledged: u64,
    rates: Vec<f64>,
    restarts_ms: Vec<f64>,
    lost: usize,
}

fn main() {
    let rounds = env_usize("ROUNDS", 5);
    let load = Duration::from_secs_f64(env_usize("LOAD_S", 3) as f64);
    let writers = env_usize("WRITERS", 4);
    let backends = deconflict_store::testing::bench_backends().unwrap_or_else(|error| {
        eprintln!("{error}");
        std::process::exit(2)
    });
    let mut runs: Vec<Run> = backends
        .iter()
        .map(|backend| {
            let store = match backend {
                deconflict_store::testing::Backend::Sqlite => Store::sqlite(),
                deconflict_store::testing::Backend::Postgres => Store::postgres("crash bench")
                    .expect("DECONFLICT_TEST_POSTGRES is set (checked by bench_backends)"),
            };
            let target = Target {
                bin: env!("CARGO_BIN_EXE_deconflict").into(),
                database: store.database(),
                signing_key: store.signing_key(),
                server_log: store.directory.path().join("server.log"),
            };
            let server = Serve::start(&target);
            let tokens = crash::register(&server.base, writers);
            Run {
                name: backend.name(),
                target,
                server: Some(server),
                tokens,
                _store: store,
                acknowledged: 0,
                rates: Vec::new(),
                restarts_ms: Vec::new(),
                lost: 0,
            }
        })
        .collect();
    for round in 0..rounds {
        for run in &mut runs {
            let server = run.server.take().unwrap();
            let began = Instant::now();
            let writing = Load::start(&server.base, &run.tokens, round * 1_000_000);
            std::thread::sleep(load);
            server.kill();
            let killed_after = began.elapsed().as_secs_f64();
            let acknowledged = writing.finish();
            let verified = crash::audit(&run.target).expect("the chain verifies after the kill");
            let server = Serve::start(&run.target);
            let lost = crash::lost(&server.base, &run.tokens, &acknowledged);
            let rate = acknowledged.requests as f64 / killed_after;
            eprintln!(
                "{} round {round}: {} writes acknowledged ({rate:.0}/s), killed; {verified}; \
                 restarted in {:.0} ms; {} lost",
                run.name,
                acknowledged.requests,
                server.ready.as_secs_f64() * 1e3,
                lost.count()
            );
            if lost.count() > 0 {
                eprintln!("{} lost: {lost:?}", run.name);
            }
            run.acknowledged += acknowledged.requests;
            run.rates.push(rate);
            run.restarts_ms.push(server.ready.as_secs_f64() * 1e3);
            run.lost += lost.count();
            run.server = Some(server);
        }
    }
    println!(
        "kill -9 under load: {writers} writers, {} s of load then SIGKILL, {rounds} rounds per store taken in turn:",
        load.as_secs_f64()
    );
    println!(
        "{:<10} {:>14} {:>18} {:>22} {:>6}",
        "store", "acknowledged", "median writes/s", "median restart ms", "lost"
    );
    for run in &runs {
        println!(
            "{:<10} {:>14} {:>18.0} {:>22.0} {:>6}",
            run.name,
            run.acknowledged,
            median(run.rates.clone()),
            median(run.restarts_ms.clone()),
            run.lost
        );
    }
    for run in &mut runs {
        if let Some(server) = run.server.take() {
            server.kill();
        }
    }
    let lost: usize = runs.iter().map(|run| run.lost).sum();
    assert_eq!(lost, 0, "acknowledged writes were lost");
}
