//! `/v1/admin`: liveness and readiness.

use std::time::Instant;

use app::api::admin::{ComponentStatus, HealthReport, ReadinessReport};
use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{state::AppState, store};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(readiness))
}

/// Liveness: 200 whenever the process serves requests. It deliberately checks no dependency, so
/// an orchestrator does not restart healthy processes while the database is briefly away.
#[utoipa::path(
    get,
    path = "/v1/admin/health",
    tag = "operations",
    summary = "Liveness: 200 whenever the process serves",
    responses((status = 200, description = "Alive", body = HealthReport)),
    security(())
)]
async fn health(State(state): State<AppState>) -> Json<HealthReport> {
    Json(HealthReport {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        environment: state.settings.environment.as_str().into(),
        uptime_seconds: state.started_at.elapsed().as_secs(),
        timestamp: chrono::Utc::now().to_rfc3339(),
    })
}

/// Readiness: 200 when the database answers (`ok`, or `degraded` when a configured Redis does
/// not); 503 `down`, naming the failing component, when the database does not.
#[utoipa::path(
    get,
    path = "/v1/admin/readiness",
    tag = "operations",
    summary = "Readiness of the database (required) and Redis (optional)",
    responses((status = 200, description = "ok, or degraded without Redis", body = ReadinessReport), (status = 503, description = "The database does not answer", body = ReadinessReport)),
    security(())
)]
async fn readiness(State(state): State<AppState>) -> (StatusCode, Json<ReadinessReport>) {
    let mut components = vec![
        check("database", async {
            store::ping(&state.db).await.map_err(|e| e.to_string())
        })
        .await,
    ];
    if let Some(redis) = &state.redis {
        let mut conn = redis.clone();
        components.push(
            check("redis", async move {
                redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .await,
        );
    }
    // The database is required; Redis is not: without it rate limits fall back to each
    // instance's memory, so the instance still serves, "degraded".
    let database_ok = components[0].status == "ok";
    let redis_ok = components[1..].iter().all(|c| c.status == "ok") && !state.limiter.is_degraded();
    let (status, code) = match (database_ok, redis_ok) {
        (true, true) => ("ok", StatusCode::OK),
        (true, false) => ("degraded", StatusCode::OK),
        (false, _) => ("down", StatusCode::SERVICE_UNAVAILABLE),
    };
    (
        code,
        Json(ReadinessReport {
            status: status.into(),
            components,
        }),
    )
}

/// Runs one check with a deadline, so a hung dependency cannot hang the probe.
async fn check(
    name: &str,
    probe: impl std::future::Future<Output = Result<(), String>>,
) -> ComponentStatus {
    let start = Instant::now();
    let result = tokio::time::timeout(std::time::Duration::from_secs(3), probe)
        .await
        .unwrap_or_else(|_| Err("timed out after 3 s".into()));
    ComponentStatus {
        name: name.into(),
        status: if result.is_ok() { "ok" } else { "down" }.into(),
        latency_ms: (start.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
        error: result.err().map(|e| sanitize(&e)),
    }
}

/// Driver errors can quote the connection string; keep only the first line and mask credentials.
fn sanitize(error: &str) -> String {
    let first = error.lines().next().unwrap_or_default();
    first
        .split_whitespace()
        .map(|w| {
            if w.contains("://") {
                crate::config::redact_url(w)
            } else {
                w.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
