//! The OpenAPI 3.1 document: the title, description and security scheme here; the paths come
//! from the handlers' annotations as [`crate::routes::api`] registers them.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The whole document, paths included, as `/openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::routes::api().split_for_parts().1
}
