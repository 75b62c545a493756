//! The audit log: the entries use cases record (with their change, through the unit of work),
//! and who may read them — a tenant's admins its entries, instance administrators every entry,
//! including those of no tenant (failed logins, deleted tenants). API keys never.

use app::wire::audit::{AuditEntry, AuditListQuery, AuditPage};
use chrono::Utc;
use serde_json::Value;
use uuid::Uuid;

use super::{unit::Written, Access, Caller, Credential, Result, ServiceError, Services};
use crate::{
    domain::{cursor, parse_time},
    store::audit::{self as store, NewEntry, Query},
};

/// Entries per page unless asked otherwise, and at most.
pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 500;

/// Who a caller is in the log.
pub(super) fn actor(caller: &Caller) -> String {
    match &caller.credential {
        Credential::Session { .. } => format!("user:{}", caller.user_id),
        Credential::ApiKey { key_id, .. } => format!("key:{key_id}"),
    }
}

/// The entry for `caller` doing `action` to `target` in `tenant`, for a unit of work's
/// [`Written::audit`](super::unit::Written::audit).
pub fn entry(
    caller: &Caller,
    tenant: Option<&str>,
    action: &'static str,
    target: Option<String>,
    details: Value,
) -> NewEntry {
    NewEntry {
        tenant_id: tenant.map(str::to_owned),
        actor_user_id: Some(caller.user_id),
        actor: actor(caller),
        action,
        target,
        details,
    }
}

/// Records a failed login of an existing user (unknown accounts are not logged: anyone can
/// make those up). Never fails the request it belongs to.
pub async fn failed_login(svc: &Services, user: Uuid, reason: &'static str) {
    let entry = NewEntry {
        tenant_id: None,
        actor_user_id: None,
        actor: "anonymous".into(),
        action: "login.failed",
        target: Some(user.to_string()),
        details: serde_json::json!({ "reason": reason }),
    };
    let recorded = svc
        .write(async |_| Ok(Written::audited((), vec![entry])))
        .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "could not record a failed login");
    }
}

/// Deletes entries older than the kept period (`MEMORY_AUDIT_KEEP_DAYS`).
pub async fn prune(svc: &Services) -> Result<u64> {
    let keep = chrono::Duration::days(i64::from(svc.settings.audit_keep_days));
    let before = Utc::now() - keep;
    svc.upkeep(async |db| store::prune(db, before).await).await
}

/// Entries newest first: of `tenant_id` (its admins, or an instance administrator), or without
/// it of every tenant the caller administers (every entry, for an instance administrator).
pub async fn list(svc: &Services, caller: &Caller, q: AuditListQuery) -> Result<AuditPage> {
    caller.require_session("The audit log is read")?;
    let page_size = q.page_size.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&page_size) {
        return Err(ServiceError::invalid(
            "page_size",
            format!("must be 1 to {MAX_PAGE}"),
        ));
    }
    let before = q
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(cursor::not_issued)
        })
        .transpose()?;
    let tenants: Option<Vec<String>> = match (&q.tenant_id, caller.is_instance_admin) {
        (Some(t), true) => Some(vec![t.clone()]),
        (Some(t), false) => Some(vec![caller.authorise(Some(t), Access::Admin)?.tenant_id]),
        (None, true) => None,
        (None, false) => Some(caller.admin_tenants()),
    };
    let time = |raw: &Option<String>, field| raw.as_deref().map(|r| parse_time(r, field));
    let since = time(&q.since, "since").transpose()?;
    let until = time(&q.until, "until").transpose()?;
    let action = q.action.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let query = Query {
        tenants: tenants.as_deref(),
        action,
        since,
        until,
        before,
        limit: page_size + 1,
    };
    let mut rows = store::list(&svc.db, &query).await?;
    let more = rows.len() as u64 > page_size;
    rows.truncate(page_size as usize);
    let next_cursor = more
        .then(|| rows.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(AuditPage {
        entries: rows
            .into_iter()
            .map(|e| AuditEntry {
                id: e.id,
                tenant_id: e.tenant_id,
                actor: e.actor,
                actor_user_id: e.actor_user_id,
                action: e.action,
                target: e.target,
                details: serde_json::from_str(&e.details).unwrap_or(Value::Null),
                at: e.at.to_rfc3339(),
            })
            .collect(),
        next_cursor,
    })
}
