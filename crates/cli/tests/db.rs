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

/// Runs `deconflict db ARGS --database DATABASE`, stdin from `input`, stdout to `output`.
fn run_with_files(
    args: &[&str],
    database: &str,
    input: Option<&Path>,
    output: Option<&Path>,
) -> (bool, String) {
    let mut command = Command::new(BIN);
    command.args(args).arg("--database").arg(database);
    if let Some(input) = input {
        command.stdin(std::fs::File::open(input).unwrap());
    }
    if let Some(output) = output {
        command.stdout(std::fs::File::create(output).unwrap());
    }
    let result = command.output().unwrap();
    (
        result.status.success(),
        String::from_utf8_lossy(&result.stdout).into_owned()
            + &String::from_utf8_lossy(&result.stderr),
    )
}

/// The head hash `audit verify` reports for a database.
fn verified_head(database: &str) -> String {
    let output = Command::new(BIN)
        .args(["audit", "verify", "--database", database])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}");
    stdout.rsplit("hash ").next().unwrap().trim().to_string()
}

#[test]
fn a_log_moves_sqlite_to_postgres_to_sqlite_with_the_same_head_and_bytes() {
    let Some(postgres) =
        deconflict_store::testing::TestDatabase::create("a_log_moves_sqlite_to_postgres_to_sqlite")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/tests/fixtures/schema-v2.db");
    std::fs::copy(fixture, &source).unwrap();
    let source = source.to_str().unwrap().to_string();
    // Pruned events must move with their digests.
    let (ok, out) = run_with_files(&["db", "compact", "--quiet"], &source, None, None);
    assert!(ok && out.starts_with("2 position batches"), "{out}");
    let head = verified_head(&source);

    let exported = dir.path().join("log.ndjson");
    let (ok, out) = run_with_files(&["db", "export"], &source, None, Some(&exported));
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read_to_string(&exported).unwrap().lines().count(),
        4
    );

    let (ok, out) = run_with_files(&["db", "import"], postgres.url(), Some(&exported), None);
    assert!(ok && out.contains(&head), "{out}");
    assert_eq!(verified_head(postgres.url()), head);

    let again = dir.path().join("again.ndjson");
    let (ok, out) = run_with_files(&["db", "export"], postgres.url(), None, Some(&again));
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read(&exported).unwrap(),
        std::fs::read(&again).unwrap(),
        "the same events, byte for byte"
    );

    let back = dir.path().join("back.db");
    let back = back.to_str().unwrap();
    let (ok, out) = run_with_files(&["db", "import"], back, Some(&again), None);
    assert!(ok, "{out}");
    assert_eq!(verified_head(back), head);

    // Importing into a log that holds events is refused whole.
    let (ok, out) = run_with_files(&["db", "import"], postgres.url(), Some(&exported), None);
    assert!(!ok && out.contains("not empty"), "{out}");
    assert_eq!(verified_head(postgres.url()), head);
}

#[test]
fn an_import_that_does_not_verify_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/tests/fixtures/schema-v2.db");
    std::fs::copy(fixture, &source).unwrap();
    let exported = dir.path().join("log.ndjson");
    let (ok, out) = run_with_files(
        &["db", "export"],
        source.to_str().unwrap(),
        None,
        Some(&exported),
    );
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&exported).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut third: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    third["actor"] = serde_json::json!("mallory");
    lines[2] = third.to_string();
    let edited = dir.path().join("edited.ndjson");
    std::fs::write(&edited, lines.join("\n") + "\n").unwrap();
    let mut targets = vec![dir.path().join("target.db").to_str().unwrap().to_string()];
    let postgres =
        deconflict_store::testing::TestDatabase::create("an_import_that_does_not_verify");
    if let Some(postgres) = &postgres {
        targets.push(postgres.url().to_string());
    }
    for target in &targets {
        let (ok, out) = run_with_files(&["db", "import"], target, Some(&edited), None);
        assert!(!ok && out.contains("event 3 does not verify"), "{out}");
        let output = Command::new(BIN)
            .args(["audit", "verify", "--database", target])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("the event log is empty"), "{stdout}");
    }
}
