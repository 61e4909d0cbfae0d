//! The browser map UI: the static files of `web/`, embedded in the binary.
//!
//! The UI is a client of the public `/v1` API like any other (it adds no endpoint of its own),
//! so the release rules that protect the API protect the map too. Its files — `index.html`,
//! the ES module `app.js`, `style.css` and the vendored Leaflet, topojson-client and Natural
//! Earth basemap under `web/vendor/` — are compiled in with `rust-embed` (`debug-embed`, so test
//! builds embed as well), which is why a fresh clone serves the whole UI with no npm step.
//!
//! Routes: `/` is `index.html`; `/ui/{path}` is any other file. Every response carries a
//! Content-Security-Policy that lets the page talk to its own origin only — the browser itself
//! refuses any request to another host.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

use crate::problem::ApiError;

/// The served files of `web/`; the npm manifest, lockfile and vendoring script stay out.
#[derive(RustEmbed)]
#[folder = "../../web/"]
#[include = "index.html"]
#[include = "*.js"]
#[include = "*.css"]
#[include = "vendor/**/*"]
#[exclude = "node_modules/**/*"]
#[exclude = "vendor.sh"]
struct WebFiles;

/// Only the page's own origin: scripts, styles, images, fetches. Leaflet positions its
/// elements with inline styles, hence `'unsafe-inline'` for styles only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The UI's routes, merged into the API router by `routes::router_from`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/ui/{*path}", get(file))
}

async fn index() -> Response {
    serve("index.html")
}

async fn file(Path(path): Path<String>) -> Response {
    serve(&path)
}

fn serve(path: &str) -> Response {
    let Some(content) = WebFiles::get(path) else {
        return ApiError::NoRoute(format!("/ui/{path}")).into_response();
    };
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(path)),
        ),
        // Small files, and a new binary may change them: the browser revalidates each time.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    (StatusCode::OK, headers, content.data.into_owned()).into_response()
}

/// The content type by extension, for the kinds of file `web/` holds.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("md") => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_libraries_are_embedded() {
        for path in [
            "index.html",
            "app.js",
            "style.css",
            "vendor/leaflet/leaflet.js",
            "vendor/leaflet/leaflet.css",
            "vendor/topojson-client/topojson-client.min.js",
            "vendor/world-atlas/countries-50m.json",
        ] {
            assert!(WebFiles::get(path).is_some(), "{path} is not embedded");
        }
        assert!(WebFiles::get("package.json").is_none());
        assert!(WebFiles::get("vendor.sh").is_none());
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(
            content_type("vendor/world-atlas/countries-50m.json"),
            "application/json"
        );
        assert_eq!(
            content_type("vendor/leaflet/images/marker-icon.png"),
            "image/png"
        );
    }
}
