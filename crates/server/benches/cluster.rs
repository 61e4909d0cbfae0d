//! A cluster on this machine at 10⁵ tracks (SPEC §9, §10; issue 21 point 6): 1, 2 and 3
//! deconflict nodes on one PostgreSQL log with position reports on NATS JetStream by cell
//! (`serve --node … --nats …`, `deconflict_server::cellstream`).
//!
//! For each cluster size, in a fresh database and an emptied position stream: the nodes start
//! (in this process, each with its own HTTP server), share the cells, and then
//! - **ingest**: `SECONDS` seconds of 100,000 tracks of SPEC §10's traffic (the `levels` shape:
//!   1 aircraft per 100 km², 60 % on flight levels, 40 % climbing or descending, 4 parties) are
//!   sent as NDJSON, per party and second, round robin over the nodes by `CLIENTS`
//!   concurrent clients in requests of about 5,000 reports; a report counts once JetStream acknowledged it (what the caller is
//!   told). Figure: reports/s from first request to last response.
//! - **consumed**: the time until every node holds every track of its band, after the last
//!   response.
//! - **pass**: each node's tactical pass over what it holds (median of `PASSES`, one node at a
//!   time, so each figure is one core's): the cluster's pass is its slowest node's.
//! - **failover** (2 and 3 nodes): one node's tasks are aborted without a word (its leases are
//!   not released, 5 s leases); the time until the others hold all its cells and have read them from the
//!   stream.
//!
//! On one 2-core machine the nodes share the cores, so ingest with 2 or 3 nodes measures the
//! cost of the split (more messages, more consumers), not the gain of more machines; the pass
//! per node shows the gain of sharding.
//!
//! Run: `DECONFLICT_TEST_POSTGRES=postgres://… DECONFLICT_TEST_NATS=nats://…[,…] cargo bench -p
//! deconflict-server --bench cluster` (`scripts/postgres.sh` and `scripts/nats.sh` start both).
//! `TRACKS=…` changes the number of tracks.

mod common;

use chrono::{Duration as Span, Utc};
use deconflict_engine::shard::Cell;
use deconflict_engine::tactical::traffic::{generate, TrafficShape};
use deconflict_engine::Motion;
use deconflict_engine::TrackReport;
use deconflict_server::bus::BusConfig;
use deconflict_server::cellstream;
use deconflict_server::cluster::ClusterConfig;
use deconflict_server::{App, Config};
use deconflict_store::testing::TestDatabase;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADMIN: &str = "cluster-bench-admin-token-000";
const SECONDS: usize = 3;
const CLIENTS: usize = 8;
const PASSES: usize = 5;
const PARTIES: usize = 4;
/// About 5,000 reports per request.
const CHUNK_BYTES: usize = 1_000_000;
/// The default lease time (`serve --lease-seconds`): shorter leases lapse on this loaded
/// machine while three nodes pass 10⁵ tracks, and the nodes then keep re-reading their cells.
const LEASE_TTL: Duration = deconflict_server::cluster::LEASE_TTL;

struct Node {
    app: Arc<App>,
    base: String,
    task: tokio::task::JoinHandle<()>,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let servers: Vec<String> = std::env::var("DECONFLICT_TEST_NATS")
            .expect("DECONFLICT_TEST_NATS names the NATS servers (scripts/nats.sh)")
            .split(',')
            .map(str::to_owned)
            .collect();
        let tracks: usize = std::env::var("TRACKS")
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(100_000);
        let mut rows = Vec::new();
        for nodes in 1..=3 {
            rows.push(run(nodes, tracks, &servers).await);
        }
        println!(
            "cluster on one machine, {tracks} tracks of the levels traffic, {SECONDS} s of reports, {CLIENTS} clients:"
        );
        println!(
            "{:>5} {:>14} {:>12} {:>28} {:>12}",
            "nodes", "ingest rep/s", "consumed s", "pass ms per node (tracks)", "failover s"
        );
        for row in rows {
            println!("{row}");
        }
    });
}

async fn start(database: &std::path::Path, name: &str, servers: &[String]) -> Node {
    let mut config = Config::new(database.to_path_buf(), ADMIN.to_owned());
    config.tactical_interval = None;
    config.snapshot_every_events = None;
    config.snapshot_interval = None;
    // The bench sends seconds of traffic faster than they pass.
    config.report_window.ahead_s = 86_400.0;
    config.rate_limit.rate_per_s = 1e9;
    config.rate_limit.burst = 1e9;
    config.signing_key = Some(std::env::temp_dir().join("cluster-bench.signing-key"));
    config.cluster = Some(ClusterConfig {
        lease_ttl: LEASE_TTL,
        ..ClusterConfig::new(name.to_owned())
    });
    config.bus = Some(BusConfig {
        positions_max_bytes: 2 << 30,
        ..BusConfig::new(servers.to_vec(), servers.len().min(3))
    });
    config.positions_on_bus = true;
    let app = Arc::new(App::open(config).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = app.clone();
    let task = tokio::spawn(async move {
        deconflict_server::serve(listener, served, std::future::pending())
            .await
            .unwrap();
    });
    Node { app, base, task }
}

fn owned(node: &Node) -> usize {
    node.app.membership().unwrap().shard().owned().len()
}

async fn wait(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let began = Instant::now();
    while !done() {
        assert!(began.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    began.elapsed()
}

async fn run(count: usize, tracks: usize, servers: &[String]) -> String {
    let client = async_nats::connect(servers.to_vec()).await.unwrap();
    let jetstream = async_nats::jetstream::new(client);
    if let Ok(stream) = jetstream.get_stream(cellstream::STREAM).await {
        stream.purge().await.unwrap();
    }
    let postgres = TestDatabase::create(&format!("cluster bench, {count} nodes"))
        .expect("DECONFLICT_TEST_POSTGRES names a PostgreSQL server");
    let database = std::path::PathBuf::from(postgres.url());
    let mut nodes = Vec::new();
    for n in 0..count {
        nodes.push(start(&database, &format!("n{n}"), servers).await);
    }
    wait("the cells are shared", Duration::from_secs(60), || {
        let held: Vec<usize> = nodes.iter().map(owned).collect();
        held.iter().all(|&h| h > 0) && held.iter().sum::<usize>() == Cell::count() as usize
    })
    .await;
    wait(
        "every node reads its cells",
        Duration::from_secs(60),
        || {
            nodes
                .iter()
                .all(|n| n.app.positions_ready_cells() == owned(n))
        },
    )
    .await;

    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for p in 0..PARTIES {
        let id = format!("party-{p}");
        tokens.push(common::register_operator(&http, &nodes[0].base, ADMIN, &id).await);
    }

    let start = Utc::now();
    let traffic = generate(TrafficShape::LevelsAndClimbers, tracks, 21, start);
    let mut requests = Vec::new();
    for second in 0..SECONDS {
        let dt = second as f64;
        // Per party, bodies of at most CHUNK reports.
        let mut bodies: Vec<Vec<String>> = vec![vec![String::new()]; PARTIES];
        for (i, state) in traffic.iter().enumerate() {
            let north =
                state.motion.ground_speed_mps * state.motion.track_deg.to_radians().cos() * dt;
            let east =
                state.motion.ground_speed_mps * state.motion.track_deg.to_radians().sin() * dt;
            let lat = state.motion.lat_deg + (north / 6_371_000.0).to_degrees();
            let lon =
                state.motion.lon_deg + (east / (6_371_000.0 * lat.to_radians().cos())).to_degrees();
            let report = TrackReport {
                track_id: format!("t{i}"),
                motion: Motion {
                    time: state.motion.time + Span::seconds(second as i64),
                    lat_deg: lat,
                    lon_deg: lon,
                    altitude_m: state.motion.altitude_m + state.motion.vertical_rate_mps * dt,
                    ground_speed_mps: state.motion.ground_speed_mps,
                    track_deg: state.motion.track_deg,
                    vertical_rate_mps: state.motion.vertical_rate_mps,
                },
                operation_id: None,
                callsign: None,
                domain: Default::default(),
                vessel: None,
            };
            let party: usize = state.owner.0.trim_start_matches("party-").parse().unwrap();
            let chunks = &mut bodies[party];
            if chunks.last().unwrap().len() >= CHUNK_BYTES {
                chunks.push(String::new());
            }
            let body = chunks.last_mut().unwrap();
            body.push_str(&serde_json::to_string(&report).unwrap());
            body.push('\n');
        }
        for (party, chunks) in bodies.into_iter().enumerate() {
            for body in chunks {
                let node = &nodes[requests.len() % count];
                requests.push((
                    format!("{}/v1/positions", node.base),
                    tokens[party].clone(),
                    body,
                ));
            }
        }
    }
    let queue = Arc::new(std::sync::Mutex::new(requests.into_iter()));
    let began = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CLIENTS {
        let (queue, http) = (queue.clone(), http.clone());
        workers.push(tokio::spawn(async move {
            let mut accepted = 0u64;
            loop {
                let next = queue.lock().unwrap().next();
                let Some((url, token, body)) = next else {
                    break;
                };
                let response = http
                    .post(&url)
                    .bearer_auth(token)
                    .header("content-type", "application/x-ndjson")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                let body: Value = response.json().await.unwrap();
                accepted += body["accepted"].as_u64().unwrap();
            }
            accepted
        }));
    }
    let mut accepted = 0;
    for worker in workers {
        accepted += worker.await.unwrap();
    }
    let ingest_s = began.elapsed().as_secs_f64();
    assert_eq!(accepted as usize, tracks * SECONDS, "every report accepted");
    let rate = accepted as f64 / ingest_s;
    eprintln!("{count} nodes: {accepted} reports in {ingest_s:.2} s = {rate:.0} reports/s");

    // Every track is held, at its last second, by the node owning its cell (one read of each
    // node's state per check: a read on a shared log first asks the database for news).
    // (Times are kept to what receivers resolve: half a second of slack tells the seconds apart.)
    let last = Span::seconds(SECONDS as i64 - 1) - Span::milliseconds(500);
    let everyone_holds = || {
        let held: Vec<Vec<bool>> = nodes
            .iter()
            .map(|n| {
                let shard = n.app.membership().unwrap().shard();
                n.app.read(|s| {
                    traffic
                        .iter()
                        .enumerate()
                        .map(|(i, state)| {
                            let cell =
                                Cell::of(state.motion.lat_deg, state.motion.lon_deg).unwrap();
                            !shard.owned().contains(&cell)
                                || s.track(&format!("t{i}")).is_some_and(|t| {
                                    t.report().motion.time >= state.motion.time + last
                                })
                        })
                        .collect()
                })
            })
            .collect();
        (0..traffic.len()).all(|i| held.iter().all(|node| node[i]))
    };
    let consumed = wait(
        "every report consumed",
        Duration::from_secs(300),
        everyone_holds,
    )
    .await;
    // The leases follow the load the stream now counts: wait until they stop moving and every
    // node has read its cells, then until every track is held again.
    let mut shares: Vec<usize> = nodes.iter().map(owned).collect();
    let mut still = Instant::now();
    while still.elapsed() < LEASE_TTL * 2 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now: Vec<usize> = nodes.iter().map(owned).collect();
        if now != shares {
            (shares, still) = (now, Instant::now());
        }
    }
    wait(
        "every node reads its cells",
        Duration::from_secs(60),
        || {
            nodes
                .iter()
                .all(|n| n.app.positions_ready_cells() == owned(n))
        },
    )
    .await;
    wait(
        "every report consumed",
        Duration::from_secs(300),
        everyone_holds,
    )
    .await;

    let mut passes = Vec::new();
    for node in &nodes {
        let mut times = Vec::new();
        let mut held = 0;
        for _ in 0..PASSES {
            let app = node.app.clone();
            let (elapsed, outcome) = tokio::task::spawn_blocking(move || {
                let began = Instant::now();
                let outcome = app.tactical_pass().unwrap();
                (began.elapsed().as_secs_f64() * 1000.0, outcome)
            })
            .await
            .unwrap();
            times.push(elapsed);
            held = outcome.live_tracks.max(held);
        }
        times.sort_by(f64::total_cmp);
        passes.push(format!("{:.0} ({held})", times[PASSES / 2]));
    }

    let failover = if count > 1 {
        let killed = nodes.pop().unwrap();
        let cells = owned(&killed);
        killed.task.abort();
        let _ = killed.task.await;
        let began = Instant::now();
        wait(
            "the killed node's cells taken over",
            Duration::from_secs(60),
            || {
                nodes.iter().map(owned).sum::<usize>() == Cell::count() as usize
                    && nodes
                        .iter()
                        .all(|n| n.app.positions_ready_cells() == owned(n))
            },
        )
        .await;
        let taken = began.elapsed().as_secs_f64();
        eprintln!("{count} nodes: {cells} cells taken over in {taken:.2} s");
        format!("{taken:.2}")
    } else {
        "-".to_owned()
    };
    for node in nodes {
        node.task.abort();
    }
    format!(
        "{count:>5} {rate:>14.0} {:>12.2} {:>28} {failover:>12}",
        consumed.as_secs_f64(),
        passes.join(" "),
    )
}
