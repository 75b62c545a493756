//! `/v1/auth/api-keys`: tenant admins create, list and revoke API keys, onto
//! [`crate::service::api_keys`].

use app::wire::auth::{ApiKeyListQuery, ApiKeyResponse, CreateApiKeyRequest};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    extract::{AppJson, AppQuery},
    Result,
};
use crate::{
    service::{api_keys, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(revoke))
}

#[utoipa::path(
    post,
    path = "/v1/auth/api-keys",
    tag = "api-keys",
    summary = "Create an API key (shown once)",
    request_body = CreateApiKeyRequest,
    responses((status = 201, description = "The key, with its secret this once", body = ApiKeyResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn create(
    State(svc): State<Services>,
    caller: Caller,
    AppJson(req): AppJson<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<ApiKeyResponse>)> {
    Ok((
        StatusCode::CREATED,
        Json(api_keys::create(&svc, &caller, req).await?),
    ))
}

#[utoipa::path(
    get,
    path = "/v1/auth/api-keys",
    tag = "api-keys",
    summary = "API keys of the tenants you administer (never the secret)",
    params(ApiKeyListQuery),
    responses((status = 200, description = "The keys", body = Vec<ApiKeyResponse>), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn list(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(query): AppQuery<ApiKeyListQuery>,
) -> Result<Json<Vec<ApiKeyResponse>>> {
    Ok(Json(api_keys::list(&svc, &caller, query).await?))
}

#[utoipa::path(
    delete,
    path = "/v1/auth/api-keys/{id}",
    tag = "api-keys",
    summary = "Revoke a key at once",
    params(("id" = String, Path, description = "Key id")),
    responses((status = 204, description = "Revoked"), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn revoke(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    api_keys::revoke(&svc, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
