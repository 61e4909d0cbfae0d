//! `deconflict audit verify --db FILE`.

use anyhow::Context;
use deconflict_store::SqliteLog;
use std::path::Path;
use std::process::ExitCode;

/// Exit 0 when the chain verifies, 1 when an event does not match (named on stdout).
pub fn verify(db: &Path) -> anyhow::Result<ExitCode> {
    let log =
        SqliteLog::open_read_only(db).with_context(|| format!("cannot open {}", db.display()))?;
    let report = log
        .verify()
        .with_context(|| format!("cannot read the event log in {}", db.display()))?;
    match report.first_bad {
        None => {
            match report.head {
                Some((seq, hash)) => println!(
                    "ok: {} events verified; head is event {seq}, hash {hash}",
                    report.events_checked
                ),
                None => println!("ok: the event log is empty"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(bad) => {
            println!(
                "FAILED: event {} does not verify: {} ({} events before it verified)",
                bad.seq, bad.reason, report.events_checked
            );
            Ok(ExitCode::from(1))
        }
    }
}
