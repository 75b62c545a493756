//! `/v1/auth/api-keys`: tenant admins create, list and revoke API keys.

use app::api::auth::{ApiKeyResponse, CreateApiKeyRequest};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use chrono::Utc;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{error::ApiError, extract::AppJson, Result};
use crate::{
    auth::{api_keys, Access, Principal},
    state::AppState,
    store::{accounts, entities::api_keys as entity},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(revoke))
}

/// Keys manage keys only through a person's session: a leaked key cannot mint more keys.
fn require_session(principal: &Principal) -> Result<()> {
    principal.session_id().map(|_| ()).ok_or_else(|| {
        ApiError::Forbidden("API keys are managed with a user login, not with an API key.".into())
    })
}

fn response(key: entity::Model, full: Option<String>) -> ApiKeyResponse {
    ApiKeyResponse {
        id: key.id.to_string(),
        name: key.name,
        prefix: format!("mm_{}", key.prefix),
        tenant_id: key.tenant_id,
        scope: key.scope,
        created_at: key.created_at.to_rfc3339(),
        last_used_at: key.last_used_at.map(|t| t.to_rfc3339()),
        expires_at: key.expires_at.map(|t| t.to_rfc3339()),
        key: full,
    }
}

#[utoipa::path(
    post,
    path = "/v1/auth/api-keys",
    tag = "api-keys",
    summary = "Create an API key (shown once)",
    request_body = CreateApiKeyRequest,
    responses((status = 201, description = "The key, with its secret this once", body = ApiKeyResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    AppJson(req): AppJson<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<ApiKeyResponse>)> {
    require_session(&principal)?;
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(ApiError::validation(
            "name",
            "name must be 1 to 255 characters",
        ));
    }
    let scope = req.scope.unwrap_or_else(|| "write".into());
    if scope != "read" && scope != "write" {
        return Err(ApiError::validation("scope", "scope must be read or write"));
    }
    if req.expires_days.is_some_and(|d| !(1..=3650).contains(&d)) {
        return Err(ApiError::validation(
            "expires_days",
            "expires_days must be 1 to 3650",
        ));
    }
    let tenant = principal
        .tenant(&state, req.tenant_id.as_deref(), Access::Admin)
        .await?;
    let generated = api_keys::generate();
    let now = Utc::now();
    let key = accounts::insert_api_key(
        &state.db,
        entity::Model {
            id: Uuid::now_v7(),
            user_id: principal.user_id,
            tenant_id: tenant.tenant_id,
            name,
            prefix: generated.prefix,
            key_hash: generated.hash,
            scope,
            last_used_at: None,
            expires_at: req
                .expires_days
                .map(|d| now + chrono::Duration::days(i64::from(d))),
            revoked_at: None,
            created_at: now,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(response(key, Some(generated.full))),
    ))
}

/// Tenants the caller administers.
async fn admin_tenants(state: &AppState, principal: &Principal) -> Result<Vec<String>> {
    Ok(accounts::memberships_of(&state.db, principal.user_id)
        .await?
        .into_iter()
        .filter(|m| m.role == "admin")
        .map(|m| m.tenant_id)
        .collect())
}

#[utoipa::path(
    get,
    path = "/v1/auth/api-keys",
    tag = "api-keys",
    summary = "API keys of the tenants you administer (never the secret)",
    responses((status = 200, description = "The keys", body = Vec<ApiKeyResponse>), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody))
)]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<ApiKeyResponse>>> {
    require_session(&principal)?;
    let tenants = admin_tenants(&state, &principal).await?;
    let keys = accounts::list_api_keys(&state.db, &tenants).await?;
    Ok(Json(keys.into_iter().map(|k| response(k, None)).collect()))
}

#[utoipa::path(
    delete,
    path = "/v1/auth/api-keys/{id}",
    tag = "api-keys",
    summary = "Revoke a key at once",
    params(("id" = String, Path, description = "Key id")),
    responses((status = 204, description = "Revoked"), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 404, description = "No such id in the tenant", body = app::api::error::ErrorBody))
)]
async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    require_session(&principal)?;
    let not_found = || ApiError::NotFound("No such API key.".into());
    let id = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let tenants = admin_tenants(&state, &principal).await?;
    if accounts::revoke_api_key(&state.db, id, &tenants).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}
