//! Tenants: any logged-in user may create one (and administers it); members and the tenant's
//! keys read it; its admins rename and delete it. A tenant the caller does not belong to is
//! the same 403 whether it exists or not (from [`Caller::authorise_and_charge`]).

use app::wire::tenants::{CreateTenantRequest, TenantList, TenantResponse, UpdateTenantRequest};

use super::{
    audit, unit::Written, Access, Caller, Credential, Result, ServiceError, Services, TenantContext,
};
use crate::{
    domain::{
        ids::{display_name, TenantId},
        MemberRole,
    },
    live::access::AccessChange,
    store::tenants::{self as tenant_store, TenantCounts},
};

/// The caller's role in tenant `id` ("" when it has none there).
fn role_in(caller: &Caller, id: &str) -> String {
    caller
        .memberships
        .iter()
        .find(|m| m.tenant_id == id)
        .map(|m| m.role.as_str().to_owned())
        .unwrap_or_default()
}

fn view(t: TenantCounts, role: String) -> TenantResponse {
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

/// Tenant `id` as seen by a caller with `role` in it.
async fn one(svc: &Services, id: &str, role: String) -> Result<TenantResponse> {
    let found = tenant_store::tenants_with_counts(&svc.db, &[id.to_owned()]).await?;
    let tenant = found
        .into_iter()
        .next()
        .ok_or_else(|| ServiceError::not_found("tenant"))?;
    Ok(view(tenant, role))
}

/// Creates a tenant administered by the caller (a logged-in user; keys belong to one tenant
/// and cannot make others).
pub async fn create(
    svc: &Services,
    caller: &Caller,
    req: CreateTenantRequest,
) -> Result<TenantResponse> {
    caller.require_session("Tenants are created")?;
    let id = TenantId::parse_as(req.id.trim(), "id")?.into_string();
    let display = match &req.name {
        Some(n) => display_name(n, "name")?,
        None => id.clone(),
    };
    insert(svc, caller, &[(&id, &display)], "request").await?;
    one(svc, &id, MemberRole::Admin.as_str().to_owned()).await
}

/// Creates the tenants `named` (id, display name), all or none, with the caller as their
/// admin, audited as made by `via` (`request`: `POST /v1/tenants`; `write`: a write that
/// named them).
async fn insert(svc: &Services, caller: &Caller, named: &[(&str, &str)], via: &str) -> Result<()> {
    let audit = named
        .iter()
        .map(|(id, display)| {
            let details = serde_json::json!({"name": display, "via": via});
            audit::entry(
                caller,
                Some(id),
                "tenant.created",
                Some((*id).to_owned()),
                details,
            )
        })
        .collect();
    svc.write(async |txn| {
        for (id, display) in named {
            tenant_store::create_tenant(txn, id, display, caller.user_id).await?;
        }
        Ok(Written::audited((), audit))
    })
    .await
}

/// The tenant a write acts in: [`Caller::authorise_and_charge`] with [`Access::Write`], except that a
/// signed-in user naming a tenant id nobody holds creates it first and becomes its admin,
/// while `MEMORY_TENANT_CREATE_ON_WRITE` is on (the original API treated tenants as free
/// strings). An id that exists stays the same 403; API keys never create tenants.
pub async fn for_write(
    svc: &Services,
    caller: &Caller,
    requested: Option<&str>,
) -> Result<TenantContext> {
    match caller.authorise(requested, Access::Write) {
        Ok(tenant) => {
            super::caller::charge(svc, &tenant).await?;
            Ok(tenant)
        }
        Err(refused) => match creatable_on_write(svc, caller, requested, &refused) {
            Some(id) => {
                create_on_write(svc, caller, &[id], refused).await?;
                let tenant = admin_of(id);
                super::caller::charge(svc, &tenant).await?;
                Ok(tenant)
            }
            None => Err(refused),
        },
    }
}

/// The tenant id a write that [`Caller::authorise`] refused with `refused` may create
/// instead, by [`for_write`]'s rule (the decision alone: nothing is created).
pub fn creatable_on_write<'r>(
    svc: &Services,
    caller: &Caller,
    requested: Option<&'r str>,
    refused: &ServiceError,
) -> Option<&'r str> {
    let id = requested?;
    let creatable = svc.settings.tenant_create_on_write
        && matches!(refused, ServiceError::Forbidden(_))
        && matches!(caller.credential, Credential::Session { .. })
        && !caller.memberships.iter().any(|m| m.tenant_id == id);
    creatable.then_some(id)
}

/// Creates the tenants `ids` (each found [`creatable_on_write`]) for the caller, who becomes
/// their admin — all of them or none: when one turns out to be taken (someone else's tenant,
/// or a racing request's), nothing is created and the write gets `refused`, the answer it had.
pub async fn create_on_write(
    svc: &Services,
    caller: &Caller,
    ids: &[&str],
    refused: ServiceError,
) -> Result<()> {
    let named: Vec<(&str, &str)> = ids.iter().map(|id| (*id, *id)).collect();
    match insert(svc, caller, &named, "write").await {
        Err(ServiceError::Conflict(_)) => Err(refused),
        done => done,
    }
}

/// The caller's context in tenant `id`, which they have just created.
pub fn admin_of(id: &str) -> TenantContext {
    TenantContext {
        tenant_id: id.to_owned(),
        role: MemberRole::Admin,
    }
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
        tenants: tenants
            .into_iter()
            .map(|t| {
                let role = role_in(caller, &t.tenant.id);
                view(t, role)
            })
            .collect(),
    })
}

pub async fn get(svc: &Services, caller: &Caller, id: &str) -> Result<TenantResponse> {
    let tenant = caller
        .authorise_and_charge(svc, Some(id), Access::Read)
        .await?;
    one(svc, &tenant.tenant_id, role_in(caller, &tenant.tenant_id)).await
}

/// Renames a tenant (its admins).
pub async fn update(
    svc: &Services,
    caller: &Caller,
    id: &str,
    req: UpdateTenantRequest,
) -> Result<TenantResponse> {
    let tenant = caller
        .authorise_and_charge(svc, Some(id), Access::Admin)
        .await?;
    let display = display_name(&req.name, "name")?;
    let (id, details) = (&tenant.tenant_id, serde_json::json!({"name": display}));
    let entry = audit::entry(
        caller,
        Some(id),
        "tenant.renamed",
        Some(id.clone()),
        details,
    );
    svc.write(async |txn| {
        tenant_store::rename_tenant(txn, id, &display).await?;
        Ok(Written::audited((), vec![entry]))
    })
    .await?;
    one(svc, &tenant.tenant_id, role_in(caller, &tenant.tenant_id)).await
}

/// Deletes a tenant and everything it holds — messages, vectors, conversations, jobs, events,
/// keys, memberships, retention rules — in one transaction; never undone. Its live connections
/// close.
pub async fn delete(svc: &Services, caller: &Caller, id: &str) -> Result<()> {
    let tenant = caller
        .authorise_and_charge(svc, Some(id), Access::Admin)
        .await?;
    // Of no tenant: its own entries go with it, this one stays for instance admins.
    let target = Some(tenant.tenant_id.clone());
    let entry = audit::entry(
        caller,
        None,
        "tenant.deleted",
        target,
        serde_json::json!({}),
    );
    svc.write(async |txn| {
        tenant_store::delete_tenant(txn, &tenant.tenant_id).await?;
        let gone = AccessChange::Tenant(tenant.tenant_id.clone());
        Ok(Written::audited((), vec![entry]).narrowing([gone]))
    })
    .await
}
