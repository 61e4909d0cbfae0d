//! `deconflict db compact`: retention run by hand on a database file (SPEC §8).
//!
//! Prunes position batches older than the horizon to their digest (the same policy as the
//! server's periodic task, `deconflict_server::retention`), then gives the freed space back to
//! the file system: incrementally on files this build created, or, on a file created by an
//! earlier build, by rewriting it once (`VACUUM`, which also sets it up for incremental vacuum
//! from then on; it needs free disk space the size of the file and holds the file exclusively,
//! so a server on the same file waits). Safe to run while a server writes: pruning takes the
//! write lock a chunk at a time. Ends with one line: batches pruned and bytes freed.

use std::path::Path;

use anyhow::Context;
use chrono::{TimeDelta, Utc};
use deconflict_server::retention;
use deconflict_store::SqliteLog;
use indicatif::{ProgressBar, ProgressStyle};

pub fn compact(database: &Path, retention_days: u32, quiet: bool) -> anyhow::Result<()> {
    let horizon = TimeDelta::days(i64::from(retention_days));
    anyhow::ensure!(
        horizon >= retention::MIN_HORIZON,
        "--retention-days must be at least 1: a shorter horizon could prune the latest report of \
         a live track"
    );
    anyhow::ensure!(
        database.exists(),
        "database {} does not exist",
        database.display()
    );
    let mut log = SqliteLog::open(database)
        .with_context(|| format!("cannot open database {}", database.display()))?;
    let file_bytes_before = file_bytes(database);
    let now = Utc::now();
    // The server's default report window: the margin that keeps a replay exact (the proof is
    // in `deconflict_engine::decide::retention`). A horizon shorter than the server's own
    // makes a replay forget lost tracks the running server still knows until it forgets them.
    let policy = retention::policy(
        now,
        horizon,
        &deconflict_engine::decide::ReportWindow::default(),
    );
    let candidates = log.count_prunable(&policy)?;
    let bar = match quiet {
        true => ProgressBar::hidden(),
        false => ProgressBar::new(candidates),
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} batches {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let outcome = log.prune(&policy, now, &mut |outcome| {
        bar.set_position(outcome.events_pruned + outcome.events_left_whole);
    })?;
    bar.finish_and_clear();
    bar.set_message("vacuuming");
    let vacuum = log.vacuum(true)?;
    drop(log);
    let file_bytes_after = file_bytes(database);
    let how = match vacuum.rewritten {
        true => "file rewritten by VACUUM, incremental from now on",
        false => "free pages released by incremental vacuum",
    };
    println!(
        "{} position batches logged before {} ({retention_days} days, the report window and an \
         hour ago) pruned to their digest; \
         {} bytes freed ({} → {} bytes; {how})",
        outcome.events_pruned,
        policy.before.format("%Y-%m-%dT%H:%M:%SZ"),
        file_bytes_before.saturating_sub(file_bytes_after),
        file_bytes_before,
        file_bytes_after,
    );
    Ok(())
}

/// The database file and its WAL together: what the file system holds for it.
fn file_bytes(database: &Path) -> u64 {
    let mut wal = database.as_os_str().to_owned();
    wal.push("-wal");
    [database.as_os_str().to_owned(), wal]
        .iter()
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|metadata| metadata.len())
        .sum()
}
