//! The routes, one module per resource.

pub mod agreements;
pub mod alerts;
pub mod audit;
pub mod health;
pub mod incidents;
pub mod messages;
pub mod operations;
pub mod parties;
pub mod positions;
pub mod sites;
pub mod stream;
pub mod zones;

use axum::extract::Request;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::problem::ApiError;
use crate::App;

/// The documented API: every route is registered together with its OpenAPI operation
/// (utoipa-axum), so the document served at `/openapi.json` lists exactly what is routed —
/// which is what lets the access-matrix test cover every endpoint.
pub fn api() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(parties::register, parties::list))
        .routes(routes!(parties::me))
        .routes(routes!(parties::issue_token, parties::list_tokens))
        .routes(routes!(parties::revoke_token))
        .routes(routes!(operations::list))
        .routes(routes!(operations::file, operations::read))
        .routes(routes!(operations::activate))
        .routes(routes!(operations::end))
        .routes(routes!(operations::cancel))
        .routes(routes!(alerts::list))
        .routes(routes!(stream::stream))
        .routes(routes!(alerts::acknowledge))
        .routes(routes!(messages::send, messages::list))
        .routes(routes!(messages::read))
        .routes(routes!(incidents::file, incidents::list))
        .routes(routes!(incidents::share, incidents::list_reports))
        .routes(routes!(incidents::acknowledge_report))
        .routes(routes!(agreements::propose, agreements::list))
        .routes(routes!(agreements::read))
        .routes(routes!(agreements::accept))
        .routes(routes!(agreements::suspend))
        .routes(routes!(agreements::resume))
        .routes(routes!(positions::report))
        .routes(routes!(positions::list))
        .routes(routes!(audit::head))
        .routes(routes!(audit::receipt))
        .routes(routes!(zones::list))
        .routes(routes!(zones::import_ed269))
        .routes(routes!(zones::import_ed318))
        .routes(routes!(zones::publish, zones::read, zones::withdraw))
        .routes(routes!(sites::list))
        .routes(routes!(sites::publish, sites::read, sites::withdraw))
}

/// The whole HTTP interface: the documented API, the document itself and `/metrics`.
pub fn router(app: Arc<App>) -> Router {
    router_from(api(), app)
}

/// The HTTP interface around a given documented API (tests add endpoints to [`api`]).
pub fn router_from(api: OpenApiRouter<Arc<App>>, app: Arc<App>) -> Router {
    let (api, document) = api.split_for_parts();
    let document = Arc::new(document);
    let slots = Arc::new(crate::concurrency::RequestSlots::default());
    api.route(
        "/openapi.json",
        get(move || {
            let document = document.clone();
            async move { Json(document.as_ref().clone()) }
        }),
    )
    .route("/metrics", get(crate::telemetry::metrics))
    .merge(crate::ui::router())
    .fallback(no_route)
    .method_not_allowed_fallback(method_not_allowed)
    .layer(axum::middleware::from_fn(no_store_when_authorized))
    .layer(axum::Extension(crate::body::BodyBudget::new(
        app.config.server_limits.body_budget_bytes,
    )))
    .layer(axum::middleware::from_fn_with_state(
        (app.clone(), slots),
        crate::concurrency::limit_in_progress,
    ))
    .layer(TraceLayer::new_for_http())
    .with_state(app)
}

/// A response to a request with credentials carries a party's data, or a token shown once: no
/// cache, shared or private, may keep it (`Cache-Control: no-store`).
async fn no_store_when_authorized(
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let authorized = request
        .headers()
        .contains_key(axum::http::header::AUTHORIZATION);
    let mut response = next.run(request).await;
    if authorized {
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    response
}

async fn no_route(request: Request) -> ApiError {
    ApiError::NoRoute(request.uri().path().to_owned())
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::MethodNotAllowed(request.method().to_string())
}
