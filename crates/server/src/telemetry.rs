//! Prometheus metrics (`GET /metrics`).
//!
//! One recorder per process (the `metrics` facade is global); every `App` in the process shares
//! it, so test servers running side by side do not fight over it. What is counted:
//! - `deconflict_events_total{kind}`: events appended to the log;
//! - `deconflict_command_seconds`: time to decide, store and apply one command (histogram);
//! - `deconflict_positions_total{outcome="accepted|refused"}`;
//! - `deconflict_tactical_pass_seconds` (histogram), `deconflict_live_tracks`,
//!   `deconflict_tactical_conflicts`, `deconflict_nonconforming_tracks` (gauges);
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

/// `GET /metrics`: the Prometheus text exposition format.
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
