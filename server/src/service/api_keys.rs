//! API keys: tenant admins create, list and revoke them, with a user login only — a leaked key
//! cannot mint more keys.

use app::wire::auth::{ApiKeyListQuery, ApiKeyResponse, CreateApiKeyRequest};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use super::{audit, unit::Written, Access, Caller, Result, ServiceError, Services};
use crate::{
    auth::api_keys,
    domain::{ids::display_name, Invalid, KeyScope},
    live::access::AccessChange,
    store::{accounts, entities::api_keys as entity},
};

const MANAGED: &str = "API keys are managed";

/// The wire form of a key; `full` (its secret) only in the answer to its creation.
pub fn view(key: entity::Model, full: Option<String>) -> ApiKeyResponse {
    let last_used = key.last_used_at.map(|t| t.to_rfc3339());
    let is_active = key.revoked_at.is_none() && key.expires_at.is_none_or(|at| at > Utc::now());
    ApiKeyResponse {
        id: key.id.to_string(),
        name: key.name,
        prefix: format!("mm_{}", key.prefix),
        tenant_id: key.tenant_id,
        scope: key.scope,
        created_at: key.created_at.to_rfc3339(),
        last_used_at: last_used.clone(),
        last_used,
        is_active,
        expires_at: key.expires_at.map(|t| t.to_rfc3339()),
        revoked_at: key.revoked_at.map(|t| t.to_rfc3339()),
        key: full,
    }
}

/// Creates a key in a tenant the caller administers; its secret is shown this once.
pub async fn create(
    svc: &Services,
    caller: &Caller,
    req: CreateApiKeyRequest,
) -> Result<ApiKeyResponse> {
    caller.require_session(MANAGED)?;
    let name = display_name(&req.name, "name")?;
    let scope = KeyScope::parse(req.scope.as_deref().unwrap_or("write"))?;
    if req.expires_days.is_some_and(|d| !(1..=3650).contains(&d)) {
        return Err(Invalid::new("expires_days", "must be 1 to 3650").into());
    }
    let tenant = caller
        .authorise_and_charge(svc, req.tenant_id.as_deref(), Access::Admin)
        .await?;
    let generated = api_keys::generate();
    let now = crate::store::now();
    let row = entity::Model {
        id: Uuid::now_v7(),
        user_id: caller.user_id,
        tenant_id: tenant.tenant_id,
        name,
        prefix: generated.prefix,
        key_hash: generated.hash,
        scope: scope.as_str().to_owned(),
        last_used_at: None,
        expires_at: req
            .expires_days
            .map(|d| now + chrono::Duration::days(i64::from(d))),
        revoked_at: None,
        created_at: now,
    };
    let details = json!({"name": row.name, "scope": row.scope, "prefix": row.prefix});
    let (tenant, target) = (Some(row.tenant_id.as_str()), Some(row.id.to_string()));
    let entry = audit::entry(caller, tenant, "api_key.created", target, details);
    let key = svc
        .write(async |txn| {
            let key = accounts::insert_api_key(txn, row).await?;
            Ok(Written::audited(key, vec![entry]))
        })
        .await?;
    Ok(view(key, Some(generated.full)))
}

/// The keys of every tenant the caller administers, newest first (never their secrets): the
/// unrevoked ones, or all with `include_revoked`.
pub async fn list(
    svc: &Services,
    caller: &Caller,
    query: ApiKeyListQuery,
) -> Result<Vec<ApiKeyResponse>> {
    caller.require_session(MANAGED)?;
    let tenants = caller.admin_tenants();
    let keys = accounts::list_api_keys(&svc.db, &tenants, query.include_revoked).await?;
    Ok(keys.into_iter().map(|k| view(k, None)).collect())
}

/// Revokes a key at once; another tenant's key is not found.
pub async fn revoke(svc: &Services, caller: &Caller, id: &str) -> Result<()> {
    caller.require_session(MANAGED)?;
    let not_found = || ServiceError::not_found("API key");
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    svc.write(async |txn| {
        let (tenant, owner) = accounts::revoke_api_key(txn, id, &caller.admin_tenants())
            .await?
            .ok_or_else(not_found)?;
        let target = Some(id.to_string());
        let entry = audit::entry(caller, Some(&tenant), "api_key.revoked", target, json!({}));
        Ok(Written::audited((), vec![entry]).narrowing([AccessChange::User(owner)]))
    })
    .await
}
