//! Storage over months: schema version 2 logs opening unchanged, compressed payloads, and
//! retention (pruning old events to digests) with the chain, reads and receipts still whole.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use deconflict_store::{
    verify_receipt, Disclosure, EventLog, HeadSigner, NewEvent, PrunePolicy, ReceiptEntry,
    SqliteLog, StoredEvent,
};
use serde_json::{json, Value};
use tempfile::TempDir;

/// Head of `tests/fixtures/schema-v2.db`, written by the schema version 2 build (commit
/// 3ae4f0f) with `SqliteLog::open` + `append`: 4 events (a party, a position batch of 40
/// reports on 2 January 2025, an alert, a batch on 20 January), a signed head and a snapshot.
const FIXTURE_HEAD: (u64, &str) = (
    4,
    "abf13166b53d9cfd067c7de2812c9e63ccee3111cfc5589171524e9697eb0965",
);

fn fixture_copy() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v2.db");
    std::fs::copy(fixture, &path).unwrap();
    (dir, path)
}

/// Noon of day `d` counted from 1 January 2025 (day 1).
fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap() + Duration::days(i64::from(d) - 1)
}

fn batch(d: u32, reports: usize) -> NewEvent {
    let rows: Vec<Value> = (0..reports)
        .map(|i| {
            json!([
                format!("4c{i:04x}"),
                format!("{}", day(d) + Duration::milliseconds(i as i64)),
                50.0 + i as f64 * 1e-4,
                10.0 + i as f64 * 2e-4,
                10668.0,
                231.5,
                90.25,
                0.0,
                null,
                null
            ])
        })
        .collect();
    NewEvent {
        time: day(d),
        actor: "p1".into(),
        kind: "positions_reported".into(),
        payload: json!({ "owner": "p1", "digest": "ab".repeat(32), "reports": rows }),
    }
}

fn alert(d: u32) -> NewEvent {
    NewEvent {
        time: day(d),
        actor: "@system".into(),
        kind: "alert_raised".into(),
        payload: json!({ "alert": { "id": format!("a{d}"), "severity": "warning" } }),
    }
}

fn policy(before: DateTime<Utc>) -> PrunePolicy {
    PrunePolicy {
        kinds: vec!["positions_reported".into()],
        pointer: "/reports".into(),
        before,
    }
}

fn all_events(log: &SqliteLog) -> Vec<StoredEvent> {
    log.read_from(0, 100_000).unwrap()
}

#[test]
fn a_schema_version_2_log_reads_and_verifies_unchanged_read_only_and_after_migration() {
    let (_dir, path) = fixture_copy();
    let read_only = SqliteLog::open_read_only(&path).unwrap();
    assert_eq!(
        read_only.schema_version(),
        2,
        "read-only opening migrates nothing"
    );
    let report = read_only.verify().unwrap();
    assert_eq!(report.first_bad, None);
    assert_eq!(report.events_checked, 4);
    let head = (FIXTURE_HEAD.0, FIXTURE_HEAD.1.to_string());
    assert_eq!(report.head, Some(head.clone()));
    let before = all_events(&read_only);
    drop(read_only);

    let mut log = SqliteLog::open(&path).unwrap();
    assert_eq!(log.schema_version(), 3);
    assert_eq!(all_events(&log), before, "not one event changed");
    assert_eq!(log.verify().unwrap().head, Some(head));
    assert_eq!(log.latest_snapshot().unwrap().unwrap().0, 3);
    assert_eq!(log.latest_signed_head().unwrap().unwrap().seq, 4);
    log.append(vec![batch(21, 600)]).unwrap();
    let report = log.verify().unwrap();
    assert_eq!((report.events_checked, report.first_bad), (5, None));
}

#[test]
fn a_migrated_version_2_log_prunes_its_old_batches_and_still_verifies() {
    let (_dir, path) = fixture_copy();
    let mut log = SqliteLog::open(&path).unwrap();
    let outcome = log.prune(&policy(day(10)), day(25), &mut |_| {}).unwrap();
    assert_eq!(
        outcome.events_pruned, 1,
        "the batch of 2 January, not the one of the 20th"
    );
    let report = SqliteLog::open_read_only(&path).unwrap().verify().unwrap();
    assert_eq!((report.events_checked, report.events_pruned), (4, 1));
    assert_eq!(report.first_bad, None);
}

#[test]
fn long_payloads_are_stored_compressed_and_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let mut log = SqliteLog::open(&path).unwrap();
    let stored = log.append(vec![batch(1, 1_000), alert(1)]).unwrap();
    assert_eq!(all_events(&log), stored);
    let connection = rusqlite::Connection::open(&path).unwrap();
    let codecs: Vec<(String, i64)> = connection
        .prepare("SELECT codec, length(payload) FROM events ORDER BY seq")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(codecs[0].0, "zstd");
    assert!(codecs[0].1 < 40 * 1_000, "{codecs:?}");
    assert_eq!(codecs[1].0, "json", "a short payload stays text");
    assert_eq!(
        SqliteLog::open_read_only(&path)
            .unwrap()
            .verify()
            .unwrap()
            .first_bad,
        None
    );
}

/// A log of old and recent batches and alerts: seqs 1–3 on the 1st, 4–6 on the 20th.
fn mixed_log() -> (TempDir, PathBuf, SqliteLog, Vec<StoredEvent>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let mut log = SqliteLog::open(&path).unwrap();
    let mut stored = log
        .append(vec![batch(1, 500), alert(1), batch(1, 700)])
        .unwrap();
    stored.extend(
        log.append(vec![batch(20, 500), alert(20), batch(20, 10)])
            .unwrap(),
    );
    (dir, path, log, stored)
}

#[test]
fn pruning_replaces_only_old_batches_by_their_digest_and_the_chain_still_verifies() {
    let (_dir, path, mut log, unpruned) = mixed_log();
    let mut progress = Vec::new();
    let outcome = log
        .prune(&policy(day(10)), day(40), &mut |outcome| {
            progress.push(outcome.events_pruned)
        })
        .unwrap();
    assert_eq!(outcome.events_pruned, 2);
    assert!(outcome.payload_bytes_after * 10 < outcome.payload_bytes_before);
    assert_eq!(progress.last(), Some(&2));
    let report = SqliteLog::open_read_only(&path).unwrap().verify().unwrap();
    assert_eq!(report.first_bad, None);
    assert_eq!((report.events_checked, report.events_pruned), (6, 2));
    let decoded = deconflict_store::verify_events(all_events(&log).into_iter());
    assert_eq!(
        decoded, report,
        "the decoded events verify as the stored columns do"
    );

    let read = all_events(&log);
    for (seq, (now, before)) in (1..).zip(read.iter().zip(&unpruned)) {
        assert_eq!(
            (now.seq, &now.hash, &now.prev_hash),
            (seq, &before.hash, &before.prev_hash)
        );
        if seq == 1 || seq == 3 {
            let pruned = now
                .pruned
                .as_ref()
                .expect("an old batch says it was pruned");
            assert_eq!(pruned.at, day(40));
            assert_eq!(pruned.digests.keys().collect::<Vec<_>>(), ["/reports"]);
            assert_eq!(now.payload["reports"], Value::Null);
            assert_eq!(
                now.payload["owner"], before.payload["owner"],
                "the rest is kept"
            );
        } else {
            assert_eq!(now, before, "alerts and recent batches are kept whole");
        }
    }
    let again = log.prune(&policy(day(10)), day(41), &mut |_| {}).unwrap();
    assert_eq!(again.events_pruned, 0, "an event is pruned once");
    assert_eq!(log.count_prunable(&policy(day(30))).unwrap(), 2);
}

#[test]
fn only_pruning_may_update_an_event_and_nothing_may_delete_one() {
    let (_dir, path, mut log, _) = mixed_log();
    log.prune(&policy(day(10)), day(40), &mut |_| {}).unwrap();
    drop(log);
    let connection = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE events SET payload = '{}' WHERE seq = 2",
        "UPDATE events SET pruned_at = '2025-02-01T00:00:00.000000Z', pruned = '{}', \
         hash = 'x' WHERE seq = 4",
        "UPDATE events SET pruned_at = '2025-03-01T00:00:00.000000Z' WHERE seq = 1",
        "UPDATE events SET pruned_at = NULL, pruned = NULL WHERE seq = 1",
        "DELETE FROM events WHERE seq = 6",
    ] {
        let error = connection.execute(sql, []).unwrap_err().to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
}

#[test]
fn a_pruned_event_whose_recorded_digest_was_changed_fails_verification() {
    let (_dir, path, mut log, _) = mixed_log();
    log.prune(&policy(day(10)), day(40), &mut |_| {}).unwrap();
    drop(log);
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch("DROP TRIGGER events_update_only_prunes")
        .unwrap();
    let forged = json!({ "/reports": "00".repeat(32) }).to_string();
    connection
        .execute("UPDATE events SET pruned = ?1 WHERE seq = 3", [forged])
        .unwrap();
    let bad = SqliteLog::open_read_only(&path)
        .unwrap()
        .verify()
        .unwrap()
        .first_bad
        .unwrap();
    assert_eq!(
        (bad.seq, bad.reason.as_str()),
        (3, "stored hash does not match its content")
    );
}

#[test]
fn a_receipt_over_pruned_events_verifies_and_says_what_was_pruned_and_when() {
    let (_dir, _path, mut log, _) = mixed_log();
    log.prune(&policy(day(10)), day(40), &mut |_| {}).unwrap();
    let (seq, hash) = log.head().unwrap().unwrap();
    let head = HeadSigner::from_seed([1; 32]).sign(seq, &hash, &day(41));
    for disclose in [Disclosure::everything, Disclosure::nothing] {
        let receipt = log.receipt(0, head.clone(), |_| disclose()).unwrap();
        verify_receipt(&receipt).unwrap();
        let note = match &receipt.entries[0] {
            ReceiptEntry::Disclosed {
                pruned, redacted, ..
            } => {
                assert!(redacted.contains_key("/payload/reports"));
                pruned.clone()
            }
            ReceiptEntry::Opaque { pruned, .. } => pruned.clone(),
        };
        assert_eq!(note.unwrap().at, day(40));
        assert!(matches!(
            &receipt.entries[1],
            ReceiptEntry::Disclosed { pruned: None, .. }
                | ReceiptEntry::Opaque { pruned: None, .. }
        ));
    }
}

#[test]
fn vacuum_after_pruning_gives_the_space_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = SqliteLog::open(&dir.path().join("events.db")).unwrap();
    for d in 1..=20 {
        log.append(vec![batch(d, 2_000)]).unwrap();
    }
    log.vacuum(false).unwrap();
    let full = log.database_bytes().unwrap();
    let outcome = log.prune(&policy(day(19)), day(30), &mut |_| {}).unwrap();
    assert_eq!(outcome.events_pruned, 18);
    let vacuum = log.vacuum(false).unwrap();
    assert!(!vacuum.rewritten, "a new file vacuums incrementally");
    assert!(vacuum.bytes_after * 3 < full, "{vacuum:?} of {full}");
    assert_eq!(log.verify().unwrap().first_bad, None);
}
