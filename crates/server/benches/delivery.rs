//! Alert delivery latency: a change committed → received on a party's stream, with 1,000
//! streams connected (issue: hotline; SPEC §10 asks p99 ≤ 100 ms for report → alert).
//!
//! 1,000 parties in 500 pairs each hold one SSE stream. Per sample, one party of a pair files an
//! operation that conflicts with its partner's: the alert goes to both streams. Latency is
//! measured from just *before* the filing request is sent to the moment the partner's stream
//! yields the event — an upper bound that includes the HTTP filing itself. Prints p50/p99/max.
//!
//! Run: `cargo bench -p deconflict-server --bench delivery`

mod common;

use deconflict_server::{App, Config};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const PAIRS: usize = 500;
const SAMPLES: usize = 1_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let directory = tempfile::tempdir().unwrap();
    let admin = "delivery-bench-admin-token-00".to_owned();
    let mut config = Config::new(directory.path().join("delivery.db"), admin.clone());
    config.tactical_interval = None;
    // The plans lie in 2030 against the real clock; 1,000 streams stay open beside the
    // requests, and each is a connection and a file descriptor.
    config.operation_horizon.ahead_days = 36_500;
    config.server_limits.max_connections = 4_096;
    deconflict_server::connections::raise_open_files_limit().unwrap();
    let app = Arc::new(App::open(config).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(deconflict_server::serve(
        listener,
        app,
        std::future::pending(),
    ));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(2_000)
        .build()
        .unwrap();

    let mut tokens = Vec::new();
    for p in 0..2 * PAIRS {
        let id = format!("p{p}");
        tokens.push(common::register_operator(&client, &base, &admin, &id).await);
    }
    // Each pair's first party holds a big operation in its own place.
    for pair in 0..PAIRS {
        let (lon, lat) = (
            -170.0 + (pair % 50) as f64 * 6.0,
            -60.0 + (pair / 50) as f64 * 12.0,
        );
        client
            .put(format!("{base}/v1/operations/big"))
            .bearer_auth(&tokens[2 * pair])
            .json(&common::circle_operation(lon, lat, 50_000.0))
            .send()
            .await
            .unwrap();
    }
    // Every party connects its stream; each reports (party, arrival) per event.
    let (arrivals, mut arrived) = mpsc::unbounded_channel::<(usize, Instant)>();
    for (party, token) in tokens.iter().enumerate() {
        let response = client
            .get(format!("{base}/v1/alerts/stream"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            let mut response = response;
            while let Ok(Some(chunk)) = response.chunk().await {
                if chunk.windows(3).any(|w| w == b"id:") {
                    let _ = arrivals.send((party, Instant::now()));
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    eprintln!("{} streams connected", tokens.len());

    let mut latencies = Vec::with_capacity(SAMPLES);
    for sample in 0..SAMPLES {
        let pair = sample % PAIRS;
        let (lon, lat) = (
            -170.0 + (pair % 50) as f64 * 6.0,
            -60.0 + (pair / 50) as f64 * 12.0,
        );
        let filer = 2 * pair + 1;
        let watcher = 2 * pair;
        let sent = Instant::now();
        let response = client
            .put(format!("{base}/v1/operations/s{sample}"))
            .bearer_auth(&tokens[filer])
            .json(&common::circle_operation(
                lon + 0.001 * (sample / PAIRS) as f64,
                lat,
                100.0,
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        loop {
            let (party, at) = tokio::time::timeout(Duration::from_secs(10), arrived.recv())
                .await
                .expect("delivered")
                .unwrap();
            if party == watcher {
                latencies.push(at.duration_since(sent).as_secs_f64() * 1e3);
                break;
            }
        }
        while arrived.try_recv().is_ok() {}
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "alert delivery with {} streams: p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (n = {SAMPLES}, from before the filing request to receipt)",
        tokens.len(), at(0.5), at(0.99), at(1.0)
    );
}
