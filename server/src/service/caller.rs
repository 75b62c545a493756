//! Who is calling, and which tenant they may touch.
//!
//! [`authenticate`] turns a presented credential (an access JWT or an `mm_…` API key) into a
//! [`Caller`]; every door extracts the credential in its own way and calls it. [`Caller::authorise_and_charge`]
//! then resolves the tenant of a request from the credential alone: a requested `tenant_id`
//! only selects among the caller's own tenants, and naming any other — existing or not — gives
//! the same 403. Tenant and key budgets are counted here, the one place every door passes.

use chrono::Utc;
use uuid::Uuid;

use super::{Result, ServiceError, Services};
use crate::{
    auth::{api_keys, secrets_match, sha256_hex, tokens},
    domain::{KeyScope, MemberRole, TenantId},
    ratelimit,
    store::{accounts, callers},
};

/// How often a credential's last use is recorded: it is informational (the sessions and key
/// lists show it), so authentication is not a write per request.
const LAST_USE_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// A credential whose use is to be recorded.
enum Used {
    Session(Uuid),
    ApiKey(Uuid),
}

/// Records a credential's last use beside the request (not before its answer), as upkeep.
fn record_last_use(svc: &Services, used: Used) {
    let task_svc = svc.clone();
    svc.tasks.spawn(async move {
        let touched = match used {
            Used::Session(id) => {
                task_svc
                    .upkeep(async |db| accounts::touch_session(db, id).await)
                    .await
            }
            Used::ApiKey(id) => {
                task_svc
                    .upkeep(async |db| accounts::touch_api_key(db, id).await)
                    .await
            }
        };
        if let Err(e) = touched {
            tracing::warn!(error = %e, "could not record a credential's last use");
        }
    });
}

/// How the caller authenticated.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A user's access token, tied to a login session.
    Session { session_id: Uuid },
    /// An API key, bound to one tenant with a scope.
    ApiKey {
        key_id: Uuid,
        tenant_id: String,
        scope: KeyScope,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
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
    pub role: MemberRole,
}

/// A credential as a door received it.
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    /// `x-api-key` (or a bearer token that starts with `mm_`).
    ApiKey(&'a str),
    /// An access JWT.
    AccessToken(&'a str),
}

impl<'a> Presented<'a> {
    /// Classifies a bearer token: API keys may travel as bearer tokens too.
    pub fn bearer(token: &'a str) -> Self {
        let token = token.trim();
        if token.starts_with("mm_") {
            Self::ApiKey(token)
        } else {
            Self::AccessToken(token)
        }
    }
}

fn unauthenticated() -> ServiceError {
    ServiceError::Unauthenticated("Missing or invalid credentials.".into())
}

/// Checks a credential: one query, whatever its kind.
pub async fn authenticate(svc: &Services, presented: Presented<'_>) -> Result<Caller> {
    match presented {
        Presented::AccessToken(token) => from_access_token(svc, token).await,
        Presented::ApiKey(key) => from_api_key(svc, key.trim()).await,
    }
}

async fn from_access_token(svc: &Services, token: &str) -> Result<Caller> {
    let Some(claims) = tokens::verify_access(&svc.settings.auth.jwt_secret, token) else {
        svc.metrics.auth_failed("invalid_token");
        return Err(unauthenticated());
    };
    // Every request pays for this query: the session must be live and the token's, the user
    // active; their memberships come with them.
    let Some(caller) = callers::by_session(&svc.db, claims.sid, claims.sub, Utc::now()).await?
    else {
        svc.metrics.auth_failed("session_ended");
        return Err(unauthenticated());
    };
    // Last use is informational (the sessions list shows it): recorded beside the request, at
    // most once a minute, so authentication is not a write per request.
    if Utc::now() - caller.last_used_at > LAST_USE_EVERY {
        record_last_use(svc, Used::Session(claims.sid));
    }
    Ok(Caller {
        user_id: caller.user_id,
        is_instance_admin: caller.is_instance_admin,
        credential: Credential::Session {
            session_id: claims.sid,
        },
        memberships: caller.memberships,
    })
}

async fn from_api_key(svc: &Services, raw: &str) -> Result<Caller> {
    let invalid_key = || {
        svc.metrics.auth_failed("invalid_key");
        unauthenticated()
    };
    let (prefix, secret) = api_keys::parse(raw).ok_or_else(invalid_key)?;
    let key = callers::by_key_prefix(&svc.db, prefix)
        .await?
        .ok_or_else(invalid_key)?;
    let usable = key.revoked_at.is_none()
        && key.expires_at.is_none_or(|at| at > Utc::now())
        && secrets_match(&sha256_hex(secret), &key.key_hash)
        && key.user_active;
    if !usable {
        return Err(invalid_key());
    }
    spend(svc, &ratelimit::Key::ApiKey(key.key_id)).await?;
    // Last use is informational: recorded beside the request, not before its answer, and at
    // most once a minute, so a key's requests are not each a write (on SQLite, a turn at the
    // one writer).
    if key
        .last_used_at
        .is_none_or(|at| Utc::now() - at > LAST_USE_EVERY)
    {
        record_last_use(svc, Used::ApiKey(key.key_id));
    }
    Ok(Caller {
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
async fn spend(svc: &Services, key: &ratelimit::Key<'_>) -> Result<()> {
    let decision = svc.limiter.check(key, svc.settings.tenant_rate_limit).await;
    if decision.allowed {
        Ok(())
    } else {
        svc.metrics.rate_limited(match key {
            ratelimit::Key::ApiKey(_) => "api_key",
            _ => "tenant",
        });
        Err(ServiceError::RateLimited {
            message: "This tenant or key is over its request budget; slow down.".into(),
            retry_after: decision.retry_after,
        })
    }
}

/// Counts one request against an authorised tenant's budget, shared by all its users and keys
/// on every instance.
pub async fn charge(svc: &Services, tenant: &TenantContext) -> Result<()> {
    spend(svc, &ratelimit::Key::Tenant(&tenant.tenant_id)).await
}

/// Counts one request of `caller` in an authorised tenant: its key's budget (for API keys) and
/// the tenant's. (REST requests pay the key's at authentication.)
pub async fn charge_caller(svc: &Services, caller: &Caller, tenant: &TenantContext) -> Result<()> {
    if let Credential::ApiKey { key_id, .. } = &caller.credential {
        spend(svc, &ratelimit::Key::ApiKey(*key_id)).await?;
    }
    charge(svc, tenant).await
}

fn forbidden(tenant: &str) -> ServiceError {
    ServiceError::Forbidden(format!(
        "This credential has no access to tenant '{tenant}'. Create a tenant with POST \
         /v1/tenants, or ask an administrator of this one to add you."
    ))
}

impl Caller {
    /// The session behind this request, if it came with an access token.
    pub fn session_id(&self) -> Option<Uuid> {
        match self.credential {
            Credential::Session { session_id } => Some(session_id),
            Credential::ApiKey { .. } => None,
        }
    }

    /// Refuses API keys: what only a person's login may do (a leaked key cannot mint keys).
    pub fn require_session(&self, what: &str) -> Result<Uuid> {
        self.session_id().ok_or_else(|| {
            ServiceError::Forbidden(format!("{what} with a user login, not with an API key."))
        })
    }

    /// The tenants the caller administers.
    pub fn admin_tenants(&self) -> Vec<String> {
        self.memberships
            .iter()
            .filter(|m| m.role == MemberRole::Admin)
            .map(|m| m.tenant_id.clone())
            .collect()
    }

    /// Refuses everyone but instance administrators.
    pub fn require_instance_admin(&self, what: &str) -> Result<()> {
        if self.is_instance_admin {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "{what} restricted to instance administrators."
            )))
        }
    }

    /// Resolves the tenant a request acts in, checks the caller may do `access` there, and
    /// counts the request against the tenant's budget — so call it once per request (each call
    /// spends the budget again; [`Caller::authorise`] decides without spending).
    ///
    /// - A requested id is format-checked first (garbage is a 422 naming `tenant_id`).
    /// - API key: its own tenant; naming another → 403; `read` keys cannot write; keys never
    ///   administer.
    /// - User: the named tenant if they are a member (403 otherwise, the same answer whether
    ///   the tenant exists or not); without a name, their only tenant, or 422 if they have
    ///   several.
    pub async fn authorise_and_charge(
        &self,
        svc: &Services,
        requested: Option<&str>,
        access: Access,
    ) -> Result<TenantContext> {
        let tenant = self.authorise(requested, access)?;
        charge(svc, &tenant).await?;
        Ok(tenant)
    }

    /// [`Caller::authorise_and_charge`] without counting the request: the decision alone.
    pub fn authorise(&self, requested: Option<&str>, access: Access) -> Result<TenantContext> {
        if let Some(t) = requested {
            TenantId::parse(t)?;
        }
        let (tenant_id, key_scope) = match (&self.credential, requested) {
            (Credential::ApiKey { tenant_id, .. }, Some(t)) if t != tenant_id => {
                return Err(forbidden(t))
            }
            (
                Credential::ApiKey {
                    tenant_id, scope, ..
                },
                _,
            ) => (tenant_id.as_str(), Some(*scope)),
            (Credential::Session { .. }, Some(t)) => (t, None),
            (Credential::Session { .. }, None) => match self.memberships.as_slice() {
                [only] => (only.tenant_id.as_str(), None),
                [] => return Err(ServiceError::Forbidden("You belong to no tenant.".into())),
                _ => {
                    return Err(ServiceError::invalid(
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
            .map(|m| m.role)
            .ok_or_else(|| forbidden(tenant_id))?;
        let allowed = match access {
            Access::Read => true,
            Access::Write => role.may_write() && key_scope.is_none_or(|s| s == KeyScope::Write),
            Access::Admin => role == MemberRole::Admin && key_scope.is_none(),
        };
        if !allowed {
            let need = match access {
                Access::Read => "read",
                Access::Write => "write",
                Access::Admin => "administer",
            };
            return Err(ServiceError::Forbidden(format!(
                "This credential may not {need} in tenant '{tenant_id}'."
            )));
        }
        Ok(TenantContext {
            tenant_id: tenant_id.to_owned(),
            role,
        })
    }
}
