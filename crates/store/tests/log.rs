//! The public interface of `SqliteLog` through the `EventLog` trait: append, read, head,
//! reopen, snapshots, read-only opening and the on-disk settings that make appends durable.

use chrono::{DateTime, TimeZone, Utc};
use deconflict_store::{
    content_digest, event_hash, EventLog, NewEvent, SqliteLog, StoreError, GENESIS_HASH,
    MAX_APPEND_BATCH_EVENTS,
};
use serde_json::json;
use tempfile::TempDir;

mod support;

fn event(n: u64) -> NewEvent {
    let time = Utc.with_ymd_and_hms(2025, 6, 1, 8, 30, 0).unwrap()
        + chrono::Duration::nanoseconds(n as i64 * 1_000_001_999);
    NewEvent {
        time,
        actor: format!("party-{}", n % 3),
        kind: "test.event".into(),
        payload: json!({ "n": n, "z": [1.5, -0.25, "é"], "a": { "y": null, "x": true } }),
    }
}

fn temp_log() -> (TempDir, SqliteLog) {
    let dir = tempfile::tempdir().unwrap();
    let log = SqliteLog::open(&dir.path().join("events.db")).unwrap();
    (dir, log)
}

fn truncated_to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap()
}

#[test]
fn append_then_read_returns_exactly_the_stored_events() {
    for (_backend, mut log) in support::logs("append_then_read_returns_exactly_the_stored_events") {
        let new_events: Vec<NewEvent> = (1..=5).map(event).collect();
        let stored = log.append(new_events.clone()).unwrap();
        assert_eq!(log.read_from(0, 100).unwrap(), stored);
        for (new_event, stored_event) in new_events.iter().zip(&stored) {
            assert_eq!(stored_event.time, truncated_to_micros(new_event.time));
            assert_ne!(
                stored_event.time, new_event.time,
                "the fixture has sub-µs digits to cut"
            );
            assert_eq!(stored_event.actor, new_event.actor);
            assert_eq!(stored_event.kind, new_event.kind);
            assert_eq!(stored_event.payload, new_event.payload);
        }
    }
}

#[test]
fn stored_hashes_follow_the_documented_encoding() {
    for (_backend, mut log) in support::logs("stored_hashes_follow_the_documented_encoding") {
        let stored = log.append((1..=3).map(event).collect()).unwrap();
        let mut prev_hash = GENESIS_HASH.to_string();
        for stored_event in &stored {
            assert_eq!(stored_event.prev_hash, prev_hash);
            let digest = content_digest(
                &stored_event.time,
                &stored_event.actor,
                &stored_event.kind,
                &stored_event.payload,
                &stored_event.salt,
            );
            let expected = event_hash(stored_event.seq, &prev_hash, &digest);
            assert_eq!(stored_event.hash, expected);
            prev_hash = expected;
        }
    }
}

#[test]
fn seqs_are_contiguous_across_batches() {
    for (_backend, mut log) in support::logs("seqs_are_contiguous_across_batches") {
        assert_eq!(log.head().unwrap(), None);
        for batch in [
            vec![event(1)],
            (2..=4).map(event).collect(),
            vec![],
            vec![event(5)],
        ] {
            log.append(batch).unwrap();
        }
        let seqs: Vec<u64> = log
            .read_from(0, 100)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
        let page: Vec<u64> = log.read_from(2, 2).unwrap().iter().map(|e| e.seq).collect();
        assert_eq!(page, vec![3, 4]);
        assert!(log.read_from(5, 100).unwrap().is_empty());
        assert!(log.read_from(u64::MAX, 100).unwrap().is_empty());
        assert!(log.read_from(0, 0).unwrap().is_empty());
        assert_eq!(log.read_from(0, usize::MAX).unwrap().len(), 5);
    }
}

#[test]
fn reopening_keeps_the_head_and_the_chain_continues() {
    for backend in support::backends("reopening_keeps_the_head_and_the_chain_continues") {
        let first = {
            let mut log = backend.open();
            log.append((1..=3).map(event).collect()).unwrap()
        };
        let mut log = backend.open();
        assert_eq!(log.head().unwrap(), Some((3, first[2].hash.clone())));
        let next = log.append(vec![event(4)]).unwrap();
        assert_eq!(
            (next[0].seq, next[0].prev_hash.as_str()),
            (4, first[2].hash.as_str())
        );
        let report = log.verify().unwrap();
        assert_eq!(report.first_bad, None);
        assert_eq!(report.head, Some((4, next[0].hash.clone())));
    }
}

#[test]
fn snapshots_roundtrip_and_the_latest_wins() {
    for (_backend, mut log) in support::logs("snapshots_roundtrip_and_the_latest_wins") {
        assert_eq!(log.latest_snapshot().unwrap(), None);
        log.append((1..=10).map(event).collect()).unwrap();
        log.save_snapshot(3, b"three").unwrap();
        log.save_snapshot(7, b"seven").unwrap();
        log.save_snapshot(5, b"five").unwrap();
        assert_eq!(log.latest_snapshot().unwrap(), Some((7, b"seven".to_vec())));
        log.save_snapshot(7, b"seven again").unwrap();
        assert_eq!(
            log.latest_snapshot().unwrap(),
            Some((7, b"seven again".to_vec()))
        );
        log.save_snapshot(10, &[]).unwrap();
        assert_eq!(log.latest_snapshot().unwrap(), Some((10, Vec::new())));
    }
}

#[test]
fn older_snapshots_are_found_newest_first_below_a_seq() {
    for (_backend, mut log) in support::logs("older_snapshots_are_found_newest_first_below_a_seq") {
        log.append((1..=10).map(event).collect()).unwrap();
        log.save_snapshot(3, b"three").unwrap();
        log.save_snapshot(7, b"seven").unwrap();
        assert_eq!(
            log.snapshot_before(7).unwrap(),
            Some((3, b"three".to_vec()))
        );
        assert_eq!(
            log.snapshot_before(8).unwrap(),
            Some((7, b"seven".to_vec()))
        );
        assert_eq!(log.snapshot_before(3).unwrap(), None);
    }
}

#[test]
fn snapshot_ahead_of_the_head_is_refused() {
    for (_backend, mut log) in support::logs("snapshot_ahead_of_the_head_is_refused") {
        log.append(vec![event(1)]).unwrap();
        let error = log.save_snapshot(2, b"future").unwrap_err();
        assert!(
            matches!(error, StoreError::SnapshotAhead { seq: 2, head: 1 }),
            "{error}"
        );
    }
}

#[test]
fn over_limit_batch_is_refused_and_nothing_is_written() {
    for (_backend, mut log) in support::logs("over_limit_batch_is_refused_and_nothing_is_written") {
        let batch: Vec<NewEvent> = (0..=MAX_APPEND_BATCH_EVENTS as u64).map(event).collect();
        let error = log.append(batch).unwrap_err();
        assert!(matches!(error, StoreError::BatchTooLarge { .. }), "{error}");
        let mut invalid = vec![event(1), event(2)];
        invalid[1].actor.clear();
        let error = log.append(invalid).unwrap_err();
        assert!(
            matches!(error, StoreError::InvalidEvent { index: 1, .. }),
            "{error}"
        );
        assert_eq!(log.head().unwrap(), None);
        assert!(log.read_from(0, 10).unwrap().is_empty());
    }
}

#[test]
fn open_read_only_on_a_missing_file_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.db");
    let error = SqliteLog::open_read_only(&path).err().unwrap();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error}");
    assert!(!path.exists());
}

#[test]
fn read_only_handle_reads_and_verifies_but_refuses_writes() {
    for backend in support::backends("read_only_handle_reads_and_verifies_but_refuses_writes") {
        let stored = {
            let mut log = backend.open();
            log.append((1..=3).map(event).collect()).unwrap()
        };
        let mut log = backend.open_read_only();
        assert_eq!(log.read_from(0, 10).unwrap(), stored);
        assert_eq!(log.head().unwrap(), Some((3, stored[2].hash.clone())));
        assert_eq!(log.verify().unwrap().first_bad, None);
        assert!(matches!(
            log.append(vec![event(4)]),
            Err(StoreError::ReadOnly)
        ));
        assert!(matches!(
            log.save_snapshot(1, b"x"),
            Err(StoreError::ReadOnly)
        ));
    }
}

#[test]
fn read_only_handle_sees_appends_of_a_live_writer() {
    for backend in support::backends("read_only_handle_sees_appends_of_a_live_writer") {
        let mut writer = backend.open();
        writer.append(vec![event(1)]).unwrap();
        let reader = backend.open_read_only();
        let stored = writer.append(vec![event(2)]).unwrap();
        assert_eq!(reader.head().unwrap(), Some((2, stored[0].hash.clone())));
    }
}

#[test]
fn file_is_in_wal_mode_with_the_schema_version_row() {
    let (dir, _log) = temp_log();
    let connection = rusqlite::Connection::open(dir.path().join("events.db")).unwrap();
    let mode: String = connection
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: String = connection
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, "3");
}

#[test]
fn a_foreign_sqlite_file_is_not_taken_for_an_event_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch("CREATE TABLE accounts (id INTEGER)")
        .unwrap();
    drop(connection);
    let error = SqliteLog::open(&path).err().unwrap();
    assert!(matches!(error, StoreError::NotAnEventLog { .. }), "{error}");
    let error = SqliteLog::open_read_only(&path).err().unwrap();
    assert!(matches!(error, StoreError::NotAnEventLog { .. }), "{error}");
    let connection = rusqlite::Connection::open(&path).unwrap();
    let mode: String = connection
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete", "the foreign file must be left as it was");
}

#[test]
fn a_newer_schema_version_is_refused() {
    let (dir, log) = temp_log();
    drop(log);
    let path = dir.path().join("events.db");
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute(
            "UPDATE meta SET value = '4' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    drop(connection);
    let error = SqliteLog::open(&path).err().unwrap();
    assert!(
        matches!(error, StoreError::UnsupportedSchema { .. }),
        "{error}"
    );
}

#[test]
fn the_event_log_is_usable_as_a_trait_object() {
    for (_backend, log) in support::logs("the_event_log_is_usable_as_a_trait_object") {
        let mut log: Box<dyn EventLog> = Box::new(log);
        log.append(vec![event(1)]).unwrap();
        assert_eq!(log.head().unwrap().map(|(seq, _)| seq), Some(1));
    }
}

#[test]
fn every_event_gets_its_own_salt_and_it_reads_back() {
    for (_backend, mut log) in support::logs("every_event_gets_its_own_salt_and_it_reads_back") {
        let stored = log.append(vec![event(1), event(1)]).unwrap();
        assert_ne!(stored[0].salt, stored[1].salt);
        assert_eq!(log.read_from(0, 10).unwrap(), stored);
    }
}

#[test]
fn a_version_1_log_is_refused_naming_both_versions_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let old = rusqlite::Connection::open(&path).unwrap();
    old.execute_batch(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         INSERT INTO meta VALUES ('schema_version', '1');
         CREATE TABLE events (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL,
             kind TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL,
             hash TEXT NOT NULL);",
    )
    .unwrap();
    drop(old);
    for error in [
        SqliteLog::open(&path).err().unwrap(),
        SqliteLog::open_read_only(&path).err().unwrap(),
    ] {
        assert!(
            matches!(&error, StoreError::OutdatedSchema { found, supported: "2" } if found == "1"),
            "{error}"
        );
        let message = error.to_string();
        assert!(
            message.contains("version 1") && message.contains("version 2"),
            "{message}"
        );
    }
    let tables: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'signed_heads'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "nothing of version 2 was added to the old file");
}

#[test]
fn append_after_writes_only_on_the_expected_head() {
    for backend in support::backends("append_after_writes_only_on_the_expected_head") {
        let name = backend.name();
        let mut log = backend.open();
        let mut other = backend.open();
        match log.append_after(1, vec![event(1)]) {
            Err(StoreError::HeadMoved {
                expected: 1,
                head: 0,
            }) => {}
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(log.read_from(0, 10).unwrap(), Vec::new(), "{name}");
        let first = log.append_after(0, vec![event(1), event(2)]).unwrap();
        assert_eq!(first.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
        other.append(vec![event(3)]).unwrap();
        match log.append_after(2, vec![event(4)]) {
            Err(StoreError::HeadMoved {
                expected: 2,
                head: 3,
            }) => {}
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(
            log.read_from(0, 10).unwrap().len(),
            3,
            "{name}: nothing written"
        );
        let last = log.append_after(3, vec![event(4)]).unwrap();
        assert_eq!(last[0].seq, 4, "{name}");
        assert_eq!(
            last[0].prev_hash,
            log.read_from(2, 1).unwrap()[0].hash,
            "{name}"
        );
    }
}

/// Optimistic writers, as two nodes on one database are: each decides on what it has read,
/// appends only after the head it knows, and on `HeadMoved` learns the new head and tries
/// again. Every accepted batch must start right after the head its writer expected.
#[test]
fn optimistic_writers_never_append_after_a_head_they_did_not_see() {
    for backend in support::backends("optimistic_writers_never_append") {
        let handles: Vec<_> = (0..2u64)
            .map(|writer| {
                let mut log = backend.open();
                std::thread::spawn(move || {
                    let (mut known, mut moved, mut accepted) = (0u64, 0u32, Vec::new());
                    for n in 0..30u64 {
                        loop {
                            let batch = (0..(1 + n % 2)).map(|k| event(writer * 1000 + n * 10 + k));
                            match log.append_after(known, batch.collect()) {
                                Ok(stored) => {
                                    assert_eq!(stored[0].seq, known + 1);
                                    accepted.push((known, stored.len() as u64));
                                    known = stored.last().unwrap().seq;
                                    break;
                                }
                                Err(StoreError::HeadMoved { head, .. }) => {
                                    assert!(head > known, "the head only moves forward");
                                    known = head;
                                    moved += 1;
                                }
                                Err(error) => panic!("{error}"),
                            }
                        }
                    }
                    (accepted, moved)
                })
            })
            .collect();
        let mut batches: Vec<(u64, u64)> = Vec::new();
        for handle in handles {
            batches.extend(handle.join().unwrap().0);
        }
        batches.sort();
        let mut head = 0;
        for (after, len) in &batches {
            assert_eq!(*after, head, "{}: batches tile the log", backend.name());
            head += len;
        }
        let report = backend.open_read_only().verify().unwrap();
        assert_eq!(report.first_bad, None, "{}", backend.name());
        assert_eq!(report.events_checked, head, "{}", backend.name());
    }
}

/// Appends one event at a time until `stop`, counting them: another node busy logging.
fn busy_writer(
    mut log: deconflict_store::AnyLog,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    appended: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> std::thread::JoinHandle<()> {
    use std::sync::atomic::Ordering;
    std::thread::spawn(move || {
        let mut n = 0;
        while !stop.load(Ordering::SeqCst) {
            log.append(vec![event(5_000 + n)]).unwrap();
            appended.fetch_add(1, Ordering::SeqCst);
            n += 1;
        }
    })
}

/// Waits (up to a minute, then fails) until `appended` passes `seen`.
fn until_appended_past(appended: &std::sync::atomic::AtomicU64, seen: u64, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while appended.load(std::sync::atomic::Ordering::SeqCst) <= seen {
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// The writer's turn (PostgreSQL, several nodes on one log): a writer slower than another's
/// stream of appends loses every `append_after` race; holding the turn it cannot lose, the
/// others' appends wait meanwhile and go on once it is given back, or once the connection
/// that held it is gone (a node that died).
#[test]
fn a_writer_holding_the_turn_is_not_overtaken_and_gives_it_back() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    for backend in support::backends("a_writer_holding_the_turn_is_not_overtaken") {
        if !backend.is_postgres() {
            continue;
        }
        let mut slow = backend.open();
        let (stop, appended) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
        );
        let busy = busy_writer(backend.open(), stop.clone(), appended.clone());
        until_appended_past(&appended, 0, "the busy writer appends");

        for round in 0..5u64 {
            // Without the turn: the busy writer appends between the slow one's read and write.
            let known = slow.head().unwrap().map_or(0, |(seq, _)| seq);
            // Two more: the first may have been logged before `known` was read.
            let seen = appended.load(Ordering::SeqCst);
            until_appended_past(&appended, seen + 1, "the busy writer goes on");
            assert!(
                matches!(
                    slow.append_after(known, vec![event(round)]),
                    Err(StoreError::HeadMoved { .. })
                ),
                "round {round}: overtaken without the turn"
            );

            // With it: nobody appends while the slow writer decides, however long it takes.
            slow.take_turn().unwrap();
            slow.take_turn().unwrap(); // Taking it again while held does nothing.
            let known = slow.head().unwrap().map_or(0, |(seq, _)| seq);
            std::thread::sleep(std::time::Duration::from_millis(100));
            let stored = slow
                .append_after(known, vec![event(round)])
                .unwrap_or_else(|error| panic!("round {round}: overtaken in its turn: {error}"));
            assert_eq!(stored[0].seq, known + 1);
            let seen = appended.load(Ordering::SeqCst);
            slow.end_turn().unwrap();
            until_appended_past(
                &appended,
                seen + 1,
                "the busy writer goes on after the turn",
            );
        }

        // A connection that holds the turn and goes away gives it back.
        let mut dying = backend.open();
        dying.take_turn().unwrap();
        let seen = appended.load(Ordering::SeqCst);
        drop(dying);
        until_appended_past(&appended, seen + 1, "the busy writer goes on after a death");

        stop.store(true, Ordering::SeqCst);
        busy.join().unwrap();
        let report = backend.open_read_only().verify().unwrap();
        assert_eq!(report.first_bad, None);
    }
}

#[test]
fn two_writers_on_one_log_keep_the_seqs_gap_free_and_the_chain_linear() {
    for backend in support::backends("two_writers_on_one_log_keep_the_seqs_gap_free") {
        let writers: Vec<_> = (0..2).map(|_| backend.open()).collect();
        let handles: Vec<_> = writers
            .into_iter()
            .enumerate()
            .map(|(writer, mut log)| {
                std::thread::spawn(move || {
                    for n in 0..40 {
                        let batch =
                            (0..(1 + n % 3)).map(|k| event(writer as u64 * 1000 + n * 10 + k));
                        log.append(batch.collect()).unwrap();
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        let log = backend.open_read_only();
        let report = log.verify().unwrap();
        assert_eq!(report.first_bad, None, "{}", backend.name());
        let expected: u64 = 2 * (0..40u64).map(|n| 1 + n % 3).sum::<u64>();
        assert_eq!(report.events_checked, expected, "{}", backend.name());
        assert_eq!(log.head().unwrap(), report.head);
    }
}

#[test]
fn a_postgres_database_with_foreign_tables_is_not_taken_for_an_event_log() {
    for backend in support::backends("a_postgres_database_with_foreign_tables") {
        if !backend.is_postgres() {
            continue;
        }
        backend
            .postgres_client()
            .batch_execute("CREATE TABLE events (id INT)")
            .unwrap();
        let deconflict_store::Database::Postgres(url) = &backend.database else {
            unreachable!()
        };
        let error = deconflict_store::PgLog::open(url).err().unwrap();
        assert!(matches!(error, StoreError::NotAnEventLog { .. }), "{error}");
        let error = deconflict_store::PgLog::open_read_only(url).err().unwrap();
        assert!(matches!(error, StoreError::NotAnEventLog { .. }), "{error}");
    }
}

#[test]
fn a_newer_postgres_schema_version_is_refused_and_migrations_apply_once() {
    for backend in support::backends("a_newer_postgres_schema_version_is_refused") {
        if !backend.is_postgres() {
            continue;
        }
        drop(backend.open());
        drop(backend.open()); // Opening again applies nothing twice.
        let mut client = backend.postgres_client();
        let versions: Vec<i32> = client
            .query(
                "SELECT version FROM deconflict_schema ORDER BY version",
                &[],
            )
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(versions, vec![1, 2]);
        client
            .batch_execute("INSERT INTO deconflict_schema (version) VALUES (99)")
            .unwrap();
        let deconflict_store::Database::Postgres(url) = &backend.database else {
            unreachable!()
        };
        let error = deconflict_store::PgLog::open(url).err().unwrap();
        assert!(
            matches!(error, StoreError::UnsupportedSchema { .. }),
            "{error}"
        );
    }
}

#[test]
fn pruning_keeps_the_chain_and_is_done_once_on_both_backends() {
    use deconflict_store::PrunePolicy;
    for (backend, mut log) in support::logs("pruning_keeps_the_chain_and_is_done_once") {
        let batch = |n: u64| NewEvent {
            kind: "positions_reported".into(),
            payload: json!({ "owner": "p", "reports": [[n, 1.5, 2.5], [n + 1, 3.5, 4.5]] }),
            ..event(n)
        };
        let stored = log
            .append(vec![batch(1), event(2), batch(3), batch(4)])
            .unwrap();
        let policy = PrunePolicy {
            kinds: vec!["positions_reported".into()],
            pointer: "/reports".into(),
            before: stored[2].time + chrono::Duration::microseconds(1),
        };
        assert_eq!(
            log.count_prunable(&policy).unwrap(),
            2,
            "{}",
            backend.name()
        );
        let now = Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap();
        let outcome = log.prune(&policy, now, &mut |_| {}).unwrap();
        assert_eq!(outcome.events_pruned, 2, "{}", backend.name());
        assert_eq!(
            log.prune(&policy, now, &mut |_| {}).unwrap().events_pruned,
            0
        );
        let report = log.verify().unwrap();
        assert_eq!(report.first_bad, None, "{}", backend.name());
        assert_eq!((report.events_checked, report.events_pruned), (4, 2));
        assert_eq!(report.head, Some((4, stored[3].hash.clone())));
        let read = log.read_from(0, 10).unwrap();
        assert_eq!(read[0].payload["reports"], serde_json::Value::Null);
        assert_eq!(read[0].pruned.as_ref().unwrap().at, now);
        assert_eq!(read[3], stored[3], "the newer batch is whole");
    }
}
