//! The JSON request body: bounded in size, and every error located by a JSON pointer.
//!
//! The body is read with an explicit limit (not axum's default extractor) so that an
//! oversize body is answered with problem+json like every other error, and parsed through
//! `serde_path_to_error` so a wrong type names the field that has it.
//!
//! A JSON document is parsed whole, so it is held whole while it arrives: the body limit bounds
//! one, and the [`BodyBudget`] bounds all of them together (with the per-party request cap, a
//! party's share). NDJSON uploads are not held whole: `routes::positions` reads them a line at
//! a time through [`BodyReader`].

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use deconflict_feeds::{pointer_of, strip_position};
use serde::de::DeserializeOwned;
use std::sync::Arc;

use crate::problem::ApiError;
use crate::App;

/// The bytes of request bodies held in memory at once, across all connections
/// ([`crate::limits::ServerLimits::body_budget_bytes`]). Each body takes its share chunk by
/// chunk as it arrives and gives it back when dropped; a chunk that does not fit is refused
/// with 503 `server-busy` rather than waited for, so a waiting body never holds a share
/// another needs (and a refused client knows at once to retry later).
#[derive(Debug, Clone)]
pub struct BodyBudget(Arc<tokio::sync::Semaphore>);

impl BodyBudget {
    pub fn new(bytes: usize) -> BodyBudget {
        BodyBudget(Arc::new(tokio::sync::Semaphore::new(
            bytes.min(tokio::sync::Semaphore::MAX_PERMITS),
        )))
    }

    /// Bytes not held by any body now.
    pub fn available_bytes(&self) -> usize {
        self.0.available_permits()
    }
}

/// A share of the [`BodyBudget`], given back when dropped.
#[derive(Debug, Default)]
pub struct Held(Option<tokio::sync::OwnedSemaphorePermit>);

impl Held {
    /// Takes `bytes` more from `budget`, or refuses the request.
    pub fn take(&mut self, budget: &BodyBudget, bytes: usize) -> Result<(), ApiError> {
        if bytes == 0 {
            return Ok(());
        }
        let permit = u32::try_from(bytes)
            .ok()
            .and_then(|count| budget.0.clone().try_acquire_many_owned(count).ok())
            .ok_or_else(|| {
                metrics::counter!("deconflict_requests_refused_total", "reason" => "body-budget")
                    .increment(1);
                ApiError::ServerBusy(
                    "the server is holding as many request bodies as it may".to_owned(),
                )
            })?;
        match &mut self.0 {
            Some(held) => held.merge(permit),
            None => self.0 = Some(permit),
        }
        Ok(())
    }
}

/// A request body read piece by piece, under the size limit; a pause longer than the body
/// timeout ([`crate::connections`] wraps every body in it) is answered 408.
pub struct BodyReader {
    body: Body,
    read_bytes: usize,
    limit_bytes: usize,
    timeout_s: u64,
}

impl BodyReader {
    pub fn new(request: Request<Body>, app: &App) -> BodyReader {
        Self::with_limit(request, app, app.config.body_limit_bytes)
    }

    /// A reader with a limit of its own (zone imports).
    pub fn with_limit(request: Request<Body>, app: &App, limit_bytes: usize) -> BodyReader {
        BodyReader {
            body: request.into_body(),
            read_bytes: 0,
            limit_bytes,
            timeout_s: app.config.server_limits.request_body_timeout.as_secs(),
        }
    }

    /// The next piece of the body; `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<axum::body::Bytes>, ApiError> {
        use http_body_util::BodyExt;
        loop {
            let Some(frame) = self.body.frame().await else {
                return Ok(None);
            };
            let frame = frame.map_err(|error| {
                if is_timeout(&error) {
                    ApiError::BodyTimeout {
                        timeout_s: self.timeout_s,
                    }
                } else {
                    ApiError::BodyUnreadable(error.to_string())
                }
            })?;
            // Trailers carry nothing the API reads.
            let Ok(data) = frame.into_data() else {
                continue;
            };
            self.read_bytes += data.len();
            if self.read_bytes > self.limit_bytes {
                return Err(ApiError::BodyTooLarge {
                    limit_bytes: self.limit_bytes,
                });
            }
            return Ok(Some(data));
        }
    }
}

fn is_timeout(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = current.source();
    }
    false
}

/// A raw body read under the size limit and the body budget, with its media type (the part
/// before any `;`). Its share of the budget is given back when it is dropped.
pub struct RawBody {
    pub media_type: String,
    pub bytes: axum::body::Bytes,
    _held: Held,
}

/// The media type of a request (the part before any `;`, lower case; empty if none).
pub fn media_type(request: &Request<Body>) -> String {
    request
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
        .unwrap_or_default()
}

impl RawBody {
    /// The body's share of the budget, to keep while what was parsed from it is in use.
    pub fn into_held(self) -> Held {
        self._held
    }

    /// Reads the whole body of `request`.
    pub async fn read(request: Request<Body>, app: &App) -> Result<RawBody, ApiError> {
        let limit = app.config.body_limit_bytes;
        Self::read_with_limit(request, app, limit).await
    }

    /// Reads the whole body of `request` under a limit of its own, piece by piece, each piece
    /// taken from the body budget as it arrives.
    pub async fn read_with_limit(
        request: Request<Body>,
        app: &App,
        limit_bytes: usize,
    ) -> Result<RawBody, ApiError> {
        let media_type = media_type(&request);
        let budget = budget_of(&request);
        let mut reader = BodyReader::with_limit(request, app, limit_bytes);
        let mut held = Held::default();
        let mut bytes = Vec::new();
        while let Some(chunk) = reader.next_chunk().await? {
            held.take(&budget, chunk.len())?;
            bytes.extend_from_slice(&chunk);
        }
        Ok(RawBody {
            media_type,
            bytes: bytes.into(),
            _held: held,
        })
    }
}

/// The server's body budget (installed by [`crate::routes::router_from`]); a router without
/// one reads without a budget (only the body limit bounds it).
pub fn budget_of(request: &Request<Body>) -> BodyBudget {
    request
        .extensions()
        .get::<BodyBudget>()
        .cloned()
        .unwrap_or_else(|| BodyBudget::new(usize::MAX))
}

impl FromRequest<Arc<App>> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request<Body>, app: &Arc<App>) -> Result<Self, ApiError> {
        RawBody::read(request, app).await
    }
}

/// A JSON body deserialised into `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<App>> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request<Body>, app: &Arc<App>) -> Result<Self, ApiError> {
        let essence = media_type(&request);
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::UnsupportedMediaType);
        }
        let body = RawBody::read(request, app).await?;
        parse(&body.bytes).map(JsonBody)
    }
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
        Err(error) => Err(refusal(error, "")),
    }
}

/// Reads `value` (a body already parsed as JSON, found at `prefix` within it) as `T`: a
/// wrong type is `invalid-field` with its pointer, as [`parse`] says.
pub fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| refusal(error, prefix))
}

/// The problem of a body that does not deserialise, its pointer prefixed with `prefix`.
fn refusal(error: serde_path_to_error::Error<serde_json::Error>, prefix: &str) -> ApiError {
    let pointer = format!("{prefix}{}", pointer_of(error.path()));
    let inner = error.into_inner();
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return ApiError::MalformedJson(inner.to_string());
    }
    let where_ = if pointer.is_empty() {
        "the body".to_owned()
    } else {
        pointer.clone()
    };
    ApiError::InvalidField {
        detail: format!("{where_}: {}", strip_position(&inner.to_string())),
        pointer,
    }
}
