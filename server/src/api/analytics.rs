//! `/v1/analytics`: usage views. `GET /v1/analytics/tenants` is the one cross-tenant view, for
//! instance administrators only (`MEMORY_ADMIN_EMAILS` at registration, or
//! `memory-mesh admin grant`); tenant admins and API keys get 403.

use app::api::analytics::TenantUsage;
use axum::{extract::State, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{error::ApiError, Result};
use crate::{auth::Principal, state::AppState, store::analytics};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tenants))
}

#[utoipa::path(
    get,
    path = "/v1/analytics/tenants",
    tag = "analytics",
    summary = "Every tenant's footprint (instance administrators only)",
    responses((status = 200, description = "One row per tenant", body = Vec<TenantUsage>), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody))
)]
async fn tenants(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<TenantUsage>>> {
    if !principal.is_instance_admin {
        return Err(ApiError::Forbidden(
            "This view is restricted to instance administrators.".into(),
        ));
    }
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let usage = analytics::tenant_usage(&state.db).await?;
    Ok(Json(
        usage
            .into_iter()
            .map(|t| TenantUsage {
                tenant_id: t.tenant_id,
                name: t.name,
                members: count(t.members),
                total_messages: count(t.total_messages),
                total_conversations: count(t.total_conversations),
                pending_embeddings: count(t.pending_embeddings),
                last_activity: t.last_activity.map(|t| t.to_rfc3339()),
                created_at: t.created_at.to_rfc3339(),
            })
            .collect(),
    ))
}
