//! `/v1/analytics`: a tenant's usage views (any member or key of the tenant), onto
//! [`crate::service::analytics`]. `GET /v1/analytics/tenants` is the one cross-tenant view, for
//! instance administrators only (`MEMORY_ADMIN_EMAILS` at registration, or
//! `memory-mesh admin grant`); tenant admins and API keys get 403.

use app::wire::analytics::{
    EmbeddingStats, Overview, TenantUsage, TopConversation, TrendDay, UsageStats,
};
use axum::{extract::State, Json};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{extract::AppQuery, messages::TenantQuery, Result};
use crate::{
    service::{analytics, operations, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenants))
        .routes(routes!(usage))
        .routes(routes!(overview))
        .routes(routes!(trends))
        .routes(routes!(top_conversations))
        .routes(routes!(embedding_stats))
        .routes(routes!(embeddings))
}

#[utoipa::path(
    get,
    path = "/v1/analytics/usage",
    tag = "analytics",
    summary = "The tenant's messages, conversations, embeddings and storage in numbers",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The figures", body = UsageStats), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn usage(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<Json<UsageStats>> {
    Ok(Json(
        analytics::usage(&svc, &caller, q.tenant_id.as_deref()).await?,
    ))
}

/// Usage, trends, embedding progress and the most active conversations in one answer.
#[utoipa::path(
    get,
    path = "/v1/analytics/overview",
    tag = "analytics",
    summary = "Usage, trends, embeddings and the most active conversations at once",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("days" = Option<i64>, Query, description = "Days of trends up to today (1..365, default 30)")),
    responses((status = 200, description = "The overview", body = Overview), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn overview(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<TrendsQuery>,
) -> Result<Json<Overview>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(
        analytics::overview(&svc, &caller, tenant, q.days).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct TrendsQuery {
    tenant_id: Option<String>,
    days: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/v1/analytics/trends",
    tag = "analytics",
    summary = "Messages per UTC day and role, oldest first, days without messages included",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("days" = Option<i64>, Query, description = "Days up to today (1..365, default 30)")),
    responses((status = 200, description = "One entry per day", body = Vec<TrendDay>), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn trends(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<TrendsQuery>,
) -> Result<Json<Vec<TrendDay>>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(
        analytics::trends(&svc, &caller, tenant, q.days).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct TopQuery {
    tenant_id: Option<String>,
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/v1/analytics/top-conversations",
    tag = "analytics",
    summary = "The most recently active conversations (those without messages last)",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("limit" = Option<i64>, Query, description = "How many (1..100, default 10)")),
    responses((status = 200, description = "Most recent first", body = Vec<TopConversation>), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn top_conversations(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<TopQuery>,
) -> Result<Json<Vec<TopConversation>>> {
    let tenant = q.tenant_id.as_deref();
    let top = analytics::top_conversations(&svc, &caller, tenant, q.limit).await?;
    Ok(Json(top))
}

#[utoipa::path(
    get,
    path = "/v1/analytics/embedding-stats",
    tag = "analytics",
    summary = "Embedding progress: stored vectors, pending, failed, cold, success rate",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The figures", body = EmbeddingStats), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn embedding_stats(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<Json<EmbeddingStats>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(
        analytics::embedding_stats(&svc, &caller, tenant).await?,
    ))
}

/// The original's path for [`embedding_stats`].
#[utoipa::path(
    get,
    path = "/v1/analytics/embeddings",
    tag = "analytics",
    summary = "Alias of /v1/analytics/embedding-stats",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The figures", body = EmbeddingStats), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn embeddings(
    state: State<Services>,
    caller: Caller,
    query: AppQuery<TenantQuery>,
) -> Result<Json<EmbeddingStats>> {
    embedding_stats(state, caller, query).await
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
