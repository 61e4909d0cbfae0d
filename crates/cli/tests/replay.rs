//! `deconflict loadgen` and `deconflict replay` as a user runs them.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_deconflict");

fn run(args: &[&str]) -> String {
    let output = Command::new(BIN).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The issue's acceptance case: one hour of 2,000 flights completes and is deterministic.
#[test]
fn a_generated_hour_of_2000_flights_replays_to_the_same_report_every_time() {
    let directory = tempfile::tempdir().unwrap();
    let traffic = directory.path().join("traffic.ndjson");
    let traffic = traffic.to_str().unwrap();
    let out = run(&[
        "loadgen",
        "--flights",
        "2000",
        "--duration",
        "3600",
        "--interval",
        "10",
        "--seed",
        "3",
        "--out",
        traffic,
    ]);
    assert!(out.starts_with("wrote "), "{out}");
    let first = directory.path().join("first.json");
    let second = directory.path().join("second.json");
    let table_1 = run(&[
        "replay",
        traffic,
        "--quiet",
        "--json",
        first.to_str().unwrap(),
    ]);
    let table_2 = run(&[
        "replay",
        traffic,
        "--quiet",
        "--json",
        second.to_str().unwrap(),
    ]);
    assert_eq!(table_1, table_2);
    let report_1 = std::fs::read_to_string(&first).unwrap();
    assert_eq!(report_1, std::fs::read_to_string(&second).unwrap());
    let report: Value = serde_json::from_str(&report_1).unwrap();
    assert_eq!(report["tracks"], 2000);
    assert!(report["passes"].as_u64().unwrap() >= 3600);
    assert!(!report["conflicts"].as_array().unwrap().is_empty());
    assert!(table_1.contains("tactical conflicts by highest severity"));
}

#[test]
fn a_head_on_encounter_is_found_with_its_first_time() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("encounter.ndjson");
    // Two aircraft 0.2° apart at 35° N, closing at 400 m/s at FL300, and a third at FL310
    // (exactly 1,000 ft above: separated), reporting every 5 s for a minute.
    let mut lines = Vec::new();
    for step in 0..12 {
        let t = step * 5;
        let moved = 200.0 * t as f64 / 91_290.0;
        let time = format!("2030-01-01T00:00:{t:02}Z");
        for (id, lon, heading, alt) in [
            ("east", 35.9 + moved, 90.0, 9144.0),
            ("west", 36.1 - moved, 270.0, 9144.0),
            ("above", 36.1 - moved, 270.0, 9448.8),
        ] {
            lines.push(format!(
                r#"{{"track_id":"{id}","time":"{time}","lat_deg":35.0,"lon_deg":{lon},"altitude_m":{alt},"ground_speed_mps":200.0,"track_deg":{heading},"vertical_rate_mps":0.0}}"#
            ));
        }
    }
    std::fs::write(&file, lines.join("\n")).unwrap();
    let json = directory.path().join("report.json");
    run(&[
        "replay",
        file.to_str().unwrap(),
        "--quiet",
        "--json",
        json.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let conflicts = report["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0]["tracks"], serde_json::json!(["east", "west"]));
    assert_eq!(conflicts[0]["first_time"], "2030-01-01T00:00:00Z");
    assert_eq!(conflicts[0]["max_severity"], "warning");
    assert_eq!(conflicts[0]["los"], true);
    assert!(conflicts[0]["min_d_cpa_m"].as_f64().unwrap() < 1.0);
}

#[test]
fn receiver_formats_replay_and_malformed_lines_are_counted_not_fatal() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds/tests/data");
    let sbs = data.join("sbs_capture.txt");
    let opensky = data.join("opensky_states.csv");
    let directory = tempfile::tempdir().unwrap();
    let json = directory.path().join("report.json");
    let table = run(&[
        "replay",
        sbs.to_str().unwrap(),
        opensky.to_str().unwrap(),
        "--quiet",
        "--json",
        json.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["files"][0]["reports"], 6);
    assert_eq!(report["files"][0]["malformed"], 4);
    assert_eq!(report["files"][1]["reports"], 5);
    assert_eq!(report["files"][1]["malformed"], 3);
    assert_eq!(report["reports"], 11);
    assert!(table.contains("malformed"), "{table}");

    let output = Command::new(BIN)
        .args(["replay", "/nonexistent.ndjson"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr)
        .unwrap()
        .starts_with("deconflict: cannot open /nonexistent.ndjson"));
}
