//! `deconflict db compact`: retention run by hand on a database file or PostgreSQL database
//! (SPEC §8); `db export` and `db import`, moving a log between stores as NDJSON.
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
use deconflict_store::{AnyLog, Database, EventLog};
use indicatif::{ProgressBar, ProgressStyle};

pub fn compact(database: &Path, retention_days: u32, quiet: bool) -> anyhow::Result<()> {
    let horizon = TimeDelta::days(i64::from(retention_days));
    anyhow::ensure!(
        horizon >= retention::MIN_HORIZON,
        "--retention-days must be at least 1: a shorter horizon could prune the latest report of \
         a live track"
    );
    let location = Database::from_path(database);
    if let Database::Sqlite(path) = &location {
        anyhow::ensure!(path.exists(), "database {} does not exist", path.display());
    }
    // Read-only first, so a PostgreSQL database without a log is refused, not given one.
    drop(
        AnyLog::open_read_only(&location)
            .with_context(|| format!("cannot open database {}", location.display()))?,
    );
    let mut log = AnyLog::open(&location)
        .with_context(|| format!("cannot open database {}", location.display()))?;
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
    let Some(vacuum) = log.release_space(true)? else {
        println!(
            "{} position batches older than {retention_days} days ({}) pruned to their digest; \
             {} payload bytes freed (PostgreSQL's autovacuum returns the space)",
            outcome.events_pruned,
            policy.before.format("%Y-%m-%dT%H:%M:%SZ"),
            outcome
                .payload_bytes_before
                .saturating_sub(outcome.payload_bytes_after),
        );
        return Ok(());
    };
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

/// Events read per page while exporting.
const EXPORT_PAGE: usize = 1_000;

/// `deconflict db export`: the whole log as NDJSON on `out`, one event a line (every column,
/// salts and pruned digests included: the file is as secret as the database). The chain is
/// verified first and the events up to that verified head are written, each checked to link to
/// the one before, so a file that was written whole verifies. Returns the head exported.
pub fn export(
    database: &Path,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Option<(u64, String)>> {
    let location = Database::from_path(database);
    let log = AnyLog::open_read_only(&location)
        .with_context(|| format!("cannot open database {}", location.display()))?;
    let report = log.verify()?;
    if let Some(bad) = report.first_bad {
        anyhow::bail!(
            "the chain of {} does not verify at event {}: {}; nothing exported",
            location.display(),
            bad.seq,
            bad.reason
        );
    }
    let Some((head_seq, head_hash)) = report.head.clone() else {
        return Ok(None);
    };
    let mut prev_hash = deconflict_store::GENESIS_HASH.to_string();
    let mut after = 0;
    while after < head_seq {
        let page = log.read_from(after, EXPORT_PAGE)?;
        anyhow::ensure!(
            !page.is_empty(),
            "event {} vanished while exporting",
            after + 1
        );
        for event in page.into_iter().take_while(|event| event.seq <= head_seq) {
            anyhow::ensure!(
                event.seq == after + 1 && event.prev_hash == prev_hash,
                "event {} does not link to the one before while exporting",
                event.seq
            );
            serde_json::to_writer(&mut *out, &event)?;
            out.write_all(b"\n")?;
            after = event.seq;
            prev_hash = event.hash;
        }
    }
    anyhow::ensure!(
        prev_hash == head_hash,
        "the exported head is not the verified head"
    );
    out.flush()?;
    Ok(Some((head_seq, head_hash)))
}

/// `deconflict db import`: reads what `db export` wrote from `input` into an empty log
/// (created if missing), refused whole if a line does not parse, the events do not verify as a
/// chain from seq 1, or the target holds events. Snapshots are not moved: the first start
/// rebuilds the state from the log.
pub fn import(
    database: &Path,
    input: &mut dyn std::io::BufRead,
) -> anyhow::Result<Option<(u64, String)>> {
    let mut events = Vec::new();
    let mut line = String::new();
    let mut number = 0usize;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        let event: deconflict_store::StoredEvent = serde_json::from_str(&line)
            .with_context(|| format!("line {number} is not an exported event; nothing imported"))?;
        events.push(event);
    }
    let location = Database::from_path(database);
    let mut log = AnyLog::open(&location)
        .with_context(|| format!("cannot open database {}", location.display()))?;
    let report = log
        .import(events)
        .with_context(|| format!("cannot import into {}", location.display()))?;
    Ok(report.head)
}
