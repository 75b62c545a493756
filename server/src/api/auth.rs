//! `/v1/auth`: registration, login, token refresh, logout, profile and password, onto
//! [`crate::service::accounts`].

use std::net::SocketAddr;

use app::api::auth::{
    ChangePasswordRequest, LoginRequest, RefreshRequest, RegisterRequest, TokenResponse,
    UpdateMeRequest, UserResponse,
};
use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, StatusCode},
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{extract::AppJson, Result};
use crate::{
    service::{accounts, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me, update_me))
        .routes(routes!(change_password))
}

#[utoipa::path(
    post,
    path = "/v1/auth/register",
    tag = "auth",
    summary = "Create an account (and its tenant)",
    request_body = RegisterRequest,
    responses((status = 201, description = "The new user", body = UserResponse), super::docs::Invalid, (status = 409, description = "Email, username or tenant taken", body = app::api::error::ErrorBody)),
    security(())
)]
async fn register(
    State(svc): State<Services>,
    AppJson(req): AppJson<RegisterRequest>,
) -> Result<(StatusCode, Json<UserResponse>)> {
    Ok((
        StatusCode::CREATED,
        Json(accounts::register(&svc, req).await?),
    ))
}

#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "auth",
    summary = "Log in with email or username",
    request_body = LoginRequest,
    responses((status = 200, description = "Access and refresh tokens", body = TokenResponse), (status = 401, description = "Wrong credentials", body = app::api::error::ErrorBody), (status = 429, description = "Too many failed attempts", body = app::api::error::ErrorBody)),
    security(())
)]
async fn login(
    State(svc): State<Services>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(req): AppJson<LoginRequest>,
) -> Result<Json<TokenResponse>> {
    let origin = accounts::LoginOrigin {
        ip_address: Some(peer.ip().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    Ok(Json(accounts::login(&svc, req, origin).await?))
}

/// Rotates the refresh token; a replayed one revokes its session.
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    tag = "auth",
    summary = "Rotate a refresh token",
    request_body = RefreshRequest,
    responses((status = 200, description = "New tokens; the old refresh token stops working", body = TokenResponse), (status = 401, description = "Unknown, expired or replayed token (a replay revokes the session)", body = app::api::error::ErrorBody)),
    security(())
)]
async fn refresh(
    State(svc): State<Services>,
    AppJson(req): AppJson<RefreshRequest>,
) -> Result<Json<TokenResponse>> {
    Ok(Json(accounts::refresh(&svc, &req.refresh_token).await?))
}

#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "auth",
    summary = "End this session",
    responses((status = 204, description = "Its access and refresh tokens stop working"), super::docs::Unauthorized)
)]
async fn logout(State(svc): State<Services>, caller: Caller) -> Result<StatusCode> {
    accounts::logout(&svc, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/v1/auth/me",
    tag = "auth",
    summary = "The current user and their tenants",
    responses((status = 200, description = "The user", body = UserResponse), super::docs::Unauthorized)
)]
async fn me(State(svc): State<Services>, caller: Caller) -> Result<Json<UserResponse>> {
    Ok(Json(accounts::me(&svc, &caller).await?))
}

#[utoipa::path(
    put,
    path = "/v1/auth/me",
    tag = "auth",
    summary = "Update the profile",
    request_body = UpdateMeRequest,
    responses((status = 200, description = "The user", body = UserResponse), super::docs::Unauthorized, super::docs::Invalid, (status = 409, description = "Email taken", body = app::api::error::ErrorBody))
)]
async fn update_me(
    State(svc): State<Services>,
    caller: Caller,
    AppJson(req): AppJson<UpdateMeRequest>,
) -> Result<Json<UserResponse>> {
    Ok(Json(accounts::update_me(&svc, &caller, req).await?))
}

/// Changes the password and ends every other session.
#[utoipa::path(
    post,
    path = "/v1/auth/change-password",
    tag = "auth",
    summary = "Change the password (ends every other session)",
    request_body = ChangePasswordRequest,
    responses((status = 204, description = "Changed"), super::docs::Unauthorized, super::docs::Invalid)
)]
async fn change_password(
    State(svc): State<Services>,
    caller: Caller,
    AppJson(req): AppJson<ChangePasswordRequest>,
) -> Result<StatusCode> {
    accounts::change_password(&svc, &caller, req).await?;
    Ok(StatusCode::NO_CONTENT)
}
