//! The HTTP edge: REST routes grouped by resource, and the layers every request passes through.
//!
//! Every handler is a door onto [`crate::service`]: it extracts (path, query, body, the
//! [`Caller`](crate::service::Caller)), calls one use case, and maps the result to a status
//! and JSON. No business rule lives here.
//!
//! - [`error`]: `ApiError` (from `ServiceError`) and the JSON error envelope.
//! - [`middleware`]: request ids and spans, error envelopes, panics, the JSON 404 fallback.
//! - [`extract`]: `AppJson` and `AppQuery` (type errors name their field), the `Caller`.
//! - [`admin`]: health and readiness; [`analytics`]: usage views (instance admins: all tenants).
//! - [`auth`], [`api_keys`], [`members`]: accounts, sessions, keys, members; [`export`]: a
//!   tenant's data as JSON lines.
//! - [`messages`], [`batch`], [`conversations`], [`search`]: the memory itself and its search.
//! - [`ws`]: the WebSocket doors (the live feed, streaming search).
//! - [`docs`]: the OpenAPI document (`/v1/openapi.json`), generated from the handlers, and the
//!   interactive docs at `/docs`; `bounds` writes validation's real limits into it.
//!
//! Layer order (outermost first): activity → metrics → request id → request span → error
//! envelope → security headers → CORS → per-IP rate limit → timeout → body limit → panic
//! catcher → routes. Request ids and envelopes sit outside every layer that can reject a
//! request, so even a 413, 504 or 429 carries them.

pub mod admin;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod batch;
mod bounds;
pub mod context;
pub mod conversations;
pub mod docs;
pub mod error;
pub mod export;
pub mod extract;
pub mod members;
pub mod messages;
pub mod middleware;
pub mod retention;
pub mod search;
pub mod tenants;
pub mod versioning;
pub mod ws;

pub use error::Result;

use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    routing::get,
    Router,
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    limit::RequestBodyLimitLayer,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    config::Settings,
    metrics,
    ratelimit::middleware::{limit_by_ip, IpLimit},
    state::AppState,
};

/// The REST API (everything under `/v1`, plus `/metrics`), without the dashboard.
pub fn router(state: &AppState) -> Router<AppState> {
    use utoipa::OpenApi;
    let (api, doc) = utoipa_axum::router::OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        .merge(admin::router())
        .merge(analytics::router())
        .merge(auth::router())
        .merge(api_keys::router())
        .merge(members::router())
        .merge(tenants::router())
        .merge(audit::router())
        .merge(messages::router())
        .merge(batch::router())
        .merge(conversations::router())
        .merge(context::router())
        .merge(export::router())
        .merge(search::router())
        .merge(retention::router())
        .split_for_parts();
    let mut doc = serde_json::to_value(&doc).expect("the OpenAPI document serialises");
    bounds::apply(&mut doc);
    let http = &state.services.settings.http;
    docs::state_limits(
        &mut doc,
        http.max_body_bytes,
        http.request_timeout.as_secs(),
    );
    docs::unique_operation_ids(&mut doc);
    let doc = doc.to_string();
    let serve_doc = move || async move { ([(header::CONTENT_TYPE, "application/json")], doc) };
    // `/openapi.json` is where the original (FastAPI) served it.
    let api = api
        .route("/v1/openapi.json", get(serve_doc.clone()))
        .route("/openapi.json", get(serve_doc));
    let api = if state.services.settings.http.metrics_public {
        api.route("/metrics", get(public_metrics))
    } else {
        api.route("/metrics", get(private_metrics))
    };
    // WebSocket doors: outside the OpenAPI document, which cannot describe them
    // (docs/websocket.md does).
    let api = api
        .route("/v1/ws/messages/{tenant_id}", get(ws::feed::upgrade))
        .route("/ws/messages/{tenant_id}", get(ws::feed::upgrade))
        .route("/v1/ws/stream/{tenant_id}", get(ws::stream::upgrade))
        .route("/ws/stream/{tenant_id}", get(ws::stream::upgrade));
    api.merge(docs::interactive())
        .route("/v1", axum::routing::any(middleware::not_found))
        .route("/v1/{*rest}", axum::routing::any(middleware::not_found))
}

/// `/metrics` when `MEMORY_METRICS_PUBLIC=true` (the default).
async fn public_metrics(
    axum::extract::State(svc): axum::extract::State<crate::service::Services>,
) -> Result<axum::response::Response> {
    let text = crate::service::operations::metrics(&svc, None).await?;
    Ok(metrics_response(text))
}

/// `/metrics` when `MEMORY_METRICS_PUBLIC=false`: a credential is needed, and the service
/// decides whose.
async fn private_metrics(
    axum::extract::State(svc): axum::extract::State<crate::service::Services>,
    caller: crate::service::Caller,
) -> Result<axum::response::Response> {
    let text = crate::service::operations::metrics(&svc, Some(&caller)).await?;
    Ok(metrics_response(text))
}

fn metrics_response(text: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Wraps the whole application (API and dashboard) in the shared layers.
pub fn layers(router: Router, state: &AppState) -> Router {
    let settings = &state.services.settings;
    let ip_limit = IpLimit {
        limiter: state.services.limiter.clone(),
        rate: settings.global_rate_limit,
        trusted_proxies: settings.trusted_proxies.clone().into(),
        metrics: state.metrics.clone(),
    };
    router
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn(middleware::refuse_nul_paths))
        .layer(DefaultBodyLimit::max(settings.http.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(settings.http.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            settings.http.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(ip_limit, limit_by_ip))
        .layer(cors(settings))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            settings
                .http
                .hsts
                .then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains")),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(axum::middleware::from_fn(versioning::api_version))
        .layer(axum::middleware::from_fn(middleware::error_envelope))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(middleware::request_span)
                .on_request(())
                .on_response(middleware::record_response)
                // 500s are logged once, by the envelope, with their cause.
                .on_failure(()),
        )
        .layer(axum::middleware::from_fn(middleware::assign_request_id))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::http::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.activity.clone(),
            middleware::note_activity,
        ))
}

/// Strict CORS: only the configured origins (none by default: the dashboard is same-origin).
fn cors(settings: &Settings) -> CorsLayer {
    let origins = &settings.allowed_origins;
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        )
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static(middleware::REQUEST_ID),
        ])
        .expose_headers([
            HeaderName::from_static(middleware::REQUEST_ID),
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderName::from_static("x-ratelimit-reset"),
            header::RETRY_AFTER,
        ])
        .max_age(std::time::Duration::from_secs(3600))
}
