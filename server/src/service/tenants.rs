//! Tenants: any logged-in user may create one (and administers it); members and the tenant's
//! keys read it; its admins rename and delete it. A tenant the caller does not belong to is
//! the same 403 whether it exists or not (from [`Caller::tenant`]).

use app::api::tenants::{CreateTenantRequest, TenantList, TenantResponse, UpdateTenantRequest};

use super::{Access, Caller, Credential, Result, ServiceError, Services};
use crate::{
    domain::{ids::parse_id, Invalid},
    store::{
        self, begin_write, commit,
        tenants::{self as tenant_store, TenantCounts},
    },
};

const MAX_NAME_CHARS: usize = 255;

fn name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(
            Invalid::new("name", format!("must be 1 to {MAX_NAME_CHARS} characters")).into(),
        );
    }
    Ok(name.to_owned())
}

fn view(caller: &Caller, t: TenantCounts) -> TenantResponse {
    let role = caller
        .memberships
        .iter()
        .find(|m| m.tenant_id == t.tenant.id)
        .map(|m| m.role.as_str().to_owned())
        .unwrap_or_default();
    TenantResponse {
        id: t.tenant.id,
        name: t.tenant.name,
        role,
        members: t.members,
        conversations: t.conversations,
        messages: t.messages,
        created_at: t.tenant.created_at.to_rfc3339(),
        updated_at: t.tenant.updated_at.to_rfc3339(),
    }
}

async fn one(svc: &Services, caller: &Caller, id: &str) -> Result<TenantResponse> {
    let found = tenant_store::tenants_with_counts(&svc.db, &[id.to_owned()]).await?;
    let tenant = found
        .into_iter()
        .next()
        .ok_or_else(|| ServiceError::not_found("tenant"))?;
    Ok(view(caller, tenant))
}

/// Creates a tenant administered by the caller (a logged-in user; keys belong to one tenant
/// and cannot make others).
pub async fn create(
    svc: &Services,
    caller: &Caller,
    req: CreateTenantRequest,
) -> Result<TenantResponse> {
    if matches!(caller.credential, Credential::ApiKey { .. }) {
        return Err(ServiceError::Forbidden(
            "API keys cannot create tenants; log in as a user.".into(),
        ));
    }
    let id = parse_id(req.id.trim(), 64, "id")?;
    let display = match &req.name {
        Some(n) => name(n)?,
        None => id.clone(),
    };
    let txn = begin_write(&svc.db).await?;
    tenant_store::create_tenant(&txn, &id, &display, caller.user_id).await?;
    commit(txn).await?;
    let mut creator = caller.clone();
    creator.memberships.push(store::callers::Membership {
        tenant_id: id.clone(),
        role: crate::domain::MemberRole::Admin,
    });
    one(svc, &creator, &id).await
}

/// The caller's tenants (a key's: its own), with their role and counts.
pub async fn list(svc: &Services, caller: &Caller) -> Result<TenantList> {
    let ids: Vec<String> = match &caller.credential {
        Credential::ApiKey { tenant_id, .. } => caller
            .authorise(Some(tenant_id), Access::Read)
            .map(|t| vec![t.tenant_id])?,
        Credential::Session { .. } => caller
            .memberships
            .iter()
            .map(|m| m.tenant_id.clone())
            .collect(),
    };
    let tenants = tenant_store::tenants_with_counts(&svc.db, &ids).await?;
    Ok(TenantList {
        tenants: tenants.into_iter().map(|t| view(caller, t)).collect(),
    })
}

pub async fn get(svc: &Services, caller: &Caller, id: &str) -> Result<TenantResponse> {
    let tenant = caller.tenant(svc, Some(id), Access::Read).await?;
    one(svc, caller, &tenant.tenant_id).await
}

/// Renames a tenant (its admins).
pub async fn update(
    svc: &Services,
    caller: &Caller,
    id: &str,
    req: UpdateTenantRequest,
) -> Result<TenantResponse> {
    let tenant = caller.tenant(svc, Some(id), Access::Admin).await?;
    let display = name(&req.name)?;
    tenant_store::rename_tenant(&svc.db, &tenant.tenant_id, &display).await?;
    one(svc, caller, &tenant.tenant_id).await
}

/// Deletes a tenant and everything it holds — messages, vectors, conversations, jobs, events,
/// keys, memberships, retention rules — in one transaction; never undone. Its live connections
/// lose access at their next credential check.
pub async fn delete(svc: &Services, caller: &Caller, id: &str) -> Result<()> {
    let tenant = caller.tenant(svc, Some(id), Access::Admin).await?;
    let txn = begin_write(&svc.db).await?;
    tenant_store::delete_tenant(&txn, &tenant.tenant_id).await?;
    commit(txn).await?;
    // The search indexes follow the change log of the deleted messages.
    svc.index.catch_up(&svc.db).await?;
    Ok(())
}
