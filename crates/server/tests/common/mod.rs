//! A real server on a random loopback port, and a small client for it.
#![allow(dead_code)]

use deconflict_server::{App, Config};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub const ADMIN: &str = "test-admin-token-0123456789";

pub struct TestServer {
    pub address: SocketAddr,
    pub database: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    pub client: Client,
    _directory: Option<tempfile::TempDir>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let directory = tempfile::tempdir().unwrap();
        let database = directory.path().join("test.db");
        let mut server =
            Self::start_on(database, Config::new(PathBuf::new(), ADMIN.to_owned())).await;
        server._directory = Some(directory);
        server
    }

    /// A server on an existing database file, with the given settings.
    pub async fn start_on(database: PathBuf, mut config: Config) -> TestServer {
        config.database = database.clone();
        let app = Arc::new(App::open(config).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            deconflict_server::serve(listener, app, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            address,
            database,
            shutdown: Some(tx),
            task: Some(task),
            client: Client::new(),
            _directory: None,
        }
    }

    /// Stops the server and hands back its temporary directory (so the file survives).
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        self._directory.take()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, token: &str, path: &str, body: &Value) -> Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Registers a party and returns its token.
    pub async fn party(&self, id: &str, role: &str) -> String {
        let response = self
            .post(
                ADMIN,
                "/v1/parties",
                &json!({ "id": id, "name": format!("Party {id}"), "role": role }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// The sequence number of the last logged event.
    pub async fn log_head(&self) -> u64 {
        let body: Value = self
            .client
            .get(self.url("/readyz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["log_head_seq"].as_u64().unwrap()
    }
}

/// A square of about `half_km` half-width around (lon, lat).
pub fn square(lon: f64, lat: f64, half_deg: f64) -> Value {
    json!({
        "type": "Polygon",
        "coordinates": [[
            [lon - half_deg, lat - half_deg], [lon + half_deg, lat - half_deg],
            [lon + half_deg, lat + half_deg], [lon - half_deg, lat + half_deg],
            [lon - half_deg, lat - half_deg]
        ]]
    })
}

/// An operation with one volume.
pub fn operation(
    mission: &str,
    footprint: Value,
    lower: f64,
    upper: f64,
    start: &str,
    end: &str,
) -> Value {
    json!({
        "mission_type": mission,
        "domain": "air",
        "callsign": format!("{}-CALLSIGN", mission.to_uppercase()),
        "volumes": [{
            "footprint": footprint,
            "altitude_lower_m": lower,
            "altitude_upper_m": upper,
            "time_start": start,
            "time_end": end
        }]
    })
}

/// Asserts a problem+json response and returns its body.
pub async fn problem(response: Response, status: StatusCode, kind: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], format!("/problems/{kind}"), "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}
