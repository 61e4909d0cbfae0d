//! `deconflict replay FILE…`: recorded traffic through tactical detection, as fast as possible.
//!
//! The files (SBS-1, OpenSky CSV or NDJSON, sniffed from their first line) are merged in time
//! order and fed to the engine exactly as the server would: reports are applied as they fall
//! due, and a tactical pass runs every `tick_s` seconds of recorded time. Each track is treated
//! as its own party (a recording does not say who operates what), so every pair of tracks is
//! checked. Nothing depends on the wall clock or on hash-map order: the same files give the
//! same report, byte for byte.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use deconflict_engine::decide;
use deconflict_engine::{AlertKind, Event, PartyId, Severity, State, TrackReport};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub lines: u64,
    pub reports: u64,
    pub ignored: u64,
    pub malformed: u64,
    pub malformed_examples: Vec<String>,
}

/// One tactical conflict as the replay saw it.
#[derive(Debug, Clone, Serialize)]
pub struct ConflictSummary {
    pub alert_id: String,
    pub tracks: [String; 2],
    pub first_time: DateTime<Utc>,
    pub max_severity: Severity,
    pub los: bool,
    /// Smallest predicted closest approach seen (m).
    pub min_d_cpa_m: f64,
    /// Smallest horizontal distance seen at a pass (m).
    pub min_distance_m: f64,
}

#[derive(Debug, Serialize)]
pub struct ReplayReport {
    pub files: Vec<FileSummary>,
    pub reports: usize,
    pub refused_reports: usize,
    pub tracks: usize,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub passes: u64,
    pub tactical_by_severity: BTreeMap<String, usize>,
    pub losses_of_separation: usize,
    pub conflicts: Vec<ConflictSummary>,
}

fn read_file(path: &Path) -> anyhow::Result<(Vec<TrackReport>, FileSummary)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let (reports, stats) = deconflict_feeds::read_reports(BufReader::new(file))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let reports = reports
        .into_iter()
        // No operations are filed in a replay: a report's operation would only be "not filed".
        .map(|r| TrackReport {
            operation_id: None,
            ..r
        })
        .collect();
    let summary = FileSummary {
        path: path.display().to_string(),
        lines: stats.lines,
        reports: stats.reports,
        ignored: stats.ignored,
        malformed: stats.malformed,
        malformed_examples: stats.examples.clone(),
    };
    Ok((reports, summary))
}

/// Runs the replay; `progress` shows a bar on the terminal.
pub fn replay(files: &[PathBuf], tick_s: f64, progress: bool) -> anyhow::Result<ReplayReport> {
    anyhow::ensure!(
        tick_s > 0.0 && tick_s.is_finite(),
        "--tick must be a positive number of seconds"
    );
    let mut all = Vec::new();
    let mut summaries = Vec::new();
    for path in files {
        let (reports, summary) = read_file(path)?;
        all.extend(reports);
        summaries.push(summary);
    }
    all.sort_by(|a, b| (a.motion.time, &a.track_id).cmp(&(b.motion.time, &b.track_id)));
    let bar = if progress {
        ProgressBar::new(all.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} reports ({per_sec}) {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    let mut state = State::new();
    let mut conflicts: BTreeMap<String, ConflictSummary> = BTreeMap::new();
    let mut refused = 0;
    let mut passes = 0;
    let tick = Duration::microseconds((tick_s * 1e6) as i64);
    let start = all.first().map(|r| r.motion.time);
    let end = all.last().map(|r| r.motion.time);
    let mut next = 0;
    if let (Some(start), Some(end)) = (start, end) {
        let mut now = start;
        // Run until every track has gone stale after the last report.
        let stop = end + Duration::seconds(31);
        while now <= stop {
            let mut by_owner: BTreeMap<String, Vec<(usize, TrackReport)>> = BTreeMap::new();
            while next < all.len() && all[next].motion.time <= now {
                let report = all[next].clone();
                by_owner
                    .entry(report.track_id.clone())
                    .or_default()
                    .push((next, report));
                next += 1;
            }
            for (owner, reports) in by_owner {
                // The file's own clock: each report is fed at its recorded time.
                let decision = decide::report_positions(
                    &state,
                    &PartyId(owner),
                    reports,
                    now,
                    &Default::default(),
                );
                refused += decision.outcome.1.len();
                for event in &decision.events {
                    state.apply(now, event);
                }
            }
            let decision = decide::tactical_pass(&state, now);
            passes += 1;
            for event in &decision.events {
                record(&mut conflicts, event, now);
                state.apply(now, event);
            }
            bar.set_position(next as u64);
            now += tick;
            // Skip quiet stretches once nothing is live.
            if decision.outcome.live_tracks == 0 && next < all.len() && all[next].motion.time > now
            {
                now = all[next].motion.time;
            }
        }
    }
    bar.finish_with_message("done");
    let mut by_severity = BTreeMap::new();
    for severity in ["advisory", "caution", "warning"] {
        by_severity.insert(severity.to_owned(), 0);
    }
    for conflict in conflicts.values() {
        let name = serde_json::to_value(conflict.max_severity).expect("severity serialises");
        *by_severity
            .entry(name.as_str().unwrap_or("?").to_owned())
            .or_default() += 1;
    }
    let mut conflicts: Vec<_> = conflicts.into_values().collect();
    conflicts.sort_by(|a, b| {
        a.first_time
            .cmp(&b.first_time)
            .then(a.alert_id.cmp(&b.alert_id))
    });
    Ok(ReplayReport {
        files: summaries,
        reports: all.len(),
        refused_reports: refused,
        tracks: state.track_count(),
        start,
        end,
        passes,
        tactical_by_severity: by_severity,
        losses_of_separation: conflicts.iter().filter(|c| c.los).count(),
        conflicts,
    })
}

fn record(conflicts: &mut BTreeMap<String, ConflictSummary>, event: &Event, now: DateTime<Utc>) {
    let (Event::AlertRaised { alert } | Event::AlertUpdated { alert }) = event else {
        return;
    };
    if alert.kind != AlertKind::TacticalConflict {
        return;
    }
    let detail = alert
        .tactical()
        .expect("a tactical alert has tactical detail");
    let entry = conflicts
        .entry(alert.id.0.clone())
        .or_insert_with(|| ConflictSummary {
            alert_id: alert.id.0.clone(),
            tracks: [
                detail.tracks[0].track_id.clone(),
                detail.tracks[1].track_id.clone(),
            ],
            first_time: now,
            max_severity: alert.severity,
            los: false,
            min_d_cpa_m: f64::INFINITY,
            min_distance_m: f64::INFINITY,
        });
    entry.max_severity = entry.max_severity.max(alert.severity);
    entry.los |= detail.los_now;
    entry.min_d_cpa_m = entry.min_d_cpa_m.min(detail.d_cpa_m);
    entry.min_distance_m = entry.min_distance_m.min(detail.horizontal_distance_now_m);
}

/// The report as a table for the terminal.
pub fn table(report: &ReplayReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for file in &report.files {
        let _ = writeln!(
            out,
            "{}: {} lines, {} reports, {} ignored, {} malformed",
            file.path, file.lines, file.reports, file.ignored, file.malformed
        );
        for example in &file.malformed_examples {
            let _ = writeln!(out, "  malformed: {example}");
        }
    }
    let _ = writeln!(
        out,
        "{} reports of {} tracks, {} passes",
        report.reports, report.tracks, report.passes
    );
    if let (Some(start), Some(end)) = (report.start, report.end) {
        let _ = writeln!(out, "from {start} to {end}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "tactical conflicts by highest severity:");
    for severity in ["warning", "caution", "advisory"] {
        let _ = writeln!(
            out,
            "  {severity:<9} {}",
            report
                .tactical_by_severity
                .get(severity)
                .copied()
                .unwrap_or(0)
        );
    }
    let _ = writeln!(
        out,
        "  losses of separation: {}",
        report.losses_of_separation
    );
    let _ = writeln!(out);
    let mut closest: Vec<&ConflictSummary> = report.conflicts.iter().collect();
    closest.sort_by(|a, b| {
        a.min_d_cpa_m
            .total_cmp(&b.min_d_cpa_m)
            .then(a.alert_id.cmp(&b.alert_id))
    });
    let _ = writeln!(out, "closest pairs (first 10):");
    let _ = writeln!(
        out,
        "  {:<12} {:<12} {:<27} {:<9} {:>10} {:>10}",
        "track", "track", "first alerted (UTC)", "severity", "d_cpa (m)", "seen (m)"
    );
    for c in closest.iter().take(10) {
        let severity = serde_json::to_value(c.max_severity).expect("severity serialises");
        let _ = writeln!(
            out,
            "  {:<12} {:<12} {:<27} {:<9} {:>10.0} {:>10.0}{}",
            c.tracks[0],
            c.tracks[1],
            c.first_time.format("%Y-%m-%d %H:%M:%S%.3f"),
            severity.as_str().unwrap_or("?"),
            c.min_d_cpa_m,
            c.min_distance_m,
            if c.los { "  LoS" } else { "" }
        );
    }
    out
}
