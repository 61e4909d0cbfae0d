//! Retention end to end: a log whose old position batches were pruned by the server's retention
//! task replays to the same state as the whole log, verifies, and still gives receipts. Each
//! test runs on SQLite and on PostgreSQL (a fresh database on the server
//! `DECONFLICT_TEST_POSTGRES` names: skipped with a line on stderr when it is unset, a failure
//! under `CI=true`; see `deconflict_store::testing`), in this one test binary.

use deconflict_engine::Motion;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use deconflict_engine::decide::{self, Actor};
use deconflict_engine::{PartyId, Role, State, TrackReport};
use deconflict_server::{retention, App, Config};
use deconflict_store::testing::TestDatabase;
use deconflict_store::{AnyLog, Database, EventLog};

const START: &str = "2030-01-01T00:00:00Z";

/// Where one test's logs live: SQLite files in a temporary directory, or fresh databases on
/// the test PostgreSQL server (dropped with this value). The signing key is a file in the
/// directory either way, so every open of a log signs with the same key.
struct Logs {
    dir: tempfile::TempDir,
    /// `None`: SQLite. Else the databases made so far, of which `handed` were handed out.
    postgres: Option<Vec<TestDatabase>>,
    handed: usize,
}

impl Logs {
    fn sqlite() -> Logs {
        Logs {
            dir: tempfile::tempdir().unwrap(),
            postgres: None,
            handed: 0,
        }
    }

    /// `None` (after a line on stderr) when no test server is configured.
    fn postgres(test: &str) -> Option<Logs> {
        let first = TestDatabase::create(test)?;
        Some(Logs {
            dir: tempfile::tempdir().unwrap(),
            postgres: Some(vec![first]),
            handed: 0,
        })
    }

    fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// A new empty log's location: `<name>.db` in the directory, or a new database.
    fn database(&mut self, name: &str) -> PathBuf {
        let Some(databases) = &mut self.postgres else {
            return self.dir.path().join(format!("{name}.db"));
        };
        if self.handed == databases.len() {
            databases.push(TestDatabase::create(name).expect("the test server is configured"));
        }
        self.handed += 1;
        PathBuf::from(databases[self.handed - 1].url())
    }

    /// The server's settings for the log at `database`, with this test's signing key.
    fn config(&self, database: &Path) -> Config {
        let mut config = Config::new(database.to_path_buf(), "retention-admin-token".into());
        config.signing_key = Some(self.dir.path().join("test.signing-key"));
        config
    }

    /// A copy of the log at `from`: the file as it is on SQLite; on PostgreSQL its events
    /// imported as they are (`db import`: verified, never re-hashed) into a new database.
    fn copy(&mut self, from: &Path, name: &str) -> PathBuf {
        let to = self.database(name);
        if self.is_postgres() {
            let events = open(from).read_from(0, 1_000_000).unwrap();
            AnyLog::open(&Database::from_path(&to))
                .unwrap()
                .import(events)
                .unwrap();
        } else {
            std::fs::copy(from, &to).unwrap();
        }
        to
    }
}

fn open(database: &Path) -> AnyLog {
    AnyLog::open(&Database::from_path(database)).unwrap()
}

fn open_read_only(database: &Path) -> AnyLog {
    AnyLog::open_read_only(&Database::from_path(database)).unwrap()
}

struct Harness {
    app: App,
    clock_us: Arc<AtomicI64>,
}

impl Harness {
    fn open(logs: &Logs, database: &Path) -> Harness {
        Self::open_with(logs, database, |_| {})
    }

    fn open_with(logs: &Logs, database: &Path, configure: impl FnOnce(&mut Config)) -> Harness {
        let start: DateTime<Utc> = START.parse().unwrap();
        let clock_us = Arc::new(AtomicI64::new(start.timestamp_micros()));
        let reader = clock_us.clone();
        let mut config = logs.config(database);
        config.tactical_interval = None;
        configure(&mut config);
        let log = open(database);
        let clock = Arc::new(move || {
            DateTime::from_timestamp_micros(reader.load(Ordering::SeqCst)).unwrap()
        });
        let app = App::with_log(config, Box::new(log), clock).unwrap();
        Harness { app, clock_us }
    }

    fn advance(&self, by: TimeDelta) {
        self.clock_us
            .fetch_add(by.num_microseconds().unwrap(), Ordering::SeqCst);
    }

    fn register(&self, party: &str) {
        self.app
            .execute(
                &Actor::Admin,
                |state, _| {
                    decide::register_party(
                        state,
                        &Actor::Admin,
                        party,
                        party,
                        Role::Operator,
                        format!("hash-of-{party}"),
                    )
                },
                |_, _| (),
            )
            .unwrap();
    }

    /// `party` reports `track` as of `time`, somewhere by the id; refused reports are fine.
    fn try_report(&self, party: &str, track: &str, time: DateTime<Utc>) {
        let owner = PartyId(party.into());
        let east_m = f64::from(track.as_bytes()[1]) * 1_000.0;
        let report = TrackReport {
            track_id: track.into(),
            motion: Motion {
                time,
                lat_deg: 50.0,
                lon_deg: 10.0 + east_m / 71_500.0,
                altitude_m: 3_000.0,
                ground_speed_mps: 150.0,
                track_deg: 90.0,
                vertical_rate_mps: 0.0,
            },
            operation_id: None,
            callsign: None,
            domain: Default::default(),
            vessel: None,
        };
        let window = self.app.config.report_window;
        self.app
            .execute(
                &Actor::Party(owner.clone()),
                |state, now| {
                    Ok(decide::report_positions(
                        state,
                        &owner,
                        vec![(0, report.clone())],
                        now,
                        &window,
                    ))
                },
                |_, _| (),
            )
            .unwrap();
    }

    /// `party` reports `track` at `east_m` metres east of 10° E on 50° N, flying `track_deg`.
    fn report(&self, party: &str, track: &str, east_m: f64, track_deg: f64) {
        let owner = PartyId(party.into());
        let report = TrackReport {
            track_id: track.into(),
            motion: Motion {
                time: self.app.now(),
                lat_deg: 50.000_012_345_678,
                lon_deg: 10.0 + east_m / 71_500.0,
                altitude_m: 3_000.123_456,
                ground_speed_mps: 180.0,
                track_deg,
                vertical_rate_mps: 0.0,
            },
            operation_id: None,
            callsign: Some("TEST1".into()),
            domain: Default::default(),
            vessel: None,
        };
        let window = self.app.config.report_window;
        self.app
            .execute(
                &Actor::Party(owner.clone()),
                |state, now| {
                    Ok(decide::report_positions(
                        state,
                        &owner,
                        vec![(0, report.clone())],
                        now,
                        &window,
                    ))
                },
                |_, (accepted, _)| assert_eq!(accepted, 1),
            )
            .unwrap();
    }

    /// A minute of two aircraft closing head on, a pass a second; then silence until lost.
    fn encounter(&self, (a, track_a): (&str, &str), (b, track_b): (&str, &str)) {
        for second in 0..60 {
            let flown_m = 180.0 * f64::from(second);
            self.report(a, track_a, -8_000.0 + flown_m, 90.0);
            self.report(b, track_b, 8_000.0 - flown_m, 270.0);
            self.app.tactical_pass().unwrap();
            self.app.time_pass().unwrap();
            self.advance(TimeDelta::seconds(1));
        }
        self.advance(TimeDelta::seconds(40));
        self.app.tactical_pass().unwrap();
        self.app.time_pass().unwrap();
    }
}

fn replayed(logs: &Logs, database: &Path) -> App {
    App::open(logs.config(database)).unwrap()
}

fn replayed_with(logs: &Logs, database: &Path, horizon: TimeDelta) -> App {
    let mut config = logs.config(database);
    config.retention_horizon = Some(horizon);
    App::open(config).unwrap()
}

fn alerts(state: &State) -> Vec<deconflict_engine::Alert> {
    state.alerts().cloned().collect()
}

#[test]
fn a_log_pruned_by_retention_replays_to_the_same_state_and_verifies_on_sqlite() {
    a_log_pruned_by_retention_replays_to_the_same_state_and_verifies(Logs::sqlite());
}

#[test]
fn a_log_pruned_by_retention_replays_to_the_same_state_and_verifies_on_postgres() {
    if let Some(logs) = Logs::postgres("a_log_pruned_by_retention_replays_on_postgres") {
        a_log_pruned_by_retention_replays_to_the_same_state_and_verifies(logs);
    }
}

fn a_log_pruned_by_retention_replays_to_the_same_state_and_verifies(mut logs: Logs) {
    let whole_path = logs.database("whole");
    {
        let harness = Harness::open(&logs, &whole_path);
        harness.register("p1");
        harness.register("p2");
        harness.encounter(("p1", "A1"), ("p2", "B1"));
        harness.advance(TimeDelta::days(40));
        harness.encounter(("p1", "A1"), ("p2", "C1"));
        for second in 0..5 {
            harness.report("p1", "A1", f64::from(second) * 180.0, 90.0);
            harness.advance(TimeDelta::seconds(1));
        }
        harness.app.tactical_pass().unwrap();
        let raised = harness.app.read(|state| state.alerts().count());
        assert!(raised >= 2, "each encounter raised an alert ({raised})");
    }
    let pruned_path = logs.copy(&whole_path, "pruned");
    let now: DateTime<Utc> = START.parse::<DateTime<Utc>>().unwrap() + TimeDelta::days(41);
    let (outcome, vacuum) = retention::run_once(
        &pruned_path,
        now,
        TimeDelta::days(30),
        &deconflict_engine::decide::ReportWindow::default(),
    )
    .unwrap();
    assert_eq!(
        outcome.events_pruned, 120,
        "the first minute's batches, one a report"
    );
    // SQLite gives the pages back itself; PostgreSQL's autovacuum does.
    assert_eq!(vacuum.is_some(), !logs.is_postgres());
    let report = open_read_only(&pruned_path).verify().unwrap();
    assert_eq!((report.first_bad, report.events_pruned), (None, 120));
    // The golden log of a pruned log (`golden_log.rs`) is this log, written here on request.
    let fixture = std::env::var_os("DECONFLICT_WRITE_RETENTION_FIXTURE");
    if let Some(path) = fixture.filter(|_| !logs.is_postgres()) {
        let log = open_read_only(&pruned_path);
        let rows: Vec<String> = log
            .read_from(0, 100_000)
            .unwrap()
            .iter()
            .map(|event| serde_json::to_string(event).unwrap())
            .collect();
        std::fs::write(path, rows.join("\n") + "\n").unwrap();
    }

    let (whole, pruned) = (replayed(&logs, &whole_path), replayed(&logs, &pruned_path));
    whole.read(|whole| {
        pruned.read(|pruned| {
            assert_eq!(pruned.events_applied(), whole.events_applied());
            assert_eq!(alerts(pruned), alerts(whole), "every alert, as it stands");
            assert_eq!(tracks(pruned), tracks(whole), "every track, as it stands");
            let live: Vec<_> = pruned.live_tracks().map(|t| t.id.to_owned()).collect();
            assert_eq!(live, ["A1"]);
            // B1 was reported only in pruned batches: forgotten by the time pass 30 days after
            // it was last seen, before retention could prune them, in the log itself.
            let known: Vec<_> = pruned.tracks().map(|t| t.id.to_owned()).collect();
            assert_eq!(known, ["A1", "C1"]);
        })
    });
}

fn tracks(state: &State) -> Vec<String> {
    state.tracks().map(|t| format!("{t:?}")).collect()
}

mod random {
    //! Random multi-party traffic over months, with late and early reports, long silences,
    //! ids reused, and retention run at random times on the live database: the running state
    //! and a replay of the pruned log always agree (`decide::retention`'s proof, checked).

    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        /// `party` reports `track`, its time `offset_s` from the clock (within the window).
        Report {
            party: u8,
            track: u8,
            offset_s: i64,
        },
        Advance {
            seconds: i64,
        },
        Pass,
        Prune,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0..2u8, 0..4u8, -600..=60i64)
                .prop_map(|(party, track, offset_s)| Step::Report { party, track, offset_s }),
            // Seconds; about the horizon (a day here), where the margin matters; or days.
            3 => prop_oneof![4 => 1..120i64, 2 => 85_700..87_100i64, 1 => 3_600..3 * 86_400i64]
                .prop_map(|seconds| Step::Advance { seconds }),
            2 => Just(Step::Pass),
            1 => Just(Step::Prune),
        ]
    }

    /// The case the margin exists for: a track's newest report came early in a batch, an older
    /// one late in the next; retention at a moment between the two batches' horizons must not
    /// prune the first, or a replay would hold the older report.
    #[test]
    fn the_margin_keeps_a_tracks_newest_report_when_a_later_batch_carries_an_older_one_on_sqlite() {
        the_margin_keeps_a_tracks_newest_report(Logs::sqlite());
    }

    #[test]
    fn the_margin_keeps_a_tracks_newest_report_when_a_later_batch_carries_an_older_one_on_postgres()
    {
        if let Some(logs) = Logs::postgres("the_margin_keeps_a_tracks_newest_report_on_postgres") {
            the_margin_keeps_a_tracks_newest_report(logs);
        }
    }

    fn the_margin_keeps_a_tracks_newest_report(mut logs: Logs) {
        let path = logs.database("margin");
        let horizon = TimeDelta::days(1);
        let harness = Harness::open_with(&logs, &path, |config| {
            config.retention_horizon = Some(horizon)
        });
        harness.register("p0");
        let window = harness.app.config.report_window;
        let newest = harness.app.now() + TimeDelta::seconds(60);
        harness.try_report("p0", "T0", newest);
        harness.advance(TimeDelta::seconds(30));
        harness.try_report("p0", "T0", harness.app.now() - TimeDelta::seconds(500));
        harness.advance(horizon - TimeDelta::seconds(15));
        harness.app.tactical_pass().unwrap();
        harness.app.time_pass().unwrap();
        let (outcome, _) = retention::run_once(&path, harness.app.now(), horizon, &window).unwrap();
        let replay = replayed_with(&logs, &path, horizon);
        harness.app.read(|live| {
            replay.read(|replay| {
                assert_eq!(live.tracks().next().unwrap().motion().time, newest);
                assert_eq!(tracks(replay), tracks(live));
            })
        });
        assert_eq!(outcome.events_pruned, 0, "within the margin");
    }

    /// Random traffic of 20 to 120 steps against a fresh log from `logs` per case.
    fn running_state_equals_replay(cases: u32, logs: impl Fn() -> Logs) {
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases,
            ..ProptestConfig::default()
        });
        let steps = proptest::collection::vec(step(), 20..120);
        if let Err(error) = runner.run(&steps, |steps| check(logs(), steps)) {
            panic!("{error}");
        }
    }

    /// SQLite: 48 cases.
    #[test]
    fn the_running_state_equals_the_replay_of_the_pruned_log_on_sqlite() {
        running_state_equals_replay(48, Logs::sqlite);
    }

    /// PostgreSQL: 16 cases (each a database of its own, every append a durable commit), enough
    /// for the backend's part: the replay logic is the same code, checked on SQLite above.
    #[test]
    fn the_running_state_equals_the_replay_of_the_pruned_log_on_postgres() {
        let test = "the_running_state_equals_the_replay_of_the_pruned_log_on_postgres";
        let Some(first) = Logs::postgres(test) else {
            return;
        };
        let first = std::cell::RefCell::new(Some(first));
        running_state_equals_replay(16, move || {
            (first.borrow_mut().take())
                .unwrap_or_else(|| Logs::postgres(test).expect("the test server is configured"))
        });
    }

    fn check(mut logs: Logs, steps: Vec<Step>) -> Result<(), TestCaseError> {
        let path = logs.database("live");
        let horizon = TimeDelta::days(1);
        let harness = Harness::open_with(&logs, &path, |config| {
            config.retention_horizon = Some(horizon)
        });
        harness.register("p0");
        harness.register("p1");
        let window = harness.app.config.report_window;
        let mut pruned = 0;
        for step in steps {
            match step {
                Step::Report {
                    party,
                    track,
                    offset_s,
                } => {
                    let time = harness.app.now() + TimeDelta::seconds(offset_s);
                    harness.try_report(&format!("p{party}"), &format!("T{track}"), time);
                }
                Step::Advance { seconds } => harness.advance(TimeDelta::seconds(seconds)),
                Step::Pass => {
                    harness.app.tactical_pass().unwrap();
                    harness.app.time_pass().unwrap();
                }
                Step::Prune => {
                    // As in the server, where the passes run every second: retention never
                    // runs long after a pass (the proof's premise, `decide::retention`).
                    harness.app.tactical_pass().unwrap();
                    harness.app.time_pass().unwrap();
                    let now = harness.app.now();
                    let (outcome, _) = retention::run_once(&path, now, horizon, &window).unwrap();
                    pruned += outcome.events_pruned;
                }
            }
        }
        let replay = replayed_with(&logs, &path, horizon);
        harness.app.read(|live| {
            replay.read(|replay| {
                prop_assert_eq!(tracks(replay), tracks(live), "{} batches pruned", pruned);
                prop_assert_eq!(alerts(replay), alerts(live));
                prop_assert_eq!(replay.events_applied(), live.events_applied());
                Ok(())
            })
        })
    }
}

#[test]
fn reports_are_kept_as_receivers_resolve_them_in_the_log_and_the_state_on_sqlite() {
    reports_are_kept_as_receivers_resolve_them(Logs::sqlite());
}

#[test]
fn reports_are_kept_as_receivers_resolve_them_in_the_log_and_the_state_on_postgres() {
    if let Some(logs) = Logs::postgres("reports_are_kept_as_receivers_resolve_them_on_postgres") {
        reports_are_kept_as_receivers_resolve_them(logs);
    }
}

fn reports_are_kept_as_receivers_resolve_them(mut logs: Logs) {
    let path = logs.database("events");
    let harness = Harness::open(&logs, &path);
    harness.register("p1");
    harness.advance(TimeDelta::microseconds(1_234_567));
    harness.report("p1", "A1", 0.0, 90.0);
    let live = harness
        .app
        .read(|state| state.track("A1").unwrap().report());
    assert_eq!(live.motion.lat_deg, 50.000_012_3);
    assert_eq!(live.motion.altitude_m, 3_000.12);
    assert_eq!(live.motion.time.timestamp_subsec_micros(), 234_000);
    drop(harness);
    let replayed = replayed(&logs, &path);
    let after = replayed.read(|state| state.track("A1").unwrap().report());
    assert_eq!(after, live, "the replay holds the same bits");
}
