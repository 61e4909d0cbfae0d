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
//! With NATS, a third mode measures a **position report → tactical alert** across nodes (issue
//! 21 point 6): positions on the JetStream stream by cell (`cellstream`), the default 1 s
//! tactical pass, leases shared by the two nodes. Per sample, a new pair of blue and red
//! aircraft head-on 20 km apart is reported to node A (blue, then red) in a cell node B leases;
//! latency is from just before red's report to the alert on blue's stream on node A: the report
//! crosses to B through JetStream, B's next pass raises the alert in the log, and A learns of it
//! from the doorbell. The pass period (1 s) bounds it from above; the samples start at spread
//! points of that period, as reports do.
//!
//! Run: `DECONFLICT_TEST_POSTGRES=postgres://… DECONFLICT_TEST_NATS=nats://…[,…] cargo bench -p
//! deconflict-server --bench across_nodes` (`scripts/postgres.sh` and `scripts/nats.sh` start
//! both; without NATS only the polling mode runs). `SAMPLES=…` changes the number of samples.

mod common;

use deconflict_server::bus::BusConfig;
use deconflict_server::cluster::ClusterConfig;
use deconflict_server::{App, Config};
use deconflict_store::testing::TestDatabase;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const SAMPLES: usize = 200;
const ADMIN: &str = "across-nodes-bench-admin-token-0";

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
                let rung = run("rung through NATS", Some(servers.clone())).await;
                eprintln!("rung through NATS JetStream: {}", rung);
                let reported = report_to_alert(servers).await;
                eprintln!(
                    "position report on A -> tactical alert raised by B -> A's stream: {reported}"
                );
            }
            None => eprintln!("rung through NATS: skipped (DECONFLICT_TEST_NATS is not set)"),
        }
    });
}

fn samples() -> usize {
    std::env::var("SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SAMPLES)
}

/// Starts one node on `database`: for filings (no tactical pass, leases that never need
/// renewing) or, with `positions`, as `serve --node --nats` runs by default (1 s tactical pass,
/// 5 s leases, position reports on the stream).
async fn node(
    database: &std::path::Path,
    name: &str,
    bus: Option<Vec<String>>,
    positions: bool,
) -> (Arc<App>, String) {
    let mut config = Config::new(database.to_path_buf(), ADMIN.to_owned());
    if !positions {
        config.tactical_interval = None;
    }
    config.operation_horizon.ahead_days = 36_500;
    config.signing_key = Some(std::env::temp_dir().join("across-nodes-bench.signing-key"));
    config.cluster = Some(if positions {
        ClusterConfig::new(name.to_owned())
    } else {
        ClusterConfig {
            // Lease renewals read the state (and so apply the log): keep them out of the figure.
            lease_ttl: Duration::from_secs(3600),
            ..ClusterConfig::new(name.to_owned())
        }
    });
    config.bus = bus.map(|servers| {
        let replicas = servers.len().min(3);
        BusConfig::new(servers, replicas)
    });
    config.positions_on_bus = positions;
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
    let (a_app, a) = node(&database, "a", bus.clone(), false).await;
    let (b_app, b) = node(&database, "b", bus.clone(), false).await;
    while bus.is_some() && !(a_app.bus_attached() && b_app.bus_attached()) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = reqwest::Client::new();
    let tokens = register(&client, &a).await;
    let (arrivals, mut arrived) = mpsc::unbounded_channel::<Instant>();
    listen(&client, &b, &tokens[0], arrivals).await;
    let mut latencies = Vec::with_capacity(samples());
    for sample in 0..samples() {
        let (lon, lat) = (
            -170.0 + (sample % 60) as f64 * 5.0,
            -60.0 + (sample / 60) as f64 * 10.0,
        );
        client
            .put(format!("{a}/v1/operations/b{sample}"))
            .bearer_auth(&tokens[0])
            .json(&common::circle_operation(lon, lat, 20_000.0))
            .send()
            .await
            .unwrap();
        let sent = Instant::now();
        let response = client
            .put(format!("{a}/v1/operations/r{sample}"))
            .bearer_auth(&tokens[1])
            .json(&common::circle_operation(lon + 0.01, lat, 20_000.0))
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

/// Registers blue and red on `base`; their tokens.
async fn register(client: &reqwest::Client, base: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for id in ["blue", "red"] {
        tokens.push(common::register_operator(client, base, ADMIN, id).await);
    }
    tokens
}

/// Follows `token`'s alert stream on `base`, sending the instant of each `alert_raised`.
async fn listen(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    arrivals: mpsc::UnboundedSender<Instant>,
) {
    let response = client
        .get(format!("{base}/v1/alerts/stream"))
        .bearer_auth(token)
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
}

/// A position report on node A → the tactical alert raised by node B → blue's stream on A.
async fn report_to_alert(servers: Vec<String>) -> String {
    let postgres = TestDatabase::create("across nodes, report to alert")
        .expect("DECONFLICT_TEST_POSTGRES names a PostgreSQL server");
    let jetstream = async_nats::jetstream::new(async_nats::connect(servers.clone()).await.unwrap());
    if let Ok(stream) = jetstream
        .get_stream(deconflict_server::cellstream::STREAM)
        .await
    {
        stream.purge().await.unwrap();
    }
    let database = std::path::PathBuf::from(postgres.url());
    let (a_app, a) = node(&database, "a", Some(servers.clone()), true).await;
    let (b_app, _) = node(&database, "b", Some(servers), true).await;
    // Both hold cells and have read the stream for them.
    let started = Instant::now();
    let held = |app: &App| app.membership().unwrap().shard().owned().len();
    while held(&a_app) == 0
        || held(&b_app) == 0
        || held(&a_app) + held(&b_app) != deconflict_engine::shard::Cell::count() as usize
        || a_app.positions_ready_cells() == 0
        || b_app.positions_ready_cells() == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the leases never settled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b_cells: Vec<_> = b_app
        .membership()
        .unwrap()
        .shard()
        .owned()
        .iter()
        .copied()
        .filter(|c| c.bounds()[0] > -60.0 && c.bounds()[1] < 60.0)
        .collect();
    let client = reqwest::Client::new();
    let tokens = register(&client, &a).await;
    let (arrivals, mut arrived) = mpsc::unbounded_channel::<Instant>();
    listen(&client, &a, &tokens[0], arrivals).await;
    let report = |track: String, lat: f64, lon: f64, heading: f64| {
        json!([{
            "track_id": track, "time": chrono::Utc::now().to_rfc3339(),
            "lat_deg": lat, "lon_deg": lon, "altitude_m": 5000.0, "ground_speed_mps": 150.0,
            "track_deg": heading, "vertical_rate_mps": 0.0
        }])
    };
    let mut latencies = Vec::with_capacity(samples());
    for sample in 0..samples() {
        let [s, n, w, e] = b_cells[sample * 7 % b_cells.len()].bounds();
        let (lat, lon) = ((s + n) / 2.0, (w + e) / 2.0);
        let lon_20km = 20_000.0 / (111_195.0 * lat.to_radians().cos());
        // Reports arrive at any point of the pass period: start each sample at the next point
        // of a low-discrepancy sequence over a second (else each would start just after the
        // pass that raised the previous alert, and wait the whole period).
        let phase = (sample as f64 * 0.618_033_988_7).fract();
        tokio::time::sleep(Duration::from_secs_f64(phase)).await;
        let mut sent = Instant::now();
        for (side, (lon, heading)) in [(lon, 90.0), (lon + lon_20km, 270.0)]
            .into_iter()
            .enumerate()
        {
            // Just before the report that makes the pair.
            sent = Instant::now();
            let response = client
                .post(format!("{a}/v1/positions"))
                .bearer_auth(&tokens[side])
                .json(&report(format!("s{sample}-{side}"), lat, lon, heading))
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success(), "{}", response.status());
        }
        let at = tokio::time::timeout(Duration::from_secs(10), arrived.recv())
            .await
            .expect("the alert reaches node A's stream")
            .unwrap();
        latencies.push((at - sent).as_secs_f64() * 1000.0);
    }
    common::percentiles(latencies)
}
