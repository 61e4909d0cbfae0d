//! Bytes per stored position report, and ingest through the `App`, on realistic traffic (SPEC
//! §10: ≤ 40 bytes a report, ≥ 200,000 reports/s).
//!
//! 10,000 tracks of the engine's realistic traffic (`generate_traffic`), with ICAO-style hex ids
//! (random 24-bit addresses, not sequential ones, which would compress better than real ids)
//! and report times jittered by whole milliseconds within their second, each owned by one of
//! 10 parties, report once a second; each party's 1,000 reports of a second are one batch (one
//! `positions_reported` event), as one NDJSON request is in the `ingest` bench. 60 simulated
//! seconds (600,000 reports, 600 batches) are stored per encoding, each on a fresh SQLite file;
//! bytes per report is the file's growth (after the last connection closed and checkpointed the
//! WAL) over the reports. Rows:
//!
//! - `baseline`: the encoding before schema version 3: reports as received, payload stored as
//!   canonical JSON text (written through the store, as the version 2 decide built it);
//! - `raw + zstd`, `quantised + text`: each change alone;
//! - `quantised + zstd`: what the server does now, through `App::execute` (decide + append +
//!   apply), timed: five rounds of 12 simulated seconds (120,000 reports), median reports/s;
//! - the same with compression off (`quantised + text, through App`), timed the same way, so the
//!   cost of zstd shows beside it on a machine whatever its load;
//! - the same with callsigns on every report (7 characters), a heavier but common feed.
//!
//! Run: `cargo bench -p deconflict-server --bench storage`

use deconflict_engine::Motion;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use deconflict_engine::decide::{self, Actor, ReportWindow};
use deconflict_engine::tactical::traffic::generate_traffic;
use deconflict_engine::{Event, PartyId, Role, TrackReport};
use deconflict_server::{App, Config};
use deconflict_store::{EventLog, SqliteLog};
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

const TRACKS: usize = 10_000;
const PARTIES: usize = 10;
const SECONDS: usize = 60;
const ROUNDS: usize = 5;

/// Every second's reports, one batch per party: `[second][party]`.
type Traffic = Vec<Vec<Vec<TrackReport>>>;

fn traffic(start: DateTime<Utc>, callsigns: bool) -> Traffic {
    let initial = generate_traffic(TRACKS, 7, start);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let ids: Vec<String> = (0..TRACKS)
        .map(|_| format!("{:06x}", rng.random_range(0..0x100_0000u32)))
        .collect();
    let airlines = ["AFR", "DLH", "BAW", "RYR", "EZY", "KLM", "SAS", "IBE"];
    (0..SECONDS)
        .map(|second| {
            let mut per_party = vec![Vec::new(); PARTIES];
            for (i, state) in initial.iter().enumerate() {
                let dt = second as f64;
                let north =
                    state.motion.ground_speed_mps * state.motion.track_deg.to_radians().cos() * dt;
                let east =
                    state.motion.ground_speed_mps * state.motion.track_deg.to_radians().sin() * dt;
                let lat = state.motion.lat_deg + (north / 6_371_000.0).to_degrees();
                let lon = state.motion.lon_deg
                    + (east / (6_371_000.0 * lat.to_radians().cos())).to_degrees();
                let jitter_ms = rng.random_range(0..1_000);
                let altitude_m =
                    (state.motion.altitude_m + state.motion.vertical_rate_mps * dt).max(0.0);
                per_party[i % PARTIES].push(TrackReport {
                    track_id: ids[i].clone(),
                    motion: Motion {
                        time: start
                            + Duration::seconds(second as i64)
                            + Duration::milliseconds(jitter_ms),
                        lat_deg: lat,
                        lon_deg: lon,
                        altitude_m,
                        ground_speed_mps: state.motion.ground_speed_mps,
                        track_deg: state.motion.track_deg,
                        vertical_rate_mps: state.motion.vertical_rate_mps,
                    },
                    operation_id: None,
                    callsign: callsigns
                        .then(|| format!("{}{}", airlines[i % airlines.len()], 100 + i % 9_000)),
                    domain: Default::default(),
                    vessel: None,
                });
            }
            per_party
        })
        .collect()
}

/// CPU seconds this thread has used (user + system, from `/proc/thread-self/stat`, 10 ms
/// ticks): the ingest runs on one thread, so reports per CPU second is the rate on a core of
/// its own, whatever else the machine is doing. `None` off Linux.
fn thread_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn file_bytes(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Stores `traffic` through the store alone, as the version 2 `report_positions` built its
/// events (reports quantised or not), compressed or not; returns bytes per report.
fn stored_bytes_per_report(
    dir: &Path,
    name: &str,
    traffic: &Traffic,
    quantise: bool,
    compress: bool,
) -> f64 {
    let path = dir.join(format!("{name}.db"));
    let mut log = SqliteLog::open(&path).unwrap();
    log.set_compression(compress);
    drop(log);
    let empty = file_bytes(&path);
    let mut log = SqliteLog::open(&path).unwrap();
    log.set_compression(compress);
    let mut reports_stored = 0usize;
    for (second, per_party) in traffic.iter().enumerate() {
        for (party, batch) in per_party.iter().enumerate() {
            let reports: Vec<TrackReport> = match quantise {
                true => batch.iter().cloned().map(TrackReport::quantised).collect(),
                false => batch.clone(),
            };
            reports_stored += reports.len();
            let digest = hex::encode(Sha256::digest(
                deconflict_engine::track::compact::to_json_bytes(&reports),
            ));
            let event = Event::PositionsReported {
                owner: PartyId(format!("p{party}")),
                digest,
                reports,
            };
            log.append(vec![deconflict_server::app::new_event(
                traffic[second][0][0].motion.time,
                format!("p{party}"),
                &event,
            )])
            .unwrap();
        }
    }
    drop(log);
    (file_bytes(&path) - empty) as f64 / reports_stored as f64
}

/// Ingests `traffic` through `App::execute` (decide + append + apply) on a fresh file: bytes
/// per report, and the median reports/s of the rounds.
fn ingest_through_app(
    dir: &Path,
    name: &str,
    traffic: &Traffic,
    compress: bool,
) -> (f64, f64, f64, f64) {
    let path = dir.join(format!("{name}.db"));
    let start = traffic[0][0][0].motion.time;
    let clock_us = Arc::new(AtomicI64::new(start.timestamp_micros()));
    let reader = clock_us.clone();
    let mut config = Config::new(path.clone(), "storage-bench-admin-token".into());
    config.tactical_interval = None;
    config.retention_horizon = None;
    let window = ReportWindow::default();
    let mut log = SqliteLog::open(&path).unwrap();
    log.set_compression(compress);
    let app = App::with_log(
        config,
        Box::new(log),
        Arc::new(move || DateTime::from_timestamp_micros(reader.load(Ordering::SeqCst)).unwrap()),
    )
    .unwrap();
    for party in 0..PARTIES {
        let id = format!("p{party}");
        app.execute(
            &Actor::Admin,
            |state, _| {
                decide::register_party(state, &Actor::Admin, &id, &id, Role::Operator, id.clone())
            },
            |_, _| (),
        )
        .unwrap();
    }
    let before = file_bytes(&path) + file_bytes(&path.with_extension("db-wal"));
    let seconds_per_round = SECONDS / ROUNDS;
    let mut rates = Vec::new();
    let mut cpu_rates = Vec::new();
    for round in traffic.chunks(seconds_per_round) {
        let began = Instant::now();
        let began_cpu_s = thread_cpu_s();
        let mut accepted = 0usize;
        for per_party in round {
            clock_us.store(
                per_party[0][0].motion.time.timestamp_micros() + 500_000,
                Ordering::SeqCst,
            );
            for (party, batch) in per_party.iter().enumerate() {
                let owner = PartyId(format!("p{party}"));
                let reports: Vec<(usize, TrackReport)> =
                    batch.iter().cloned().enumerate().collect();
                accepted += app
                    .execute(
                        &Actor::Party(owner.clone()),
                        |state, now| {
                            Ok(decide::report_positions(
                                state,
                                &owner,
                                reports.clone(),
                                now,
                                &window,
                            ))
                        },
                        |_, (accepted, _)| accepted,
                    )
                    .unwrap();
            }
        }
        rates.push(accepted as f64 / began.elapsed().as_secs_f64());
        if let (Some(began), Some(ended)) = (began_cpu_s, thread_cpu_s()) {
            cpu_rates.push(accepted as f64 / (ended - began).max(0.01));
        }
    }
    cpu_rates.sort_by(f64::total_cmp);
    if let Some(median) = cpu_rates.get(cpu_rates.len() / 2) {
        println!(
            "{:<44} ({name}: median {median:.0} reports per CPU second of the ingesting thread)",
            ""
        );
    }
    drop(app);
    let after = file_bytes(&path) + file_bytes(&path.with_extension("db-wal"));
    rates.sort_by(f64::total_cmp);
    let reports = (TRACKS * SECONDS) as f64;
    (
        (after - before) as f64 / reports,
        rates[rates.len() / 2],
        rates[0],
        rates[rates.len() - 1],
    )
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let start: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
    let plain = traffic(start, false);
    let with_callsigns = traffic(start, true);
    eprintln!(
        "{TRACKS} tracks at 1 Hz, {PARTIES} parties, batches of {} reports, {SECONDS} s",
        TRACKS / PARTIES
    );
    let row = |label: &str, bytes: f64| println!("{label:<44} {bytes:>7.1} bytes/report");
    row(
        "baseline (as received, canonical JSON text)",
        stored_bytes_per_report(dir.path(), "baseline", &plain, false, false),
    );
    row(
        "as received + zstd",
        stored_bytes_per_report(dir.path(), "raw-zstd", &plain, false, true),
    );
    row(
        "quantised + text",
        stored_bytes_per_report(dir.path(), "quantised-text", &plain, true, false),
    );
    let (bytes, median, min, max) = ingest_through_app(dir.path(), "app-text", &plain, false);
    println!(
        "{:<44} {bytes:>7.1} bytes/report; ingest through App: median {median:.0} reports/s (min {min:.0}, max {max:.0})",
        "quantised + text, through App (no zstd)"
    );
    let (bytes, median, min, max) = ingest_through_app(dir.path(), "app", &plain, true);
    println!(
        "{:<44} {bytes:>7.1} bytes/report; ingest through App (decide + append + apply): median {median:.0} reports/s (min {min:.0}, max {max:.0})",
        "quantised + zstd (the server's path)"
    );
    row(
        "baseline with callsigns",
        stored_bytes_per_report(
            dir.path(),
            "baseline-callsigns",
            &with_callsigns,
            false,
            false,
        ),
    );
    let (bytes, median, min, max) =
        ingest_through_app(dir.path(), "app-callsigns", &with_callsigns, true);
    println!(
        "{:<44} {bytes:>7.1} bytes/report; ingest through App: median {median:.0} reports/s (min {min:.0}, max {max:.0})",
        "quantised + zstd with callsigns"
    );
}
