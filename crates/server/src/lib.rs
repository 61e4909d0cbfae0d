//! The `deconflict` HTTP API.
//!
//! - [`app`]: the single writer. It holds the engine's state and the event log behind one
//!   lock; a command is decided, its events appended (durably) and then applied, so an
//!   acknowledged request is never lost and a refused one changes nothing.
//! - [`auth`]: bearer tokens; only their SHA-256 hashes are stored.
//! - [`problem`]: every error as RFC 9457 `application/problem+json`.
//! - [`body`]: the JSON body extractor: size limit, and a JSON pointer for every bad field.
//! - [`routes`]: one module per resource; [`openapi`]: the OpenAPI 3.1 document.

pub mod app;
pub mod auth;
pub mod body;
pub mod openapi;
pub mod problem;
pub mod routes;

pub use app::{App, Config};
pub use routes::router;

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: std::sync::Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
}
