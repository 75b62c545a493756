//! Cross-cutting request handling: request ids, the uniform error envelope, and noting request
//! activity for the background work.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};

use super::error::{error_response, payload_for_status, render, ErrorPayload};
use crate::jobs::Activity;

/// The header that carries the request id both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// The id of the current request, available to handlers as an extension.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Echoes a well-formed client `x-request-id` (≤ 128 visible, header-safe characters) or
/// generates one, and makes sure every error leaves with the JSON envelope and that id.
///
/// Client ids are checked because they end up in logs: an unchecked one could forge log lines.
pub async fn request_id_and_errors(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_acceptable_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let header_value = HeaderValue::from_str(&id).expect("checked or generated ids are valid");
    req.headers_mut().insert(REQUEST_ID, header_value.clone());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();

    let mut response = next.run(req).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        response = envelope(response, &id, &method, &path);
    }
    response.headers_mut().insert(REQUEST_ID, header_value);
    response
}

fn is_acceptable_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Gives an error response the JSON envelope with the request id.
fn envelope(response: Response, id: &str, method: &axum::http::Method, path: &str) -> Response {
    let status = response.status();
    let payload = match response.extensions().get::<ErrorPayload>() {
        Some(p) => p.clone(),
        None => {
            // A handler that chose its own body for an error status (readiness's 503 report,
            // the dashboard's HTML 404 page) keeps it; bare bodies from axum and tower-http
            // (405, 413, 504, extractor rejections in plain text) get the envelope.
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if content_type.starts_with("text/html") || content_type.starts_with("application/json")
            {
                return response;
            }
            payload_for_status(status)
        }
    };
    if let Some(source) = &payload.source {
        tracing::error!(
            request_id = %id, http.method = %method, http.path = %path,
            error.message = %source, error.cause_chain = ?source,
            "request failed"
        );
    } else if status.is_server_error() {
        tracing::error!(request_id = %id, http.method = %method, http.path = %path,
            http.status = status.as_u16(), "request failed");
    }
    let mut rebuilt = error_response(status, payload.clone());
    let body = serde_json::to_vec(&render(&payload, id)).expect("error bodies serialise");
    *rebuilt.body_mut() = Body::from(body);
    // Keep headers a layer further in set on purpose (Retry-After, WWW-Authenticate, CORS…).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rebuilt.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rebuilt.headers_mut().remove(header::CONTENT_LENGTH);
    rebuilt
}

/// Fallback for unknown routes: browsers navigating the dashboard get its HTML 404 page (the
/// Leptos fallback handles those); API clients get the JSON envelope.
pub async fn not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        payload_for_status(StatusCode::NOT_FOUND),
    )
}

/// Notes each request's arrival for the background work that yields to requests.
pub async fn note_activity(
    axum::extract::State(activity): axum::extract::State<Arc<Activity>>,
    req: Request,
    next: Next,
) -> Response {
    activity.touch();
    next.run(req).await
}
