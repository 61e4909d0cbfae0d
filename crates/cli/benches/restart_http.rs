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
//! Run: `cargo bench -p deconflict-server --bench restart && cargo bench -p deconflict --bench
//! restart_http` (`EVENTS=1000000` for the smaller log, `SAMPLES`, `SETTLE_S`).

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

fn sample(database: &std::path::Path, settle: Duration) -> Sample {
    let address: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_deconflict"))
        .args(["serve", "--database"])
        .arg(database)
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
    let runs: Vec<Sample> = (0..samples)
        .map(|i| {
            let s = sample(&database, settle);
            eprintln!(
                "sample {i}: ready {:.0} ms, RSS {:.1} MiB at ready, {:.1} MiB after {} s",
                s.ready_s * 1e3,
                s.rss_ready,
                s.rss_settled,
                settle.as_secs()
            );
            s
        })
        .collect();
    let ready: Vec<f64> = runs.iter().map(|s| s.ready_s).collect();
    println!(
        "log: {events} events, {size_mib:.0} MiB at {}",
        database.display()
    );
    println!(
        "deconflict serve, spawn to GET /readyz 200: median {:.0} ms over {samples} (min {:.0}, max {:.0})",
        median(ready.clone()) * 1e3,
        ready.iter().cloned().fold(f64::MAX, f64::min) * 1e3,
        ready.iter().cloned().fold(0.0, f64::max) * 1e3
    );
    println!(
        "RSS at ready: median {:.1} MiB; after {} s serving: median {:.1} MiB",
        median(runs.iter().map(|s| s.rss_ready).collect()),
        settle.as_secs(),
        median(runs.iter().map(|s| s.rss_settled).collect()),
    );
}
