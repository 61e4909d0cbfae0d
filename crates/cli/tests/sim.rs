//! `deconflict sim`: a seeded simulated day is the same every time, and lively.

use std::collections::BTreeMap;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_deconflict");

fn sim() -> String {
    let output = Command::new(BIN)
        .args([
            "sim",
            "--seed",
            "7",
            "--days",
            "1",
            "--parties",
            "3",
            "--no-timings",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_seeded_day_prints_the_same_bytes_twice_with_alerts_raised_resolved_and_acknowledged() {
    let first = sim();
    let second = sim();
    assert_eq!(first, second, "two runs of one seed differ");

    let hour_rows = first
        .lines()
        .filter(|line| {
            let mut fields = line.split_whitespace();
            fields.next().is_some_and(|f| f.parse::<u32>().is_ok())
                && fields.next().is_some_and(|f| f.parse::<u64>().is_ok())
        })
        .count();
    assert_eq!(hour_rows, 24, "{first}");

    // No wall-clock figure is printed.
    assert!(
        !first.lines().any(|line| line.starts_with("wall-clock:")),
        "{first}"
    );

    let totals: BTreeMap<&str, u64> = first
        .lines()
        .find_map(|line| line.strip_prefix("totals: "))
        .expect("a totals line")
        .split_whitespace()
        .map(|pair| {
            let (kind, count) = pair.split_once('=').unwrap();
            (kind, count.parse().unwrap())
        })
        .collect();
    for kind in [
        "operation_filed",
        "operation_state_changed",
        "alert_raised",
        "alert_resolved",
        "alert_acknowledged",
        "positions_reported",
        "agreement_suspended",
        "agreement_resumed",
    ] {
        assert!(
            totals.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} events: {totals:?}"
        );
    }
    let raised = first
        .lines()
        .find_map(|line| line.strip_prefix("alerts raised by kind: "))
        .expect("a line of alerts by kind");
    for kind in ["strategic_conflict", "tactical_conflict", "nonconformance"] {
        assert!(
            raised.contains(&format!("{kind}=")),
            "no {kind} alerts: {raised}"
        );
    }
    assert!(first.contains("trend of open alerts"), "{first}");
}
