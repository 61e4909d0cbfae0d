//! Two `deconflict serve` processes on one PostgreSQL database, as an operator runs them
//! (SPEC §9): both file at once, each reads what the other wrote, the chain verifies with
//! `deconflict audit verify`, and a node killed with SIGKILL comes back to the same state.
//!
//! Needs `DECONFLICT_TEST_POSTGRES` (skipped with a line on stderr when unset, a failure under
//! `CI=true`; see `deconflict_store::testing`).

use deconflict_engine::shard::Cell;
use deconflict_store::testing::TestDatabase;
use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_deconflict");
const ADMIN: &str = "nodes-test-admin-token-0123456789";
/// Operations each party files through its node.
const FILINGS: usize = 15;

/// A `deconflict serve` node on `database`, on a random port, signing with `key`.
struct Node {
    child: Child,
    base: String,
}

impl Node {
    fn start(database: &str, key: &Path) -> Node {
        Node::start_with(database, key, &[])
    }

    fn start_with(database: &str, key: &Path, extra: &[&str]) -> Node {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            .args(extra)
            .args(["--operation-horizon-days", "36500"])
            .env("DECONFLICT_ADMIN_TOKEN", ADMIN)
            .env("DECONFLICT_SIGNING_KEY", key)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let address = loop {
            let line = lines.next().expect("node exited before listening").unwrap();
            if let Some(rest) = line.split("address=").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Never block on a full pipe. With DECONFLICT_TEST_NODE_LOGS=DIR the node's log goes to
        // DIR/<port>.log, to see what a node did when a test fails.
        let log = std::env::var_os("DECONFLICT_TEST_NODE_LOGS").map(|dir| {
            let port = address.rsplit(':').next().unwrap_or("node");
            std::fs::File::create(Path::new(&dir).join(format!("{port}.log"))).unwrap()
        });
        std::thread::spawn(move || {
            use std::io::Write as _;
            let mut log = log;
            for line in lines.map_while(Result::ok) {
                if let Some(file) = log.as_mut() {
                    let _ = writeln!(file, "{line}");
                }
            }
        });
        Node {
            child,
            base: format!("http://{address}"),
        }
    }

    fn register(&self, client: &Client, id: &str) -> String {
        let response = client
            .post(format!("{}/v1/parties", self.base))
            .bearer_auth(ADMIN)
            .json(&json!({"id": id, "name": id, "role": "operator"}))
            .send()
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    fn file(&self, client: &Client, token: &str, id: &str, lon: f64) {
        let response = client
            .put(format!("{}/v1/operations/{id}", self.base))
            .bearer_auth(token)
            .json(&json!({
                "mission_type": "patrol", "domain": "air",
                "volumes": [{
                    "footprint": {"type": "Circle", "center": [lon, 35.0], "radius_m": 3000},
                    "altitude_lower_m": 1000, "altitude_upper_m": 2000,
                    "time_start": "2030-01-01T10:00:00Z", "time_end": "2030-01-01T11:00:00Z"
                }]
            }))
            .send()
            .unwrap();
        assert_eq!(response.status(), 201, "{id} on {}", self.base);
    }

    /// The ids of the alerts `token`'s party sees through this node.
    fn alert_ids(&self, client: &Client, token: &str) -> BTreeSet<String> {
        let body: Value = client
            .get(format!("{}/v1/alerts", self.base))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        body["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|alert| alert["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The cells this node leases, from its `/metrics`.
    fn cells(&self, client: &Client) -> Option<u32> {
        let text = client
            .get(format!("{}/metrics", self.base))
            .send()
            .ok()?
            .text()
            .ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix("deconflict_cluster_cells "))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .map(|value| value as u32)
    }

    /// Reports two tracks of the caller's party and another's heading for each other: `pair`
    /// names them; the other party's half is reported with `other`.
    fn converging(&self, client: &Client, tokens: [&str; 2], pair: &str, lat: f64, lon: f64) {
        for (token, side, lon, heading) in [
            (tokens[0], "b", lon, 90.0),
            (tokens[1], "r", lon + 0.2, 270.0),
        ] {
            let response = client
                .post(format!("{}/v1/positions", self.base))
                .bearer_auth(token)
                .json(&json!([{
                    "track_id": format!("{pair}-{side}"),
                    "time": chrono::Utc::now().to_rfc3339(),
                    "lat_deg": lat, "lon_deg": lon, "altitude_m": 5000.0,
                    "ground_speed_mps": 150.0, "track_deg": heading, "vertical_rate_mps": 0.0
                }]))
                .send()
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    }

    /// The tactical alerts `token`'s party sees, by the track it owns in each.
    fn tactical_tracks(&self, client: &Client, token: &str) -> Vec<String> {
        let body: Value = client
            .get(format!("{}/v1/alerts", self.base))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let mut tracks: Vec<String> = body["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|alert| alert["kind"] == "tactical_conflict" && alert["state"] == "open")
            .map(|alert| alert.to_string())
            .collect();
        tracks.sort();
        tracks
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `deconflict audit verify` on the database: its exit code and first line.
fn audit(database: &str) -> (Option<i32>, String) {
    let output = Command::new(BIN)
        .args(["audit", "verify", "--database", database])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    (
        output.status.code(),
        stdout.lines().next().unwrap_or("").to_owned(),
    )
}

#[test]
fn two_serve_processes_share_one_log_and_a_killed_one_comes_back_to_it() {
    let Some(postgres) = TestDatabase::create("two serve processes") else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let key = directory.path().join("shared.signing-key");
    let database = postgres.url();
    let a = Node::start(database, &key);
    let b = Node::start(database, &key);
    let client = Client::new();
    let blue = a.register(&client, "blue");
    let red = b.register(&client, "red");

    // Blue files through node A while Red files through node B, over the same ground: every
    // pair of their plans conflicts, and every write races the other node's.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for n in 0..FILINGS {
                a.file(
                    &Client::new(),
                    &blue,
                    &format!("blue-{n}"),
                    36.0 + 0.001 * n as f64,
                );
            }
        });
        scope.spawn(|| {
            for n in 0..FILINGS {
                b.file(
                    &Client::new(),
                    &red,
                    &format!("red-{n}"),
                    36.0 + 0.001 * n as f64,
                );
            }
        });
    });
    let on_a = a.alert_ids(&client, &blue);
    assert_eq!(on_a.len(), FILINGS * FILINGS, "one alert per pair of plans");
    assert_eq!(
        b.alert_ids(&client, &blue),
        on_a,
        "both nodes hold the same alerts"
    );
    assert_eq!(b.alert_ids(&client, &red), on_a);
    let (code, line) = audit(database);
    assert_eq!(code, Some(0), "{line}");
    assert!(line.starts_with("ok:"), "{line}");

    // Node A dies without a chance to flush; node B goes on; node A comes back to the log.
    a.kill();
    b.file(&client, &red, "red-late", 36.0);
    let a = Node::start(database, &key);
    let after = a.alert_ids(&client, &blue);
    assert_eq!(after.len(), FILINGS * FILINGS + FILINGS, "{}", after.len());
    assert_eq!(after, b.alert_ids(&client, &blue));
    a.file(&client, &blue, "blue-late", 36.0);
    assert_eq!(
        b.alert_ids(&client, &red).len(),
        (FILINGS + 1) * (FILINGS + 1)
    );
    let (code, line) = audit(database);
    assert_eq!(code, Some(0), "{line}");
}

/// Three `serve --node` processes split the cells; the tactical alerts of pairs all over the
/// globe are raised once each, whichever node decided them; a node killed with SIGKILL loses
/// its cells when its leases expire and a conflict in them is raised by the survivors.
#[test]
fn three_cluster_nodes_split_the_cells_and_survive_a_sigkill() {
    let Some(postgres) = TestDatabase::create("three cluster nodes") else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let key = directory.path().join("shared.signing-key");
    let database = postgres.url();
    let lease = ["--lease-seconds", "2"];
    let start = |name: &str| {
        let mut args = vec!["--node", name];
        args.extend(lease);
        Node::start_with(database, &key, &args)
    };
    let client = Client::new();
    // Node a alone takes every cell; as b and c join it gives back the upper ones and keeps
    // the lowest third: the south, where the node killed below holds its cells.
    let a = start("a");
    let started = std::time::Instant::now();
    while a.cells(&client) != Some(2_472) {
        assert!(started.elapsed().as_secs() < 30, "a never took the cells");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let nodes = vec![a, start("b"), start("c")];
    // Each ends with a third of the 2,472 cells.
    let started = std::time::Instant::now();
    while nodes.iter().any(|n| n.cells(&client) != Some(824)) {
        assert!(
            started.elapsed().as_secs() < 30,
            "cells never split: {:?}",
            nodes.iter().map(|n| n.cells(&client)).collect::<Vec<_>>()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let blue = nodes[0].register(&client, "blue");
    let red = nodes[1].register(&client, "red");
    // Pairs in the south, the tropics and the north: cells of every node.
    let places = [
        ("s1", -60.0, 10.0),
        ("s2", -30.0, 20.0),
        ("t1", -5.0, 100.0),
        ("t2", 10.0, -60.0),
        ("n1", 35.0, 36.0),
        ("n2", 60.0, 25.0),
    ];
    for (i, (pair, lat, lon)) in places.iter().enumerate() {
        nodes[i % 3].converging(&client, [&blue, &red], pair, *lat, *lon);
    }
    let wait_for = |node: &Node, count: usize| {
        let started = std::time::Instant::now();
        loop {
            let alerts = node.tactical_tracks(&client, &blue);
            if alerts.len() >= count {
                return (alerts, started.elapsed());
            }
            assert!(
                started.elapsed().as_secs() < 30,
                "{} of {count} alerts: {alerts:?}",
                alerts.len()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let (alerts, _) = wait_for(&nodes[2], places.len());
    assert_eq!(alerts.len(), places.len(), "each pair once: {alerts:?}");

    // SIGKILL the node holding the south; a new pair there is raised once its leases expire.
    let mut nodes = nodes;
    let south = nodes.remove(0);
    south.kill();
    nodes[0].converging(&client, [&blue, &red], "s3", -45.0, 15.0);
    let (alerts, took) = wait_for(&nodes[1], places.len() + 1);
    assert_eq!(alerts.len(), places.len() + 1, "{alerts:?}");
    eprintln!("failover: the new pair's alert after {took:?} (lease 2 s)");
    // The survivors hold every cell between them (shared by weight: live tracks plus one).
    let started = std::time::Instant::now();
    loop {
        let held: u32 = nodes.iter().map(|n| n.cells(&client).unwrap()).sum();
        if held == 2_472 {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 10,
            "the survivors hold {held} cells"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (code, line) = audit(database);
    assert_eq!(code, Some(0), "{line}");
}

/// The NATS servers of `scripts/nats.sh` (`DECONFLICT_TEST_NATS`), or `None` after saying so
/// (a failure under `CI=true`, where a skipped test would hide a missing NATS).
fn test_nats(test: &str) -> Option<String> {
    match std::env::var("DECONFLICT_TEST_NATS") {
        Ok(servers) => Some(servers),
        Err(_) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("{test}: DECONFLICT_TEST_NATS is not set under CI=true; scripts/test.sh starts a NATS cluster")
        }
        Err(_) => {
            eprintln!("{test}: skipped (DECONFLICT_TEST_NATS is not set)");
            None
        }
    }
}

/// A track of the failover traffic: flies a constant heading at a constant speed and level.
#[derive(Clone)]
struct Flight {
    id: String,
    /// 0 for blue, 1 for red.
    side: usize,
    lat: f64,
    lon: f64,
    altitude_m: f64,
    heading_deg: f64,
    speed_mps: f64,
}

impl Flight {
    /// Its report `seconds` after the start, dead-reckoned on a flat local approximation:
    /// 40 s at 150 m/s is 6 km, and both tracks of a pair move alike.
    fn report(&self, seconds: f64, time: &str) -> Value {
        const M_PER_DEG: f64 = 111_195.0;
        let distance = self.speed_mps * seconds;
        let (sin, cos) = self.heading_deg.to_radians().sin_cos();
        let lat = (self.lat + distance * cos / M_PER_DEG).clamp(-89.99, 89.99);
        let lon = self.lon + distance * sin / (M_PER_DEG * lat.to_radians().cos());
        let lon = (lon + 540.0).rem_euclid(360.0) - 180.0;
        json!({
            "track_id": self.id, "time": time, "lat_deg": lat, "lon_deg": lon,
            "altitude_m": self.altitude_m, "ground_speed_mps": self.speed_mps,
            "track_deg": self.heading_deg, "vertical_rate_mps": 0.0
        })
    }
}

/// A pair `name` of blue and red tracks abreast 3 km apart at 5,000 m, both flying
/// `heading`: in loss of separation for as long as they report. `east_deg` is red's offset
/// in longitude (for pairs across a cell's border or the antimeridian), else 3 km north.
fn abreast(name: &str, lat: f64, lon: f64, heading: f64, east_deg: Option<f64>) -> [Flight; 2] {
    let blue = Flight {
        id: format!("{name}-b"),
        side: 0,
        lat,
        lon,
        altitude_m: 5_000.0,
        heading_deg: heading,
        speed_mps: 150.0,
    };
    let (red_lat, red_lon) = match east_deg {
        Some(east) => (lat, (lon + east + 540.0).rem_euclid(360.0) - 180.0),
        None => (lat + 3_000.0 / 111_195.0, lon),
    };
    let red = Flight {
        id: format!("{name}-r"),
        side: 1,
        lat: red_lat,
        lon: red_lon,
        ..blue.clone()
    };
    [blue, red]
}

impl Node {
    /// Reports `batch` as the party of `token`; every report must be accepted (acknowledged).
    fn report(&self, client: &Client, token: &str, batch: &[Value]) -> Result<(), String> {
        let response = client
            .post(format!("{}/v1/positions", self.base))
            .bearer_auth(token)
            .json(&batch)
            .send()
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body: Value = response.json().map_err(|e| e.to_string())?;
        if status != 200 || body["accepted"] != batch.len() {
            return Err(format!("{status}: {body}"));
        }
        Ok(())
    }

    /// Every tactical alert `token`'s party sees (open or not): the party's own track in it,
    /// and how many alerts name that track.
    fn tactical_counts(&self, client: &Client, token: &str) -> BTreeMap<String, usize> {
        let body: Value = client
            .get(format!("{}/v1/alerts?resolved_limit=10000", self.base))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let mut counts = BTreeMap::new();
        for alert in body["alerts"].as_array().unwrap() {
            if alert["kind"] == "tactical_conflict" {
                let own = alert["tactical"]["own_track"].as_str().unwrap().to_owned();
                *counts.entry(own).or_insert(0) += 1;
            }
        }
        counts
    }
}

/// Three `serve --node … --nats …` processes with position reports on NATS JetStream by cell
/// (issue 21 points 4 and 5): under a steady load of a thousand tracks a second sent round
/// robin to the nodes, one node is killed with SIGKILL. Its leases expire, the survivors take
/// its cells and read them from the stream, and:
/// - pairs reported only once, to a survivor, after the kill and before anyone read the dead
///   node's cells (acknowledged reports nobody had applied yet) are decided after the
///   take-over: no acknowledged report is lost;
/// - every conflict is alerted exactly once, none twice (the dead node's open alerts are not
///   raised again by the survivors), and the set equals what a single node (SQLite, no
///   cluster) fed the same traffic at the same times raises, and what the traffic was built
///   to contain (pairs in every node's cells, across cell borders, across the antimeridian,
///   near both poles).
#[test]
fn a_node_killed_under_load_loses_no_acknowledged_report_and_no_alert() {
    const TEST: &str = "failover under load";
    let Some(postgres) = TestDatabase::create(TEST) else {
        return;
    };
    let Some(nats) = test_nats(TEST) else {
        return;
    };
    use std::time::{Duration, Instant};
    // The stream outlives a run and belongs to one log (one deployment per NATS account):
    // start from an empty one, as no other test binary runs meanwhile.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let servers: Vec<String> = nats.split(',').map(str::to_owned).collect();
        let jetstream = async_nats::jetstream::new(async_nats::connect(servers).await.unwrap());
        if let Ok(stream) = jetstream
            .get_stream(deconflict_server::cellstream::STREAM)
            .await
        {
            stream.purge().await.unwrap();
        }
    });
    let directory = tempfile::tempdir().unwrap();
    let key = directory.path().join("shared.signing-key");
    let database = postgres.url();
    let args = |name: &'static str| {
        vec![
            "--node",
            name,
            "--lease-seconds",
            "3",
            "--nats",
            nats.as_str(),
            "--nats-replicas",
            "3",
            "--positions-stream-gib",
            "0.25",
        ]
    };
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut nodes: Vec<(&str, Node)> = ["a", "b", "c"]
        .into_iter()
        .map(|name| (name, Node::start_with(database, &key, &args(name))))
        .collect();
    for (name, node) in &nodes {
        eprintln!("{TEST}: node {name} at {}", node.base);
    }
    let single_db = directory.path().join("single.db");
    let single = Node::start(
        single_db.to_str().unwrap(),
        &directory.path().join("single.signing-key"),
    );
    let started = Instant::now();
    while nodes
        .iter()
        .map(|(_, n)| n.cells(&client).unwrap_or(0))
        .any(|c| c == 0)
        || nodes
            .iter()
            .map(|(_, n)| n.cells(&client).unwrap_or(0))
            .sum::<u32>()
            != 2_472
    {
        assert!(
            started.elapsed().as_secs() < 60,
            "the nodes never shared the cells"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Party names of this run: the stream is shared with other tests' runs, whose reports
    // (replayed from up to a minute back) then belong to parties this log does not know.
    let run = std::process::id();
    let names = [format!("blue{run}"), format!("red{run}")];
    let tokens: Vec<String> = names
        .iter()
        .map(|name| nodes[0].1.register(&client, name))
        .collect();
    let single_tokens: Vec<String> = names
        .iter()
        .map(|name| single.register(&client, name))
        .collect();

    // Who holds which cell now (before the kill: the victim's cells get pairs).
    let leases = || -> BTreeMap<u32, String> {
        let mut db = postgres::Client::connect(database, postgres::NoTls).unwrap();
        db.query(
            "SELECT cell, node FROM cell_leases WHERE expires_at > now()",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get::<_, i32>(0) as u32, row.get::<_, String>(1)))
        .collect()
    };
    let held = leases();
    let cells_of = |node: &str| -> Vec<Cell> {
        held.iter()
            .filter(|(_, n)| n.as_str() == node)
            .map(|(c, _)| Cell(*c))
            .filter(|c| {
                let [s, n, _, _] = c.bounds();
                s > -64.0 && n < 64.0
            })
            .collect()
    };
    let centre = |cell: Cell| {
        let [s, n, w, e] = cell.bounds();
        ((s + n) / 2.0, (w + e) / 2.0)
    };
    let mut pairs: Vec<[Flight; 2]> = Vec::new();
    for node in ["a", "b", "c"] {
        let cells = cells_of(node);
        assert!(cells.len() >= 8, "node {node} holds {} cells", cells.len());
        // Six cells spread over the node's share; in two of them a pair across the cell's
        // eastern border too.
        for k in 0..6 {
            let cell = cells[k * (cells.len() - 1) / 5];
            let (lat, lon) = centre(cell);
            pairs.push(abreast(&format!("{node}{k}"), lat, lon, 0.0, None));
            if k % 3 == 0 {
                let east = cell.bounds()[3];
                let across = 3_000.0 / (111_195.0 * lat.to_radians().cos());
                pairs.push(abreast(
                    &format!("{node}{k}x"),
                    lat - 0.5,
                    east - across / 2.0,
                    0.0,
                    Some(across),
                ));
            }
        }
    }
    pairs.push(abreast("date-line", 10.0, 179.985, 0.0, Some(0.027)));
    pairs.push(abreast("north-pole", 87.5, 0.0, 90.0, None));
    pairs.push(abreast("south-pole", -88.0, 100.0, 270.0, None));
    // Pairs first reported after the kill, once, in the victim's cells.
    let victim = "b";
    let mut late: Vec<[Flight; 2]> = cells_of(victim)
        .iter()
        .step_by(97)
        .take(5)
        .enumerate()
        .map(|(k, cell)| {
            let (lat, lon) = centre(*cell);
            abreast(&format!("late{k}"), lat + 0.7, lon, 0.0, None)
        })
        .collect();
    assert_eq!(late.len(), 5);
    // The load: a thousand tracks on a 6° grid at FL360, far from each other and 6 km above
    // the pairs, so they add work and no conflict.
    let mut background = Vec::new();
    let mut lat = -66.0_f64;
    while lat <= 66.0 {
        let step = 6.0 / lat.to_radians().cos();
        let mut lon = -180.0 + 3.0;
        while lon < 180.0 {
            let n = background.len();
            background.push(Flight {
                id: format!("bg{n}"),
                side: n % 2,
                lat,
                lon,
                altitude_m: 11_000.0,
                heading_deg: (n * 37 % 360) as f64,
                speed_mps: 230.0,
            });
            lon += step;
        }
        lat += 6.0;
    }
    // Track ids of this run too: a track id belongs to the party that first reported it.
    for flight in pairs
        .iter_mut()
        .chain(late.iter_mut())
        .flatten()
        .chain(background.iter_mut())
    {
        flight.id = format!("r{run}.{}", flight.id);
    }
    let traffic: Vec<Flight> = pairs
        .iter()
        .flatten()
        .chain(background.iter())
        .cloned()
        .collect();
    eprintln!(
        "{TEST}: {} pairs, {} late pairs, {} tracks a second",
        pairs.len(),
        late.len(),
        traffic.len()
    );

    // Sends the flights' reports for now to the cluster (node `n` of the living) and to the
    // single node, per party.
    let t0 = Instant::now();
    let send = |nodes: &[(&str, Node)], n: u64, flights: &[Flight]| {
        let seconds = t0.elapsed().as_secs_f64();
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        for side in 0..2 {
            let batch: Vec<Value> = flights
                .iter()
                .filter(|f| f.side == side)
                .map(|f| f.report(seconds, &time))
                .collect();
            let node = &nodes[n as usize % nodes.len()].1;
            node.report(&client, &tokens[side], &batch)
                .unwrap_or_else(|e| panic!("{}: {e}", node.base));
            single
                .report(&client, &single_tokens[side], &batch)
                .unwrap();
        }
    };
    let own_pairs = |flights: &[[Flight; 2]]| -> BTreeSet<String> {
        flights.iter().map(|[blue, _]| blue.id.clone()).collect()
    };
    let expected_before = own_pairs(&pairs);
    let mut second: u64 = 0;
    // Until the cluster has raised every pair (the victim its own), then the kill.
    loop {
        send(&nodes, second, &traffic);
        second += 1;
        let raised = nodes[2].1.tactical_counts(&client, &tokens[0]);
        if expected_before.iter().all(|p| raised.contains_key(p)) {
            break;
        }
        assert!(second < 60, "the cluster raised only {raised:?}");
        std::thread::sleep(
            (t0 + Duration::from_secs(second)).saturating_duration_since(Instant::now()),
        );
    }
    let index = nodes.iter().position(|(n, _)| *n == victim).unwrap();
    let (_, dead) = nodes.remove(index);
    dead.kill();
    let killed = Instant::now();
    // The late pairs, once, to a survivor: accepted means in the stream, though nobody reads
    // the dead node's cells until its leases expire.
    send(
        &nodes,
        0,
        &late.iter().flatten().cloned().collect::<Vec<_>>(),
    );
    let expected: BTreeSet<String> = expected_before
        .iter()
        .cloned()
        .chain(own_pairs(&late))
        .collect();
    let late_ids = own_pairs(&late);
    let mut taken_over = None;
    while killed.elapsed() < Duration::from_secs(15) || taken_over.is_none() {
        std::thread::sleep(
            (t0 + Duration::from_secs(second)).saturating_duration_since(Instant::now()),
        );
        send(&nodes, second, &traffic);
        second += 1;
        let raised = nodes[0].1.tactical_counts(&client, &tokens[0]);
        if taken_over.is_none() && late_ids.iter().all(|p| raised.contains_key(p)) {
            taken_over = Some(killed.elapsed());
        }
        assert!(
            killed.elapsed() < Duration::from_secs(40),
            "the late pairs were never raised: {raised:?}"
        );
    }
    eprintln!(
        "{TEST}: the late pairs in the dead node's cells raised {:?} after the kill (3 s leases)",
        taken_over.unwrap()
    );
    // Every cell held by a survivor. Read in turn, the nodes may be caught mid-handover (one
    // released a cell the other has not yet taken, as the shares rebalance): wait for a
    // reading where they add up.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let held: u32 = nodes.iter().map(|(_, n)| n.cells(&client).unwrap()).sum();
        if held == 2_472 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the survivors hold {held} of the 2,472 cells"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Every node of the cluster and the single node: each conflict once.
    let single_counts = single.tactical_counts(&client, &single_tokens[0]);
    for (name, node) in &nodes {
        for (side, token) in tokens.iter().enumerate() {
            let counts = node.tactical_counts(&client, token);
            let want = if side == 0 {
                single_counts.clone()
            } else {
                single.tactical_counts(&client, &single_tokens[1])
            };
            assert_eq!(
                counts, want,
                "node {name}, side {side}: cluster against single node"
            );
            assert!(
                counts.values().all(|&n| n == 1),
                "an alert raised twice: {counts:?}"
            );
        }
    }
    assert_eq!(
        single_counts.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "the single node raised exactly the pairs the traffic holds"
    );
    let (code, line) = audit(database);
    assert_eq!(code, Some(0), "{line}");
}
