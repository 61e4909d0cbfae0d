//! Alert delivery across nodes (SPEC §9): a filing on node A → the alert on a party's stream
//! on node B, two nodes on one PostgreSQL log, B idle. Measured twice in one run: with B
//! polling the log (the default, every 200 ms) and with the nodes ringing each other through
//! NATS JetStream (`serve --nats`, `deconflict_server::bus`).
//!
//! Per sample, one party files an operation over the other's standing one on node A; latency is
//! from just before the filing request to the alert on the other party's stream on node B (an
//! upper bound including the HTTP filing). Prints p50 / p99 / max per mode. Each sample starts
//! right after the previous alert arrived, i.e. just after one of B's polls: the polled figures
//! are therefore close to the poll's whole period (its worst case), not its average.
//!
//! Run: `DECONFLICT_TEST_POSTGRES=postgres://… DECONFLICT_TEST_NATS=nats://…[,…] cargo bench -p
//! deconflict-server --bench across_nodes` (`scripts/postgres.sh` and `scripts/nats.sh` start
//! both; without NATS only the polling mode runs).

mod common;

use deconflict_server::bus::BusConfig;
use deconflict_server::cluster::ClusterConfig;
use deconflict_server::{App, Config};
use deconflict_store::testing::TestDatabase;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const SAMPLES: usize = 200;
const ADMIN: &str = "across-nodes-bench-admin-token-0";

fn operation(lon: f64, lat: f64, radius_m: f64) -> Value {
    json!({"mission_type": "patrol", "domain": "air", "volumes": [{
        "footprint": {"type": "Circle", "center": [lon, lat], "radius_m": radius_m},
        "altitude_lower_m": 1000.0, "altitude_upper_m": 2000.0,
        "time_start": "2030-01-01T10:00:00Z", "time_end": "2030-01-01T12:00:00Z"}]})
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let nats: Option<Vec<String>> = std::env::var("DECONFLICT_TEST_NATS")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.split(',').map(str::to_owned).collect());
        let polled = run("polled every 200 ms", None).await;
        eprintln!("polled (follow every 200 ms): {}", polled);
        match nats {
            Some(servers) => {
                let rung = run("rung through NATS", Some(servers)).await;
                eprintln!("rung through NATS JetStream: {}", rung);
            }
            None => eprintln!("rung through NATS: skipped (DECONFLICT_TEST_NATS is not set)"),
        }
    });
}

/// Starts one node on `database`.
async fn node(
    database: &std::path::Path,
    name: &str,
    bus: Option<Vec<String>>,
) -> (Arc<App>, String) {
    let mut config = Config::new(database.to_path_buf(), ADMIN.to_owned());
    config.tactical_interval = None;
    config.operation_horizon.ahead_days = 36_500;
    config.signing_key = Some(std::env::temp_dir().join("across-nodes-bench.signing-key"));
    config.cluster = Some(ClusterConfig {
        // Lease renewals read the state (and so apply the log): keep them out of the figure.
        lease_ttl: Duration::from_secs(3600),
        ..ClusterConfig::new(name.to_owned())
    });
    config.bus = bus.map(|servers| {
        let replicas = servers.len().min(3);
        BusConfig::new(servers, replicas)
    });
    let app = Arc::new(App::open(config).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(deconflict_server::serve(
        listener,
        app.clone(),
        std::future::pending(),
    ));
    (app, base)
}

async fn run(mode: &str, bus: Option<Vec<String>>) -> String {
    let postgres = TestDatabase::create(&format!("across nodes, {mode}"))
        .expect("DECONFLICT_TEST_POSTGRES names a PostgreSQL server");
    let database = std::path::PathBuf::from(postgres.url());
    let (a_app, a) = node(&database, "a", bus.clone()).await;
    let (b_app, b) = node(&database, "b", bus.clone()).await;
    while bus.is_some() && !(a_app.bus_attached() && b_app.bus_attached()) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for id in ["blue", "red"] {
        let body: Value = client
            .post(format!("{a}/v1/parties"))
            .bearer_auth(ADMIN)
            .json(&json!({"id": id, "name": id, "role": "operator"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(body["token"].as_str().unwrap().to_owned());
    }
    let (arrivals, mut arrived) = mpsc::unbounded_channel::<Instant>();
    let response = client
        .get(format!("{b}/v1/alerts/stream"))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    tokio::spawn(async move {
        let mut response = response;
        while let Ok(Some(chunk)) = response.chunk().await {
            if chunk.windows(12).any(|w| w == b"alert_raised") {
                let _ = arrivals.send(Instant::now());
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut latencies = Vec::with_capacity(SAMPLES);
    for sample in 0..SAMPLES {
        let (lon, lat) = (
            -170.0 + (sample % 60) as f64 * 5.0,
            -60.0 + (sample / 60) as f64 * 10.0,
        );
        client
            .put(format!("{a}/v1/operations/b{sample}"))
            .bearer_auth(&tokens[0])
            .json(&operation(lon, lat, 20_000.0))
            .send()
            .await
            .unwrap();
        let sent = Instant::now();
        let response = client
            .put(format!("{a}/v1/operations/r{sample}"))
            .bearer_auth(&tokens[1])
            .json(&operation(lon + 0.01, lat, 20_000.0))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let at = tokio::time::timeout(Duration::from_secs(10), arrived.recv())
            .await
            .expect("the alert reaches node B's stream")
            .unwrap();
        latencies.push((at - sent).as_secs_f64() * 1000.0);
    }
    common::percentiles(latencies)
}
