//! Restart with a long log (SPEC §10: ≤ 1 s to ready with 10,000,000 events; RSS after restart
//! within 20 % of the steady state).
//!
//! The log: `EVENTS` events (default 10,000,000) decided by the engine as the server would and
//! written through `SqliteLog::append` in batches of 10,000, on a simulated clock of a
//! millisecond per event: 4 parties, 2,000 tracks reporting once a second in batches of two
//! (`positions_reported`, nearly all the log), a plan filed every 5,000 events (conflicts and
//! their alerts among them), a message every 2,000, and every simulated minute the tactical
//! pass and the pass of time. At the end the state is snapshotted at the head, as a graceful
//! shutdown leaves it. The file is cached at `$TMPDIR/deconflict-restart-<EVENTS>.db`
//! (delete it to rebuild).
//!
//! Then, each in a fresh process (this binary run again), so one measurement's memory does not
//! count in the next:
//! - `open`: `App::open` to ready, from the snapshot (`SAMPLES` runs, median), and the VmRSS
//!   after it; then the steady state: 120 simulated seconds of the same traffic through
//!   `App::execute` with the 1 s passes, and VmRSS again, and a snapshot of it (how long the
//!   writer lock is held for its body and for storing it);
//! - `replay`: the full replay that start-up used to do, timed on the first `REPLAY_EVENTS`
//!   (default 500,000) events and extrapolated linearly to the whole log.
//!
//! Run: `cargo bench -p deconflict-server --bench restart` (`EVENTS=1000000` for a quicker run).

use chrono::{DateTime, Duration, TimeZone, Utc};
use deconflict_engine::decide::{self, Actor, Decision, NewMessage};
use deconflict_engine::Motion;
use deconflict_engine::{
    Domain, Event, MissionType, OperationSpec, PartyId, Priority, Role, State, TrackReport,
};
use deconflict_geometry::{FootprintSpec, Limits, Volume4dSpec};
use deconflict_server::app::Clock;
use deconflict_server::{App, Config};
use deconflict_store::{EventLog, NewEvent, SqliteLog};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

const PARTIES: [&str; 4] = ["blue", "red", "green", "gold"];
const TRACKS: usize = 2_000;
const REPORTS_PER_EVENT: usize = 2;
const APPEND_BATCH: usize = 10_000;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn party(i: usize) -> PartyId {
    PartyId(PARTIES[i % PARTIES.len()].to_owned())
}

/// Track `i` at simulated second `t`: flying east-west lines across the eastern Mediterranean.
fn report(i: usize, now: DateTime<Utc>) -> TrackReport {
    let t = (now - t0()).num_milliseconds() as f64 / 1e3;
    let lane = (i % 200) as f64;
    let direction = if i.is_multiple_of(2) { 1.0 } else { -1.0 };
    TrackReport {
        track_id: format!("trk{i:05}"),
        motion: Motion {
            time: now,
            lat_deg: 31.0 + lane * 0.04,
            lon_deg: 30.0 + ((i / 200) as f64 * 1.3 + direction * t * 0.002).rem_euclid(14.0),
            altitude_m: 3_000.0 + (i % 7) as f64 * 300.0,
            ground_speed_mps: 180.0,
            track_deg: if direction > 0.0 { 90.0 } else { 270.0 },
            vertical_rate_mps: 0.0,
        },
        operation_id: None,
        callsign: Some(format!("C{i}")),
        domain: Default::default(),
        vessel: None,
    }
}

fn plan(n: usize, now: DateTime<Utc>) -> OperationSpec {
    OperationSpec {
        mission_type: MissionType::Patrol,
        domain: Domain::Air,
        callsign: None,
        priority: 0,
        volumes: vec![Volume4dSpec {
            footprint: FootprintSpec::Circle {
                center: vec![30.0 + (n % 97) as f64 * 0.15, 31.0 + (n % 53) as f64 * 0.15],
                radius_m: 8_000.0,
            },
            altitude_lower_m: 1_000.0,
            altitude_upper_m: 4_000.0,
            time_start: now + Duration::minutes(10),
            time_end: now + Duration::minutes(70),
        }],
    }
}

/// The engine's state and the batch being written, on the simulated clock.
struct Writer {
    state: State,
    log: SqliteLog,
    pending: Vec<NewEvent>,
    written: usize,
}

impl Writer {
    fn commit<T>(&mut self, now: DateTime<Utc>, actor: &Actor, decision: Decision<T>) {
        for event in decision.events {
            self.state.apply(now, &event);
            self.pending.push(deconflict_server::app::new_event(
                now,
                actor.log_name(),
                &event,
            ));
        }
        if self.pending.len() >= APPEND_BATCH {
            self.flush();
        }
    }

    /// Appends what is pending in batches the store accepts (a pass may decide more).
    fn flush(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        while !pending.is_empty() {
            let rest = pending.split_off(pending.len().min(APPEND_BATCH));
            self.written += pending.len();
            self.log.append(pending).expect("append");
            pending = rest;
        }
    }
}

fn generate(path: &Path, events: usize) {
    let started = Instant::now();
    let mut w = Writer {
        state: State::new(),
        log: SqliteLog::open(path).unwrap(),
        pending: Vec::new(),
        written: 0,
    };
    let mut now = t0();
    for (i, id) in PARTIES.iter().enumerate() {
        let d = decide::register_party(
            &w.state,
            &Actor::Admin,
            id,
            id,
            Role::Operator,
            format!("hash-{i}"),
        )
        .unwrap();
        w.commit(now, &Actor::Admin, d);
    }
    let mut n = 0usize;
    let mut next_minute = now + Duration::minutes(1);
    while w.written + w.pending.len() < events {
        n += 1;
        now += Duration::milliseconds(1);
        // Party k owns the tracks i with i % 4 == k and reports two of them per event.
        let k = n % PARTIES.len();
        let owner = party(k);
        let per_party = TRACKS / PARTIES.len();
        let first = (n / PARTIES.len() * REPORTS_PER_EVENT) % per_party;
        let reports: Vec<_> = (first..first + REPORTS_PER_EVENT)
            .map(|j| report((j % per_party) * PARTIES.len() + k, now))
            .enumerate()
            .collect();
        let d = decide::report_positions(&w.state, &owner, reports, now, &Default::default());
        w.commit(now, &Actor::Party(owner.clone()), d);
        if n.is_multiple_of(5_000) {
            let d = decide::file_operation(
                &w.state,
                &owner,
                &format!("op{n}"),
                plan(n / 5_000, now),
                None,
                now,
                &Limits::default(),
                &decide::OperationHorizon::default(),
            )
            .unwrap();
            w.commit(now, &Actor::Party(owner.clone()), d);
        }
        if n.is_multiple_of(2_000) {
            let message = NewMessage {
                to: vec![party(k + 1)],
                priority: Priority::Routine,
                text: format!("message {n}"),
                reference: None,
            };
            let d = decide::send_message(&w.state, &owner, message, now).unwrap();
            w.commit(now, &Actor::Party(owner.clone()), d);
        }
        if now >= next_minute {
            next_minute += Duration::minutes(1);
            let d = decide::tactical_pass(&w.state, now);
            w.commit(now, &Actor::System, d);
            let d = decide::time_pass(&w.state, now);
            w.commit(now, &Actor::System, d);
        }
        if n.is_multiple_of(1_000_000) {
            eprintln!(
                "  {} events, {:.0} s",
                w.written + w.pending.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    w.flush();
    // A graceful shutdown leaves a snapshot at the head.
    let (seq, head_hash) = w.log.head().unwrap().unwrap();
    let position = deconflict_engine::snapshot::SnapshotPosition { seq, head_hash };
    let encoding = Instant::now();
    let bytes = deconflict_engine::snapshot::encode(&w.state, &position).unwrap();
    let encode_ms = encoding.elapsed().as_secs_f64() * 1e3;
    w.log.save_snapshot(seq, &bytes).unwrap();
    let store_ms = encoding.elapsed().as_secs_f64() * 1e3 - encode_ms;
    eprintln!(
        "generated {} events in {:.0} s: {} tracks, {} operations, {} alerts ({} open), \
         snapshot {} bytes encoded in {encode_ms:.1} ms, stored in {store_ms:.1} ms",
        seq,
        started.elapsed().as_secs_f64(),
        w.state.track_count(),
        w.state.operations().count(),
        w.state.alerts().count(),
        w.state.open_alert_count(),
        bytes.len()
    );
}

fn vm_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024.0
}

/// One start-up from the snapshot, then (with `steady`) 120 simulated seconds of traffic.
fn child_open(path: &Path, steady: bool) {
    let clock_ms = Arc::new(AtomicI64::new(0));
    let started = Instant::now();
    let mut config = Config::new(path.to_path_buf(), "restart-bench-admin-token".into());
    config.tactical_interval = None;
    let log = SqliteLog::open(path).unwrap();
    let clock: Clock = {
        let ms = clock_ms.clone();
        Arc::new(move || {
            DateTime::<Utc>::from_timestamp_millis(ms.load(Ordering::Relaxed)).unwrap()
        })
    };
    let app = App::with_log(config, Box::new(log), clock).unwrap();
    let ready_s = started.elapsed().as_secs_f64();
    let head = app.log_head().unwrap().unwrap().0;
    let rss_ready = vm_rss_mib();
    println!(
        "open {ready_s:.4} rss {rss_ready:.1} snapshot {:?} replayed {} head {head}",
        app.startup().snapshot_seq,
        app.startup().events_replayed
    );
    if !steady {
        return;
    }
    let start_ms = app.read(|state| {
        state
            .tracks()
            .map(|t| t.motion().time.timestamp_millis())
            .max()
            .unwrap_or(0)
    });
    for second in 1..=120i64 {
        clock_ms.store(start_ms + second * 1_000, Ordering::Relaxed);
        for (k, owner) in PARTIES.iter().enumerate() {
            let owner = PartyId((*owner).to_owned());
            app.execute(
                &Actor::Party(owner.clone()),
                |state, now| {
                    let reports = (0..TRACKS)
                        .filter(|i| i % PARTIES.len() == k)
                        .map(|i| report(i, now))
                        .filter(|r| state.track(&r.track_id).is_none_or(|t| *t.owner == owner))
                        .enumerate()
                        .collect();
                    Ok(decide::report_positions(
                        state,
                        &owner,
                        reports,
                        now,
                        &Default::default(),
                    ))
                },
                |_, _| (),
            )
            .unwrap();
        }
        app.tactical_pass().unwrap();
        app.time_pass().unwrap();
    }
    let steady_rss = vm_rss_mib();
    // A snapshot of the steady state, as the server takes one every 100,000 events: how long
    // commands wait for it (the writer lock is held for the body, then for the store).
    let taken = app
        .snapshot()
        .unwrap()
        .expect("events were logged since start-up");
    println!(
        "snapshot of the steady state: {} bytes; writer lock held {:.1} ms for the body and {:.1} ms for the store; digest and header {:.1} ms without it",
        taken.bytes,
        taken.body_s * 1e3,
        taken.store_s * 1e3,
        (taken.encode_s - taken.body_s) * 1e3
    );
    println!("steady rss {steady_rss:.1}");
}

/// The full replay of the first `count` events, as start-up did without a snapshot.
fn child_replay(path: &Path, count: usize) {
    let log = SqliteLog::open(path).unwrap();
    let started = Instant::now();
    let mut state = State::new();
    let mut after = 0;
    while (after as usize) < count {
        let page = log.read_from(after, 10_000).unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for stored in page {
            let event = Event::from_parts(&stored.kind, stored.payload).unwrap();
            state.apply(stored.time, &event);
        }
    }
    println!(
        "replay {after} {:.4} rss {:.1}",
        started.elapsed().as_secs_f64(),
        vm_rss_mib()
    );
}

fn run_child(args: &[&str]) -> String {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(args)
        .env("RESTART_CHILD", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn field(line: &str, name: &str) -> f64 {
    let words: Vec<_> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == name).unwrap();
    words[at + 1].parse().unwrap()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if std::env::var_os("RESTART_CHILD").is_some() {
        let path = PathBuf::from(&args[2]);
        match args[1].as_str() {
            "open" => child_open(&path, false),
            "steady" => child_open(&path, true),
            "replay" => child_replay(&path, args[3].parse().unwrap()),
            other => panic!("unknown child {other}"),
        }
        return;
    }
    let events = env_usize("EVENTS", 10_000_000);
    let samples = env_usize("SAMPLES", 5);
    let replay_events = env_usize("REPLAY_EVENTS", 500_000).min(events);
    let path = std::env::temp_dir().join(format!("deconflict-restart-{events}.db"));
    if !path.exists() {
        eprintln!("generating {} ({events} events)", path.display());
        let partial = path.with_extension("partial");
        let _ = std::fs::remove_file(&partial);
        generate(&partial, events);
        std::fs::rename(&partial, &path).unwrap();
        for suffix in ["-wal", "-shm", ".signing-key"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
        }
    }
    let size_mib = std::fs::metadata(&path).unwrap().len() as f64 / (1 << 20) as f64;
    let path_arg = path.to_str().unwrap();
    let mut open_s = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..samples {
        let line = run_child(&["open", path_arg]);
        open_s.push(field(&line, "open"));
        rss.push(field(&line, "rss"));
        eprint!("{line}");
    }
    let steady = run_child(&["steady", path_arg]);
    eprint!("{steady}");
    let steady_rss = field(steady.lines().last().unwrap(), "rss");
    let after_open_rss = field(steady.lines().next().unwrap(), "rss");
    let replay = run_child(&["replay", path_arg, &replay_events.to_string()]);
    eprint!("{replay}");
    let replayed = field(&replay, "replay");
    let replay_s = replay
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse::<f64>()
        .unwrap();
    println!(
        "log: {events} events, {size_mib:.0} MiB at {}",
        path.display()
    );
    println!(
        "restart from the snapshot to ready: median {:.0} ms over {samples} (min {:.0}, max {:.0})",
        median(open_s.clone()) * 1e3,
        open_s.iter().cloned().fold(f64::MAX, f64::min) * 1e3,
        open_s.iter().cloned().fold(0.0, f64::max) * 1e3
    );
    println!(
        "full replay: {replayed} events in {replay_s:.2} s, i.e. {:.1} s for {events} (extrapolated)",
        replay_s * events as f64 / replayed
    );
    println!(
        "RSS after restart: median {:.0} MiB; steady state (120 s of traffic and passes after it): {:.0} MiB (that run's restart: {:.0} MiB); restart/steady = {:.2}",
        median(rss),
        steady_rss,
        after_open_rss,
        after_open_rss / steady_rss
    );
}
