//! Position reports on NATS JetStream by cell (SPEC §9, issue 21 points 1, 2 and 4;
//! `deconflict_server::cellstream`): reports sent to one node are published per cell, the log
//! keeps only each batch's digest and stream sequences, each node holds only the tracks of its
//! cells and their band, detects there, and a killed node's cells are taken over from the
//! stream with nothing lost and no alert raised twice.
//!
//! Needs `DECONFLICT_TEST_POSTGRES` and `DECONFLICT_TEST_NATS` (skipped with a line on stderr
//! when either is unset, a failure under `CI=true`). One test function: the nodes of two tests
//! running at once would share the stream's subjects.

mod common;

use common::{TestServer, ADMIN};
use deconflict_engine::lifecycle::Condition;
use deconflict_engine::shard::Cell;
use deconflict_server::bus::BusConfig;
use deconflict_server::cellstream;
use deconflict_server::cluster::ClusterConfig;
use deconflict_server::Config;
use deconflict_store::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const LEASE_TTL: Duration = Duration::from_millis(1_600);

fn nats_servers(test: &str) -> Option<Vec<String>> {
    match std::env::var("DECONFLICT_TEST_NATS") {
        Ok(urls) if !urls.trim().is_empty() => {
            Some(urls.split(',').map(|u| u.trim().to_owned()).collect())
        }
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => panic!(
            "{test}: DECONFLICT_TEST_NATS is not set under CI=true; scripts/test.sh starts a NATS cluster"
        ),
        _ => {
            eprintln!("{test}: skipped (DECONFLICT_TEST_NATS is not set)");
            None
        }
    }
}

/// The centre of a cell.
fn centre(cell: Cell) -> (f64, f64) {
    let [south, north, west, east] = cell.bounds();
    ((south + north) / 2.0, (west + east) / 2.0)
}

/// This run's mark on its track ids: the stream outlives a run (an hour) and a node replays
/// its last minute, so a run soon after another must not read the other's tracks as its own.
fn run_tag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| format!("{:08x}", rand::random::<u32>()))
}

/// Blue and red tracks `<tag>.name-b`, `<tag>.name-r` heading for each other 20 km apart at
/// (`lat`, `lon`), both sent to `server` in one request each.
async fn converging_pair(server: &TestServer, blue: &str, red: &str, name: &str, at: (f64, f64)) {
    let (lat, lon) = at;
    let name = format!("{}.{name}", run_tag());
    for (token, id, lon, heading) in [(blue, "b", lon, 90.0), (red, "r", lon + 0.2, 270.0)] {
        let batch = json!([{
            "track_id": format!("{name}-{id}"), "time": chrono::Utc::now().to_rfc3339(),
            "lat_deg": lat, "lon_deg": lon, "altitude_m": 5000.0, "ground_speed_mps": 150.0,
            "track_deg": heading, "vertical_rate_mps": 0.0
        }]);
        let response = server.post(token, "/v1/positions", &batch).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["accepted"], 1, "{body}");
    }
}

/// `GET /v1/tracks` as the party of `token`.
async fn track_list(server: &TestServer, token: &str) -> Value {
    let response = server.get(token, "/v1/tracks").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// This run's own tracks in a track list, without the run's tag.
fn own_tracks(list: &Value) -> Vec<String> {
    let prefix = format!("{}.", run_tag());
    list["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|view| view["report"]["track_id"].as_str()?.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}

fn holds(server: &TestServer, track: &str) -> bool {
    let track = format!("{}.{track}", run_tag());
    server.app.read(|state| state.track(&track).is_some())
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(30), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The open tactical alerts, by the name of their pair, with how many each.
fn tactical_pairs(server: &TestServer) -> Vec<String> {
    let mut pairs: Vec<String> = server.app.read(|state| {
        state
            .open_alerts()
            .filter_map(|alert| match Condition::of(&alert.detail) {
                Some(Condition::Tactical(pair)) => {
                    let name = pair[0].track_id.strip_prefix(run_tag())?;
                    pair[1].track_id.strip_prefix(run_tag())?;
                    Some(name[1..].split('-').next().unwrap().to_owned())
                }
                _ => None,
            })
            .collect()
    });
    pairs.sort();
    pairs
}

async fn pass(server: &TestServer) {
    let app = server.app.clone();
    tokio::task::spawn_blocking(move || {
        app.follow().unwrap();
        app.tactical_pass().unwrap();
    })
    .await
    .unwrap();
}

fn owned(server: &TestServer) -> BTreeSet<Cell> {
    server.app.membership().unwrap().shard().owned().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reports_travel_by_cell_and_a_killed_nodes_cells_are_taken_over_from_the_stream() {
    let test = "positions by cell";
    let Some(servers) = nats_servers(test) else {
        return;
    };
    let Some(postgres) = TestDatabase::create(test) else {
        return;
    };
    // The stream outlives a run: start from an empty one (no other test publishes there).
    let client = async_nats::connect(servers.clone()).await.unwrap();
    let jetstream = async_nats::jetstream::new(client);
    if let Ok(stream) = jetstream.get_stream(cellstream::STREAM).await {
        stream.purge().await.unwrap();
    }
    let keys = tempfile::tempdir().unwrap();
    let database = PathBuf::from(postgres.url());
    let node = |name: &str| {
        let mut config = Config::new(database.clone(), ADMIN.to_owned());
        config.signing_key = Some(keys.path().join("cellstream.signing-key"));
        config.cluster = Some(ClusterConfig {
            lease_ttl: LEASE_TTL,
            ..ClusterConfig::new(name)
        });
        config.bus = Some(BusConfig {
            positions_max_bytes: 256 << 20,
            ..BusConfig::new(servers.clone(), servers.len().min(3))
        });
        config.positions_on_bus = true;
        config
    };
    let a = TestServer::start_on(database.clone(), node("a")).await;
    let b = TestServer::start_on(database.clone(), node("b")).await;
    wait_until("both nodes publish positions", || {
        [&a, &b]
            .iter()
            .all(|n| n.app.positions_publisher().is_some())
    })
    .await;
    wait_until("the cells are shared between the nodes", || {
        let (cells_a, cells_b) = (owned(&a), owned(&b));
        !cells_a.is_empty()
            && !cells_b.is_empty()
            && cells_a.len() + cells_b.len() == Cell::count() as usize
            && cells_a.is_disjoint(&cells_b)
    })
    .await;
    // A cell of each node that the other node does not even consume, far from where their
    // shares meet (the shares move a little as the stream's counts of reports per cell change).
    let consumed = |n: &TestServer| (n.app.membership().unwrap().shard().consumed()).clone();
    let (consumed_a, consumed_b) = (consumed(&a), consumed(&b));
    let south = *owned(&a)
        .iter()
        .find(|c| !consumed_b.contains(c) && c.bounds()[1] < 60.0 && c.bounds()[0] > -60.0)
        .expect("a holds a cell b does not consume");
    let north = *owned(&b)
        .iter()
        .rev()
        .find(|c| !consumed_a.contains(c) && c.bounds()[1] < 60.0 && c.bounds()[0] > -60.0)
        .expect("b holds a cell a does not consume");

    let blue = a.party("blue", "operator").await;
    let red = a.party("red", "operator").await;
    let before = a.log_head().await;
    // Every report goes in through node a.
    converging_pair(&a, &blue, &red, "south", centre(south)).await;
    converging_pair(&a, &blue, &red, "north", centre(north)).await;

    // The log holds each batch's digest and where it lies in the stream, not the reports.
    let logged = a.app.read_log(before, 100).unwrap();
    let kinds: Vec<&str> = logged.iter().map(|e| e.event.kind()).collect();
    assert_eq!(kinds, ["positions_published"; 4], "{kinds:?}");
    for stored in &logged {
        let deconflict_engine::Event::PositionsPublished {
            digest,
            reports,
            stream,
            seqs,
            ..
        } = stored.event.clone()
        else {
            panic!("{stored:?}")
        };
        assert_eq!(
            (reports, stream.as_str(), seqs.len()),
            (1, cellstream::STREAM, 1)
        );
        assert!(cellstream::verify(&jetstream, &digest, &seqs)
            .await
            .unwrap());
        assert!(!cellstream::verify(&jetstream, &digest[1..], &seqs)
            .await
            .unwrap());
    }

    // Each node holds the tracks of its cells (and their band), not the others'.
    wait_until("a holds the south tracks", || {
        holds(&a, "south-b") && holds(&a, "south-r")
    })
    .await;
    wait_until("b holds the north tracks", || {
        holds(&b, "north-b") && holds(&b, "north-r")
    })
    .await;
    wait_until("both may decide their cells", || {
        [&a, &b]
            .iter()
            .all(|n| n.app.positions_ready_cells() == owned(n).len())
    })
    .await;
    let shares = || {
        format!(
            "south {south:?}, north {north:?}; a owns {:?} consumes {}; b owns {:?} consumes {} {}",
            owned(&a).len(),
            consumed(&a).contains(&north),
            owned(&b).len(),
            consumed(&b).contains(&south),
            consumed(&b).len()
        )
    };
    assert!(!holds(&a, "north-b"), "{}", shares());
    assert!(!holds(&b, "south-b"), "{}", shares());

    // Yet either node lists all of blue's tracks, each asking the other for its share, and
    // says both nodes answered.
    for node in [&a, &b] {
        let list = track_list(node, &blue).await;
        assert_eq!(own_tracks(&list), ["north-b", "south-b"], "{list}");
        assert_eq!(
            list["nodes"],
            json!({"answered": 2, "expected": 2}),
            "{list}"
        );
    }

    // Each node decides its own cells; through the log both see both alerts, once each.
    pass(&a).await;
    pass(&b).await;
    pass(&a).await;
    assert_eq!(tactical_pairs(&a), ["north", "south"]);
    assert_eq!(tactical_pairs(&b), ["north", "south"]);
    let head = b.log_head().await;
    pass(&a).await;
    pass(&b).await;
    let after = b.app.read_log(head, 10).unwrap();
    assert!(after.is_empty(), "nothing decided twice: {after:?}");

    // b is killed without handing over. Reports keep coming in through a; once b's leases
    // expire, a takes its cells and reads them from the stream (from before the kill too).
    let north_before_kill = owned(&b).contains(&north);
    assert!(north_before_kill);
    b.kill().await;
    // In b's former cell, 1.5° of latitude from the first pair: no conflict between the pairs.
    let (lat, lon) = centre(north);
    assert_eq!(Cell::of(lat + 1.5, lon), Some(north));
    converging_pair(&a, &blue, &red, "again", (lat + 1.5, lon)).await;
    wait_until("a takes every cell", || {
        owned(&a).len() == Cell::count() as usize
    })
    .await;
    // Holding them is not enough to decide there: a must have read every subject of those
    // cells from a minute back (`cellstream::Coverage`).
    wait_until(
        "a holds the north tracks from the stream and may decide there",
        || {
            holds(&a, "north-b")
                && holds(&a, "again-r")
                && a.app.positions_ready_cells() == Cell::count() as usize
        },
    )
    .await;
    pass(&a).await;
    assert_eq!(tactical_pairs(&a), ["again", "north", "south"]);
    wait_until("a renews its leases alone", || {
        a.app.membership().unwrap().live_nodes() == 1
    })
    .await;
    let list = track_list(&a, &blue).await;
    assert_eq!(
        own_tracks(&list),
        ["again-b", "north-b", "south-b"],
        "{list}"
    );
    assert_eq!(
        list["nodes"],
        json!({"answered": 1, "expected": 1}),
        "{list}"
    );
    let head = a.log_head().await;
    pass(&a).await;
    assert_eq!(
        a.log_head().await,
        head,
        "nothing decided twice after the take-over"
    );

    // The log of this scenario is the golden log of `positions_published` (`golden_log.rs`),
    // written here on request.
    if let Some(path) = std::env::var_os("DECONFLICT_WRITE_CELLSTREAM_FIXTURE") {
        use deconflict_store::EventLog as _;
        let rows: Vec<String> = common::open_log(&database)
            .read_from(0, 100_000)
            .unwrap()
            .iter()
            .map(|event| serde_json::to_string(event).unwrap())
            .collect();
        std::fs::write(path, rows.join("\n") + "\n").unwrap();
    }
}
