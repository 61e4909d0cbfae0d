//! `deconflict serve`.

use anyhow::Context;
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

/// When to snapshot the state (`deconflict serve --snapshot-every-…`); 0 turns one off.
#[derive(Debug, Clone, Copy)]
pub struct Snapshots {
    pub every_events: u64,
    pub every_minutes: u64,
}

pub fn run(
    database: PathBuf,
    listen: SocketAddr,
    admin_token: String,
    snapshots: Snapshots,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        admin_token.len() >= 16,
        "the admin token must be at least 16 characters long"
    );
    init_logging();
    let mut config = Config::new(database.clone(), admin_token);
    config.snapshot_every_events = Some(snapshots.every_events).filter(|&n| n > 0);
    config.snapshot_interval = Some(snapshots.every_minutes)
        .filter(|&m| m > 0)
        .map(|m| std::time::Duration::from_secs(m.saturating_mul(60)));
    let app = App::open(config)
        .with_context(|| format!("cannot open database {}", database.display()))?;
    let app = Arc::new(app);
    runtime()?.block_on({
        let app = app.clone();
        async move {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(address = %listener.local_addr()?, database = %database.display(), "serving");
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
