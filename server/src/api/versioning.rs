//! API versions: every `/v1` response says `x-api-version: v1`; a path under another version
//! prefix (`/v2/…`) is a 400 naming the versions there are; and the original API's alias
//! routes (`/openapi.json`, `/v1/analytics/embeddings`, the batch POSTs, `/ws/…`) and
//! parameters (`?token=` on a WebSocket upgrade, `candidate_limit` in a search) answer with `Deprecation` (RFC 9745), `Sunset`
//! (RFC 8594) and `Link: <…>; rel="successor-version"`.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::Response,
};

use super::error::{error_response, ErrorPayload};

/// The versions this server speaks.
pub const SUPPORTED: &[&str] = &["v1"];
/// When the aliases were deprecated (RFC 9745 structured date: 2026-12-01T00:00:00Z)…
const DEPRECATED_SINCE: &str = "@1764547200";
/// …and when they go (RFC 8594 HTTP date).
const SUNSET: &str = "Wed, 30 Jun 2027 00:00:00 GMT";

/// The version a path names (`/v2/x` → `v2`), if it starts with one.
fn version_of(path: &str) -> Option<&str> {
    let first = path.strip_prefix('/')?.split('/').next()?;
    let digits = first.strip_prefix('v')?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(first)
}

/// What replaces a deprecated way of calling, if `method path?query` is one.
fn successor(method: &Method, path: &str, query: Option<&str>) -> Option<String> {
    if *method == Method::POST && path == "/v1/messages/batch/update" {
        // The same path with PUT.
        return Some("/v1/messages/batch/update".into());
    }
    if *method == Method::POST && path == "/v1/messages/batch/delete" {
        return Some("/v1/messages/batch".into());
    }
    if path.starts_with("/ws/") {
        return Some(format!("/v1{path}"));
    }
    if path == "/openapi.json" {
        return Some("/v1/openapi.json".into());
    }
    if path == "/v1/analytics/embeddings" {
        return Some("/v1/analytics/embedding-stats".into());
    }
    let param =
        |name: &str| query.is_some_and(|q| q.split('&').any(|p| p.split('=').next() == Some(name)));
    if path == "/v1/memory/search" && param("candidate_limit") {
        return Some(path.to_owned());
    }
    (param("token") && path.starts_with("/v1/ws/")).then(|| path.to_owned())
}

pub async fn api_version(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    match version_of(&path) {
        Some(v) if !SUPPORTED.contains(&v) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ErrorPayload {
                    code: "unsupported_version",
                    message: format!(
                        "API version '{v}' does not exist; supported: {}.",
                        SUPPORTED.join(", ")
                    ),
                    field: None,
                    source: None,
                },
            )
        }
        _ => {}
    }
    let successor = successor(req.method(), &path, req.uri().query());
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if version_of(&path) == Some("v1") {
        headers.insert(
            HeaderName::from_static("x-api-version"),
            HeaderValue::from_static("v1"),
        );
    }
    if let Some(next) = successor {
        headers.extend(deprecation(&next));
    }
    response
}

/// The deprecation headers a handler adds to its answer (none when nothing deprecated was used).
pub type Announced = axum::response::AppendHeaders<Vec<(HeaderName, HeaderValue)>>;

/// [`deprecation`] when `used`: for a deprecated field of a body, which only its handler reads
/// (the middleware announces paths and parameters).
pub fn announce_if(used: bool, successor: &str) -> Announced {
    axum::response::AppendHeaders(if used {
        deprecation(successor)
    } else {
        Vec::new()
    })
}

/// The headers that announce a deprecated way of calling and its successor.
pub fn deprecation(successor: &str) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (
            HeaderName::from_static("deprecation"),
            HeaderValue::from_static(DEPRECATED_SINCE),
        ),
        (
            HeaderName::from_static("sunset"),
            HeaderValue::from_static(SUNSET),
        ),
    ];
    if let Ok(link) = HeaderValue::from_str(&format!("<{successor}>; rel=\"successor-version\"")) {
        headers.push((axum::http::header::LINK, link));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_successors_are_recognised() {
        assert_eq!(version_of("/v1/messages"), Some("v1"));
        assert_eq!(version_of("/v2"), Some("v2"));
        assert_eq!(version_of("/v10/x"), Some("v10"));
        for none in ["/", "/vx/y", "/v/x", "/ws/messages/t", "/metrics", "/video"] {
            assert_eq!(version_of(none), None, "{none}");
        }
        let post = Method::POST;
        assert_eq!(
            successor(&post, "/v1/messages/batch/delete", None).as_deref(),
            Some("/v1/messages/batch")
        );
        assert_eq!(
            successor(&Method::PUT, "/v1/messages/batch/update", None),
            None
        );
        assert_eq!(
            successor(&Method::GET, "/ws/stream/t", None).as_deref(),
            Some("/v1/ws/stream/t")
        );
        assert!(successor(&Method::GET, "/v1/ws/messages/t", Some("a=1&token=x")).is_some());
        assert!(successor(&Method::GET, "/v1/ws/messages/t", Some("tokens=x")).is_none());
        assert!(successor(&Method::GET, "/v1/messages", Some("token=x")).is_none());
        let get = Method::GET;
        assert_eq!(
            successor(&get, "/openapi.json", None).as_deref(),
            Some("/v1/openapi.json")
        );
        assert_eq!(
            successor(&get, "/v1/analytics/embeddings", None).as_deref(),
            Some("/v1/analytics/embedding-stats")
        );
        let search = "/v1/memory/search";
        assert!(successor(&get, search, Some("query=a&candidate_limit=50")).is_some());
        assert!(successor(&get, search, Some("query=candidate_limit")).is_none());
    }
}
