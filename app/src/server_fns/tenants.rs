//! Running a tenant: the signed-in person's tenants, a tenant's members, the audit log.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use crate::wire::{
    audit::AuditPage,
    auth::MemberResponse,
    error::ErrorBody,
    tenants::{TenantList, TenantResponse},
};

/// The signed-in person's tenants, with their role and counts.
#[server(prefix = "/api", endpoint = "tenants", input = GetUrl)]
pub async fn list_tenants() -> Result<TenantList, ErrorBody> {
    crate::port::tenant()?.tenants().await
}

/// Creates a tenant, which the signed-in person administers.
#[server(prefix = "/api", endpoint = "tenants/create")]
pub async fn create_tenant(
    id: String,
    #[server(default)] name: Option<String>,
) -> Result<TenantResponse, ErrorBody> {
    let tenant = crate::wire::tenants::CreateTenantRequest {
        id,
        name: name.filter(|n| !n.trim().is_empty()),
    };
    crate::port::tenant()?.create_tenant(tenant).await
}

/// Renames a tenant (its id stays).
#[server(prefix = "/api", endpoint = "tenants/rename")]
pub async fn rename_tenant(id: String, name: String) -> Result<TenantResponse, ErrorBody> {
    let change = crate::wire::tenants::UpdateTenantRequest { name };
    crate::port::tenant()?.rename_tenant(id, change).await
}

/// Deletes a tenant and everything in it, for good.
#[server(prefix = "/api", endpoint = "tenants/delete")]
pub async fn delete_tenant(id: String) -> Result<(), ErrorBody> {
    crate::port::tenant()?.delete_tenant(id).await
}

/// A tenant's members (any member may read them).
#[server(prefix = "/api", endpoint = "members", input = GetUrl)]
pub async fn list_members(tenant_id: String) -> Result<Vec<MemberResponse>, ErrorBody> {
    crate::port::tenant()?.members(tenant_id).await
}

/// Adds a registered person, named by email, username or user id.
#[server(prefix = "/api", endpoint = "members/add")]
pub async fn add_member(
    tenant_id: String,
    user: String,
    role: String,
) -> Result<MemberResponse, ErrorBody> {
    let member = crate::wire::auth::AddMemberRequest {
        user: Some(user),
        user_id: None,
        role,
    };
    crate::port::tenant()?.add_member(tenant_id, member).await
}

/// Gives a member another role.
#[server(prefix = "/api", endpoint = "members/role")]
pub async fn change_member_role(
    tenant_id: String,
    user_id: String,
    role: String,
) -> Result<(), ErrorBody> {
    let change = crate::wire::auth::UpdateMemberRequest { role };
    crate::port::tenant()?
        .change_member(tenant_id, user_id, change)
        .await
}

/// Removes a member: their access, and their keys for the tenant, end at once.
#[server(prefix = "/api", endpoint = "members/remove")]
pub async fn remove_member(tenant_id: String, user_id: String) -> Result<(), ErrorBody> {
    crate::port::tenant()?
        .remove_member(tenant_id, user_id)
        .await
}

/// One page of the audit log, newest first:
/// [`AuditListQuery`](crate::wire::audit::AuditListQuery)'s fields as query parameters.
#[server(prefix = "/api", endpoint = "audit", input = GetUrl)]
pub async fn list_audit(
    #[server(default)] tenant_id: Option<String>,
    #[server(default)] action: Option<String>,
    #[server(default)] since: Option<String>,
    #[server(default)] until: Option<String>,
    #[server(default)] page_size: Option<u64>,
    #[server(default)] cursor: Option<String>,
) -> Result<AuditPage, ErrorBody> {
    let query = crate::wire::audit::AuditListQuery {
        tenant_id,
        action,
        since,
        until,
        page_size,
        cursor,
    };
    crate::port::tenant()?.audit(query).await
}

/// Every tenant's footprint (instance administrators).
#[server(prefix = "/api", endpoint = "instance/tenants", input = GetUrl)]
pub async fn instance_tenants() -> Result<Vec<crate::wire::analytics::TenantUsage>, ErrorBody> {
    crate::port::tenant()?.instance_tenants().await
}

/// This instance's components, model and queue (instance administrators).
#[server(prefix = "/api", endpoint = "instance/health", input = GetUrl)]
pub async fn instance_health() -> Result<crate::wire::admin::InstanceHealth, ErrorBody> {
    crate::port::tenant()?.instance_health().await
}
