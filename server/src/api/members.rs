//! `/v1/tenants/{tenant_id}/members`: tenant admins manage who belongs and with which role,
//! onto [`crate::service::members`].

use app::wire::auth::{AddMemberRequest, MemberResponse, UpdateMemberRequest};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{extract::AppJson, Result};
use crate::{
    service::{members, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(update, remove))
}

#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/members",
    tag = "members",
    summary = "Members of a tenant (any member reads them; admins change them)",
    params(("tenant_id" = String, Path, description = "Tenant")),
    responses((status = 200, description = "Members and roles", body = Vec<MemberResponse>), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn list(
    State(svc): State<Services>,
    caller: Caller,
    Path(tenant_id): Path<String>,
) -> Result<Json<Vec<MemberResponse>>> {
    Ok(Json(members::list(&svc, &caller, &tenant_id).await?))
}

#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant_id}/members",
    tag = "members",
    summary = "Add a registered user to the tenant",
    params(("tenant_id" = String, Path, description = "Tenant")),
    request_body = AddMemberRequest,
    responses((status = 201, description = "The membership", body = MemberResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound, super::docs::Invalid, (status = 409, description = "Already a member", body = app::wire::error::ErrorBody))
)]
async fn add(
    State(svc): State<Services>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    AppJson(req): AppJson<AddMemberRequest>,
) -> Result<(StatusCode, Json<MemberResponse>)> {
    let member = members::add(&svc, &caller, &tenant_id, req).await?;
    Ok((StatusCode::CREATED, Json(member)))
}

#[utoipa::path(
    put,
    path = "/v1/tenants/{tenant_id}/members/{user_id}",
    tag = "members",
    summary = "Change a member's role",
    params(("tenant_id" = String, Path, description = "Tenant"), ("user_id" = String, Path, description = "User id")),
    request_body = UpdateMemberRequest,
    responses((status = 204, description = "Changed"), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound, super::docs::Invalid)
)]
async fn update(
    State(svc): State<Services>,
    caller: Caller,
    Path((tenant_id, user_id)): Path<(String, String)>,
    AppJson(req): AppJson<UpdateMemberRequest>,
) -> Result<StatusCode> {
    members::update(&svc, &caller, &tenant_id, &user_id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/v1/tenants/{tenant_id}/members/{user_id}",
    tag = "members",
    summary = "Remove a member",
    params(("tenant_id" = String, Path, description = "Tenant"), ("user_id" = String, Path, description = "User id")),
    responses((status = 204, description = "Removed"), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn remove(
    State(svc): State<Services>,
    caller: Caller,
    Path((tenant_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    members::remove(&svc, &caller, &tenant_id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
