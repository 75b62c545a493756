//! `/v1/tenants/{tenant_id}/members`: tenant admins manage who belongs and with which role.
//! Every route resolves the path's tenant through the caller's credential first, so a
//! non-member gets the same 403 whether the tenant exists or not, and a foreign user id is 404.

use app::api::auth::{AddMemberRequest, MemberResponse, UpdateMemberRequest};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{error::ApiError, extract::AppJson, Result};
use crate::{
    auth::{Access, Principal},
    state::AppState,
    store::{accounts, accounts::ROLES, entities},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(update, remove))
}

fn check_role(role: &str) -> Result<()> {
    if ROLES.contains(&role) {
        Ok(())
    } else {
        Err(ApiError::validation(
            "role",
            "role must be admin, member or read_only",
        ))
    }
}

fn response(m: entities::memberships::Model, u: entities::users::Model) -> MemberResponse {
    MemberResponse {
        user_id: u.id.to_string(),
        email: u.email,
        username: u.username,
        role: m.role,
        joined_at: m.created_at.to_rfc3339(),
    }
}

#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/members",
    tag = "members",
    summary = "Members of a tenant",
    params(("tenant_id" = String, Path, description = "Tenant")),
    responses((status = 200, description = "Members and roles", body = Vec<MemberResponse>), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody))
)]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(tenant_id): Path<String>,
) -> Result<Json<Vec<MemberResponse>>> {
    let tenant = principal
        .tenant(&state, Some(&tenant_id), Access::Admin)
        .await?;
    let members = accounts::list_members(&state.db, &tenant.tenant_id).await?;
    Ok(Json(
        members.into_iter().map(|(m, u)| response(m, u)).collect(),
    ))
}

#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant_id}/members",
    tag = "members",
    summary = "Add a registered user to the tenant",
    params(("tenant_id" = String, Path, description = "Tenant")),
    request_body = AddMemberRequest,
    responses((status = 201, description = "The membership", body = MemberResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 404, description = "No such id in the tenant", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody), (status = 409, description = "Already a member", body = app::api::error::ErrorBody))
)]
async fn add(
    State(state): State<AppState>,
    principal: Principal,
    Path(tenant_id): Path<String>,
    AppJson(req): AppJson<AddMemberRequest>,
) -> Result<(StatusCode, Json<MemberResponse>)> {
    let tenant = principal
        .tenant(&state, Some(&tenant_id), Access::Admin)
        .await?;
    check_role(&req.role)?;
    let user = accounts::user_by_email_or_username(&state.db, req.user.trim())
        .await?
        .ok_or_else(|| {
            ApiError::NotFound("No registered user with this email or username.".into())
        })?;
    let membership = accounts::add_member(&state.db, &tenant.tenant_id, user.id, &req.role).await?;
    Ok((StatusCode::CREATED, Json(response(membership, user))))
}

fn member_id(raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound("No such member.".into()))
}

#[utoipa::path(
    put,
    path = "/v1/tenants/{tenant_id}/members/{user_id}",
    tag = "members",
    summary = "Change a member's role",
    params(("tenant_id" = String, Path, description = "Tenant"), ("user_id" = String, Path, description = "User id")),
    request_body = UpdateMemberRequest,
    responses((status = 204, description = "Changed"), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 404, description = "No such id in the tenant", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path((tenant_id, user_id)): Path<(String, String)>,
    AppJson(req): AppJson<UpdateMemberRequest>,
) -> Result<StatusCode> {
    let tenant = principal
        .tenant(&state, Some(&tenant_id), Access::Admin)
        .await?;
    check_role(&req.role)?;
    let user_id = member_id(&user_id)?;
    accounts::change_member(&state.db, &tenant.tenant_id, user_id, Some(&req.role))
        .await
        .map_err(not_found_as_member)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/v1/tenants/{tenant_id}/members/{user_id}",
    tag = "members",
    summary = "Remove a member",
    params(("tenant_id" = String, Path, description = "Tenant"), ("user_id" = String, Path, description = "User id")),
    responses((status = 204, description = "Removed"), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 404, description = "No such id in the tenant", body = app::api::error::ErrorBody))
)]
async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Path((tenant_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let tenant = principal
        .tenant(&state, Some(&tenant_id), Access::Admin)
        .await?;
    let user_id = member_id(&user_id)?;
    accounts::change_member(&state.db, &tenant.tenant_id, user_id, None)
        .await
        .map_err(not_found_as_member)?;
    Ok(StatusCode::NO_CONTENT)
}

fn not_found_as_member(e: crate::store::StoreError) -> ApiError {
    match e {
        crate::store::StoreError::NotFound => ApiError::NotFound("No such member.".into()),
        other => other.into(),
    }
}
