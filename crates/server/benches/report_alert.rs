//! Position report received → alert on a party's stream, one node, at 10,000 tracks reporting
//! at 1 Hz (SPEC §10: p99 ≤ 100 ms; issue 20 point 3).
//!
//! The node runs as `serve` does: SQLite, the 1 s periodic pass, and (second mode) the pass
//! that new reports start at most [`deconflict_server::app::PASS_AFTER_REPORTS`] after the
//! previous pass ([`Config::pass_after_reports`]). The first mode, the 1 s tick alone, is the
//! baseline measured in the same run.
//!
//! The load: `TRACKS` (default 10,000) aircraft of SPEC §10's traffic (`levels`: 1 per 100 km²,
//! 60 % level, 40 % climbing or descending, 4 parties) over Europe, each reported once a second
//! with its time and dead-reckoned position, in ten slices a second (every 100 ms a tenth of
//! them, as NDJSON per party), so the pass has the whole traffic's conflicts to keep up to date.
//! The probes: per sample, a pair of aircraft of two other parties, head-on 20 km apart over the
//! southern ocean, far from the load and from earlier probes; blue is reported, then red, and
//! latency runs from just before red's report is sent to the moment blue's alert stream yields
//! the alert naming blue's track. Samples start at spread points of the second (a
//! low-discrepancy sequence), as reports arrive at any time. Prints p50 / p99 / max per mode,
//! and the median and p99 of the server's own passes over the mode's last minute (`/metrics`).
//!
//! Run: `cargo bench -p deconflict-server --bench report_alert` (`TRACKS=…`, `SAMPLES=…`).

use chrono::Utc;
use deconflict_engine::tactical::traffic::{generate, TrafficShape};
use deconflict_server::{App, Config};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

mod common;

const ADMIN: &str = "report-alert-bench-admin-token-0";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let tracks = env("TRACKS", 10_000);
    let samples = env("SAMPLES", 100);
    runtime.block_on(async {
        let tick = run(tracks, samples, None).await;
        eprintln!("report -> alert, {tracks} tracks at 1 Hz, the 1 s pass alone: {tick}");
        let after = deconflict_server::app::PASS_AFTER_REPORTS;
        let soon = run(tracks, samples, Some(after)).await;
        eprintln!(
            "report -> alert, {tracks} tracks at 1 Hz, a pass {} ms after reports: {soon}",
            after.as_millis()
        );
    });
}

async fn run(tracks: usize, samples: usize, pass_after_reports: Option<Duration>) -> String {
    let directory = tempfile::tempdir().unwrap();
    let mut config = Config::new(directory.path().join("bench.db"), ADMIN.to_owned());
    config.signing_key = Some(directory.path().join("bench.signing-key"));
    config.pass_after_reports = pass_after_reports;
    let app = Arc::new(App::open(config).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(deconflict_server::serve(
        listener,
        app.clone(),
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    let mut tokens = std::collections::BTreeMap::new();
    for id in ["party-0", "party-1", "party-2", "party-3", "blue", "red"] {
        tokens.insert(
            id,
            common::register_operator(&client, &base, ADMIN, id).await,
        );
    }

    // The load, in ten slices a second, each slice's reports dead-reckoned to their send time.
    let traffic = Arc::new(generate(
        TrafficShape::LevelsAndClimbers,
        tracks,
        21,
        Utc::now(),
    ));
    let start = Instant::now();
    let load = {
        let (client, base, tokens) = (client.clone(), base.clone(), tokens.clone());
        let traffic = traffic.clone();
        tokio::spawn(async move {
            let mut slice = 0usize;
            loop {
                tokio::time::sleep_until(
                    (start + Duration::from_millis(100 * slice as u64)).into(),
                )
                .await;
                let dt = start.elapsed().as_secs_f64();
                let time = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let mut bodies = vec![String::new(); 4];
                for (i, state) in traffic.iter().enumerate().skip(slice % 10).step_by(10) {
                    let (sin, cos) = state.motion.track_deg.to_radians().sin_cos();
                    let lat = state.motion.lat_deg
                        + (state.motion.ground_speed_mps * cos * dt / 6_371_000.0).to_degrees();
                    let lon = state.motion.lon_deg
                        + (state.motion.ground_speed_mps * sin * dt
                            / (6_371_000.0 * lat.to_radians().cos()))
                        .to_degrees();
                    let altitude = (state.motion.altitude_m + state.motion.vertical_rate_mps * dt)
                        .clamp(0.0, 15_000.0);
                    let party: usize = state.owner.0.trim_start_matches("party-").parse().unwrap();
                    bodies[party].push_str(
                        &json!({
                            "track_id": format!("t{i}"), "time": time, "lat_deg": lat,
                            "lon_deg": lon, "altitude_m": altitude,
                            "ground_speed_mps": state.motion.ground_speed_mps,
                            "track_deg": state.motion.track_deg,
                            "vertical_rate_mps": state.motion.vertical_rate_mps
                        })
                        .to_string(),
                    );
                    bodies[party].push('\n');
                }
                for (party, body) in bodies.into_iter().enumerate() {
                    let response = client
                        .post(format!("{base}/v1/positions"))
                        .bearer_auth(&tokens[format!("party-{party}").as_str()])
                        .header("content-type", "application/x-ndjson")
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    assert!(response.status().is_success(), "{}", response.status());
                }
                slice += 1;
            }
        })
    };

    // Blue's alert stream: the text of every alert raised, as it arrives.
    let (arrivals, mut arrived) = mpsc::unbounded_channel::<(Instant, String)>();
    let response = client
        .get(format!("{base}/v1/alerts/stream"))
        .bearer_auth(&tokens["blue"])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    tokio::spawn(async move {
        let mut response = response;
        let mut pending = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            let at = Instant::now();
            pending.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = pending.find("\n\n") {
                let frame: String = pending.drain(..end + 2).collect();
                if frame.contains("alert_raised") {
                    let _ = arrivals.send((at, frame));
                }
            }
        }
    });
    // Warm up: the load flowing for a few seconds.
    tokio::time::sleep(Duration::from_secs(5)).await;

    let report = |track: String, lat: f64, lon: f64, heading: f64| {
        json!([{
            "track_id": track, "time": Utc::now().to_rfc3339(), "lat_deg": lat, "lon_deg": lon,
            "altitude_m": 5000.0, "ground_speed_mps": 150.0, "track_deg": heading,
            "vertical_rate_mps": 0.0
        }])
    };
    let mut latencies = Vec::with_capacity(samples);
    for sample in 0..samples {
        let phase = (sample as f64 * 0.618_033_988_7).fract();
        tokio::time::sleep(Duration::from_secs_f64(phase)).await;
        // 56 places 10° apart over the southern ocean: a place is used again after 56 samples,
        // long after its pair was lost (30 s).
        let slot = sample % 56;
        let (lat, lon) = (
            -55.0 + (slot / 8) as f64 * 10.0,
            -170.0 + (slot % 8) as f64 * 10.0,
        );
        let lon_20km = 20_000.0 / (111_195.0 * lat.to_radians().cos());
        let blue = format!("probe{sample}-b");
        let mut sent = Instant::now();
        for (party, track, lon, heading) in [
            ("blue", blue.clone(), lon, 90.0),
            ("red", format!("probe{sample}-r"), lon + lon_20km, 270.0),
        ] {
            sent = Instant::now();
            let response = client
                .post(format!("{base}/v1/positions"))
                .bearer_auth(&tokens[party])
                .json(&report(track, lat, lon, heading))
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success(), "{}", response.status());
        }
        let at = loop {
            let (at, frame) = tokio::time::timeout(Duration::from_secs(10), arrived.recv())
                .await
                .expect("the probe's alert reaches blue's stream")
                .unwrap();
            if frame.contains(&format!("\"{blue}\"")) {
                break at;
            }
        };
        latencies.push((at - sent).as_secs_f64() * 1000.0);
    }
    load.abort();
    server.abort();
    format!("{}; {}", common::percentiles(latencies), pass_times())
}

/// The median and p99 of the server's passes over the last minute, as `/metrics` gives them
/// (the exporter's summaries cover a rolling minute, so the run before is out of them).
fn pass_times() -> String {
    let text = deconflict_server::telemetry::handle().render();
    let quantile = |metric: &str, q: &str| {
        let prefix = match metric.split_once('|') {
            Some((metric, label)) => format!("{metric}{{{label},quantile=\"{q}\"}} "),
            None => format!("{metric}{{quantile=\"{q}\"}} "),
        };
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix)?.parse::<f64>().ok())
            .map_or("-".to_owned(), |s| format!("{:.1} ms", s * 1000.0))
    };
    let tick = "deconflict_tactical_pass_seconds";
    let moved = "deconflict_moved_pass_seconds";
    let tick_decide = "deconflict_pass_decide_seconds|pass=\"tick\"";
    let moved_decide = "deconflict_pass_decide_seconds|pass=\"moved\"";
    format!(
        "tick pass p50 {} p99 {} (deciding p50 {}), passes of moved tracks p50 {} p99 {} \
         (deciding p50 {})",
        quantile(tick, "0.5"),
        quantile(tick, "0.99"),
        quantile(tick_decide, "0.5"),
        quantile(moved, "0.5"),
        quantile(moved, "0.99"),
        quantile(moved_decide, "0.5"),
    )
}
