//! A real server on a random loopback port, and a small client for it.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use deconflict_server::{App, Config};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub const ADMIN: &str = "test-admin-token-0123456789";

/// The tests' plans are dated 2030 whatever the clock, beyond the default 1-year horizon of a
/// real clock: the helpers widen it (the horizon is tested with [`TestServer::start_with_config`]).
pub const WIDE_HORIZON: deconflict_engine::decide::OperationHorizon =
    deconflict_engine::decide::OperationHorizon { ahead_days: 36_500 };

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct ManualClock(pub Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn at(time: &str) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(time.parse().unwrap())))
    }
    pub fn advance_s(&self, seconds: f64) {
        let mut now = self.0.lock().unwrap();
        *now += chrono::Duration::microseconds((seconds * 1e6) as i64);
    }
    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// The store the tests run on: an SQLite file in `directory`, or, when
/// `DECONFLICT_TEST_STORE=postgres` (as `scripts/test.sh` sets for the second run of the
/// suite), a fresh database on the PostgreSQL server `DECONFLICT_TEST_POSTGRES` names. The
/// database stays as long as the returned guard.
pub fn test_database(
    directory: &std::path::Path,
) -> (PathBuf, Option<deconflict_store::testing::TestDatabase>) {
    match std::env::var("DECONFLICT_TEST_STORE").as_deref() {
        Ok("postgres") => {
            let database = deconflict_store::testing::TestDatabase::create("server test")
                .expect("DECONFLICT_TEST_STORE=postgres needs DECONFLICT_TEST_POSTGRES");
            (PathBuf::from(database.url()), Some(database))
        }
        _ => (directory.join("test.db"), None),
    }
}

/// Opens the log at `database` (a file or a PostgreSQL URL).
pub fn open_log(database: &std::path::Path) -> deconflict_store::AnyLog {
    deconflict_store::AnyLog::open(&deconflict_store::Database::from_path(database)).unwrap()
}

/// What a stopped server leaves: its directory and database, kept while this lives.
pub struct Kept {
    _directory: Option<tempfile::TempDir>,
    _postgres: Option<deconflict_store::testing::TestDatabase>,
}

pub struct TestServer {
    pub app: Arc<App>,
    pub address: SocketAddr,
    pub database: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    pub client: Client,
    _directory: Option<tempfile::TempDir>,
    _postgres: Option<deconflict_store::testing::TestDatabase>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let directory = tempfile::tempdir().unwrap();
        let (database, postgres) = test_database(directory.path());
        let config = Config::new(PathBuf::new(), ADMIN.to_owned());
        let mut server = Self::start_on(database, config).await;
        server._directory = Some(directory);
        server._postgres = postgres;
        server
    }

    /// A server with exactly the given settings (no horizon widened), its clock moved by the
    /// test, no periodic tactical pass.
    pub async fn start_with_config(clock: ManualClock, mut config: Config) -> TestServer {
        let directory = tempfile::tempdir().unwrap();
        let (database, postgres) = test_database(directory.path());
        config.database = database.clone();
        config.shared_log = postgres.is_some();
        if postgres.is_some() {
            config.signing_key = Some(directory.path().join("test.signing-key"));
        }
        config.tactical_interval = None;
        let log = open_log(&database);
        let app = App::with_log(config, Box::new(log), Arc::new(move || clock.now())).unwrap();
        let app = Arc::new(app);
        let router = deconflict_server::router(app.clone());
        let mut server = Self::serve_router(app, router, database).await;
        server._directory = Some(directory);
        server._postgres = postgres;
        server
    }

    /// A server whose clock the test moves, with its pass loop: the whole pass every
    /// `interval` (of real time) and passes started by reports as configured by default.
    pub async fn start_with_pass_loop(
        clock: ManualClock,
        interval: std::time::Duration,
    ) -> TestServer {
        let directory = tempfile::tempdir().unwrap();
        let (database, postgres) = test_database(directory.path());
        let mut config = Config::new(database.clone(), ADMIN.to_owned());
        if postgres.is_some() {
            config.signing_key = Some(directory.path().join("test.signing-key"));
            config.shared_log = true;
        }
        config.tactical_interval = Some(interval);
        config.operation_horizon = WIDE_HORIZON;
        let log = open_log(&database);
        let app = App::with_log(config, Box::new(log), Arc::new(move || clock.now())).unwrap();
        let app = Arc::new(app);
        let router = deconflict_server::router(app.clone());
        let mut server = Self::serve_router(app, router, database).await;
        server._directory = Some(directory);
        server._postgres = postgres;
        server
    }

    /// A server whose clock the test moves, with no periodic tactical pass.
    pub async fn start_with_clock(clock: ManualClock) -> TestServer {
        Self::start_with_api(clock, deconflict_server::routes::api()).await
    }

    /// [`TestServer::start_with_clock`] serving a given documented API (with extra endpoints).
    pub async fn start_with_api(
        clock: ManualClock,
        api: utoipa_axum::router::OpenApiRouter<Arc<App>>,
    ) -> TestServer {
        let directory = tempfile::tempdir().unwrap();
        let (database, postgres) = test_database(directory.path());
        let mut config = Config::new(database.clone(), ADMIN.to_owned());
        if postgres.is_some() {
            config.signing_key = Some(directory.path().join("test.signing-key"));
        }
        config.tactical_interval = None;
        config.operation_horizon = WIDE_HORIZON;
        let log = open_log(&database);
        let app = App::with_log(config, Box::new(log), Arc::new(move || clock.now())).unwrap();
        let app = Arc::new(app);
        let router = deconflict_server::routes::router_from(api, app.clone());
        let mut server = Self::serve_router(app, router, database).await;
        server._directory = Some(directory);
        server._postgres = postgres;
        server
    }

    /// A server on an existing database file, with the given settings. A PostgreSQL database
    /// without a given key file gets one in the temporary directory named after the database,
    /// so a restart on it finds the same key.
    pub async fn start_on(database: PathBuf, mut config: Config) -> TestServer {
        if config.signing_key.is_none() {
            if let deconflict_store::Database::Postgres(url) =
                deconflict_store::Database::from_path(&database)
            {
                let name = url
                    .split('?')
                    .next()
                    .unwrap_or("")
                    .rsplit('/')
                    .next()
                    .unwrap_or("");
                config.signing_key = Some(std::env::temp_dir().join(format!("{name}.signing-key")));
            }
        }
        config.shared_log = matches!(
            deconflict_store::Database::from_path(&database),
            deconflict_store::Database::Postgres(_)
        );
        config.database = database.clone();
        config.tactical_interval = None;
        config.operation_horizon = WIDE_HORIZON;
        let app = Arc::new(App::open(config).unwrap());
        Self::serve_app(app, database).await
    }

    async fn serve_app(app: Arc<App>, database: PathBuf) -> TestServer {
        let router = deconflict_server::router(app.clone());
        Self::serve_router(app, router, database).await
    }

    async fn serve_router(app: Arc<App>, router: axum::Router, database: PathBuf) -> TestServer {
        let served = app.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            deconflict_server::serve_router(listener, served, router, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            app,
            address,
            database,
            shutdown: Some(tx),
            task: Some(task),
            client: Client::new(),
            _directory: None,
            _postgres: None,
        }
    }

    /// Stops the server and hands back its temporary directory and database (so the log
    /// survives for a restart while the value lives).
    pub async fn stop(mut self) -> Kept {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        Kept {
            _directory: self._directory.take(),
            _postgres: self._postgres.take(),
        }
    }

    /// Ends the server as a crash would: its task is dropped mid-flight, no shutdown runs (a
    /// cluster node does not hand its cells back; its leases must expire).
    pub async fn kill(mut self) -> Kept {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        drop(self.shutdown.take());
        Kept {
            _directory: self._directory.take(),
            _postgres: self._postgres.take(),
        }
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

    pub async fn delete(&self, token: &str, path: &str) -> Response {
        self.client
            .delete(self.url(path))
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

/// One event of a Server-Sent Events stream.
#[derive(Debug, Clone)]
pub struct StreamEvent {
    pub id: u64,
    pub kind: String,
    pub data: Value,
}

/// A minimal SSE client over a streaming response.
pub struct SseClient {
    response: Response,
    buffer: String,
}

impl SseClient {
    pub async fn connect(
        server: &TestServer,
        token: &str,
        last_event_id: Option<u64>,
        after: Option<u64>,
    ) -> SseClient {
        let mut request = server
            .client
            .get(server.url("/v1/alerts/stream"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        if let Some(after) = after {
            request = request.query(&[("after", after)]);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        SseClient {
            response,
            buffer: String::new(),
        }
    }

    /// The next event, or `None` if none arrives within `wait`.
    pub async fn next(&mut self, wait: std::time::Duration) -> Option<StreamEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    }
                    if let Some(v) = line.strip_prefix("event:") {
                        kind = v.trim().to_owned();
                    }
                    if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                match id {
                    Some(id) => {
                        return Some(StreamEvent {
                            id,
                            kind,
                            data: serde_json::from_str(&data).unwrap(),
                        })
                    }
                    None => continue, // a heartbeat comment
                }
            }
            let chunk = tokio::time::timeout(wait, self.response.chunk())
                .await
                .ok()?
                .ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// A circle operation of one volume (for mass-producing conflicts).
pub fn circle_operation(lon: f64, lat: f64, radius_m: f64) -> Value {
    json!({
        "mission_type": "patrol", "domain": "air",
        "volumes": [{
            "footprint": {"type": "Circle", "center": [lon, lat], "radius_m": radius_m},
            "altitude_lower_m": 1000.0, "altitude_upper_m": 2000.0,
            "time_start": "2030-01-01T10:00:00Z", "time_end": "2030-01-01T12:00:00Z"
        }]
    })
}
