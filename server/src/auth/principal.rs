//! Who is calling, and which tenant they may touch.
//!
//! [`Principal`] is extracted from `Authorization: Bearer <jwt | mm_key>` or `x-api-key`.
//! [`Principal::tenant`] then resolves the tenant of a request from the credential alone: a
//! requested `tenant_id` only selects among the caller's own tenants, and naming any other —
//! existing or not — gives the same 403.

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::Utc;
use uuid::Uuid;

use crate::{
    api::error::ApiError,
    state::AppState,
    store::{accounts, callers},
};

/// How the caller authenticated.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A user's access token, tied to a login session.
    Session { session_id: Uuid },
    /// An API key, bound to one tenant with a scope.
    ApiKey {
        key_id: Uuid,
        tenant_id: String,
        scope: String,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub is_instance_admin: bool,
    pub credential: Credential,
    /// Read with the credential: a user's memberships in every tenant; an API key's creator's
    /// membership in the key's tenant (none once they left it).
    pub memberships: Vec<callers::Membership>,
}

/// What a request needs to do in its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    /// Manage members, keys, retention; never granted to API keys.
    Admin,
}

/// The tenant a request acts in, and the caller's role there.
#[derive(Debug, Clone)]
pub struct TenantContext {
    pub tenant_id: String,
    pub role: String,
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized("Missing or invalid credentials.".into())
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let bearer = header("authorization").and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
        match (header("x-api-key"), bearer) {
            (Some(key), _) => from_api_key(state, key.trim()).await,
            (None, Some(token)) if token.starts_with("mm_") => from_api_key(state, token).await,
            (None, Some(token)) => from_access_token(state, token.trim()).await,
            (None, None) => Err(unauthorized()),
        }
    }
}

async fn from_access_token(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    let claims = super::tokens::verify_access(&state.settings.auth.jwt_secret, token)
        .ok_or_else(unauthorized)?;
    // One query (every request pays for it): the session must be live and the token's, the
    // user active; their memberships come with them.
    let caller = callers::by_session(&state.db, claims.sid, claims.sub, Utc::now())
        .await?
        .ok_or_else(unauthorized)?;
    Ok(Principal {
        user_id: caller.user_id,
        is_instance_admin: caller.is_instance_admin,
        credential: Credential::Session {
            session_id: claims.sid,
        },
        memberships: caller.memberships,
    })
}

async fn from_api_key(state: &AppState, raw: &str) -> Result<Principal, ApiError> {
    let (prefix, secret) = super::api_keys::parse(raw).ok_or_else(unauthorized)?;
    let key = callers::by_key_prefix(&state.db, prefix)
        .await?
        .ok_or_else(unauthorized)?;
    let usable = key.revoked_at.is_none()
        && key.expires_at.is_none_or(|at| at > Utc::now())
        && super::secrets_match(&super::sha256_hex(secret), &key.key_hash)
        && key.user_active;
    if !usable {
        return Err(unauthorized());
    }
    limit(state, &format!("key:{}", key.key_id)).await?;
    // Last use is informational: recorded beside the request, not before its answer.
    let db = state.db.clone();
    tokio::spawn(async move {
        if let Err(e) = accounts::touch_api_key(&db, key.key_id).await {
            tracing::warn!(error = %e, "could not record an API key's last use");
        }
    });
    Ok(Principal {
        user_id: key.user_id,
        is_instance_admin: false,
        credential: Credential::ApiKey {
            key_id: key.key_id,
            tenant_id: key.tenant_id,
            scope: key.scope,
        },
        memberships: key.membership.into_iter().collect(),
    })
}

/// Counts a request against `key` with the tenant budget (`MEMORY_TENANT_RATE_LIMIT`).
async fn limit(state: &AppState, key: &str) -> Result<(), ApiError> {
    let decision = state
        .limiter
        .check(key, state.settings.tenant_rate_limit)
        .await;
    if decision.allowed {
        Ok(())
    } else {
        Err(ApiError::RateLimited {
            message: "This tenant or key is over its request budget; slow down.".into(),
            retry_after: decision.retry_after,
        })
    }
}

impl Principal {
    /// The session behind this request, if it came with an access token.
    pub fn session_id(&self) -> Option<Uuid> {
        match self.credential {
            Credential::Session { session_id } => Some(session_id),
            Credential::ApiKey { .. } => None,
        }
    }

    /// Resolves the tenant a request acts in and checks the caller may do `access` there.
    ///
    /// - API key: its own tenant; naming another → 403; `read` keys cannot write; keys never
    ///   administer.
    /// - User: the named tenant if they are a member (403 otherwise, the same answer whether the
    ///   tenant exists or not); without a name, their only tenant, or 422 if they have several.
    pub async fn tenant(
        &self,
        state: &AppState,
        requested: Option<&str>,
        access: Access,
    ) -> Result<TenantContext, ApiError> {
        let forbidden = |t: &str| {
            ApiError::Forbidden(format!("This credential has no access to tenant '{t}'."))
        };
        let (tenant_id, key_scope) = match (&self.credential, requested) {
            (Credential::ApiKey { tenant_id, .. }, Some(t)) if t != tenant_id => {
                return Err(forbidden(t))
            }
            (
                Credential::ApiKey {
                    tenant_id, scope, ..
                },
                _,
            ) => (tenant_id.as_str(), Some(scope.as_str())),
            (Credential::Session { .. }, Some(t)) => (t, None),
            (Credential::Session { .. }, None) => match self.memberships.as_slice() {
                [only] => (only.tenant_id.as_str(), None),
                [] => return Err(ApiError::Forbidden("You belong to no tenant.".into())),
                _ => {
                    return Err(ApiError::validation(
                        "tenant_id",
                        "is required: you belong to several tenants",
                    ))
                }
            },
        };
        // Membership is checked for keys too: a key stops working in a tenant its creator left.
        let role = self
            .memberships
            .iter()
            .find(|m| m.tenant_id == tenant_id)
            .map(|m| m.role.clone())
            .ok_or_else(|| forbidden(tenant_id))?;
        let tenant_id = tenant_id.to_owned();
        let allowed = match access {
            Access::Read => true,
            Access::Write => role != "read_only" && key_scope.is_none_or(|s| s == "write"),
            Access::Admin => role == "admin" && key_scope.is_none(),
        };
        if !allowed {
            let need = match access {
                Access::Read => "read",
                Access::Write => "write",
                Access::Admin => "administer",
            };
            return Err(ApiError::Forbidden(format!(
                "This credential may not {need} in tenant '{tenant_id}'."
            )));
        }
        // The tenant's budget is shared by all its users and keys, on every instance.
        limit(state, &format!("tenant:{tenant_id}")).await?;
        Ok(TenantContext { tenant_id, role })
    }
}
