//! The JSON request body: bounded in size, and every error located by a JSON pointer.
//!
//! The body is read with an explicit limit (not axum's default extractor) so that an
//! oversize body is answered with problem+json like every other error, and parsed through
//! `serde_path_to_error` so a wrong type names the field that has it.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;
use std::sync::Arc;

use crate::problem::ApiError;
use crate::App;

/// A raw body read under the size limit, with its media type (the part before any `;`).
pub struct RawBody {
    pub media_type: String,
    pub bytes: axum::body::Bytes,
}

impl FromRequest<Arc<App>> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request<Body>, app: &Arc<App>) -> Result<Self, ApiError> {
        let media_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                value
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let bytes = read_limited(request, app.config.body_limit_bytes).await?;
        Ok(RawBody { media_type, bytes })
    }
}

async fn read_limited(request: Request<Body>, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|error| {
            if is_length_limit(&error) {
                ApiError::BodyTooLarge { limit_bytes: limit }
            } else {
                ApiError::BodyUnreadable(error.to_string())
            }
        })
}

/// A JSON body deserialised into `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<App>> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request<Body>, app: &Arc<App>) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                let essence = value.split(';').next().unwrap_or("").trim();
                essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = read_limited(request, app.config.body_limit_bytes).await?;
        parse(&bytes).map(JsonBody)
    }
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.to_string().contains("length limit exceeded") {
            return true;
        }
        source = current.source();
    }
    false
}

/// Why a body or line with something after its JSON value is refused.
pub const TRAILING_CONTENT: &str =
    "trailing content after the JSON value: send exactly one value (one per line in NDJSON)";

/// Parses `bytes` as `T`: syntax errors and trailing content are `malformed-json`, type errors
/// `invalid-field`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    match result {
        Ok(value) => match deserializer.end() {
            Ok(()) => Ok(value),
            Err(_) => Err(ApiError::MalformedJson(TRAILING_CONTENT.to_owned())),
        },
        Err(error) => {
            let pointer = pointer_of(error.path());
            let inner = error.into_inner();
            if inner.is_syntax() || inner.is_eof() || inner.is_io() {
                Err(ApiError::MalformedJson(inner.to_string()))
            } else {
                let where_ = if pointer.is_empty() {
                    "the body".to_owned()
                } else {
                    pointer.clone()
                };
                Err(ApiError::InvalidField {
                    detail: format!("{where_}: {}", strip_position(&inner.to_string())),
                    pointer,
                })
            }
        }
    }
}

/// serde_json appends "at line 1 column 42" to its messages; the pointer says it better.
pub fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The RFC 6901 pointer of a serde path.
pub fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"))
            }
            Segment::Unknown => pointer.push('?'),
        }
    }
    pointer
}
