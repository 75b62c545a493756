//! `/v1/analytics`: usage views. `GET /v1/analytics/tenants` is the one cross-tenant view, for
//! instance administrators only (`MEMORY_ADMIN_EMAILS` at registration, or
//! `memory-mesh admin grant`); tenant admins and API keys get 403.

use app::api::analytics::TenantUsage;
use axum::{extract::State, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::Result;
use crate::{
    service::{operations, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tenants))
}

#[utoipa::path(
    get,
    path = "/v1/analytics/tenants",
    tag = "analytics",
    summary = "Every tenant's footprint (instance administrators only)",
    responses((status = 200, description = "One row per tenant", body = Vec<TenantUsage>), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn tenants(State(svc): State<Services>, caller: Caller) -> Result<Json<Vec<TenantUsage>>> {
    Ok(Json(operations::tenant_usage(&svc, &caller).await?))
}
