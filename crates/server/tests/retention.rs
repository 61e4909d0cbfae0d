//! Retention end to end: a log whose old position batches were pruned by the server's retention
//! task replays to the same state as the whole log, verifies, and still gives receipts.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use deconflict_engine::decide::{self, Actor};
use deconflict_engine::{PartyId, Role, State, TrackReport};
use deconflict_server::{retention, App, Config};
use deconflict_store::SqliteLog;

const START: &str = "2030-01-01T00:00:00Z";

struct Harness {
    app: App,
    clock_us: Arc<AtomicI64>,
}

impl Harness {
    fn open(database: &Path) -> Harness {
        let start: DateTime<Utc> = START.parse().unwrap();
        let clock_us = Arc::new(AtomicI64::new(start.timestamp_micros()));
        let reader = clock_us.clone();
        let mut config = Config::new(database.to_path_buf(), "retention-admin-token".into());
        config.tactical_interval = None;
        let log = SqliteLog::open(database).unwrap();
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

    /// `party` reports `track` at `east_m` metres east of 10° E on 50° N, flying `track_deg`.
    fn report(&self, party: &str, track: &str, east_m: f64, track_deg: f64) {
        let owner = PartyId(party.into());
        let report = TrackReport {
            track_id: track.into(),
            time: self.app.now(),
            lat_deg: 50.000_012_345_678,
            lon_deg: 10.0 + east_m / 71_500.0,
            altitude_m: 3_000.123_456,
            ground_speed_mps: 180.0,
            track_deg,
            vertical_rate_mps: 0.0,
            operation_id: None,
            callsign: Some("TEST1".into()),
        };
        let window = self.app.config.report_window;
        self.app
            .execute(
                &Actor::Party(owner.clone()),
                |state, now| {
                    Ok(decide::report_positions(
                        state,
                        &owner,
                        vec![(0, report)],
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

fn replayed(database: &Path) -> App {
    App::open(Config::new(
        database.to_path_buf(),
        "retention-admin-token".into(),
    ))
    .unwrap()
}

fn alerts(state: &State) -> Vec<deconflict_engine::Alert> {
    state.alerts().cloned().collect()
}

#[test]
fn a_log_pruned_by_retention_replays_to_the_same_state_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let whole_path = dir.path().join("whole.db");
    {
        let harness = Harness::open(&whole_path);
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
    let pruned_path = dir.path().join("pruned.db");
    std::fs::copy(&whole_path, &pruned_path).unwrap();
    let now: DateTime<Utc> = START.parse::<DateTime<Utc>>().unwrap() + TimeDelta::days(41);
    let (outcome, vacuum) = retention::run_once(&pruned_path, now, TimeDelta::days(30)).unwrap();
    assert_eq!(
        outcome.events_pruned, 120,
        "the first minute's batches, one a report"
    );
    assert!(vacuum.is_some());
    let report = SqliteLog::open_read_only(&pruned_path)
        .unwrap()
        .verify()
        .unwrap();
    assert_eq!((report.first_bad, report.events_pruned), (None, 120));

    let (whole, pruned) = (replayed(&whole_path), replayed(&pruned_path));
    whole.read(|whole| {
        pruned.read(|pruned| {
            assert_eq!(pruned.events_applied(), whole.events_applied());
            assert_eq!(alerts(pruned), alerts(whole), "every alert, as it stands");
            let live = |state: &State| -> Vec<_> {
                state
                    .live_tracks()
                    .map(|t| (t.owner.clone(), t.report.clone()))
                    .collect()
            };
            assert_eq!(live(pruned), live(whole));
            assert_eq!(live(pruned).len(), 1, "A1 is live");
            // Every track the pruned log still knows is exactly as in the whole log; the one it
            // forgot was reported only in pruned batches and lost 40 days before.
            for track in pruned.tracks() {
                assert_eq!(Some(track), whole.track(&track.report.track_id));
            }
            let forgotten: Vec<_> = whole
                .tracks()
                .filter(|t| pruned.track(&t.report.track_id).is_none())
                .map(|t| (t.report.track_id.as_str(), t.lost))
                .collect();
            assert_eq!(forgotten, [("B1", true)]);
        })
    });
}

#[test]
fn reports_are_kept_as_receivers_resolve_them_in_the_log_and_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let harness = Harness::open(&path);
    harness.register("p1");
    harness.advance(TimeDelta::microseconds(1_234_567));
    harness.report("p1", "A1", 0.0, 90.0);
    let live = harness
        .app
        .read(|state| state.track("A1").unwrap().report.clone());
    assert_eq!(live.lat_deg, 50.000_012_3);
    assert_eq!(live.altitude_m, 3_000.12);
    assert_eq!(live.time.timestamp_subsec_micros(), 234_000);
    drop(harness);
    let replayed = replayed(&path);
    let after = replayed.read(|state| state.track("A1").unwrap().report.clone());
    assert_eq!(after, live, "the replay holds the same bits");
}
