//! Cross-cutting request handling: request ids, request spans, the uniform error envelope,
//! panics turned into 500s, and noting request activity for the background work.

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

/// The span every log line of a request is recorded in: method, route template (never the raw
/// path, which holds ids), request id and trace id (the caller's, from `traceparent`, or a new
/// one); status and latency are recorded when it answers. It is the exported OpenTelemetry span.
pub fn request_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |p| p.as_str());
    let id = req
        .extensions()
        .get::<RequestId>()
        .map_or("", |r| r.0.as_str());
    let span = tracing::info_span!(
        "request",
        http.method = %req.method(),
        http.route = route,
        request_id = id,
        trace_id = tracing::field::Empty,
        http.status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    if let Some(trace_id) = crate::telemetry::continue_trace(&span, req.headers()) {
        span.record("trace_id", trace_id);
    }
    span
}

/// Records the answer in the request span, and logs it (health probes at debug only).
pub fn record_response(response: &Response, latency: std::time::Duration, span: &tracing::Span) {
    let status = response.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    span.record("http.status", status);
    span.record("latency_ms", latency_ms);
    tracing::debug!(http.status = status, latency_ms, "answered");
}

/// A handler's panic becomes the 500 envelope (via [`error_envelope`]) instead of a dropped
/// connection; the panic message is logged, never sent.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    tracing::error!(panic.message = %message, "handler panicked");
    let mut response = Response::new(Body::from("handler panicked"));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

pub use crate::failure::REQUEST_ID;

/// The id of the current request, available to handlers as an extension.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Echoes a well-formed client `x-request-id` (≤ 128 visible, header-safe characters) or
/// generates one, for the request (header and [`RequestId`] extension) and its response. The
/// outermost layer, so the request span and every error body can carry it.
///
/// Client ids are checked because they end up in logs: an unchecked one could forge log lines.
pub async fn assign_request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_acceptable_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let header_value = HeaderValue::from_str(&id).expect("checked or generated ids are valid");
    req.headers_mut().insert(REQUEST_ID, header_value.clone());
    req.extensions_mut().insert(RequestId(id));
    let mut response = next.run(req).await;
    response.headers_mut().insert(REQUEST_ID, header_value);
    response
}

/// Makes sure every error leaves with the JSON envelope and the request's id, and logs each
/// server error once (inside the request span).
pub async fn error_envelope(req: Request, next: Next) -> Response {
    let id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let response = next.run(req).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        envelope(response, &id)
    } else {
        response
    }
}

fn is_acceptable_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Gives an error response the JSON envelope with the request id.
fn envelope(response: Response, id: &str) -> Response {
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
    // The request span carries the method, route and request id.
    if let Some(source) = &payload.source {
        tracing::error!(error.message = %source, error.cause_chain = ?source, "request failed");
    } else if status.is_server_error() {
        tracing::error!(http.status = status.as_u16(), "request failed");
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

/// A path holding an encoded NUL (`%00`) names nothing that can exist (ids never contain it):
/// 404 on every backend, before any handler takes it to the database.
pub async fn refuse_nul_paths(req: Request, next: Next) -> Response {
    let path = req.uri().path().as_bytes();
    if path.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00")) {
        return error_response(
            StatusCode::NOT_FOUND,
            payload_for_status(StatusCode::NOT_FOUND),
        );
    }
    next.run(req).await
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
