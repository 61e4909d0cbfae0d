//! Logs written by earlier builds replay to the same state forever after (SPEC §8, issue 15).
//!
//! `fixtures/log-v1-*.ndjson` are event logs written by the build of 2026-12-06 (event wire
//! version 1, before payloads had wire structs of their own), exported row by row from SQLite
//! unchanged (`seq`, `time`, `actor`, `kind`, `payload`, `prev_hash`, `hash`, `salt`):
//! - `log-v1-demo.ndjson`: `deconflict demo` with every hotline command issued by curl on top
//!   (token issued and revoked, a message sent and read, an incident, a shared report received,
//!   a zone and a site withdrawn, an alert acknowledged);
//! - `log-v1-sim.ndjson`: the first 810 events of `deconflict sim --days 1 --parties 2
//!   --report 120 --tick 30` (agreements suspended and resumed, escalation, re-notification,
//!   tracks lost).
//! - `log-v2-retention.ndjson`: written by the build of 2026-12-06 after tracks were forgotten
//!   by retention (event `tracks_forgotten`): the scenario of `retention.rs`'s first test (two
//!   encounters 40 days apart), its first minute's 120 position batches pruned by the retention
//!   task to their digest (`pruned` on each). Written by that test with
//!   `DECONFLICT_WRITE_RETENTION_FIXTURE=<path>`.
//! - `log-v3-cellstream.ndjson`: written by the build of 2026-12-06 after position reports
//!   could travel on NATS JetStream (event `positions_published`): the PostgreSQL log of
//!   `cellstream.rs`'s scenario (two nodes, reports by cell, one killed), exported row by row by
//!   that test with `DECONFLICT_WRITE_CELLSTREAM_FIXTURE=<path>`. Its alerts were raised on
//!   tracks the log never held, so its replay holds them but no track.
//!
//! Together they hold every kind of event. Each must still verify as a chain and replay to the
//! state in `log-v1-*.state.json`, which was written by that same build. The summary names what
//! a user sees of the state (alerts with their lifecycle, operations, tracks, hotline traffic,
//! agreements, zones, sites), not the layout of internal structs, so it stays valid while
//! those change. `DECONFLICT_BLESS=1` rewrites the expected files: only ever do that for a
//! deliberate change of what a replay means, and say why in the commit.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use deconflict_engine::{Event, State};
use deconflict_store::{verify_events, StoredEvent};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read_log(name: &str) -> Vec<StoredEvent> {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture is readable");
    text.lines()
        .enumerate()
        .map(|(line, row)| {
            serde_json::from_str(row).unwrap_or_else(|e| panic!("{name}:{}: {e}", line + 1))
        })
        .collect()
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// What a user sees of the state, sorted, independent of the engine's internal layout.
fn summary(state: &State) -> Value {
    let mut parties: Vec<Value> = state
        .parties()
        .map(|p| json!({ "id": p.id.0.as_str(), "name": p.name, "tokens": state.token_ids(&p.id) }))
        .collect();
    parties.sort_by_key(|p| p["id"].to_string());
    let mut alerts: Vec<Value> = state
        .alerts()
        .map(|a| {
            json!({
                "id": a.id.0,
                "kind": a.kind,
                "severity": a.severity,
                "state": a.state,
                "recipients": a.recipients.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
                "raised_at": time(&a.raised_at),
                "updated_at": time(&a.updated_at),
                "resolved_at": a.resolved_at.as_ref().map(time),
                "resolved_reason": a.resolved_reason,
                "acknowledged_by": a.acknowledgements.keys().map(|p| p.0.as_str()).collect::<Vec<_>>(),
                "escalations": a.escalations,
                "renotifications": a.renotifications,
                "detail": a.detail,
            })
        })
        .collect();
    alerts.sort_by_key(|a| a["id"].to_string());
    let mut operations: Vec<Value> = state
        .operations()
        .map(|o| {
            json!({
                "key": format!("{}/{}", o.key.owner.0.as_str(), o.key.id),
                "version": o.version,
                "state": o.state,
                "volumes": o.volumes.len(),
                "spec": o.spec,
            })
        })
        .collect();
    operations.sort_by_key(|o| o["key"].to_string());
    let mut tracks: Vec<Value> = state
        .tracks()
        .map(|t| {
            json!({
                "owner": t.owner.0.as_str(),
                "track_id": t.id,
                "time": time(&t.motion().time),
                "lat_deg": t.motion().lat_deg,
                "lon_deg": t.motion().lon_deg,
                "altitude_m": t.motion().altitude_m,
                "lost": t.lost,
            })
        })
        .collect();
    tracks.sort_by_key(|t| format!("{}/{}", t["owner"], t["track_id"]));
    let mut zones: Vec<Value> = state
        .zones()
        .map(|z| json!({ "id": z.id, "owner": z.owner.0.as_str(), "version": z.version, "spec": z.spec }))
        .collect();
    zones.sort_by_key(|z| z["id"].to_string());
    let mut sites: Vec<Value> = state
        .sites()
        .map(|s| json!({ "id": s.id, "owner": s.owner.0.as_str(), "version": s.version, "spec": s.spec }))
        .collect();
    sites.sort_by_key(|s| s["id"].to_string());
    let agreements: Vec<Value> = state
        .agreements()
        .map(|a| json!({ "id": a.id, "in_force": a.in_force, "pending": a.pending, "suspended": a.suspended }))
        .collect();
    json!({
        "events_applied": state.events_applied(),
        "parties": parties,
        "alerts": alerts,
        "operations": operations,
        "tracks": tracks,
        "zones": zones,
        "sites": sites,
        "agreements": agreements,
        "messages": state.messages().collect::<Vec<_>>(),
        "incidents": state.incidents().collect::<Vec<_>>(),
        "reports": state.reports().collect::<Vec<_>>(),
    })
}

fn check(log: &str, expected: &str) {
    let events = read_log(log);
    let report = verify_events(events.clone().into_iter());
    assert_eq!(report.first_bad, None, "{log} no longer verifies");
    assert_eq!(report.events_checked, events.len() as u64);
    let mut state = State::new();
    for stored in &events {
        let event = Event::from_parts(&stored.kind, stored.payload.clone())
            .unwrap_or_else(|e| panic!("{log}: event {} cannot be read: {e}", stored.seq));
        state.apply(stored.time, &event);
    }
    let got = serde_json::to_string_pretty(&summary(&state)).expect("summary serialises") + "\n";
    let path = fixture(expected);
    if std::env::var_os("DECONFLICT_BLESS").is_some() {
        std::fs::write(&path, &got).expect("expected state is writable");
    }
    let want = std::fs::read_to_string(&path).expect("expected state is readable");
    assert!(
        got == want,
        "{log} no longer replays to {expected}; first differing line: {:?}",
        got.lines()
            .zip(want.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
    );
}

#[test]
fn the_demo_log_of_version_1_replays_to_the_same_state() {
    check("log-v1-demo.ndjson", "log-v1-demo.state.json");
}

#[test]
fn the_sim_log_of_version_1_replays_to_the_same_state() {
    check("log-v1-sim.ndjson", "log-v1-sim.state.json");
}

#[test]
fn a_log_pruned_by_retention_replays_to_the_same_state() {
    check("log-v2-retention.ndjson", "log-v2-retention.state.json");
}

#[test]
fn a_log_of_positions_on_nats_replays_to_the_same_state() {
    check("log-v3-cellstream.ndjson", "log-v3-cellstream.state.json");
}

const LOGS: [&str; 4] = [
    "log-v1-demo.ndjson",
    "log-v1-sim.ndjson",
    "log-v2-retention.ndjson",
    "log-v3-cellstream.ndjson",
];

/// The guard against a silent format change: every logged event, read and written again by this
/// build, is the same payload (in its current version, which reads back to the same event).
#[test]
fn every_logged_event_is_written_again_as_it_was_or_as_its_next_version() {
    for log in LOGS {
        // A pruned event no longer holds what was written (its digest does, in `pruned`).
        for stored in read_log(log).into_iter().filter(|e| e.pruned.is_none()) {
            let event = Event::from_parts(&stored.kind, stored.payload.clone()).unwrap();
            let (kind, payload) = event.to_log();
            if kind == stored.kind {
                assert_eq!(
                    deconflict_store::canonical_json(&payload),
                    deconflict_store::canonical_json(&stored.payload),
                    "{log}: event {} ({kind}) is no longer written as it was: a change of its \
                     encoding needs a new version in deconflict_engine::wire",
                    stored.seq
                );
            } else {
                assert_eq!(
                    deconflict_engine::wire::name_of(&kind),
                    stored.kind,
                    "{log}: event {} changed kind",
                    stored.seq
                );
                let again = Event::from_parts(&kind, payload).unwrap();
                assert_eq!(again, event, "{log}: event {} upgraded differs", stored.seq);
            }
        }
    }
}

#[test]
fn the_fixtures_hold_every_kind_of_event() {
    let mut kinds: std::collections::BTreeSet<String> = Default::default();
    for log in LOGS {
        kinds.extend(read_log(log).into_iter().map(|e| e.kind));
    }
    for kind in deconflict_engine::event::KINDS {
        assert!(kinds.contains(*kind), "no {kind} event in the fixtures");
    }
}
