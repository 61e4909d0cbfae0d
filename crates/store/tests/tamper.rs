//! Tamper evidence: edit the SQLite file behind the log's back, the way an attacker with file
//! access would (dropping the append-only triggers first), and check that `verify` names exactly
//! the event that was touched.

use chrono::{TimeZone, Utc};
use deconflict_store::{verify_events, BadEvent, EventLog, NewEvent, SqliteLog};
use serde_json::json;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const EVENTS: u64 = 50;
const TOUCHED: u64 = 17;

fn event(n: u64) -> NewEvent {
    NewEvent {
        time: Utc.with_ymd_and_hms(2025, 6, 1, 8, 30, 0).unwrap()
            + chrono::Duration::seconds(n as i64),
        actor: "party-a".into(),
        kind: "test.event".into(),
        payload: json!({ "n": n, "name": format!("event {n}") }),
    }
}

/// A closed log of `events` events, written in batches of 100.
fn log_file(events: u64) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let mut log = SqliteLog::open(&path).unwrap();
    let all: Vec<u64> = (1..=events).collect();
    for batch in all.chunks(100) {
        log.append(batch.iter().copied().map(event).collect())
            .unwrap();
    }
    (dir, path)
}

/// Runs `sql` directly on the file with the append-only triggers removed.
fn tamper(path: &Path, sql: &str) {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection
        .execute_batch("DROP TRIGGER events_update_only_prunes; DROP TRIGGER events_no_delete;")
        .unwrap();
    let changed = connection.execute(sql, []).unwrap();
    assert_eq!(
        changed, 1,
        "the tampering statement should touch exactly one row"
    );
}

fn first_bad_after(sql: &str) -> BadEvent {
    let (_dir, path) = log_file(EVENTS);
    tamper(&path, sql);
    let report = SqliteLog::open_read_only(&path).unwrap().verify().unwrap();
    assert_eq!(
        report.events_checked,
        report.first_bad.as_ref().unwrap().seq - 1
    );
    report.first_bad.expect("verify should find the edit")
}

fn assert_first_bad(sql: &str, seq: u64, reason: &str) {
    let bad = first_bad_after(sql);
    assert_eq!(
        (bad.seq, bad.reason.as_str()),
        (seq, reason),
        "after: {sql}"
    );
}

const HASH_MISMATCH: &str = "stored hash does not match its content";

#[test]
fn clean_log_of_a_thousand_events_verifies() {
    let (_dir, path) = log_file(1_000);
    let log = SqliteLog::open_read_only(&path).unwrap();
    let report = log.verify().unwrap();
    assert_eq!(report.first_bad, None);
    assert_eq!(report.events_checked, 1_000);
    assert_eq!(report.head, log.head().unwrap());
    let decoded = verify_events(log.read_from(0, 2_000).unwrap().into_iter());
    assert_eq!(decoded, report);
}

#[test]
fn edited_payload_is_named() {
    let sql = format!(
        r#"UPDATE events SET payload = '{{"n":{TOUCHED},"name":"event 99"}}' WHERE seq = {TOUCHED}"#
    );
    assert_first_bad(&sql, TOUCHED, HASH_MISMATCH);
}

#[test]
fn payload_edit_that_survives_decoding_is_still_named() {
    // Same JSON value, one extra space: the content digest is over the parsed value, so the
    // hash still matches, and the check that the stored text is canonical names the edit.
    let sql = format!(
        r#"UPDATE events SET payload = '{{"n": {TOUCHED},"name":"event {TOUCHED}"}}' WHERE seq = {TOUCHED}"#
    );
    assert_first_bad(&sql, TOUCHED, "payload is not canonical JSON");
}

#[test]
fn edited_salt_is_named() {
    let sql = format!(
        "UPDATE events SET salt = '{}' WHERE seq = {TOUCHED}",
        "0".repeat(64)
    );
    assert_first_bad(&sql, TOUCHED, HASH_MISMATCH);
}

#[test]
fn edited_actor_is_named() {
    let sql = format!("UPDATE events SET actor = 'party-b' WHERE seq = {TOUCHED}");
    assert_first_bad(&sql, TOUCHED, HASH_MISMATCH);
}

#[test]
fn edited_time_is_named() {
    let sql =
        format!("UPDATE events SET time = '2025-06-01T08:30:18.000000Z' WHERE seq = {TOUCHED}");
    assert_first_bad(&sql, TOUCHED, HASH_MISMATCH);
}

#[test]
fn edited_hash_is_named() {
    let sql = format!(
        "UPDATE events SET hash = '{}' WHERE seq = {TOUCHED}",
        "a".repeat(64)
    );
    assert_first_bad(&sql, TOUCHED, HASH_MISMATCH);
}

#[test]
fn deleted_event_is_named_as_the_gap() {
    let sql = format!("DELETE FROM events WHERE seq = {TOUCHED}");
    let reason = format!("sequence gap: expected {TOUCHED}, found {}", TOUCHED + 1);
    assert_first_bad(&sql, TOUCHED, &reason);
}

#[test]
fn deleted_first_event_is_named() {
    assert_first_bad(
        "DELETE FROM events WHERE seq = 1",
        1,
        "sequence gap: expected 1, found 2",
    );
}

#[test]
fn edit_with_a_recomputed_hash_breaks_the_next_link() {
    let (_dir, path) = log_file(EVENTS);
    let mut events = SqliteLog::open_read_only(&path)
        .unwrap()
        .read_from(TOUCHED - 1, 1)
        .unwrap();
    let edited = events.pop().unwrap();
    let payload = r#"{"n":0,"name":"forged"}"#;
    let digest = deconflict_store::content_digest(
        &edited.time,
        &edited.actor,
        &edited.kind,
        &serde_json::from_str(payload).unwrap(),
        &edited.salt,
    );
    let hash = deconflict_store::event_hash(TOUCHED, &edited.prev_hash, &digest);
    tamper(
        &path,
        &format!("UPDATE events SET payload = '{payload}', hash = '{hash}' WHERE seq = {TOUCHED}"),
    );
    let bad = SqliteLog::open_read_only(&path)
        .unwrap()
        .verify()
        .unwrap()
        .first_bad
        .unwrap();
    let reason = format!("prev_hash does not link to event {TOUCHED}");
    assert_eq!((bad.seq, bad.reason), (TOUCHED + 1, reason));
}

#[test]
fn payload_replaced_by_a_blob_is_named() {
    let bad = first_bad_after(&format!(
        "UPDATE events SET payload = x'7b7d' WHERE seq = {TOUCHED}"
    ));
    assert_eq!(bad.seq, TOUCHED);
    assert!(
        bad.reason.contains("payload") && bad.reason.contains("not UTF-8 text"),
        "{}",
        bad.reason
    );
}

#[test]
fn reading_a_corrupt_time_is_an_error_naming_the_event() {
    let (_dir, path) = log_file(EVENTS);
    tamper(
        &path,
        &format!("UPDATE events SET time = 'noon' WHERE seq = {TOUCHED}"),
    );
    let log = SqliteLog::open_read_only(&path).unwrap();
    let error = log.read_from(0, 100).unwrap_err();
    assert!(
        matches!(
            error,
            deconflict_store::StoreError::Corrupt { seq: TOUCHED, .. }
        ),
        "{error}"
    );
}

#[test]
fn plain_updates_and_deletes_are_refused_by_the_schema() {
    let (_dir, path) = log_file(3);
    let connection = rusqlite::Connection::open(&path).unwrap();
    let update = connection.execute("UPDATE events SET actor = 'x' WHERE seq = 2", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = connection.execute("DELETE FROM events WHERE seq = 3", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}
