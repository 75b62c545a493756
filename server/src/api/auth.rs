//! `/v1/auth`: registration, login (tokens, or the dashboard's session cookie), token refresh,
//! logout, profile and password, and the login sessions, onto [`crate::service::accounts`] and
//! [`crate::service::sessions`].

use std::net::SocketAddr;

use app::wire::auth::{
    ChangePasswordRequest, EndedSessions, LoginRequest, RefreshRequest, RegisterRequest,
    SessionResponse, TokenResponse, UpdateMeRequest, UserResponse,
};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::{header, HeaderMap, StatusCode},
    response::IntoResponse,
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{extract::AppJson, Result};
use crate::session_cookie;
use crate::{
    service::{accounts, sessions as login_sessions, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(open_session, close_session))
        .routes(routes!(me, update_me))
        .routes(routes!(change_password))
        .routes(routes!(sessions, end_other_sessions))
        .routes(routes!(end_session))
}

#[utoipa::path(
    post,
    path = "/v1/auth/register",
    tag = "auth",
    summary = "Create an account (and its tenant)",
    request_body = RegisterRequest,
    responses((status = 201, description = "The new user", body = UserResponse), super::docs::Invalid, (status = 409, description = "Email, username or tenant taken", body = app::wire::error::ErrorBody)),
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
    responses((status = 200, description = "Access and refresh tokens", body = TokenResponse), (status = 401, description = "Wrong credentials", body = app::wire::error::ErrorBody), (status = 429, description = "Too many failed attempts", body = app::wire::error::ErrorBody)),
    security(())
)]
async fn login(
    State(svc): State<Services>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(req): AppJson<LoginRequest>,
) -> Result<Json<TokenResponse>> {
    Ok(Json(
        accounts::login(
            &svc,
            req,
            crate::http_auth::login_origin(Some(peer), &headers),
        )
        .await?,
    ))
}

/// A login for the dashboard: the access token goes into the `mm_session` cookie (`HttpOnly`,
/// `SameSite=Strict`), never into a page script's hands. The cookie authenticates REST and
/// WebSocket requests from this server's own pages only.
#[utoipa::path(
    post,
    path = "/v1/auth/session",
    tag = "auth",
    summary = "Log in with a session cookie (the dashboard)",
    request_body = LoginRequest,
    responses((status = 204, description = "Logged in: `Set-Cookie: mm_session=…` lasts as long as an access token"), (status = 401, description = "Wrong credentials", body = app::wire::error::ErrorBody), (status = 429, description = "Too many failed attempts", body = app::wire::error::ErrorBody)),
    security(())
)]
async fn open_session(
    State(svc): State<Services>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(req): AppJson<LoginRequest>,
) -> Result<impl IntoResponse> {
    let tokens = accounts::login(
        &svc,
        req,
        crate::http_auth::login_origin(Some(peer), &headers),
    )
    .await?;
    let cookie = session_cookie::for_tokens(&svc.settings, &tokens);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]))
}

#[utoipa::path(
    delete,
    path = "/v1/auth/session",
    tag = "auth",
    summary = "Log out of a cookie session",
    responses((status = 204, description = "The session ends and the cookie is removed"), super::docs::Unauthorized)
)]
async fn close_session(State(svc): State<Services>, caller: Caller) -> Result<impl IntoResponse> {
    accounts::logout(&svc, &caller).await?;
    let cookie = session_cookie::clear(&svc.settings);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]))
}

/// Rotates the refresh token; a replayed one revokes its session.
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    tag = "auth",
    summary = "Rotate a refresh token",
    request_body = RefreshRequest,
    responses((status = 200, description = "New tokens; the old refresh token stops working", body = TokenResponse), (status = 401, description = "Unknown, expired or replayed token (a replay revokes the session)", body = app::wire::error::ErrorBody)),
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
    responses((status = 200, description = "The user", body = UserResponse), super::docs::Unauthorized, super::docs::Invalid, (status = 409, description = "Email taken", body = app::wire::error::ErrorBody))
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

#[utoipa::path(
    get,
    path = "/v1/auth/sessions",
    tag = "auth",
    summary = "Your login sessions (devices signed in)",
    responses((status = 200, description = "Live sessions, most recently used first; `current` marks this request's", body = Vec<SessionResponse>), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn sessions(
    State(svc): State<Services>,
    caller: Caller,
) -> Result<Json<Vec<SessionResponse>>> {
    Ok(Json(login_sessions::list(&svc, &caller).await?))
}

/// Ends one session: its tokens stop working and its live connections close.
#[utoipa::path(
    delete,
    path = "/v1/auth/sessions/{id}",
    tag = "auth",
    summary = "End one of your sessions",
    params(("id" = String, Path, description = "Session id")),
    responses((status = 204, description = "Ended"), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn end_session(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    login_sessions::end(&svc, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "Sign out everywhere else": ends every session but this request's.
#[utoipa::path(
    delete,
    path = "/v1/auth/sessions",
    tag = "auth",
    summary = "End every session but this one",
    responses((status = 200, description = "How many sessions were ended", body = EndedSessions), super::docs::Unauthorized, super::docs::Forbidden)
)]
async fn end_other_sessions(
    State(svc): State<Services>,
    caller: Caller,
) -> Result<Json<EndedSessions>> {
    Ok(Json(login_sessions::end_others(&svc, &caller).await?))
}
