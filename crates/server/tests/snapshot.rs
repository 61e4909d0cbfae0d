//! Start-up from a snapshot (SPEC §8): a restart loads the newest usable snapshot and replays
//! only the events after it; a corrupt, mismatched or other-version snapshot is passed over
//! (for an older one, then a full replay) and the state is still the state of the whole log.

use chrono::{Duration, Utc};
use deconflict_engine::decide::{self, Actor};
use deconflict_engine::snapshot::{self, SnapshotPosition};
use deconflict_engine::Motion;
use deconflict_engine::{
    Domain, Event, MissionType, OperationSpec, PartyId, Role, State, TrackReport,
};
use deconflict_geometry::{FootprintSpec, Limits, Volume4dSpec};
use deconflict_server::{App, Config};
use deconflict_store::EventLog;
use std::path::Path;

mod common;
use std::sync::Arc;

fn open(database: &Path) -> App {
    let mut config = Config::new(database.to_path_buf(), "snapshot-test-admin-token".into());
    config.tactical_interval = None;
    // One key per database, found again on reopening, and never the working directory's.
    let name: String = (database.to_string_lossy().chars())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    config.signing_key = Some(std::env::temp_dir().join(format!("snapshot-{name}.signing-key")));
    App::with_log(
        config,
        Box::new(common::open_log(database)),
        Arc::new(Utc::now),
    )
    .unwrap()
}

fn party(id: &str) -> PartyId {
    PartyId(id.to_owned())
}

fn plan(lon: f64, minutes: i64) -> OperationSpec {
    let start = Utc::now();
    OperationSpec {
        priority: 0,
        mission_type: MissionType::Patrol,
        domain: Domain::Air,
        callsign: None,
        volumes: vec![Volume4dSpec {
            footprint: FootprintSpec::Circle {
                center: vec![lon, 35.0],
                radius_m: 5_000.0,
            },
            altitude_lower_m: 1_000.0,
            altitude_upper_m: 2_000.0,
            time_start: start,
            time_end: start + Duration::minutes(minutes),
        }],
    }
}

/// Parties registered, conflicting plans filed, tracks reported and a tactical pass run:
/// `round` names what is new.
fn busy(app: &App, round: usize) {
    if round == 0 {
        for id in ["blue", "red"] {
            app.execute(
                &Actor::Admin,
                |state, _| {
                    decide::register_party(state, &Actor::Admin, id, id, Role::Operator, id.into())
                },
                |_, _| (),
            )
            .unwrap();
        }
    }
    for (owner, lon) in [("blue", 36.0), ("red", 36.05)] {
        let id = format!("op{round}");
        app.execute(
            &Actor::Party(party(owner)),
            |state, now| {
                decide::file_operation(
                    state,
                    &party(owner),
                    &id,
                    plan(lon, 60),
                    None,
                    now,
                    &Limits::default(),
                    &decide::OperationHorizon::default(),
                )
            },
            |_, _| (),
        )
        .unwrap();
        let report = TrackReport {
            track_id: format!("{owner}-{round}"),
            motion: Motion {
                time: app.now(),
                lat_deg: 35.0,
                lon_deg: lon,
                altitude_m: 1_500.0,
                ground_speed_mps: 50.0,
                track_deg: if owner == "blue" { 90.0 } else { 270.0 },
                vertical_rate_mps: 0.0,
            },
            operation_id: Some(id.clone()),
            callsign: None,
            domain: Default::default(),
            vessel: None,
        };
        app.execute(
            &Actor::Party(party(owner)),
            |state, now| {
                Ok(decide::report_positions(
                    state,
                    &party(owner),
                    vec![(0, report.clone())],
                    now,
                    &Default::default(),
                ))
            },
            |_, _| (),
        )
        .unwrap();
    }
    app.tactical_pass().unwrap();
}

/// The state of the whole log, replayed from the first event, as snapshot bytes.
fn full_replay_bytes(database: &Path) -> Vec<u8> {
    let head = common::open_log(database).head().unwrap().unwrap().0;
    replay_bytes(database, head)
}

/// The state after the log's first `upto` events, replayed, as the snapshot bytes at `upto`.
fn replay_bytes(database: &Path, upto: u64) -> Vec<u8> {
    let log = common::open_log(database);
    let mut state = State::new();
    let mut after = 0;
    let mut head_hash = String::new();
    while after < upto {
        let page = log
            .read_from(after, 1_000.min((upto - after) as usize))
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        head_hash = last.hash.clone();
        for stored in page {
            state.apply(
                stored.time,
                &Event::from_parts(&stored.kind, stored.payload).unwrap(),
            );
        }
    }
    assert_eq!(after, upto, "the log has {upto} events");
    snapshot::encode(
        &state,
        &SnapshotPosition {
            seq: upto,
            head_hash,
        },
    )
    .unwrap()
}

/// The writer lock is held only while the body is encoded: snapshots taken while commands run
/// on another thread are still each exactly the state after their seq.
#[test]
fn snapshots_taken_while_commands_run_are_each_the_state_after_their_seq() {
    let dir = tempfile::tempdir().unwrap();
    let (database, _postgres) = common::test_database(dir.path());
    let app = Arc::new(open(&database));
    busy(&app, 0);
    let writer = {
        let app = app.clone();
        std::thread::spawn(move || {
            for round in 1..30 {
                busy(&app, round);
            }
        })
    };
    let mut taken = Vec::new();
    while !writer.is_finished() {
        if let Some(snapshot) = app.snapshot().unwrap() {
            taken.push(snapshot.seq);
        }
    }
    writer.join().unwrap();
    assert!(taken.len() >= 2, "snapshots taken meanwhile: {taken:?}");
    let log = common::open_log(&database);
    let mut below = u64::MAX;
    let mut checked = 0;
    while let Some((seq, bytes)) = log.snapshot_before(below).unwrap() {
        assert!(taken.contains(&seq));
        assert!(
            bytes == replay_bytes(&database, seq),
            "the snapshot at {seq} is the state after event {seq}"
        );
        below = seq;
        checked += 1;
    }
    assert!(checked >= 2, "the newest snapshots are kept");
    drop(app);
    assert_eq!(app_bytes(&open(&database)), full_replay_bytes(&database));
}

fn app_bytes(app: &App) -> Vec<u8> {
    let (seq, head_hash) = app.log_head().unwrap().unwrap();
    app.read(|state| snapshot::encode(state, &SnapshotPosition { seq, head_hash }).unwrap())
}

/// A log with snapshots after rounds 0 and 1 and events after both; returns their seqs.
fn log_with_two_snapshots(database: &Path) -> (u64, u64, u64) {
    let app = open(database);
    busy(&app, 0);
    let first = app.snapshot().unwrap().unwrap().seq;
    busy(&app, 1);
    let second = app.snapshot().unwrap().unwrap().seq;
    busy(&app, 2);
    let head = app.log_head().unwrap().unwrap().0;
    assert!(first < second && second < head);
    (first, second, head)
}

#[test]
fn a_restart_loads_the_latest_snapshot_and_replays_only_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let (database, _postgres) = common::test_database(dir.path());
    let (_, second, head) = log_with_two_snapshots(&database);
    let app = open(&database);
    assert_eq!(app.startup().snapshot_seq, Some(second));
    assert_eq!(app.startup().events_replayed, head - second);
    assert!(app.startup().refused.is_empty());
    assert_eq!(app.read(|state| state.events_applied()), head);
    assert_eq!(app_bytes(&app), full_replay_bytes(&database));
    assert!(
        app.read(|state| state.open_alert_count()) > 0,
        "the world has open alerts to compare"
    );
    // A snapshot at the head: the next start replays nothing.
    app.snapshot().unwrap().unwrap();
    assert_eq!(app.snapshot().unwrap(), None, "nothing new since");
    drop(app);
    let app = open(&database);
    assert_eq!(app.startup().snapshot_seq, Some(head));
    assert_eq!(app.startup().events_replayed, 0);
}

/// Replaces the stored snapshot at `seq` by `f` of it.
fn tamper(database: &Path, seq: u64, f: impl FnOnce(Vec<u8>) -> Vec<u8>) {
    let mut log = common::open_log(database);
    let (found, bytes) = log.snapshot_before(seq + 1).unwrap().unwrap();
    assert_eq!(found, seq);
    log.save_snapshot(seq, &f(bytes)).unwrap();
}

#[test]
fn a_corrupt_snapshot_falls_back_to_an_older_one_and_the_state_is_still_right() {
    let dir = tempfile::tempdir().unwrap();
    let (database, _postgres) = common::test_database(dir.path());
    let (first, second, head) = log_with_two_snapshots(&database);
    tamper(&database, second, |mut bytes| {
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x20;
        bytes
    });
    let app = open(&database);
    assert_eq!(app.startup().snapshot_seq, Some(first));
    assert_eq!(app.startup().events_replayed, head - first);
    assert_eq!(app.startup().refused.len(), 1);
    assert!(
        app.startup().refused[0].1.contains("digest"),
        "{:?}",
        app.startup().refused
    );
    assert_eq!(app_bytes(&app), full_replay_bytes(&database));
}

#[test]
fn with_every_snapshot_unusable_the_whole_log_is_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let (database, _postgres) = common::test_database(dir.path());
    let (first, second, head) = log_with_two_snapshots(&database);
    tamper(&database, second, |bytes| bytes[..bytes.len() - 1].to_vec());
    tamper(&database, first, |mut bytes| {
        // Another format version: not an error, replayed instead.
        bytes[8..12].copy_from_slice(&(snapshot::FORMAT_VERSION + 1).to_le_bytes());
        bytes
    });
    let app = open(&database);
    assert_eq!(app.startup().snapshot_seq, None);
    assert_eq!(app.startup().events_replayed, head);
    let reasons: Vec<_> = app.startup().refused.iter().map(|(s, _)| *s).collect();
    assert_eq!(reasons, [second, first]);
    assert!(app.startup().refused[1].1.contains("version"));
    assert_eq!(app_bytes(&app), full_replay_bytes(&database));
}

#[test]
fn a_snapshot_whose_head_hash_does_not_match_the_log_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (database, _postgres) = common::test_database(dir.path());
    let (first, second, head) = log_with_two_snapshots(&database);
    // A well-formed snapshot, digest and all, of the right state, claiming another chain.
    tamper(&database, second, |bytes| {
        let (position, state) = snapshot::decode(&bytes).unwrap();
        let forged = SnapshotPosition {
            head_hash: "ab".repeat(32),
            ..position
        };
        snapshot::encode(&state, &forged).unwrap()
    });
    let app = open(&database);
    assert_eq!(app.startup().snapshot_seq, Some(first));
    assert_eq!(app.startup().events_replayed, head - first);
    assert!(
        app.startup().refused[0].1.contains("head hash"),
        "{:?}",
        app.startup().refused
    );
    assert_eq!(app_bytes(&app), full_replay_bytes(&database));
}

#[test]
fn a_snapshot_is_due_after_the_configured_count_of_events() {
    let dir = tempfile::tempdir().unwrap();
    let (database, _postgres) = common::test_database(dir.path());
    let mut config = Config::new(database.clone(), "snapshot-test-admin-token".into());
    config.tactical_interval = None;
    config.snapshot_every_events = Some(4);
    config.snapshot_interval = None;
    let app = App::with_log(
        config,
        Box::new(common::open_log(&database)),
        Arc::new(Utc::now),
    )
    .unwrap();
    assert!(!app.snapshot_due(), "an empty log");
    busy(&app, 0);
    assert!(app.read(|state| state.events_applied()) >= 4);
    assert!(app.snapshot_due());
    app.snapshot().unwrap().unwrap();
    assert!(!app.snapshot_due(), "just taken");
}
