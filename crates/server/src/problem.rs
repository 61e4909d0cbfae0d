//! RFC 9457 problem details: every API error, with a stable `type`.
//!
//! The `type` is a relative URI `/problems/<slug>`; the slug never changes once published,
//! so clients may switch on it. `detail` is a sentence for a person; `pointer` is the JSON
//! pointer (RFC 6901) of the offending field of the request body, where there is one.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use deconflict_engine::EngineError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::CommandError;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Every refusal of an import (`import-refused`), each with its pointer and reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemItem>,
}

/// One refused part of a request: where and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemItem {
    pub pointer: String,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("the admin token registers parties; use a party's token for this")]
    AdminIsNotAParty,
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("{detail}")]
    InvalidField { pointer: String, detail: String },
    #[error("the request body is larger than the limit of {limit_bytes} bytes")]
    BodyTooLarge { limit_bytes: usize },
    #[error("the request body could not be read: {0}")]
    BodyUnreadable(String),
    #[error("the request must have Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    BadHeader(String),
    #[error("too many requests from this party; retry after {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("the request body stopped arriving: nothing came for {timeout_s} s")]
    BodyTimeout { timeout_s: u64 },
    #[error("line {line} (counted from 0) of the upload is longer than the limit of {limit_bytes} bytes (a position report is a few hundred): end each report with a newline")]
    LineTooLong { line: usize, limit_bytes: usize },
    #[error("{limit} requests of {who} are already in progress; wait for one to finish (retry after 1 s)")]
    TooManyInProgress { who: String, limit: usize },
    #[error("{0}; retry after 1 s")]
    ServerBusy(String),
    #[error("the reports were not accepted: {0}; nothing was kept, retry after 1 s")]
    PositionsUnavailable(String),
    #[error("there is no resource at {0}")]
    NoRoute(String),
    #[error("method {0} is not allowed here")]
    MethodNotAllowed(String),
    #[error("{format}: {count} refused, nothing imported; first: {first}", count = .refusals.len(), first = .refusals.first().map(|r| format!("{}: {}", r.pointer, r.detail)).unwrap_or_default())]
    ImportRefused {
        format: &'static str,
        refusals: Vec<ProblemItem>,
    },
    #[error(transparent)]
    Command(#[from] CommandError),
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        ApiError::Command(CommandError::Refused(error))
    }
}

impl ApiError {
    /// (status, slug, title) of this error.
    fn classify(&self) -> (StatusCode, &'static str, &'static str) {
        use EngineError as E;
        match self {
            ApiError::Unauthenticated(_) => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Not authenticated",
            ),
            ApiError::AdminIsNotAParty => (
                StatusCode::FORBIDDEN,
                "party-required",
                "A party token is required",
            ),
            ApiError::MalformedJson(_) => {
                (StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON")
            }
            ApiError::InvalidField { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                "Invalid field",
            ),
            ApiError::ImportRefused { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "import-refused",
                "Import refused",
            ),
            ApiError::BodyTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "Request body too large",
            ),
            ApiError::BodyUnreadable(_) => (
                StatusCode::BAD_REQUEST,
                "body-unreadable",
                "Request body unreadable",
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            ApiError::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            ),
            ApiError::BadHeader(_) => (StatusCode::BAD_REQUEST, "bad-header", "Bad header"),
            ApiError::BodyTimeout { .. } => (
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "Request body timed out",
            ),
            ApiError::LineTooLong { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "line-too-long",
                "Line too long",
            ),
            ApiError::TooManyInProgress { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests in progress",
            ),
            ApiError::ServerBusy(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "server-busy",
                "Server busy",
            ),
            ApiError::PositionsUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "positions-unavailable",
                "Position stream unavailable",
            ),
            ApiError::NoRoute(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            ApiError::Command(CommandError::Store(deconflict_store::StoreError::HeadMoved {
                ..
            })) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "log-contended",
                "The log is busy with other nodes' writes",
            ),
            ApiError::Command(CommandError::Store(_)) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage-failure",
                "Storage failure",
            ),
            ApiError::Command(CommandError::Refused(error)) => match error {
                E::InvalidId { .. }
                | E::TooLong { .. }
                | E::Empty { .. }
                | E::ControlCharacter { .. }
                | E::NoVolumes
                | E::UnknownRecipient { .. }
                | E::InvalidPlace(_)
                | E::InvalidParameter { .. }
                | E::TooManyVolumes { .. } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-field",
                    "Invalid field",
                ),
                E::InvalidVolume { .. } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-geometry",
                    "Invalid geometry",
                ),
                E::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found", "Not found"),
                E::VersionMismatch { .. } => {
                    (StatusCode::CONFLICT, "version-mismatch", "Version mismatch")
                }
                E::InvalidTransition { .. } => (
                    StatusCode::CONFLICT,
                    "invalid-transition",
                    "Invalid state transition",
                ),
                E::PartyExists(_) => (StatusCode::CONFLICT, "already-exists", "Already exists"),
                E::AgreementState(_) => (
                    StatusCode::CONFLICT,
                    "invalid-transition",
                    "Invalid state transition",
                ),
                E::ChannelFrozen { .. } => {
                    (StatusCode::CONFLICT, "channel-frozen", "Channel frozen")
                }
                E::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
                E::BeyondHorizon { .. } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "beyond-horizon",
                    "Beyond the filing horizon",
                ),
                E::ZoneRefused { .. } => (
                    StatusCode::CONFLICT,
                    "zone-violation",
                    "Refused by a zone rule",
                ),
                E::LowerPriority { .. } => (
                    StatusCode::CONFLICT,
                    "priority-conflict",
                    "Conflicts with an operation of higher priority",
                ),
            },
        }
    }

    fn pointer(&self) -> Option<String> {
        match self {
            ApiError::InvalidField { pointer, .. } => Some(pointer.clone()),
            ApiError::Command(CommandError::Refused(error)) => error.pointer(),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, slug, title) = self.classify();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let detail = match &self {
            // Never leak internals of a storage failure to the client.
            ApiError::Command(CommandError::Store(_)) => {
                "the change could not be stored and was not applied; try again".to_owned()
            }
            other => other.to_string(),
        };
        let problem = Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            pointer: self.pointer(),
            errors: match &self {
                ApiError::ImportRefused { refusals, .. } => refusals.clone(),
                _ => Vec::new(),
            },
        };
        let mut response = (status, axum::Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        let retry_after_s = match &self {
            ApiError::RateLimited { retry_after_s } => Some(*retry_after_s),
            ApiError::TooManyInProgress { .. }
            | ApiError::ServerBusy(_)
            | ApiError::PositionsUnavailable(_) => Some(1),
            _ => None,
        };
        if let Some(retry_after_s) = retry_after_s {
            if let Ok(value) = HeaderValue::from_str(&retry_after_s.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if matches!(
            self,
            ApiError::BodyTimeout { .. } | ApiError::LineTooLong { .. }
        ) {
            // The rest of the body is not read: the connection cannot carry another request.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
