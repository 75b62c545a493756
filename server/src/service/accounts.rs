//! Accounts: registration, login, token refresh, logout, profile and password.

use app::wire::auth::{
    ChangePasswordRequest, LoginRequest, RegisterRequest, TenantMembership, TokenResponse,
    UpdateMeRequest, UserResponse,
};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use super::{unit::Written, Caller, Result, ServiceError, Services};
use crate::{
    auth::{password, secrets_match, tokens, tokens::RefreshToken},
    domain::{
        ids::{check_password_policy, MAX_DISPLAY_NAME_CHARS},
        Email, Invalid, TenantId, Username,
    },
    live::access::AccessChange,
    store::{accounts, audit::NewEntry, entities::users},
};

pub fn view(user: users::Model, tenants: Vec<TenantMembership>) -> UserResponse {
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

fn full_name(raw: Option<String>) -> Result<Option<String>, Invalid> {
    let name = raw.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_DISPLAY_NAME_CHARS)
    {
        let message = format!("must be at most {MAX_DISPLAY_NAME_CHARS} characters");
        return Err(Invalid::new("full_name", message));
    }
    Ok(name)
}

/// Creates a user with their own tenant (named, or after the username), of which they are
/// the admin. Emails in `MEMORY_ADMIN_EMAILS` make instance administrators.
pub async fn register(svc: &Services, req: RegisterRequest) -> Result<UserResponse> {
    let email = Email::parse(&req.email)?;
    let username = Username::parse(&req.username)?;
    check_password_policy(&req.password, "password")?;
    let tenant_id = req.tenant_id.as_deref().map(TenantId::parse).transpose()?;
    let full_name = full_name(req.full_name)?;
    let password_hash = password::hash(req.password).await?;
    let is_instance_admin = svc
        .settings
        .admin_emails
        .iter()
        .any(|e| e == email.as_str());
    let new = accounts::NewAccount {
        email: email.as_str().to_owned(),
        username: username.as_str().to_owned(),
        password_hash,
        full_name,
        tenant_id: tenant_id.map(|t| t.as_str().to_owned()),
        is_instance_admin,
    };
    let (user, membership) = svc
        .write(async |txn| {
            let (user, membership) = accounts::create_account(txn, new).await?;
            let tenant = membership.tenant_id.clone();
            let entry = NewEntry {
                tenant_id: Some(tenant.clone()),
                actor_user_id: Some(user.id),
                actor: format!("user:{}", user.id),
                action: "tenant.created",
                details: json!({"name": tenant, "via": "registration"}),
                target: Some(tenant),
            };
            Ok(Written::audited((user, membership), vec![entry]))
        })
        .await?;
    let tenants = vec![TenantMembership {
        tenant_id: membership.tenant_id,
        role: membership.role,
    }];
    Ok(view(user, tenants))
}

/// Where a login came from, recorded with its session.
#[derive(Debug, Default, Clone)]
pub struct LoginOrigin {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// Checks a password (throttled per account) and opens a session.
pub async fn login(
    svc: &Services,
    req: LoginRequest,
    origin: LoginOrigin,
) -> Result<TokenResponse> {
    // Usernames hold no '@': one field may take either (the dashboard's sign-in form).
    let mut req = req;
    if req.email.is_none() && req.username.as_ref().is_some_and(|u| u.contains('@')) {
        req.email = req.username.take();
    }
    let account = match (&req.email, &req.username) {
        (Some(e), _) => e.trim().to_lowercase(),
        (None, Some(u)) => u.clone(),
        (None, None) => return Err(ServiceError::invalid("email", "or username is required")),
    };
    if let Some(retry_after) = svc.limiter.login_locked(&account).await {
        svc.metrics.rate_limited("login");
        return Err(ServiceError::RateLimited {
            message: "Too many failed logins for this account; try again later.".into(),
            retry_after: retry_after.as_secs(),
        });
    }
    let user = accounts::find_user_by_login(&svc.db, req.email.as_deref(), req.username.as_deref())
        .await?;
    let valid =
        password::verify(req.password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let user = match user {
        Some(u) if valid && u.is_active => u,
        known => {
            if let Some(u) = known {
                let reason = if u.is_active { "password" } else { "inactive" };
                super::audit::failed_login(svc, u.id, reason).await;
            }
            svc.limiter.login_failed(&account).await;
            svc.metrics.auth_failed("login");
            return Err(ServiceError::Unauthenticated("Invalid credentials.".into()));
        }
    };
    svc.limiter.login_succeeded(&account).await;
    let auth = &svc.settings.auth;
    let refresh_ttl = auth.refresh_token_ttl * if req.remember_me { 4 } else { 1 };
    let session_id = Uuid::now_v7();
    let refresh = RefreshToken::new(session_id, 0);
    let session = accounts::NewSession {
        user_id: user.id,
        refresh_hash: refresh.hash(),
        remember_me: req.remember_me,
        ip_address: origin.ip_address,
        user_agent: origin.user_agent,
        expires_at: Utc::now() + refresh_ttl,
    };
    svc.write(async |txn| {
        accounts::record_login(txn, user.id).await?;
        accounts::create_session(txn, session_id, session).await?;
        Ok(Written::quiet(()))
    })
    .await?;
    Ok(token_response(svc, user.id, session_id, &refresh))
}

fn token_response(
    svc: &Services,
    user: Uuid,
    session: Uuid,
    refresh: &RefreshToken,
) -> TokenResponse {
    let ttl = svc.settings.auth.access_token_ttl;
    TokenResponse {
        access_token: tokens::issue_access(&svc.settings.auth.jwt_secret, user, session, ttl),
        refresh_token: refresh.to_string(),
        token_type: "bearer".into(),
        expires_in: ttl.as_secs(),
    }
}

/// Rotates the refresh token. A token of an older generation means it was copied: the whole
/// session is revoked, so both the thief and the victim must log in again.
pub async fn refresh(svc: &Services, presented: &str) -> Result<TokenResponse> {
    let invalid = || {
        svc.metrics.auth_failed("refresh");
        ServiceError::Unauthenticated("Invalid or expired refresh token.".into())
    };
    let presented = RefreshToken::parse(presented.trim()).ok_or_else(invalid)?;
    let session = accounts::active_session(&svc.db, presented.session)
        .await?
        .ok_or_else(invalid)?;
    if presented.generation != session.refresh_generation {
        tracing::warn!(session = %session.id, "refresh token replayed: revoking the session");
        end_session(svc, session.user_id, session.id).await?;
        return Err(invalid());
    }
    if !secrets_match(&presented.hash(), &session.refresh_hash) {
        return Err(invalid());
    }
    let next = RefreshToken::new(session.id, session.refresh_generation + 1);
    let (id, generation) = (session.id, session.refresh_generation);
    let rotated = svc
        .write(async |txn| {
            let rotated = accounts::rotate_session(txn, id, generation, next.hash()).await?;
            Ok(Written::quiet(rotated))
        })
        .await?;
    if !rotated {
        // Another request rotated it first with the same token: a replay.
        end_session(svc, session.user_id, session.id).await?;
        return Err(invalid());
    }
    let user = accounts::user_by_id(&svc.db, session.user_id)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(invalid)?;
    Ok(token_response(svc, user.id, session.id, &next))
}

/// Ends the caller's session: its access and refresh tokens stop working at once.
pub async fn logout(svc: &Services, caller: &Caller) -> Result<()> {
    let session = caller.session_id().ok_or_else(|| {
        ServiceError::BadRequest("Logout ends a login session; revoke API keys instead.".into())
    })?;
    end_session(svc, caller.user_id, session).await
}

/// Revokes session `id` of `user`: its access and refresh tokens stop working at once, and its
/// live connections close.
async fn end_session(svc: &Services, user: Uuid, id: Uuid) -> Result<()> {
    svc.write(async |txn| {
        accounts::revoke_session(txn, id).await?;
        Ok(Written::quiet(()).narrowing([AccessChange::User(user)]))
    })
    .await
}

async fn memberships(svc: &Services, user: Uuid) -> Result<Vec<TenantMembership>> {
    Ok(accounts::memberships_of(&svc.db, user)
        .await?
        .into_iter()
        .map(|m| TenantMembership {
            tenant_id: m.tenant_id,
            role: m.role,
        })
        .collect())
}

async fn current_user(svc: &Services, caller: &Caller) -> Result<users::Model> {
    accounts::user_by_id(&svc.db, caller.user_id)
        .await?
        .ok_or_else(|| ServiceError::Unauthenticated("Missing or invalid credentials.".into()))
}

/// The caller and their tenants.
pub async fn me(svc: &Services, caller: &Caller) -> Result<UserResponse> {
    let user = current_user(svc, caller).await?;
    let tenants = memberships(svc, user.id).await?;
    Ok(view(user, tenants))
}

pub async fn update_me(
    svc: &Services,
    caller: &Caller,
    req: UpdateMeRequest,
) -> Result<UserResponse> {
    let email = req.email.as_deref().map(Email::parse).transpose()?;
    let username = req.username.as_deref().map(Username::parse).transpose()?;
    let full_name = req.full_name.map(|n| full_name(Some(n))).transpose()?;
    let user = current_user(svc, caller).await?;
    let (email, username) = (
        email.map(|e| e.as_str().to_owned()),
        username.map(|u| u.as_str().to_owned()),
    );
    let user = svc
        .write(async |txn| {
            let user = accounts::update_profile(txn, user, email, username, full_name).await?;
            Ok(Written::quiet(user))
        })
        .await?;
    let tenants = memberships(svc, user.id).await?;
    Ok(view(user, tenants))
}

/// Changes the password and revokes every other session (a stolen session dies with the old
/// password); the caller's own session stays.
pub async fn change_password(
    svc: &Services,
    caller: &Caller,
    req: ChangePasswordRequest,
) -> Result<()> {
    let user = current_user(svc, caller).await?;
    if !password::verify(req.current_password, Some(user.password_hash.clone())).await? {
        return Err(ServiceError::invalid("current_password", "is not correct"));
    }
    check_password_policy(&req.new_password, "new_password")?;
    let hash = password::hash(req.new_password).await?;
    let entry = super::audit::entry(caller, None, "account.password_changed", None, json!({}));
    svc.write(async |txn| {
        accounts::set_password_hash(txn, user.id, hash).await?;
        accounts::revoke_other_sessions(txn, user.id, caller.session_id()).await?;
        Ok(Written::audited((), vec![entry]).narrowing([AccessChange::User(user.id)]))
    })
    .await
}
