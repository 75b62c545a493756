//! A tenant's members: tenant admins manage who belongs and with which role. Every use case
//! resolves the tenant through the caller's credential first, so a non-member gets the same
//! 403 whether the tenant exists or not, and a foreign user id is not found.

use app::wire::auth::{AddMemberRequest, MemberResponse, UpdateMemberRequest};
use serde_json::json;
use uuid::Uuid;

use super::{audit, unit::Written, Access, Caller, Result, ServiceError, Services, TenantContext};
use crate::{
    domain::{Invalid, MemberRole},
    live::access::AccessChange,
    store::{accounts, entities},
};

fn view(m: entities::memberships::Model, u: entities::users::Model) -> MemberResponse {
    MemberResponse {
        user_id: u.id.to_string(),
        email: u.email,
        username: u.username,
        role: m.role,
        joined_at: m.created_at.to_rfc3339(),
    }
}

/// The tenant's members, for any of them (only admins change them); API keys, which act for
/// applications, do not see who the people are.
pub async fn list(svc: &Services, caller: &Caller, tenant: &str) -> Result<Vec<MemberResponse>> {
    caller.require_session("Members are listed")?;
    let tenant = caller
        .authorise_and_charge(svc, Some(tenant), Access::Read)
        .await?;
    let members = accounts::list_members(&svc.db, &tenant.tenant_id).await?;
    Ok(members.into_iter().map(|(m, u)| view(m, u)).collect())
}

/// Adds a registered user, named by email, username or id (`user`, tried in that order) or by
/// id (`user_id`).
pub async fn add(
    svc: &Services,
    caller: &Caller,
    tenant: &str,
    req: AddMemberRequest,
) -> Result<MemberResponse> {
    let tenant = caller
        .authorise_and_charge(svc, Some(tenant), Access::Admin)
        .await?;
    let role = MemberRole::parse(&req.role)?;
    let no_such_user = || ServiceError::not_found("user");
    let user = match (req.user.as_deref(), req.user_id.as_deref()) {
        (Some(name), _) => {
            let name = name.trim();
            match accounts::user_by_email_or_username(&svc.db, name).await? {
                Some(user) => Some(user),
                None => match Uuid::parse_str(name) {
                    Ok(id) => accounts::user_by_id(&svc.db, id).await?,
                    Err(_) => None,
                },
            }
        }
        (None, Some(id)) => match Uuid::parse_str(id.trim()) {
            Ok(id) => accounts::user_by_id(&svc.db, id).await?,
            Err(_) => return Err(no_such_user()),
        },
        (None, None) => {
            return Err(
                Invalid::new("user", "(an email or username) or user_id is required").into(),
            )
        }
    }
    .ok_or_else(no_such_user)?;
    let (details, target) = (json!({"role": role.as_str()}), Some(user.id.to_string()));
    let entry = audit::entry(
        caller,
        Some(&tenant.tenant_id),
        "member.added",
        target,
        details,
    );
    let membership = svc
        .write(async |txn| {
            let membership = accounts::add_member(txn, &tenant.tenant_id, user.id, role).await?;
            Ok(Written::audited(membership, vec![entry]))
        })
        .await?;
    Ok(view(membership, user))
}

fn member_id(raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::not_found("member"))
}

/// Changes a member's role; a tenant always keeps an admin.
pub async fn update(
    svc: &Services,
    caller: &Caller,
    tenant: &str,
    user_id: &str,
    req: UpdateMemberRequest,
) -> Result<()> {
    let tenant = caller
        .authorise_and_charge(svc, Some(tenant), Access::Admin)
        .await?;
    let role = MemberRole::parse(&req.role)?;
    let user_id = member_id(user_id)?;
    let change = Some(role);
    let details = json!({"role": role.as_str()});
    change_member(
        svc,
        caller,
        &tenant,
        user_id,
        change,
        "member.role_changed",
        details,
    )
    .await
}

/// Removes a member; their keys for the tenant stop working with the membership.
pub async fn remove(svc: &Services, caller: &Caller, tenant: &str, user_id: &str) -> Result<()> {
    let tenant = caller
        .authorise_and_charge(svc, Some(tenant), Access::Admin)
        .await?;
    let user_id = member_id(user_id)?;
    change_member(
        svc,
        caller,
        &tenant,
        user_id,
        None,
        "member.removed",
        json!({}),
    )
    .await
}

/// Gives member `user_id` of `tenant` the role `to`, or with `None` removes them, audited as
/// `action`; a tenant always keeps an admin.
async fn change_member(
    svc: &Services,
    caller: &Caller,
    tenant: &TenantContext,
    user_id: Uuid,
    to: Option<MemberRole>,
    action: &'static str,
    details: serde_json::Value,
) -> Result<()> {
    let target = Some(user_id.to_string());
    let entry = audit::entry(caller, Some(&tenant.tenant_id), action, target, details);
    svc.write(async |txn| {
        accounts::change_member(txn, &tenant.tenant_id, user_id, to).await?;
        Ok(Written::audited((), vec![entry]).narrowing([AccessChange::User(user_id)]))
    })
    .await
}
