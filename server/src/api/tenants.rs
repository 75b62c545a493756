//! `/v1/tenants`: create a tenant (the caller administers it), list the caller's, read,
//! rename and delete one, onto [`crate::service::tenants`].

use app::wire::tenants::{CreateTenantRequest, TenantList, TenantResponse, UpdateTenantRequest};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{extract::AppJson, Result};
use crate::{
    service::{tenants, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

#[utoipa::path(
    get,
    path = "/v1/tenants",
    tag = "tenants",
    summary = "The caller's tenants, with role and counts",
    responses((status = 200, description = "Tenants by id", body = TenantList), super::docs::Unauthorized)
)]
async fn list(State(svc): State<Services>, caller: Caller) -> Result<Json<TenantList>> {
    Ok(Json(tenants::list(&svc, &caller).await?))
}

#[utoipa::path(
    post,
    path = "/v1/tenants",
    tag = "tenants",
    summary = "Create a tenant; the caller becomes its admin",
    request_body = CreateTenantRequest,
    responses((status = 201, description = "The tenant", body = TenantResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid, (status = 409, description = "The id is taken", body = app::wire::error::ErrorBody))
)]
async fn create(
    State(svc): State<Services>,
    caller: Caller,
    AppJson(req): AppJson<CreateTenantRequest>,
) -> Result<(StatusCode, Json<TenantResponse>)> {
    let tenant = tenants::create(&svc, &caller, req).await?;
    Ok((StatusCode::CREATED, Json(tenant)))
}

#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}",
    tag = "tenants",
    summary = "A tenant of the caller's",
    params(("tenant_id" = String, Path, description = "Tenant")),
    responses((status = 200, description = "The tenant", body = TenantResponse), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn get(
    State(svc): State<Services>,
    caller: Caller,
    Path(tenant_id): Path<String>,
) -> Result<Json<TenantResponse>> {
    Ok(Json(tenants::get(&svc, &caller, &tenant_id).await?))
}

#[utoipa::path(
    put,
    path = "/v1/tenants/{tenant_id}",
    tag = "tenants",
    summary = "Rename a tenant (its admins)",
    params(("tenant_id" = String, Path, description = "Tenant")),
    request_body = UpdateTenantRequest,
    responses((status = 200, description = "The tenant", body = TenantResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn update(
    State(svc): State<Services>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    AppJson(req): AppJson<UpdateTenantRequest>,
) -> Result<Json<TenantResponse>> {
    Ok(Json(tenants::update(&svc, &caller, &tenant_id, req).await?))
}

/// Removes every message, vector, text-index entry, job, conversation, event, key,
/// membership and retention rule of the tenant. Never undone.
#[utoipa::path(
    delete,
    path = "/v1/tenants/{tenant_id}",
    tag = "tenants",
    summary = "Delete a tenant and everything in it (its admins)",
    params(("tenant_id" = String, Path, description = "Tenant")),
    responses((status = 204, description = "Deleted"), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn delete(
    State(svc): State<Services>,
    caller: Caller,
    Path(tenant_id): Path<String>,
) -> Result<StatusCode> {
    tenants::delete(&svc, &caller, &tenant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
