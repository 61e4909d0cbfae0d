//! A `deconflict serve` under write load, killed with SIGKILL in the middle of it, restarted,
//! and checked for every acknowledged write: shared by the crash test (`tests/crash.rs`) and
//! the crash bench (`benches/crash.rs`), so both exercise the same thing.
//!
//! The load: `writers` threads, one party each, in turn filing a new operation (`PUT
//! /v1/operations/{id}`, acknowledged by its 201) and reporting a batch of positions of the
//! party's tracks (`POST /v1/positions`, acknowledged by a 200 that accepted every report),
//! until a request fails (the server is gone). A write is acknowledged only when its response
//! arrived; one cut off by the kill may or may not be in the log, both are fine. After the
//! restart every acknowledged operation must be listed by its owner, and every acknowledged
//! report's track must be at that report's time or later.
#![allow(dead_code)] // the test and the bench use different parts

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const ADMIN: &str = "crash-admin-token-0123456789";

/// Reports in each positions batch (one per track of the party).
pub const TRACKS_PER_WRITER: usize = 20;

/// A running `deconflict serve`.
pub struct Serve {
    child: Child,
    pub base: String,
    /// Spawn to the first `GET /readyz` 200.
    pub ready: Duration,
}

/// Where to find the log, the key and the binary.
pub struct Target {
    pub bin: PathBuf,
    /// What `--database` takes: a file or a PostgreSQL URL.
    pub database: PathBuf,
    /// `DECONFLICT_SIGNING_KEY` (used by PostgreSQL; an SQLite log keeps its key beside it).
    pub signing_key: PathBuf,
    /// The server's stderr is appended here (shown if it fails to get ready).
    pub server_log: PathBuf,
}

fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The status of `GET /readyz`, or `None` while nothing answers.
fn readyz(address: SocketAddr) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(50)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: crash\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

impl Serve {
    /// Spawns `deconflict serve` on a free port and returns once `/readyz` answers 200.
    pub fn start(target: &Target) -> Serve {
        let address = free_address();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&target.server_log)
            .unwrap();
        let started = Instant::now();
        let mut child = Command::new(&target.bin)
            .args(["serve", "--listen", &address.to_string(), "--database"])
            .arg(&target.database)
            .env("DECONFLICT_ADMIN_TOKEN", ADMIN)
            .env("DECONFLICT_SIGNING_KEY", &target.signing_key)
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        loop {
            if readyz(address) == Some(200) {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "deconflict serve exited with {status}: {}",
                    std::fs::read_to_string(&target.server_log).unwrap_or_default()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "not ready after 5 minutes"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        Serve {
            child,
            base: format!("http://{address}"),
            ready: started.elapsed(),
        }
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Registers parties `w0`, `w1`, … and returns their tokens.
pub fn register(base: &str, parties: usize) -> Vec<String> {
    let client = Client::new();
    (0..parties)
        .map(|w| {
            let response = client
                .post(format!("{base}/v1/parties"))
                .bearer_auth(ADMIN)
                .json(&json!({"id": format!("w{w}"), "name": format!("writer {w}"), "role": "operator"}))
                .send()
                .unwrap();
            assert_eq!(response.status(), 201);
            let body: Value = response.json().unwrap();
            body["token"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// What the server acknowledged.
#[derive(Default, Debug)]
pub struct Acknowledged {
    /// (writer, operation id).
    pub operations: BTreeSet<(usize, String)>,
    /// (writer, track id) → the time of its newest acknowledged report.
    pub tracks: BTreeMap<(usize, String), DateTime<Utc>>,
    /// Acknowledged requests (each operation, each batch of positions).
    pub requests: u64,
}

impl Acknowledged {
    fn merge(&mut self, other: Acknowledged) {
        self.operations.extend(other.operations);
        self.tracks.extend(other.tracks);
        self.requests += other.requests;
    }
}

/// Writers at work; [`Load::stop`] ends them (they end by themselves when the server dies).
pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<Acknowledged>>,
}

/// The operation writer `w` files as its `n`-th, for the hour from `start`: a 300 m circle on a
/// grid of its own, so plans rarely conflict.
fn operation(w: usize, n: usize, start: DateTime<Utc>) -> Value {
    let lon = 20.0 + (n % 100) as f64 * 0.02;
    let lat = 30.0 + w as f64 * 0.5 + (n / 100 % 20) as f64 * 0.02;
    json!({
        "mission_type": "patrol", "domain": "air",
        "volumes": [{
            "footprint": {"type": "Circle", "center": [lon, lat], "radius_m": 300},
            "altitude_lower_m": 1000, "altitude_upper_m": 2000,
            "time_start": start, "time_end": start + TimeDelta::hours(1)
        }]
    })
}

/// One batch of writer `w`'s tracks at `time`: parallel lines 5 km apart, far from others'.
fn positions(w: usize, time: DateTime<Utc>) -> String {
    let mut body = String::new();
    for k in 0..TRACKS_PER_WRITER {
        let report = json!({
            "track_id": format!("w{w}t{k}"),
            "time": time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "lat_deg": 30.0 + w as f64 * 0.5 + k as f64 * 0.05,
            "lon_deg": 40.0,
            "altitude_m": 3000.0,
            "ground_speed_mps": 0.0,
            "track_deg": 90.0,
            "vertical_rate_mps": 0.0
        });
        body.push_str(&report.to_string());
        body.push('\n');
    }
    body
}

impl Load {
    /// Starts `tokens.len()` writers against `base`, writer `w` as the party of `tokens[w]`;
    /// `first` numbers its operations from (so rounds on one log do not reuse ids).
    pub fn start(base: &str, tokens: &[String], first: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = tokens
            .iter()
            .enumerate()
            .map(|(w, token)| {
                let (base, token, stop) = (base.to_owned(), token.clone(), stop.clone());
                std::thread::spawn(move || write(&base, w, &token, first, &stop))
            })
            .collect();
        Load { stop, threads }
    }

    /// Waits for the writers (after the kill, or asks them to stop) and merges what they got.
    pub fn finish(self) -> Acknowledged {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Acknowledged::default();
        for thread in self.threads {
            all.merge(thread.join().expect("a writer panicked"));
        }
        all
    }
}

fn write(base: &str, w: usize, token: &str, first: usize, stop: &AtomicBool) -> Acknowledged {
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut acknowledged = Acknowledged::default();
    let mut last = Utc::now() - TimeDelta::seconds(1);
    // Tomorrow, well within the server's filing horizon.
    let start = DateTime::from_timestamp(Utc::now().timestamp() / 3_600 * 3_600, 0).unwrap()
        + TimeDelta::days(1);
    for n in first.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let id = format!("w{w}op{n}");
        let Ok(response) = client
            .put(format!("{base}/v1/operations/{id}"))
            .bearer_auth(token)
            .json(&operation(w, n, start))
            .send()
        else {
            break; // the server is gone: this write was not acknowledged
        };
        let status = response.status();
        let Ok(body) = response.text() else { break };
        assert_eq!(status, 201, "{body}");
        acknowledged.operations.insert((w, id));
        acknowledged.requests += 1;

        // Whole milliseconds (what the server keeps), strictly after the previous batch.
        let now = DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
        let time = now.max(last + TimeDelta::milliseconds(1));
        last = time;
        let Ok(response) = client
            .post(format!("{base}/v1/positions"))
            .bearer_auth(token)
            .header("content-type", "application/x-ndjson")
            .body(positions(w, time))
            .send()
        else {
            break;
        };
        let status = response.status();
        let Ok(body) = response.text() else { break };
        assert_eq!(status, 200, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["accepted"], TRACKS_PER_WRITER, "{body}");
        for k in 0..TRACKS_PER_WRITER {
            acknowledged.tracks.insert((w, format!("w{w}t{k}")), time);
        }
        acknowledged.requests += 1;
    }
    acknowledged
}

/// What a restarted server does not have of what was acknowledged.
#[derive(Debug, Default)]
pub struct Lost {
    pub operations: Vec<(usize, String)>,
    pub tracks: Vec<LostReport>,
}

/// A track whose acknowledged report the restarted server does not have.
#[derive(Debug)]
pub struct LostReport {
    pub writer: usize,
    pub track: String,
    pub acknowledged: DateTime<Utc>,
    /// The time of the track's report on the restarted server, if it knows the track.
    pub found: Option<DateTime<Utc>>,
}

impl Lost {
    pub fn count(&self) -> usize {
        self.operations.len() + self.tracks.len()
    }
}

/// Asks the server at `base` for everything in `acknowledged`, as each writer's party.
pub fn lost(base: &str, tokens: &[String], acknowledged: &Acknowledged) -> Lost {
    let client = Client::new();
    let mut lost = Lost::default();
    for (w, token) in tokens.iter().enumerate() {
        let get = |path: &str| -> Value {
            let response = client
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json().unwrap()
        };
        let operations = get("/v1/operations");
        let filed: BTreeSet<&str> = operations["operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|operation| operation["id"].as_str().unwrap())
            .collect();
        lost.operations.extend(
            acknowledged
                .operations
                .iter()
                .filter(|(writer, id)| *writer == w && !filed.contains(id.as_str()))
                .cloned(),
        );
        let tracks = get("/v1/tracks");
        let times: BTreeMap<&str, DateTime<Utc>> = tracks["tracks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|track| {
                (
                    track["report"]["track_id"].as_str().unwrap(),
                    track["report"]["time"].as_str().unwrap().parse().unwrap(),
                )
            })
            .collect();
        for ((writer, track), time) in &acknowledged.tracks {
            if *writer != w {
                continue;
            }
            let found = times.get(track.as_str()).copied();
            if found.is_none_or(|found| found < *time) {
                lost.tracks.push(LostReport {
                    writer: w,
                    track: track.clone(),
                    acknowledged: *time,
                    found,
                });
            }
        }
    }
    lost
}

/// `deconflict audit verify` on the log: `Ok(summary)` if the chain verifies.
pub fn audit(target: &Target) -> Result<String, String> {
    let output = Command::new(&target.bin)
        .args(["audit", "verify", "--database"])
        .arg(&target.database)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    match output.status.success() {
        true => Ok(stdout),
        false => Err(stdout + &String::from_utf8_lossy(&output.stderr)),
    }
}
