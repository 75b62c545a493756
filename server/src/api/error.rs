//! `ApiError`: the one error type of the HTTP layer, and the JSON envelope every error carries.
//!
//! Handlers return [`Result<T>`]. An error becomes a response with the right status and the body
//! `{"error": {"code", "message", "request_id", "field"?}}` ([`app::wire::error::ErrorBody`]).
//! Internal failures (database, bugs) become an opaque 500 whose cause is logged once, by the
//! middleware in [`super::middleware`], never sent to the client. Use cases fail with
//! [`ServiceError`]; [`crate::failure::status_of`] is the whole mapping from their failures to
//! HTTP.

use std::sync::Arc;

use app::wire::error::{ErrorBody, ErrorDetail};
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};

use crate::{
    failure::{public_message, status_of},
    service::ServiceError,
};

/// Shorthand for handler results.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Everything a request can fail with: a use case's [`ServiceError`], or input this door
/// could not read into a request at all.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// Input that does not fit the request's type where no one field is to blame (422, no
    /// `field`). A type error that can name its field is a [`ServiceError::Invalid`].
    #[error("{0}")]
    Unreadable(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Service(e) => status_of(e),
            Self::Unreadable(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Service(e) => e.code(),
            Self::Unreadable(_) => "validation_failed",
        }
    }

    /// What the client may see: internal causes are replaced by a generic sentence.
    fn public_message(&self) -> String {
        match self {
            Self::Service(e) => public_message(e),
            other => other.to_string(),
        }
    }
}

/// Stashed in the response extensions so the envelope middleware can add the request id, and so
/// that 500s are logged once with their cause.
#[derive(Clone, Debug)]
pub struct ErrorPayload {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// The full error, for logging only (500s).
    pub source: Option<Arc<ApiError>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let field = match &self {
            Self::Service(e) => e.field().map(str::to_owned),
            Self::Unreadable(_) => None,
        };
        let payload = ErrorPayload {
            code: self.code(),
            message: self.public_message(),
            field,
            source: None,
        };
        let mut headers = axum::http::HeaderMap::new();
        if let Self::Service(e) = &self {
            crate::failure::add_headers(e, &mut headers);
        }
        let payload = ErrorPayload {
            source: status.is_server_error().then(|| Arc::new(self)),
            ..payload
        };
        let mut response = error_response(status, payload);
        response.headers_mut().extend(headers);
        response
    }
}

/// Builds an error response; the request id is filled in by the envelope middleware.
pub fn error_response(status: StatusCode, payload: ErrorPayload) -> Response {
    let mut response = (status, Json(render(&payload, ""))).into_response();
    response.extensions_mut().insert(payload);
    response
}

/// The JSON body for `payload`.
pub fn render(payload: &ErrorPayload, request_id: &str) -> ErrorBody {
    ErrorBody {
        error: ErrorDetail {
            code: payload.code.to_owned(),
            message: payload.message.clone(),
            request_id: request_id.to_owned(),
            field: payload.field.clone(),
        },
    }
}

/// A payload for responses produced outside our handlers (axum's 405, tower-http's 413/504),
/// so that every error has the same shape.
pub fn payload_for_status(status: StatusCode) -> ErrorPayload {
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "No such route."),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "This route does not accept that method.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "The request body is too large."),
        StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => {
            ("timeout", "The request took too long and was cancelled.")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Send the body as JSON with content-type: application/json.",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "rate_limited",
            "Too many requests from this address; slow down.",
        ),
        s if s.is_server_error() => (
            "internal_error",
            "The server failed to handle this request; it has been logged.",
        ),
        _ => ("bad_request", "The request could not be handled."),
    };
    ErrorPayload {
        code,
        message: message.to_owned(),
        field: None,
        source: None,
    }
}
