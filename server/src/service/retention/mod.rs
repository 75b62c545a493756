//! Retention as use cases: a tenant's policy and rules ([`policy`] — read by any member or key,
//! changed by its admins, each change in the audit log), runs — planned, dry or real, recorded,
//! restorable ([`runs`], carried out by [`execution`]) — and one message's archive and restore ([`archive`]).
//!
//! Who may: tenant admins change policy and rules and run for real; every member and key reads
//! them and dry-runs; a write key may also execute for real (not change policy or rules, nor
//! use the admin route).

pub mod archive;
pub mod execution;
pub mod plan;
pub mod policy;
pub mod runs;
pub mod scheduler;

use super::{Access, Caller, Credential, Result, ServiceError, Services, TenantContext};
use crate::domain::{KeyScope, MemberRole};

/// The tenant in which `caller` may run retention for real (an admin's login or a write key).
pub(super) async fn executing_tenant(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
) -> Result<TenantContext> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let allowed = match &caller.credential {
        Credential::Session { .. } => t.role == MemberRole::Admin,
        Credential::ApiKey { scope, .. } => *scope == KeyScope::Write && t.role.may_write(),
    };
    if !allowed {
        return Err(ServiceError::Forbidden(format!(
            "Retention runs for real in tenant '{}' with an administrator's login or a write \
             key; anyone may dry-run (dry_run=true).",
            t.tenant_id
        )));
    }
    Ok(t)
}
