//! `deconflict loadgen`: a seeded traffic file for tests, replay and benchmarks.
//!
//! Flights start from the engine's traffic generator in the shape asked for
//! (`tactical::traffic`: levels and climbers by default, or airways); each flies for 20–60 minutes of the file's span,
//! starting at a random time, and reports every `interval_s` seconds along its great-circle
//! heading (dead reckoning on the sphere, altitude clamped to 0–13,000 m). The same seed gives
//! the same file.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use deconflict_engine::tactical::{generate, TrafficShape};
use deconflict_engine::Motion;
use deconflict_engine::TrackReport;
use indicatif::ProgressBar;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{BufWriter, Write};
use std::path::Path;

const EARTH_RADIUS_M: f64 = 6_371_008.8;

pub struct Plan {
    pub flights: usize,
    pub duration_s: i64,
    pub interval_s: i64,
    pub seed: u64,
    pub shape: TrafficShape,
    pub start: DateTime<Utc>,
}

/// Every report of the plan, in time order.
pub fn reports(plan: &Plan) -> Vec<TrackReport> {
    let initial = generate(plan.shape, plan.flights, plan.seed, plan.start);
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed ^ 0x5eed);
    let mut reports = Vec::new();
    for (index, state) in initial.iter().enumerate() {
        let length_s = rng.random_range(1_200..=3_600).min(plan.duration_s);
        let offset_s = rng.random_range(0..=(plan.duration_s - length_s).max(0));
        let (mut lat, mut lon, mut alt) = (
            state.motion.lat_deg,
            state.motion.lon_deg,
            state.motion.altitude_m,
        );
        let heading = state.motion.track_deg.to_radians();
        let mut t = 0;
        while t <= length_s {
            let vertical = if (alt <= 0.0 && state.motion.vertical_rate_mps < 0.0)
                || (alt >= 13_000.0 && state.motion.vertical_rate_mps > 0.0)
            {
                0.0
            } else {
                state.motion.vertical_rate_mps
            };
            reports.push(TrackReport {
                track_id: format!("f{index:05}"),
                motion: Motion {
                    time: plan.start + Duration::seconds(offset_s + t),
                    lat_deg: lat,
                    lon_deg: lon,
                    altitude_m: alt,
                    ground_speed_mps: state.motion.ground_speed_mps,
                    track_deg: state.motion.track_deg,
                    vertical_rate_mps: vertical,
                },
                operation_id: None,
                callsign: Some(format!("LG{index:04}")),
                domain: Default::default(),
                vessel: None,
            });
            let step = plan.interval_s as f64;
            let north = state.motion.ground_speed_mps * heading.cos() * step;
            let east = state.motion.ground_speed_mps * heading.sin() * step;
            lat = (lat + (north / EARTH_RADIUS_M).to_degrees()).clamp(-89.0, 89.0);
            lon += (east / (EARTH_RADIUS_M * lat.to_radians().cos())).to_degrees();
            if lon > 180.0 {
                lon -= 360.0
            } else if lon < -180.0 {
                lon += 360.0
            }
            alt = (alt + vertical * step).clamp(0.0, 13_000.0);
            t += plan.interval_s;
        }
    }
    reports.sort_by(|a, b| (a.motion.time, &a.track_id).cmp(&(b.motion.time, &b.track_id)));
    reports
}

/// Writes the plan's reports as NDJSON.
pub fn write(plan: &Plan, path: &Path) -> anyhow::Result<usize> {
    anyhow::ensure!(plan.interval_s > 0, "--interval must be at least 1 second");
    anyhow::ensure!(plan.duration_s > 0, "--duration must be at least 1 second");
    let reports = reports(plan);
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = BufWriter::new(file);
    let bar = ProgressBar::new(reports.len() as u64);
    for report in &reports {
        serde_json::to_writer(&mut out, report)?;
        out.write_all(b"\n")?;
        bar.inc(1);
    }
    out.flush()?;
    bar.finish_and_clear();
    Ok(reports.len())
}
