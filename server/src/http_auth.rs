//! Who an HTTP request is, for every door that answers HTTP (the REST handlers, the dashboard's
//! server functions and pages): `x-api-key`, then `Authorization: Bearer <jwt | mm_key>`, then
//! the dashboard's session cookie under its rule ([`crate::session_cookie`]).

use std::net::SocketAddr;

use axum::http::{header, HeaderMap, Method};

use crate::service::{self, accounts::LoginOrigin, Caller, Presented, ServiceError, Services};

/// The credential a request presents in its headers: `x-api-key` first, then a bearer token.
pub fn presented(headers: &HeaderMap) -> Option<Presented<'_>> {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(key) = header("x-api-key") {
        return Some(Presented::ApiKey(key));
    }
    let bearer = header(header::AUTHORIZATION.as_str())?;
    let token = bearer
        .strip_prefix("Bearer ")
        .or_else(|| bearer.strip_prefix("bearer "))?;
    Some(Presented::bearer(token))
}

/// Authenticates a request by its headers, or else by its session cookie (which counts only
/// from this server's own pages).
pub async fn caller(
    svc: &Services,
    headers: &HeaderMap,
    method: &Method,
) -> Result<Caller, ServiceError> {
    if let Some(presented) = presented(headers) {
        return service::authenticate(svc, presented).await;
    }
    let Some(token) = crate::session_cookie::token(headers, method, &svc.settings)? else {
        svc.metrics.auth_failed("missing");
        return Err(ServiceError::Unauthenticated(
            "Missing or invalid credentials.".into(),
        ));
    };
    service::authenticate(svc, Presented::bearer(&token)).await
}

/// Where a login comes from, recorded with its session: the peer's address and user agent.
pub fn login_origin(peer: Option<SocketAddr>, headers: &HeaderMap) -> LoginOrigin {
    LoginOrigin {
        ip_address: peer.map(|p| p.ip().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}
