//! How a use case's failure reads over HTTP, for every door that answers HTTP (the REST
//! handlers, the dashboard's server functions): its status, and the words a client may see.

use app::wire::error::{ErrorBody, ErrorDetail};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};

use crate::service::ServiceError;

/// The header that carries the request id both ways (set on every request by the outermost
/// layer), which every error envelope repeats.
pub const REQUEST_ID: &str = "x-request-id";

/// The request's id, as the outermost layer set it on the request.
pub fn request_id(headers: &HeaderMap) -> &str {
    let id = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok());
    id.unwrap_or_default()
}

/// The one table from a use case's failure to an HTTP status.
pub fn status_of(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::NotFound { .. } => StatusCode::NOT_FOUND,
        ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::BadRequest(_) => StatusCode::BAD_REQUEST,
        ServiceError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
        ServiceError::Conflict(_) | ServiceError::KeyTaken => StatusCode::CONFLICT,
        ServiceError::RateLimited { .. } | ServiceError::TooManyQueries(_) => {
            StatusCode::TOO_MANY_REQUESTS
        }
        ServiceError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The headers an answer to `e` carries beside its body: `WWW-Authenticate` on a 401,
/// `Retry-After` (seconds) on a rate limit.
pub fn add_headers(e: &ServiceError, headers: &mut HeaderMap) {
    match e {
        ServiceError::Unauthenticated(_) => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        ServiceError::RateLimited { retry_after, .. } => {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from((*retry_after).max(1)),
            );
        }
        _ => {}
    }
}

/// What a client may read of `e`: an internal cause is replaced by a generic sentence.
pub fn public_message(e: &ServiceError) -> String {
    match e {
        ServiceError::Internal(_) => {
            "The server failed to handle this request; it has been logged.".to_owned()
        }
        other => other.to_string(),
    }
}

/// The JSON envelope of `e`, as the REST API answers it.
pub fn envelope(e: &ServiceError, request_id: &str) -> ErrorBody {
    ErrorBody {
        error: ErrorDetail {
            code: e.code().to_owned(),
            message: public_message(e),
            request_id: request_id.to_owned(),
            field: e.field().map(str::to_owned),
        },
    }
}
