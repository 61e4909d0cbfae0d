//! The routes, one module per resource.

pub mod agreements;
pub mod alerts;
pub mod health;
pub mod incidents;
pub mod messages;
pub mod operations;
pub mod parties;
pub mod positions;
pub mod stream;

use axum::extract::Request;
use axum::routing::{get, post, put};
use axum::Router;
use std::sync::Arc;
use tower_http::trace::TraceLayer;

use crate::problem::ApiError;
use crate::App;

/// The whole HTTP interface.
pub fn router(app: Arc<App>) -> Router {
    let v1 = Router::new()
        .route("/parties", post(parties::register).get(parties::list))
        .route("/parties/me", get(parties::me))
        .route(
            "/parties/{id}/tokens",
            post(parties::issue_token).get(parties::list_tokens),
        )
        .route(
            "/parties/{id}/tokens/{token_id}",
            axum::routing::delete(parties::revoke_token),
        )
        .route("/operations", get(operations::list))
        .route(
            "/operations/{id}",
            put(operations::file).get(operations::read),
        )
        .route("/operations/{id}/activate", post(operations::activate))
        .route("/operations/{id}/end", post(operations::end))
        .route("/operations/{id}/cancel", post(operations::cancel))
        .route("/alerts", get(alerts::list))
        .route("/alerts/stream", get(stream::stream))
        .route("/alerts/{id}/ack", post(alerts::acknowledge))
        .route("/messages", post(messages::send).get(messages::list))
        .route("/messages/{id}/read", post(messages::read))
        .route("/incidents", post(incidents::file).get(incidents::list))
        .route(
            "/reports",
            post(incidents::share).get(incidents::list_reports),
        )
        .route("/reports/{id}/ack", post(incidents::acknowledge_report))
        .route(
            "/agreements",
            post(agreements::propose).get(agreements::list),
        )
        .route("/agreements/{id}", get(agreements::read))
        .route("/agreements/{id}/accept", post(agreements::accept))
        .route("/agreements/{id}/suspend", post(agreements::suspend))
        .route("/agreements/{id}/resume", post(agreements::resume))
        .route("/positions", post(positions::report))
        .route("/tracks", get(positions::list));
    Router::new()
        .nest("/v1", v1)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/openapi.json", get(crate::openapi::document))
        .route("/metrics", get(crate::telemetry::render))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

async fn no_route(request: Request) -> ApiError {
    ApiError::NoRoute(request.uri().path().to_owned())
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::MethodNotAllowed(request.method().to_string())
}
