//! Prometheus metrics (`GET /metrics`).
//!
//! One recorder per process (the `metrics` facade is global); every `App` in the process shares
//! it, so test servers running side by side do not fight over it. What is counted:
//! - `deconflict_events_total{kind}`: events appended to the log;
//! - `deconflict_command_seconds`: time to decide, store and apply one command (histogram);
//! - `deconflict_positions_total{outcome="accepted|refused"}`;
//! - `deconflict_moved_pass_seconds` (histogram: the passes started by reports, of the
//!   tracks that moved);
//! - `deconflict_pass_decide_seconds{pass="tick|moved"}` (histogram: the engine's decision
//!   alone, without waiting for the state or logging);
//! - `deconflict_tactical_pass_seconds` (histogram), `deconflict_live_tracks`,
//!   `deconflict_tactical_conflicts`, `deconflict_nonconforming_tracks` (gauges; the two last
//!   count the open alerts of those kinds after the tick's pass);
//! - `deconflict_open_alerts` (gauge), `deconflict_streams` (gauge: connected SSE streams).

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder on first use; returns its handle.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed by an embedding program: then ours only renders.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows only what reaches this one");
        }
        handle
    })
}

/// `GET /metrics`: the Prometheus text exposition format. With a metrics token configured
/// (`--metrics-token`) it needs `Authorization: Bearer <that token>` (401 otherwise): the
/// figures show system-wide activity that no party should read. Without one it is open, for a
/// scraper on a trusted network.
pub async fn metrics(
    axum::extract::State(app): axum::extract::State<std::sync::Arc<crate::App>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Some(expected) = &app.config.metrics_token {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim);
        // Compared by hash, so the comparison's time says nothing about the token.
        let authorized = given.is_some_and(|given| {
            crate::auth::hash_token(given) == crate::auth::hash_token(expected)
        });
        if !authorized {
            return crate::problem::ApiError::Unauthenticated(
                "/metrics needs the metrics token: Authorization: Bearer <token>",
            )
            .into_response();
        }
    }
    render().await.into_response()
}

/// The metrics text, with its content type.
pub async fn render() -> ([(axum::http::header::HeaderName, &'static str); 1], String) {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        handle().render(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_counter_is_rendered() {
        let handle = super::handle();
        metrics::counter!("deconflict_test_total").increment(3);
        let text = handle.render();
        assert!(text.contains("deconflict_test_total 3"), "[{text}]");
    }
}
