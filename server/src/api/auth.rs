//! `/v1/auth`: registration, login, token refresh, logout, profile and password.

use std::net::SocketAddr;

use app::api::auth::{
    ChangePasswordRequest, LoginRequest, RefreshRequest, RegisterRequest, TenantMembership,
    TokenResponse, UpdateMeRequest, UserResponse,
};
use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, StatusCode},
    Json,
};
use chrono::Utc;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{error::ApiError, extract::AppJson, Result};
use crate::{
    auth::{password, tokens, tokens::RefreshToken, Principal},
    domain::{ids::check_password_policy, Email, TenantId, Username},
    state::AppState,
    store::{accounts, entities::users},
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

fn field<T>(name: &str, parsed: std::result::Result<T, String>) -> Result<T> {
    parsed.map_err(|m| ApiError::validation(name, format!("{name} {m}")))
}

#[utoipa::path(
    post,
    path = "/v1/auth/register",
    tag = "auth",
    summary = "Create an account (and its tenant)",
    request_body = RegisterRequest,
    responses((status = 201, description = "The new user", body = UserResponse), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody), (status = 409, description = "Email, username or tenant taken", body = app::api::error::ErrorBody)),
    security(())
)]
async fn register(
    State(state): State<AppState>,
    AppJson(req): AppJson<RegisterRequest>,
) -> Result<(StatusCode, Json<UserResponse>)> {
    let email = field("email", Email::parse(&req.email))?;
    let username = field("username", Username::parse(&req.username))?;
    field("password", check_password_policy(&req.password))?;
    let tenant_id = req
        .tenant_id
        .as_deref()
        .map(|t| field("tenant_id", TenantId::parse(t)))
        .transpose()?;
    let full_name = req
        .full_name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if full_name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        return Err(ApiError::validation(
            "full_name",
            "full_name must be at most 255 characters",
        ));
    }
    let password_hash = password::hash(req.password).await?;
    let is_instance_admin = state
        .settings
        .admin_emails
        .iter()
        .any(|e| e == email.as_str());
    let (user, membership) = accounts::create_account(
        &state.db,
        accounts::NewAccount {
            email: email.as_str().to_owned(),
            username: username.as_str().to_owned(),
            password_hash,
            full_name,
            tenant_id: tenant_id.map(|t| t.as_str().to_owned()),
            is_instance_admin,
        },
    )
    .await?;
    let tenants = vec![TenantMembership {
        tenant_id: membership.tenant_id,
        role: membership.role,
    }];
    Ok((StatusCode::CREATED, Json(user_response(user, tenants))))
}

pub fn user_response(user: users::Model, tenants: Vec<TenantMembership>) -> UserResponse {
    UserResponse {
        id: user.id.to_string(),
        email: user.email,
        username: user.username,
        full_name: user.full_name,
        is_active: user.is_active,
        is_instance_admin: user.is_instance_admin,
        tenants,
        created_at: user.created_at.to_rfc3339(),
        last_login_at: user.last_login_at.map(|t| t.to_rfc3339()),
    }
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
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(req): AppJson<LoginRequest>,
) -> Result<Json<TokenResponse>> {
    let account = match (&req.email, &req.username) {
        (Some(e), _) => e.trim().to_lowercase(),
        (None, Some(u)) => u.clone(),
        (None, None) => {
            return Err(ApiError::validation(
                "email",
                "email or username is required",
            ))
        }
    };
    if let Err(retry_after) = state.login_throttle.check(&account) {
        return Err(ApiError::RateLimited {
            message: "Too many failed logins for this account; try again later.".into(),
            retry_after: retry_after.as_secs(),
        });
    }
    let user =
        accounts::find_user_by_login(&state.db, req.email.as_deref(), req.username.as_deref())
            .await?;
    let valid =
        password::verify(req.password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let user = match user {
        Some(u) if valid && u.is_active => u,
        _ => {
            state.login_throttle.record_failure(&account);
            return Err(ApiError::Unauthorized("Invalid credentials.".into()));
        }
    };
    state.login_throttle.record_success(&account);
    accounts::record_login(&state.db, user.id).await?;
    let auth = &state.settings.auth;
    let refresh_ttl = auth.refresh_token_ttl * if req.remember_me { 4 } else { 1 };
    let session_id = Uuid::now_v7();
    let refresh = RefreshToken::new(session_id, 0);
    accounts::create_session(
        &state.db,
        session_id,
        accounts::NewSession {
            user_id: user.id,
            refresh_hash: refresh.hash(),
            remember_me: req.remember_me,
            ip_address: Some(peer.ip().to_string()),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            expires_at: Utc::now() + refresh_ttl,
        },
    )
    .await?;
    Ok(Json(token_response(&state, user.id, session_id, &refresh)))
}

fn token_response(
    state: &AppState,
    user: Uuid,
    session: Uuid,
    refresh: &RefreshToken,
) -> TokenResponse {
    let ttl = state.settings.auth.access_token_ttl;
    TokenResponse {
        access_token: tokens::issue_access(&state.settings.auth.jwt_secret, user, session, ttl),
        refresh_token: refresh.to_string(),
        token_type: "bearer".into(),
        expires_in: ttl.as_secs(),
    }
}

/// Rotates the refresh token. A token of an older generation means it was copied: the whole
/// session is revoked, so both the thief and the victim must log in again.
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
    State(state): State<AppState>,
    AppJson(req): AppJson<RefreshRequest>,
) -> Result<Json<TokenResponse>> {
    let invalid = || ApiError::Unauthorized("Invalid or expired refresh token.".into());
    let presented = RefreshToken::parse(req.refresh_token.trim()).ok_or_else(invalid)?;
    let session = accounts::active_session(&state.db, presented.session)
        .await?
        .ok_or_else(invalid)?;
    if presented.generation != session.refresh_generation {
        tracing::warn!(session = %session.id, "refresh token replayed: revoking the session");
        accounts::revoke_session(&state.db, session.id).await?;
        return Err(invalid());
    }
    if !crate::auth::secrets_match(&presented.hash(), &session.refresh_hash) {
        return Err(invalid());
    }
    let next = RefreshToken::new(session.id, session.refresh_generation + 1);
    if !accounts::rotate_session(
        &state.db,
        session.id,
        session.refresh_generation,
        next.hash(),
    )
    .await?
    {
        // Another request rotated it first with the same token: a replay.
        accounts::revoke_session(&state.db, session.id).await?;
        return Err(invalid());
    }
    let user = accounts::user_by_id(&state.db, session.user_id)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(invalid)?;
    Ok(Json(token_response(&state, user.id, session.id, &next)))
}

#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "auth",
    summary = "End this session",
    responses((status = 204, description = "Its access and refresh tokens stop working"), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody))
)]
async fn logout(State(state): State<AppState>, principal: Principal) -> Result<StatusCode> {
    let session = principal.session_id().ok_or_else(|| {
        ApiError::BadRequest("Logout ends a login session; revoke API keys instead.".into())
    })?;
    accounts::revoke_session(&state.db, session).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn memberships(state: &AppState, user: Uuid) -> Result<Vec<TenantMembership>> {
    Ok(accounts::memberships_of(&state.db, user)
        .await?
        .into_iter()
        .map(|m| TenantMembership {
            tenant_id: m.tenant_id,
            role: m.role,
        })
        .collect())
}

async fn current_user(state: &AppState, principal: &Principal) -> Result<users::Model> {
    accounts::user_by_id(&state.db, principal.user_id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("Missing or invalid credentials.".into()))
}

#[utoipa::path(
    get,
    path = "/v1/auth/me",
    tag = "auth",
    summary = "The current user and their tenants",
    responses((status = 200, description = "The user", body = UserResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody))
)]
async fn me(State(state): State<AppState>, principal: Principal) -> Result<Json<UserResponse>> {
    let user = current_user(&state, &principal).await?;
    let tenants = memberships(&state, user.id).await?;
    Ok(Json(user_response(user, tenants)))
}

#[utoipa::path(
    put,
    path = "/v1/auth/me",
    tag = "auth",
    summary = "Update the profile",
    request_body = UpdateMeRequest,
    responses((status = 200, description = "The user", body = UserResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody), (status = 409, description = "Email taken", body = app::api::error::ErrorBody))
)]
async fn update_me(
    State(state): State<AppState>,
    principal: Principal,
    AppJson(req): AppJson<UpdateMeRequest>,
) -> Result<Json<UserResponse>> {
    let email = req
        .email
        .as_deref()
        .map(|e| field("email", Email::parse(e)))
        .transpose()?;
    let username = req
        .username
        .as_deref()
        .map(|u| field("username", Username::parse(u)))
        .transpose()?;
    let full_name = req
        .full_name
        .map(|n| Some(n.trim().to_owned()).filter(|n| !n.is_empty()));
    let user = current_user(&state, &principal).await?;
    let user = accounts::update_profile(
        &state.db,
        user,
        email.map(|e| e.as_str().to_owned()),
        username.map(|u| u.as_str().to_owned()),
        full_name,
    )
    .await?;
    let tenants = memberships(&state, user.id).await?;
    Ok(Json(user_response(user, tenants)))
}

/// Changes the password and revokes every other session (a stolen session dies with the old
/// password); the caller's own session stays.
#[utoipa::path(
    post,
    path = "/v1/auth/change-password",
    tag = "auth",
    summary = "Change the password (ends every other session)",
    request_body = ChangePasswordRequest,
    responses((status = 204, description = "Changed"), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    AppJson(req): AppJson<ChangePasswordRequest>,
) -> Result<StatusCode> {
    let user = current_user(&state, &principal).await?;
    if !password::verify(req.current_password, Some(user.password_hash.clone())).await? {
        return Err(ApiError::validation(
            "current_password",
            "current_password is not correct",
        ));
    }
    field("new_password", check_password_policy(&req.new_password))?;
    let hash = password::hash(req.new_password).await?;
    accounts::set_password_hash(&state.db, user.id, hash).await?;
    accounts::revoke_other_sessions(&state.db, user.id, principal.session_id()).await?;
    Ok(StatusCode::NO_CONTENT)
}
