//! MCP over streamable HTTP at `/mcp` on the running server.
//!
//! Stateless: every POST carries its credential (`x-api-key`, or `Authorization: Bearer` with
//! an API key or access token) and is authenticated before the protocol sees it, so a revoked
//! key stops at its next call and no session outlives its credential. Cookies never count
//! here: a page of another origin cannot make a browser call tools. The shared layers (per-IP
//! limit, body limit, timeout, request ids, metrics) apply as to REST; the tenant and key
//! budgets and the audit log are the use cases'.

use axum::{
    extract::{Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Json, Router,
};
use rmcp::transport::streamable_http_server::{
    session::never::NeverSessionManager, StreamableHttpServerConfig, StreamableHttpService,
};

use super::tools::{Identity, MemoryTools};
use crate::{
    failure, http_auth,
    service::{self, ServiceError, Services},
    state::AppState,
};

/// `/mcp`, for merging into the application's router.
pub fn router(state: &AppState) -> Router<AppState> {
    let svc = state.services.clone();
    let tools = MemoryTools::new(svc.clone(), Identity::PerRequest);
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        // Host checks guard unauthenticated local servers against DNS rebinding; here every
        // request must carry a credential in its headers, which a rebound page cannot add.
        .disable_allowed_hosts()
        .with_max_request_body_bytes(svc.settings.http.max_body_bytes);
    let mcp = StreamableHttpService::new(
        move || Ok(tools.clone()),
        NeverSessionManager::default().into(),
        config,
    );
    Router::new()
        .route_service("/mcp", mcp)
        .route_layer(middleware::from_fn_with_state(svc, authenticate))
}

/// Puts the request's [`service::Caller`] in its extensions, or answers 401/429 with the API's
/// JSON envelope.
async fn authenticate(State(svc): State<Services>, mut request: Request, next: Next) -> Response {
    let outcome = match http_auth::presented(request.headers()) {
        Some(presented) => service::authenticate(&svc, presented).await,
        None => {
            svc.metrics.auth_failed("missing");
            Err(ServiceError::Unauthenticated(
                "Missing credentials: send an API key in x-api-key or Authorization: Bearer."
                    .into(),
            ))
        }
    };
    match outcome {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(e) => refuse(&e, failure::request_id(request.headers())),
    }
}

fn refuse(e: &ServiceError, request_id: &str) -> Response {
    if let ServiceError::Internal(cause) = e {
        tracing::error!(error = ?cause, "authenticating an MCP request failed");
    }
    let mut response = (
        failure::status_of(e),
        Json(failure::envelope(e, request_id)),
    )
        .into_response();
    failure::add_headers(e, response.headers_mut());
    response
}
