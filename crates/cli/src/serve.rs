//! `deconflict serve`.

use anyhow::Context;
use deconflict_engine::decide::OperationHorizon;
use deconflict_server::limits::ServerLimits;
use deconflict_server::{App, Config};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Logs go to stderr as `tracing` lines; `RUST_LOG` filters them.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The server's limits (`deconflict_server::limits`), each with what a client sees at it.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitFlags {
    /// Seconds a client has to send a request's headers, from connecting or from the first
    /// byte of a later request; then the connection is closed unanswered.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub header_timeout_s: f64,
    /// The longest pause, in seconds, between two pieces of a request body; then the request is
    /// answered 408 and the connection closed.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub body_timeout_s: f64,
    /// Seconds a kept-alive connection may wait idle for its next request; then it is closed.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub idle_timeout_s: f64,
    /// Connections open at once; beyond it new connections wait in the listen backlog.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Requests of one party in progress at once; beyond it 429 with Retry-After.
    #[arg(long, default_value_t = 16)]
    pub max_requests_per_party: usize,
    /// Requests with the admin token in progress at once; beyond it 429 with Retry-After.
    #[arg(long, default_value_t = 16)]
    pub max_requests_admin: usize,
    /// Requests without a valid token in progress at once, all together; beyond it 503.
    #[arg(long, default_value_t = 64)]
    pub max_requests_unauthenticated: usize,
    /// MiB of request bodies held in memory at once, all connections together; a body that
    /// would exceed it is answered 503 with Retry-After.
    #[arg(long, default_value_t = 128)]
    pub body_budget_mib: usize,
    /// KiB of the longest line of an NDJSON upload; a longer line is answered 413.
    #[arg(long, default_value_t = 64)]
    pub max_line_kib: usize,
    /// Days ahead of the server's clock an operation's window may reach; a plan beyond it is
    /// refused (422 beyond-horizon).
    #[arg(long, default_value_t = 365)]
    pub operation_horizon_days: u32,
    /// When set, GET /metrics needs 'Authorization: Bearer <this token>' (401 otherwise); when
    /// not set, /metrics is open to anyone who can reach the server.
    #[arg(long, env = "DECONFLICT_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// MiB of the largest zone import (POST /v1/zones/ed269 and /v1/zones/ed318,
    /// `deconflict zones import`);
    /// national sets exceed the body limit. It is read under the body budget too.
    #[arg(long, default_value_t = 64)]
    pub zone_import_limit_mib: usize,
    /// A terrain model (single-band geographic GeoTIFF of ground heights above mean sea
    /// level, as SRTM or Copernicus DEM) for zone limits given above ground; without one such
    /// limits are bounded by the bundled ETOPO5 grid (coarse: wide bounds in mountains).
    #[arg(long, value_name = "FILE")]
    pub terrain: Option<std::path::PathBuf>,
    /// New position reports start a pass of the live tracks this many milliseconds after the
    /// previous pass ended, so their alerts need not wait for the 1 s pass (SPEC §10: an alert
    /// within 100 ms of its report); 0: the 1 s pass only, which takes less CPU.
    #[arg(long, default_value_t = deconflict_server::app::PASS_AFTER_REPORTS.as_millis() as u64, value_name = "MS")]
    pub pass_after_reports_ms: u64,
}

impl LimitFlags {
    /// Applies the flags to `config`; refuses values no server can run with.
    fn apply(self, config: &mut Config) -> anyhow::Result<()> {
        let seconds = |name: &str, value: f64| {
            anyhow::ensure!(
                value.is_finite() && value > 0.0 && value <= 86_400.0,
                "--{name} must be a number of seconds above 0 and at most a day, not {value}"
            );
            Ok(std::time::Duration::from_secs_f64(value))
        };
        for (name, value) in [
            ("max-connections", self.max_connections),
            ("max-requests-per-party", self.max_requests_per_party),
            ("max-requests-admin", self.max_requests_admin),
            (
                "max-requests-unauthenticated",
                self.max_requests_unauthenticated,
            ),
            ("body-budget-mib", self.body_budget_mib),
            ("max-line-kib", self.max_line_kib),
            ("zone-import-limit-mib", self.zone_import_limit_mib),
        ] {
            anyhow::ensure!(value > 0, "--{name} must be at least 1");
        }
        config.server_limits = ServerLimits {
            header_read_timeout: seconds("header-timeout-s", self.header_timeout_s)?,
            request_body_timeout: seconds("body-timeout-s", self.body_timeout_s)?,
            keep_alive_idle_timeout: seconds("idle-timeout-s", self.idle_timeout_s)?,
            max_connections: self.max_connections,
            max_requests_per_party: self.max_requests_per_party,
            max_requests_admin: self.max_requests_admin,
            max_requests_unauthenticated: self.max_requests_unauthenticated,
            body_budget_bytes: self.body_budget_mib.saturating_mul(1024 * 1024),
            ndjson_line_max_bytes: self.max_line_kib.saturating_mul(1024),
        };
        config.operation_horizon = OperationHorizon {
            ahead_days: self.operation_horizon_days,
        };
        anyhow::ensure!(
            self.pass_after_reports_ms <= 60_000,
            "--pass-after-reports-ms must be at most 60000 (0 turns it off)"
        );
        config.pass_after_reports = (self.pass_after_reports_ms > 0)
            .then(|| std::time::Duration::from_millis(self.pass_after_reports_ms));
        if let Some(token) = &self.metrics_token {
            anyhow::ensure!(
                token.len() >= 16,
                "the metrics token must be at least 16 characters long"
            );
        }
        config.metrics_token = self.metrics_token;
        config.zone_import_limit_bytes = self.zone_import_limit_mib.saturating_mul(1024 * 1024);
        if let Some(path) = &self.terrain {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read the terrain file {}", path.display()))?;
            let terrain = deconflict_geometry::terrain::Terrain::from_geotiff(&bytes)
                .with_context(|| format!("the terrain file {} cannot be used", path.display()))?;
            config.terrain = Some(std::sync::Arc::new(terrain));
        }
        Ok(())
    }
}

/// Every connection is a file descriptor: raise the soft limit to the hard one, and say so
/// if the connection cap could still run the process out of them.
fn check_open_files(max_connections: usize) {
    /// The database, its journal, the log and the runtime's own.
    const RESERVED_FILES: u64 = 64;
    match deconflict_server::connections::raise_open_files_limit() {
        Ok(limit) if (max_connections as u64).saturating_add(RESERVED_FILES) > limit => {
            tracing::warn!(
                open_files_limit = limit,
                max_connections,
                "the open-files limit is below the connection cap: past it, accepting waits and is retried"
            );
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "cannot read the open-files limit"),
    }
}

/// When to snapshot the state (`deconflict serve --snapshot-every-…`); 0 turns one off.
#[derive(Debug, Clone, Copy)]
pub struct Snapshots {
    pub every_events: u64,
    pub every_minutes: u64,
}

/// A node's part in a cluster (SPEC §9): several `serve --node NAME` on one PostgreSQL
/// database split the live detection by region, each deciding the cells it leases.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterFlags {
    /// Join the cluster on the (PostgreSQL) database as this node (a name unique among its
    /// nodes): the periodic pass then decides only the cells this node leases.
    #[arg(long)]
    pub node: Option<String>,
    /// How long a node's cell leases last without renewal (renewed every quarter of it): a
    /// killed node's cells pass to the others after about this.
    #[arg(long, default_value_t = deconflict_server::cluster::LEASE_TTL.as_secs_f64())]
    pub lease_seconds: f64,
    /// NATS servers (comma-separated, e.g. nats://n1:4222,nats://n2:4222) through which the
    /// nodes tell each other at once of new alerts and messages (JetStream subjects
    /// `alerts.<party>` and `events.<kind>`); without it they poll the log every 200 ms.
    /// Needs --node.
    #[arg(long, value_name = "URLS", value_delimiter = ',')]
    pub nats: Vec<String>,
    /// Copies NATS JetStream keeps of each announcement (1..=5, at most the NATS cluster's size).
    #[arg(long, default_value_t = 1)]
    pub nats_replicas: usize,
    /// With --nats, keep position reports in the log as a single node does, instead of
    /// publishing them by cell on NATS JetStream (stream DECONFLICT_POSITIONS, subjects
    /// `positions.<cell>`), where each node consumes only its cells and their band.
    #[arg(long)]
    pub positions_in_log: bool,
    /// The most the position stream keeps, in GiB, before it drops its oldest batches (it
    /// keeps an hour at most); must fit in the NATS servers' max_file_store.
    #[arg(long, default_value_t = 32.0)]
    pub positions_stream_gib: f64,
}

impl ClusterFlags {
    fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        let Some(node) = &self.node else {
            anyhow::ensure!(self.nats.is_empty(), "--nats needs --node (a cluster node)");
            return Ok(());
        };
        anyhow::ensure!(
            config.shared_log,
            "--node needs a shared PostgreSQL database (--database postgres://…)"
        );
        anyhow::ensure!(
            self.lease_seconds.is_finite() && (0.2..=3600.0).contains(&self.lease_seconds),
            "--lease-seconds must be between 0.2 and 3600"
        );
        config.cluster = Some(deconflict_server::cluster::ClusterConfig {
            lease_ttl: std::time::Duration::from_secs_f64(self.lease_seconds),
            ..deconflict_server::cluster::ClusterConfig::new(node.clone())
        });
        if !self.nats.is_empty() {
            anyhow::ensure!(
                (1..=5).contains(&self.nats_replicas),
                "--nats-replicas must be between 1 and 5"
            );
            anyhow::ensure!(
                self.positions_stream_gib.is_finite() && self.positions_stream_gib >= 0.001,
                "--positions-stream-gib must be at least 0.001"
            );
            config.bus = Some(deconflict_server::bus::BusConfig {
                positions_max_bytes: (self.positions_stream_gib * f64::from(1u32 << 30)) as i64,
                ..deconflict_server::bus::BusConfig::new(self.nats.clone(), self.nats_replicas)
            });
            config.positions_on_bus = !self.positions_in_log;
        }
        Ok(())
    }
}

pub fn run(
    database: PathBuf,
    listen: SocketAddr,
    admin_token: String,
    retention_days: u32,
    limits: LimitFlags,
    snapshots: Snapshots,
    cluster: ClusterFlags,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        admin_token.len() >= 16,
        "the admin token must be at least 16 characters long"
    );
    let mut config = Config::new(database.clone(), admin_token);
    limits.apply(&mut config)?;
    cluster.apply(&mut config)?;
    init_logging();
    config.retention_horizon = Some(chrono::TimeDelta::days(i64::from(retention_days)));
    check_open_files(config.server_limits.max_connections);
    config.snapshot_every_events = Some(snapshots.every_events).filter(|&n| n > 0);
    config.snapshot_interval = Some(snapshots.every_minutes)
        .filter(|&m| m > 0)
        .map(|m| std::time::Duration::from_secs(m.saturating_mul(60)));
    let shown = deconflict_store::Database::from_path(&database).display();
    let app = App::open(config).with_context(|| format!("cannot open database {shown}"))?;
    let app = Arc::new(app);
    runtime()?.block_on({
        let app = app.clone();
        async move {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let address = listener.local_addr()?;
            tracing::info!(%address, database = %shown, "serving");
            // On stdout too, for the operator who started it: where to point a browser.
            println!("serving on http://{address}: the map at http://{address}/, the API described at http://{address}/openapi.json");
            deconflict_server::serve(listener, app, shutdown_signal()).await?;
            anyhow::Ok(())
        }
    })?;
    // A graceful stop leaves a snapshot at the head, so the next start replays nothing.
    if app.config.snapshot_every_events.is_some() || app.config.snapshot_interval.is_some() {
        if let Err(error) = app.snapshot() {
            tracing::error!(%error, "the snapshot at shutdown failed");
        }
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
