//! `/v1/admin`: liveness, readiness, and the instance's health for its administrators.

use app::wire::admin::{HealthReport, InstanceHealth, ReadinessReport};
use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::Result;
use crate::{
    service::{operations, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(readiness))
        .routes(routes!(instance))
}

/// Readiness with the embedding model's health and the job queue (instance administrators).
#[utoipa::path(
    get,
    path = "/v1/admin/instance",
    tag = "operations",
    summary = "This instance's components, model and queue (instance administrators)",
    responses((status = 200, description = "The components' health", body = InstanceHealth), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn instance(State(svc): State<Services>, caller: Caller) -> Result<Json<InstanceHealth>> {
    Ok(Json(operations::instance_health(&svc, &caller).await?))
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
        environment: state.services.settings.environment.as_str().into(),
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
async fn readiness(State(svc): State<Services>) -> (StatusCode, Json<ReadinessReport>) {
    let report = operations::readiness(&svc).await;
    let code = if report.status == "down" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (code, Json(report))
}
