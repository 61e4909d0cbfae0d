//! Signed receipts through the public interface: build from a real log, verify offline, and
//! check that a receipt proves what was disclosed, reveals nothing of what was not, and fails on
//! any change to its meaning.

use chrono::{TimeZone, Utc};
use deconflict_store::{
    verify_receipt, Disclosure, EventLog, HeadSigner, NewEvent, Receipt, ReceiptEntry,
    ReceiptError, SignedHead, SqliteLog, StoreError, StoredEvent, GENESIS_HASH,
};
use proptest::prelude::*;
use serde_json::{json, Value};
use tempfile::TempDir;

const SECRET: &str = "military-callsign-zz9";

fn new_event(n: u64) -> NewEvent {
    let payload = match n % 3 {
        0 => json!({ "owner": "party-a", "class": SECRET, "n": n, "note": null }),
        1 => json!({
            "owner": "party-b",
            "digest": "ab".repeat(32),
            "reports": [["trk-1", "2025-06-01T08:30:00.000000Z", 52.25, 4.5, 1200.5],
                        ["trk-2", "2025-06-01T08:30:01.000000Z", 52.5, 4.75, 900.25]],
        }),
        _ => json!({ "owner": "party-a", "empty": {}, "none": [], "deep": { "x": [[1, 2], {}] } }),
    };
    NewEvent {
        time: Utc.with_ymd_and_hms(2025, 6, 1, 8, 30, 0).unwrap()
            + chrono::Duration::seconds(n as i64),
        actor: format!("party-{}", if n % 2 == 0 { "a" } else { "b" }),
        kind: "test.event".into(),
        payload,
    }
}

fn signer() -> HeadSigner {
    HeadSigner::from_seed([42; 32])
}

/// A log of `events` events and its signed head.
fn log_with(events: u64) -> (TempDir, SqliteLog, SignedHead) {
    let dir = tempfile::tempdir().unwrap();
    let mut log = SqliteLog::open(&dir.path().join("events.db")).unwrap();
    log.append((1..=events).map(new_event).collect()).unwrap();
    let (seq, hash) = log.head().unwrap().unwrap();
    let head = signer().sign(
        seq,
        &hash,
        &Utc.with_ymd_and_hms(2025, 6, 2, 0, 0, 0).unwrap(),
    );
    (dir, log, head)
}

/// What party-a may see: its own events whole; of party-b's, only the time and the owner.
fn party_a_view(event: &StoredEvent) -> Disclosure {
    match event.payload["owner"].as_str() {
        Some("party-a") => Disclosure::everything(),
        _ if event.seq % 3 == 1 => Disclosure::of_pointers(["/time", "/payload/owner"]).unwrap(),
        _ => Disclosure::nothing(),
    }
}

fn party_a_receipt(events: u64) -> Receipt {
    let (_dir, log, head) = log_with(events);
    log.receipt(0, head, party_a_view).unwrap()
}

#[test]
fn fully_partly_and_not_disclosed_entries_all_verify() {
    let receipt = party_a_receipt(9);
    let report = verify_receipt(&receipt).unwrap();
    assert_eq!((report.after, report.head_seq), (0, 9));
    assert_eq!(report.entries_disclosed + report.entries_opaque, 9);
    assert_eq!(report.public_key, signer().public_key_hex());
    let kinds: Vec<&str> = receipt
        .entries
        .iter()
        .map(|entry| match entry {
            ReceiptEntry::Opaque { .. } => "opaque",
            ReceiptEntry::Disclosed { redacted, .. } if redacted.is_empty() => "whole",
            ReceiptEntry::Disclosed { .. } => "part",
        })
        .collect();
    assert!(
        kinds.contains(&"whole") && kinds.contains(&"part"),
        "{kinds:?}"
    );
}

#[test]
fn every_event_opaque_still_verifies_and_shows_no_content() {
    let (_dir, log, head) = log_with(6);
    let receipt = log.receipt(0, head, |_| Disclosure::nothing()).unwrap();
    let report = verify_receipt(&receipt).unwrap();
    assert_eq!((report.entries_opaque, report.entries_disclosed), (6, 0));
    let text = serde_json::to_string(&receipt).unwrap();
    for revealing in [SECRET, "party-a", "trk-1", "test.event", "2025-06-01"] {
        assert!(!text.contains(revealing), "{revealing} leaked");
    }
}

#[test]
fn a_redacted_subtree_reveals_nothing_of_its_values() {
    let (_dir, log, head) = log_with(3);
    let receipt = log
        .receipt(0, head, |_| {
            Disclosure::of_pointers(["/payload/owner"]).unwrap()
        })
        .unwrap();
    verify_receipt(&receipt).unwrap();
    let text = serde_json::to_string(&receipt).unwrap();
    assert!(text.contains("party-a"), "the revealed owner is there");
    for withheld in [SECRET, "trk-1", "52.25", "test.event"] {
        assert!(!text.contains(withheld), "{withheld} leaked");
    }
    let ReceiptEntry::Disclosed {
        content, redacted, ..
    } = &receipt.entries[2]
    else {
        panic!("event 3 discloses its owner")
    };
    assert_eq!(content["payload"]["class"], Value::Null);
    assert!(redacted.contains_key("/payload/class"));
    assert!(redacted.contains_key("/actor"));
}

#[test]
fn a_receipt_of_a_later_range_joins_an_earlier_one() {
    let (_dir, mut log, first_head) = log_with(4);
    let first = log.receipt(0, first_head.clone(), party_a_view).unwrap();
    log.append((5..=7).map(new_event).collect()).unwrap();
    let (seq, hash) = log.head().unwrap().unwrap();
    let head = signer().sign(seq, &hash, &Utc::now());
    let second = log.receipt(4, head, party_a_view).unwrap();
    let report = verify_receipt(&second).unwrap();
    assert_eq!((report.after, report.head_seq), (4, 7));
    verify_receipt(&first).unwrap();
    assert_eq!(second.prev_hash, first.head.hash);
}

#[test]
fn a_pointer_into_a_leaf_row_or_to_nothing_discloses_nothing() {
    let (_dir, log, head) = log_with(1);
    let pointers = [
        "/payload/reports/0/0",
        "/payload/missing",
        "/payload/owner/x",
    ];
    let receipt = log
        .receipt(0, head, |_| Disclosure::of_pointers(pointers).unwrap())
        .unwrap();
    assert!(matches!(receipt.entries[0], ReceiptEntry::Opaque { .. }));
    verify_receipt(&receipt).unwrap();
}

#[test]
fn a_head_that_is_not_this_logs_is_refused() {
    let (_dir, log, head) = log_with(3);
    let forged = signer().sign(3, &"00".repeat(32), &Utc::now());
    let error = log.receipt(0, forged, party_a_view).unwrap_err();
    assert!(
        matches!(error, StoreError::SignedHeadRefused { seq: 3, .. }),
        "{error}"
    );
    let ahead = signer().sign(4, &head.hash, &Utc::now());
    assert!(log.receipt(0, ahead, party_a_view).is_err());
    let error = log.receipt(5, head, party_a_view).unwrap_err();
    assert!(matches!(error, StoreError::ReceiptRange { .. }), "{error}");
}

#[test]
fn signed_heads_are_recorded_append_only_and_the_latest_is_returned() {
    let (dir, mut log, head) = log_with(3);
    assert_eq!(log.latest_signed_head().unwrap(), None);
    let earlier = signer().sign(2, &log.read_from(1, 1).unwrap()[0].hash, &Utc::now());
    log.record_signed_head(&head).unwrap();
    log.record_signed_head(&earlier).unwrap();
    assert_eq!(log.latest_signed_head().unwrap(), Some(head.clone()));
    let mut bad = head.clone();
    bad.signed_at = "2030-01-01T00:00:00.000000Z".into();
    assert!(matches!(
        log.record_signed_head(&bad),
        Err(StoreError::SignedHeadRefused { .. })
    ));
    let connection = rusqlite::Connection::open(dir.path().join("events.db")).unwrap();
    let update = connection.execute("UPDATE signed_heads SET seq = 1", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = connection.execute("DELETE FROM signed_heads", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[test]
fn a_receipt_is_available_through_the_trait_object() {
    let (_dir, log, head) = log_with(2);
    let log: Box<dyn EventLog> = Box::new(log);
    let receipt = log
        .receipt(0, head, &mut |_| Disclosure::everything())
        .unwrap();
    assert_eq!(verify_receipt(&receipt).unwrap().entries_disclosed, 2);
}

#[test]
fn an_empty_receipt_at_the_genesis_head_verifies() {
    let (_dir, log, _) = log_with(1);
    let head = signer().sign(0, GENESIS_HASH, &Utc::now());
    let receipt = log.receipt(0, head, party_a_view).unwrap();
    assert!(receipt.entries.is_empty());
    assert_eq!(verify_receipt(&receipt).unwrap().head_seq, 0);
}

#[test]
fn entries_that_are_missing_or_reordered_are_named() {
    let mut receipt = party_a_receipt(5);
    receipt.entries.swap(1, 2);
    let error = verify_receipt(&receipt).unwrap_err();
    assert!(
        matches!(error, ReceiptError::BadEntry { seq: 2, .. }),
        "{error}"
    );
    let mut receipt = party_a_receipt(5);
    receipt.entries.remove(0);
    assert!(verify_receipt(&receipt).is_err());
}

/// The receipt text every mutation starts from, built once.
fn receipt_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| serde_json::to_string_pretty(&party_a_receipt(6)).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any change that alters what the receipt says (anything but whitespace or a float spelled
    /// differently) is refused, whether it breaks the JSON, the form, a digest, a salt, a
    /// disclosed value, a seq, the head or its signature.
    #[test]
    fn any_change_to_a_receipt_is_refused(position in any::<prop::sample::Index>(), byte in 0x20u8..0x7f) {
        let original = receipt_text();
        let mut bytes = original.as_bytes().to_vec();
        let at = position.index(bytes.len());
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        let Ok(text) = String::from_utf8(bytes) else { return Ok(()) };
        let Ok(changed) = serde_json::from_str::<Receipt>(&text) else { return Ok(()) };
        let unchanged: Receipt = serde_json::from_str(original).unwrap();
        prop_assume!(changed != unchanged);
        prop_assert!(verify_receipt(&changed).is_err(), "accepted after byte {} became {:?}", at, byte as char);
    }
}

/// Exhaustive companion of the property test: every position, with replacements likely to keep
/// the JSON valid (another digit, another hex letter, the other case), so that many changed
/// receipts reach the verifier rather than failing to parse.
#[test]
fn every_single_byte_change_that_parses_is_refused() {
    let original = receipt_text();
    let unchanged: Receipt = serde_json::from_str(original).unwrap();
    let mut reached_the_verifier = 0;
    for at in 0..original.len() {
        let old = original.as_bytes()[at];
        let replacements = [
            match old {
                b'0'..=b'8' => old + 1,
                b'9' => b'0',
                b'a'..=b'e' => old + 1,
                b'f' => b'a',
                _ => b'x',
            },
            old.to_ascii_uppercase(),
            old.to_ascii_lowercase(),
        ];
        for byte in replacements.into_iter().filter(|&byte| byte != old) {
            let mut bytes = original.as_bytes().to_vec();
            bytes[at] = byte;
            let Ok(changed) = serde_json::from_slice::<Receipt>(&bytes) else {
                continue;
            };
            if changed == unchanged {
                continue;
            }
            reached_the_verifier += 1;
            assert!(
                verify_receipt(&changed).is_err(),
                "accepted after byte {at} ({:?}) became {:?}",
                old as char,
                byte as char
            );
        }
    }
    assert!(
        reached_the_verifier > 1_000,
        "only {reached_the_verifier} changes parsed"
    );
}
