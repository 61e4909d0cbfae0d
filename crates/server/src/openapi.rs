//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa).

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    agreements, alerts, health, incidents, messages, operations, parties, positions, stream,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "deconflict",
        description = "The neutral deconfliction service between parties that share airspace or sea. \
            Errors are RFC 9457 application/problem+json."
    ),
    paths(
        health::healthz, health::readyz,
        parties::register, parties::list, parties::me,
        parties::issue_token, parties::list_tokens, parties::revoke_token,
        operations::file, operations::read, operations::list,
        operations::activate, operations::end, operations::cancel,
        alerts::list, alerts::acknowledge, stream::stream,
        messages::send, messages::list, messages::read,
        agreements::propose, agreements::list, agreements::read, agreements::accept, agreements::suspend, agreements::resume,
        incidents::file, incidents::list, incidents::share, incidents::list_reports, incidents::acknowledge_report,
        positions::report, positions::list,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
