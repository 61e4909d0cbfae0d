//! Restart to `/readyz` over HTTP with a long log, the real binary (SPEC §10: ≤ 1 s with
//! 10,000,000 events; RSS after restart within 20 % of the steady state).
//!
//! The log is the one `cargo bench -p deconflict-server --bench restart` generates and caches
//! (`$TMPDIR/deconflict-restart-<EVENTS>.db`, 10,000,000 events by default, with a snapshot at
//! its head as a graceful shutdown leaves it): run that first. Each sample starts
//! `deconflict serve` on it as an operator would, polls `GET /readyz` every 2 ms from the moment
//! the process is spawned until it answers 200, reads the process's VmRSS then and again after
//! `SETTLE_S` seconds of serving (the 1 s passes running), and stops it with SIGTERM (which
//! snapshots the head again, so every sample starts the same way).
//!
//! On PostgreSQL too (`DECONFLICT_BENCH_STORE`; by default when `DECONFLICT_TEST_POSTGRES` names
//! a server, see `deconflict_store::testing::bench_backends`): the same log is moved into a
//! fresh database there with the binary's own `db export | db import` (chain verified both
//! ways, events as they are), then served once, which replays it whole (snapshots do not move;
//! timed and printed) and leaves a snapshot at its head when stopped, as on SQLite. The samples
//! then take turns, one on each store, so a noisy machine slows both alike.
//!
//! Run: `cargo bench -p deconflict-server --bench restart && cargo bench -p deconflict --bench
//! restart_http` (`EVENTS=1000000` for the smaller log, `SAMPLES`, `SETTLE_S`; with PostgreSQL:
//! `source scripts/postgres.sh && start_test_postgres` first).

#[path = "../tests/support/store.rs"]
mod store;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The status code of `GET /readyz`, or `None` while nothing listens.
fn readyz(address: SocketAddr) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(50)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

fn vm_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024.0
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(status.success(), "deconflict serve exited with {status}");
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct Sample {
    ready_s: f64,
    rss_ready: f64,
    rss_settled: f64,
}

/// One store's copy of the log: what `--database` takes and the signing key it uses.
struct Target {
    name: &'static str,
    database: PathBuf,
    signing_key: PathBuf,
    runs: Vec<Sample>,
    _store: Option<store::Store>,
}

fn sample(target: &Target, settle: Duration) -> Sample {
    let address: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_deconflict"))
        .args(["serve", "--database"])
        .arg(&target.database)
        .env("DECONFLICT_SIGNING_KEY", &target.signing_key)
        .args(["--listen", &address.to_string()])
        .env("DECONFLICT_ADMIN_TOKEN", "restart-http-bench-admin-token")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    loop {
        match readyz(address) {
            Some(200) => break,
            Some(_) | None => {
                assert!(
                    started.elapsed() < Duration::from_secs(600),
                    "not ready after 10 minutes"
                );
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
    let ready_s = started.elapsed().as_secs_f64();
    let rss_ready = vm_rss_mib(child.id());
    std::thread::sleep(settle);
    let rss_settled = vm_rss_mib(child.id());
    stop(child);
    Sample {
        ready_s,
        rss_ready,
        rss_settled,
    }
}

/// `deconflict ARGS --database DATABASE`, stdin from `input`, stdout to `output`.
fn db(
    args: &[&str],
    database: &std::path::Path,
    input: Option<&std::path::Path>,
    output: Option<&std::path::Path>,
) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_deconflict"));
    command.args(args).arg("--database").arg(database);
    if let Some(input) = input {
        command.stdin(std::fs::File::open(input).unwrap());
    }
    if let Some(output) = output {
        command.stdout(std::fs::File::create(output).unwrap());
    }
    let status = command.stderr(Stdio::inherit()).status().unwrap();
    assert!(status.success(), "deconflict {args:?} failed: {status}");
}

/// The log moved into a fresh PostgreSQL database and served once (the full replay, timed).
fn postgres_copy(sqlite: &std::path::Path, settle: Duration) -> Target {
    let store = store::Store::postgres("restart_http bench")
        .expect("DECONFLICT_TEST_POSTGRES is set (checked by bench_backends)");
    let exported = store.directory.path().join("log.ndjson");
    let started = Instant::now();
    db(&["db", "export"], sqlite, None, Some(&exported));
    let export_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    db(&["db", "import"], &store.database(), Some(&exported), None);
    let import_s = started.elapsed().as_secs_f64();
    let ndjson_mib = std::fs::metadata(&exported).unwrap().len() as f64 / (1 << 20) as f64;
    std::fs::remove_file(&exported).unwrap();
    let target = Target {
        name: "postgres",
        database: store.database(),
        signing_key: store.signing_key(),
        runs: Vec::new(),
        _store: Some(store),
    };
    let first = sample(&target, settle);
    eprintln!(
        "postgres: exported {ndjson_mib:.0} MiB of NDJSON in {export_s:.1} s, imported in {import_s:.1} s; \
         first start (full replay, no snapshot yet) ready in {:.1} s",
        first.ready_s
    );
    target
}

fn main() {
    // `cargo bench` passes `--bench`; this harness takes no arguments.
    let events = env_usize("EVENTS", 10_000_000);
    let samples = env_usize("SAMPLES", 5);
    let settle = Duration::from_secs(env_usize("SETTLE_S", 10) as u64);
    let database: PathBuf = std::env::temp_dir().join(format!("deconflict-restart-{events}.db"));
    if !database.exists() {
        eprintln!(
            "{} is missing: run `EVENTS={events} cargo bench -p deconflict-server --bench restart` first",
            database.display()
        );
        std::process::exit(1);
    }
    let size_mib = std::fs::metadata(&database).unwrap().len() as f64 / (1 << 20) as f64;
    let backends = deconflict_store::testing::bench_backends().unwrap_or_else(|error| {
        eprintln!("{error}");
        std::process::exit(2)
    });
    let mut targets: Vec<Target> = backends
        .iter()
        .map(|backend| match backend {
            deconflict_store::testing::Backend::Sqlite => Target {
                name: "sqlite",
                database: database.clone(),
                signing_key: PathBuf::from("unused-by-sqlite"),
                runs: Vec::new(),
                _store: None,
            },
            deconflict_store::testing::Backend::Postgres => postgres_copy(&database, settle),
        })
        .collect();
    for i in 0..samples {
        for target in &mut targets {
            let s = sample(target, settle);
            eprintln!(
                "{} sample {i}: ready {:.0} ms, RSS {:.1} MiB at ready, {:.1} MiB after {} s",
                target.name,
                s.ready_s * 1e3,
                s.rss_ready,
                s.rss_settled,
                settle.as_secs()
            );
            target.runs.push(s);
        }
    }
    println!(
        "log: {events} events, {size_mib:.0} MiB at {}",
        database.display()
    );
    println!("deconflict serve, spawn to GET /readyz 200, over {samples} samples per store taken in turn:");
    println!(
        "{:<10} {:>12} {:>10} {:>10} {:>16} {:>18}",
        "store",
        "median ms",
        "min ms",
        "max ms",
        "RSS ready MiB",
        format!("RSS after {} s", settle.as_secs())
    );
    for target in &targets {
        let ready: Vec<f64> = target.runs.iter().map(|s| s.ready_s).collect();
        println!(
            "{:<10} {:>12.0} {:>10.0} {:>10.0} {:>16.1} {:>18.1}",
            target.name,
            median(ready.clone()) * 1e3,
            ready.iter().cloned().fold(f64::MAX, f64::min) * 1e3,
            ready.iter().cloned().fold(0.0, f64::max) * 1e3,
            median(target.runs.iter().map(|s| s.rss_ready).collect()),
            median(target.runs.iter().map(|s| s.rss_settled).collect()),
        );
    }
}
