//! A cluster of nodes on one PostgreSQL log with detection sharded by region (SPEC §9,
//! issue 21): each node leases half the cells and its pass decides only the conflicts anchored
//! in them; together they decide everything once; a node killed without a word loses its cells
//! when its leases expire, and the survivor then decides there too.
//!
//! Needs `DECONFLICT_TEST_POSTGRES` (skipped with a line on stderr when unset, a failure under
//! `CI=true`).

mod common;

use common::{TestServer, ADMIN};
use deconflict_engine::lifecycle::Condition;
use deconflict_engine::shard::Cell;
use deconflict_server::cluster::ClusterConfig;
use deconflict_server::Config;
use deconflict_store::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

const LEASE_TTL: Duration = Duration::from_millis(1_600);

/// Two tracks of blue and red heading for each other 20 km apart at (`lat`, `lon`).
async fn converging_pair(
    server: &TestServer,
    blue: &str,
    red: &str,
    name: &str,
    lat: f64,
    lon: f64,
) {
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

/// The open tactical alerts, by the name of their pair (`south`, `north`, …).
fn tactical_pairs(server: &TestServer) -> BTreeSet<String> {
    server.app.read(|state| {
        state
            .open_alerts()
            .filter_map(|alert| match Condition::of(&alert.detail) {
                Some(Condition::Tactical(pair)) => {
                    Some(pair[0].track_id.split('-').next().unwrap().to_owned())
                }
                _ => None,
            })
            .collect()
    })
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

/// Waits until the node holds `cells` cells (its renewal task runs every quarter of the ttl).
async fn wait_for_cells(server: &TestServer, cells: usize) {
    let membership = server.app.membership().unwrap();
    for _ in 0..100 {
        if membership.shard().owned().len() == cells {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "node {} holds {} cells, not {cells}",
        membership.node(),
        membership.shard().owned().len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_split_detection_by_cells_and_take_over_a_killed_nodes_cells() {
    let Some(postgres) = TestDatabase::create("cluster") else {
        return;
    };
    let keys = tempfile::tempdir().unwrap();
    let database = PathBuf::from(postgres.url());
    let mut config = Config::new(database.clone(), ADMIN.to_owned());
    config.signing_key = Some(keys.path().join("cluster.signing-key"));
    let node = |name: &str| {
        let mut config = config.clone();
        config.cluster = Some(ClusterConfig {
            lease_ttl: LEASE_TTL,
            ..ClusterConfig::new(name)
        });
        config
    };
    let a = TestServer::start_on(database.clone(), node("a")).await;
    wait_for_cells(&a, Cell::count() as usize).await;
    let b = TestServer::start_on(database, node("b")).await;
    // a gives back its upper half at its next renewal; b takes it.
    let half = Cell::count().div_ceil(2) as usize;
    wait_for_cells(&a, half).await;
    wait_for_cells(&b, Cell::count() as usize - half).await;
    let a_cells = a.app.membership().unwrap().shard().owned().clone();
    // A cell of each node (their shares follow `Cell::lease_order`), away from the poles; the
    // names are those of the first slice, when the shares were the southern and northern half.
    let pick = |cells: &BTreeSet<Cell>| {
        let cell = *cells
            .iter()
            .find(|c| c.bounds()[0] > -60.0 && c.bounds()[1] < 60.0)
            .unwrap();
        let [s, n, w, e] = cell.bounds();
        (cell, (s + n) / 2.0, (w + e) / 2.0)
    };
    let (south, south_lat, south_lon) = pick(&a_cells);
    let b_cells = b.app.membership().unwrap().shard().owned().clone();
    let (north, north_lat, north_lon) = pick(&b_cells);
    assert!(a_cells.contains(&south) && !a_cells.contains(&north));

    let blue = a.party("blue", "operator").await;
    let red = b.party("red", "operator").await;
    converging_pair(&a, &blue, &red, "south", south_lat, south_lon).await;
    converging_pair(&b, &blue, &red, "north", north_lat, north_lon).await;

    // Each node decides its own cells only, whichever node the reports came in on.
    pass(&a).await;
    assert_eq!(tactical_pairs(&a), BTreeSet::from(["south".to_owned()]));
    pass(&b).await;
    let both = BTreeSet::from(["north".to_owned(), "south".to_owned()]);
    assert_eq!(tactical_pairs(&b), both);
    // Nothing is decided twice: further passes on both write nothing.
    let head = b.log_head().await;
    pass(&a).await;
    pass(&b).await;
    assert_eq!(b.log_head().await, head);

    // a is killed: no hand-over. Until its leases expire nobody decides the south; then b
    // takes every cell and decides a new conflict there.
    a.kill().await;
    wait_for_cells(&b, Cell::count() as usize).await;
    // In a's former cell, 1.5° of latitude from the first pair there.
    assert_eq!(Cell::of(south_lat + 1.5, south_lon), Some(south));
    converging_pair(&b, &blue, &red, "again", south_lat + 1.5, south_lon).await;
    pass(&b).await;
    let all = BTreeSet::from(["again".to_owned(), "north".to_owned(), "south".to_owned()]);
    assert_eq!(tactical_pairs(&b), all);
}
