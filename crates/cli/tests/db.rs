//! `deconflict db compact` as a user runs it, on a log written by the schema version 2 build.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_deconflict");

fn run(args: &[&str], database: &Path) -> (bool, String, String) {
    let output = Command::new(BIN).args(args).arg(database).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn db_compact_prunes_old_position_batches_shrinks_the_file_and_the_chain_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("v2.db");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/tests/fixtures/schema-v2.db");
    std::fs::copy(fixture, &database).unwrap();

    let (ok, stdout, stderr) = run(&["db", "compact", "--quiet", "--database"], &database);
    assert!(ok, "{stderr}");
    // The fixture's two batches are from January 2025, long past 30 days.
    assert!(
        stdout.starts_with("2 position batches logged before"),
        "{stdout}"
    );
    assert!(stdout.contains("file rewritten by VACUUM"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");

    let (ok, stdout, stderr) = run(&["audit", "verify", "--db"], &database);
    assert!(ok, "{stdout}{stderr}");

    let (ok, stdout, _) = run(&["db", "compact", "--quiet", "--database"], &database);
    assert!(ok && stdout.starts_with("0 position batches"), "{stdout}");
    assert!(stdout.contains("incremental vacuum"), "{stdout}");
}

#[test]
fn db_compact_refuses_a_horizon_under_a_day_and_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("none.db");
    let (ok, _, stderr) = run(
        &["db", "compact", "--retention-days", "0", "--database"],
        &database,
    );
    assert!(!ok && stderr.contains("retention-days"), "{stderr}");
    let (ok, _, stderr) = run(&["db", "compact", "--database"], &database);
    assert!(!ok && stderr.contains("does not exist"), "{stderr}");
    assert!(!database.exists(), "nothing was created");
}
