//! Nodes ringing each other through NATS JetStream (SPEC §9, `deconflict_server::bus`): an
//! alert logged on node A reaches a stream on node B at once, although B's follower would not
//! poll for an hour; the announcements are in the JetStream stream deconflict set up, on
//! `alerts.<party>` with the alert's position in the log.
//!
//! Needs `DECONFLICT_TEST_POSTGRES` and `DECONFLICT_TEST_NATS` (the client URLs of a NATS
//! cluster with JetStream, comma-separated; `scripts/nats.sh` starts three servers). Skipped
//! with a line on stderr when either is unset, a failure under `CI=true`.

mod common;

use common::{circle_operation, SseClient, TestServer, ADMIN};
use deconflict_server::bus::{BusConfig, Ring, STREAM};
use deconflict_server::cluster::ClusterConfig;
use deconflict_server::Config;
use deconflict_store::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The NATS servers to use, or `None` (skip) outside CI.
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

/// Two cluster nodes on one database, ringing each other through `servers`, whose followers
/// (and lease renewals) would otherwise wait an hour or a quarter of one.
async fn two_rung_nodes(
    postgres: &TestDatabase,
    servers: &[String],
    keys: &std::path::Path,
) -> [TestServer; 2] {
    let database = PathBuf::from(postgres.url());
    let mut nodes = Vec::new();
    for name in ["a", "b"] {
        let mut config = Config::new(database.clone(), ADMIN.to_owned());
        config.signing_key = Some(keys.join("bus.signing-key"));
        config.follow_interval = Duration::from_secs(3600);
        // Leases renewed every quarter of an hour: their renewal reads the state, which would
        // apply the log too.
        config.cluster = Some(ClusterConfig {
            lease_ttl: Duration::from_secs(3600),
            ..ClusterConfig::new(name.to_owned())
        });
        config.bus = Some(BusConfig::new(servers.to_vec(), servers.len().min(3)));
        nodes.push(TestServer::start_on(database.clone(), config).await);
    }
    // The bus starts with the server; wait until both announce and listen.
    let ready = Instant::now();
    while !nodes.iter().all(|n| n.app.bus_attached()) {
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "the NATS bus did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    nodes.try_into().map_err(|_| ()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_alert_logged_on_one_node_rings_a_stream_on_the_other_at_once() {
    let test = "alert rung across nodes";
    let Some(servers) = nats_servers(test) else {
        return;
    };
    let Some(postgres) = TestDatabase::create(test) else {
        return;
    };
    let keys = tempfile::tempdir().unwrap();
    let [a, b] = two_rung_nodes(&postgres, &servers, keys.path()).await;
    let blue = a.party("blue", "operator").await;
    let red = a.party("red.force", "operator").await;
    let start = a.log_head().await;
    let mut red_on_b = SseClient::connect(&b, &red, None, Some(start)).await;
    let mut filed = Instant::now();
    for (token, id, lon) in [(&blue, "blue-1", 36.2), (&red, "red-1", 36.21)] {
        filed = Instant::now();
        let response = a
            .put(
                token,
                &format!("/v1/operations/{id}"),
                &circle_operation(lon, 35.1, 5_000.0),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    // Node B does nothing and its follower sleeps for an hour: only the doorbell can bring
    // node A's alert to B's stream within the wait.
    let event = red_on_b
        .next(Duration::from_secs(10))
        .await
        .expect("the alert logged on node A reaches node B's stream through NATS");
    eprintln!(
        "{test}: filing on A to the alert on B's stream: {:.1} ms",
        filed.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(event.data["change"], "alert_raised", "{event:?}");
    assert_eq!(
        event.data["alert"]["recipients"],
        json!(["blue", "red.force"])
    );
    let alert_id = event.data["alert"]["id"].as_str().unwrap().to_owned();

    // The announcement is in the stream deconflict set up, on the party's subject (a dotted
    // id escaped to one token), naming the node and the alert.
    let client = async_nats::connect(servers.clone()).await.unwrap();
    let jetstream = async_nats::jetstream::new(client);
    let mut stream = jetstream.get_stream(STREAM).await.unwrap();
    let info = stream.info().await.unwrap();
    assert_eq!(info.config.num_replicas, servers.len().min(3));
    assert_eq!(info.config.subjects, ["alerts.>", "events.>"]);
    let message = stream
        .get_last_raw_message_by_subject("alerts.red%2Eforce")
        .await
        .unwrap();
    let ring: Ring = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(ring.node, "a");
    assert_eq!(ring.alert.as_deref(), Some(alert_id.as_str()));
    let logged = a.app.read_log(ring.seq - 1, 1).unwrap();
    assert_eq!(logged[0].seq, ring.seq);
    assert_eq!(
        logged[0].event.kind(),
        "alert_raised",
        "the ring names the alert's event"
    );
}
