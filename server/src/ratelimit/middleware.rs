//! The per-address rate limit (`MEMORY_GLOBAL_RATE_LIMIT`) as middleware, and the
//! `X-RateLimit-*` headers. Tenant and API-key budgets are spent where the credential is
//! resolved (`service::caller`), because only there is the tenant known.
//!
//! A refusal is a bare 429 with `Retry-After`: the API's envelope layer, further out, gives it
//! the JSON error body every error has.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{Decision, Key, RateLimiter};
use crate::config::Rate;

/// What the middleware needs: the limiter, the budget, and whose forwarded addresses to believe.
#[derive(Clone)]
pub struct IpLimit {
    pub limiter: Arc<RateLimiter>,
    pub rate: Rate,
    pub trusted_proxies: Arc<[IpAddr]>,
    pub metrics: crate::metrics::Metrics,
}

/// Paths that are never limited: probes and metrics must answer while a client is throttled,
/// and the dashboard's static assets are cheap.
fn exempt(path: &str) -> bool {
    matches!(
        path,
        "/v1/admin/health" | "/v1/admin/readiness" | "/metrics"
    ) || path.starts_with("/pkg/")
}

pub async fn limit_by_ip(State(limit): State<IpLimit>, req: Request, next: Next) -> Response {
    if exempt(req.uri().path()) {
        return next.run(req).await;
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = client_ip(peer, req.headers(), &limit.trusted_proxies);
    let decision = limit.limiter.check(&Key::Ip(ip), limit.rate).await;
    let mut response = if decision.allowed {
        next.run(req).await
    } else {
        limit.metrics.rate_limited("ip");
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, decision.retry_after.max(1))],
        )
            .into_response()
    };
    set_headers(response.headers_mut(), &decision);
    response
}

/// `X-RateLimit-Limit`, `-Remaining` and `-Reset` (Unix seconds).
pub fn set_headers(headers: &mut HeaderMap, d: &Decision) {
    headers.insert("x-ratelimit-limit", HeaderValue::from(d.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(d.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(d.reset_at));
}

/// The socket peer, unless it is a trusted proxy: then the right-most `X-Forwarded-For` entry
/// that is not itself a trusted proxy (entries further left are client-controlled).
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    Some(
        forwarded
            .iter()
            .rev()
            .filter_map(|s| s.parse::<IpAddr>().ok())
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 1.2.3.4".parse().unwrap());
        let direct: IpAddr = "9.9.9.9".parse().unwrap();
        assert_eq!(client_ip(Some(direct), &headers, &[proxy]), Some(direct));
        assert_eq!(
            client_ip(Some(proxy), &headers, &[proxy]),
            Some("1.2.3.4".parse().unwrap()),
            "the right-most untrusted hop, not the spoofable left-most one"
        );
    }
}
