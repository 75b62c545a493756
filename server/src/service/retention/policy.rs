//! A tenant's policy (the server's defaults until it sets its own) and its rules.

use app::wire::retention::{
    CreateRetentionRule, RetentionPolicy, RetentionRule, UpdateRetentionPolicy, UpdateRetentionRule,
};
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::super::{audit, unit::Written, Access, Caller, Result, ServiceError, Services};
use crate::{
    domain::{retention as rules, Invalid},
    store::{
        audit::NewEntry,
        entities::{retention_policies, retention_rules},
        retention::policies as store,
    },
};

/// The policy in force for `tenant`: its own, or the defaults.
pub async fn effective(svc: &Services, tenant: &str) -> Result<RetentionPolicy> {
    Ok(match store::policy(&svc.db, tenant).await? {
        Some(p) => view(p),
        None => {
            let d = &svc.settings.retention;
            RetentionPolicy {
                tenant_id: tenant.to_owned(),
                enabled: d.default_enabled,
                max_age_days: d.max_age_days,
                importance_threshold: d.importance_threshold,
                min_age_days: d.min_age_days,
                max_items: None,
                delete_after_days: d.delete_after_days,
                updated_at: None,
            }
        }
    })
}

fn view(p: retention_policies::Model) -> RetentionPolicy {
    RetentionPolicy {
        tenant_id: p.tenant_id,
        enabled: p.enabled,
        max_age_days: p.max_age_days as u32,
        importance_threshold: p.importance_threshold,
        min_age_days: p.min_age_days as u32,
        max_items: p.max_items.map(|n| n as u64),
        delete_after_days: p.delete_after_days as u32,
        updated_at: Some(p.updated_at.to_rfc3339()),
    }
}

pub async fn get(svc: &Services, caller: &Caller, tenant: Option<&str>) -> Result<RetentionPolicy> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    effective(svc, &t.tenant_id).await
}

/// Changes the given fields of the policy (tenant admins), recorded in the audit log.
pub async fn update(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    req: UpdateRetentionPolicy,
) -> Result<RetentionPolicy> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Admin)
        .await?;
    let mut p = effective(svc, &t.tenant_id).await?;
    apply(&mut p, req)?;
    let now = Utc::now().trunc_subsecs(6);
    let stored = stored(&t.tenant_id, &p, now, now);
    p.updated_at = Some(now.to_rfc3339());
    let details = serde_json::to_value(&p).unwrap_or(Value::Null);
    let tenant = Some(t.tenant_id.as_str());
    let entry = audit::entry(caller, tenant, "retention.policy_updated", None, details);
    svc.write(async |txn| {
        store::save_policy(txn, stored).await?;
        Ok(Written::audited(p, vec![entry]))
    })
    .await
}

/// Checks and applies the fields `req` changes to `p`.
pub(crate) fn apply(p: &mut RetentionPolicy, req: UpdateRetentionPolicy) -> Result<(), Invalid> {
    if let Some(e) = req.enabled {
        p.enabled = e;
    }
    if let Some(d) = req.max_age_days {
        p.max_age_days = rules::policy_days("max_age_days", d)?;
    }
    if let Some(d) = req.delete_after_days {
        p.delete_after_days = rules::policy_days("delete_after_days", d)?;
    }
    if let Some(d) = req.min_age_days {
        p.min_age_days = rules::policy_days("min_age_days", d)?;
    }
    if let Some(i) = req.importance_threshold {
        if !(0.0..=1.0).contains(&i) {
            return Err(Invalid::new(
                "importance_threshold",
                "must be a number in 0..1",
            ));
        }
        p.importance_threshold = i;
    }
    match req.max_items {
        None => {}
        Some(Value::Null) => p.max_items = None,
        Some(v) => {
            p.max_items = Some(
                v.as_u64()
                    .filter(|n| (1..=i32::MAX as u64).contains(n))
                    .ok_or_else(|| Invalid::new("max_items", "must be an integer ≥ 1, or null"))?,
            )
        }
    }
    Ok(())
}

/// `p` as the tenant's stored policy.
pub(crate) fn stored(
    tenant: &str,
    p: &RetentionPolicy,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> retention_policies::Model {
    retention_policies::Model {
        tenant_id: tenant.to_owned(),
        enabled: p.enabled,
        max_age_days: p.max_age_days as i32,
        importance_threshold: p.importance_threshold,
        min_age_days: p.min_age_days as i32,
        max_items: p.max_items.map(|n| n as i32),
        delete_after_days: p.delete_after_days as i32,
        created_at,
        updated_at,
    }
}

pub(crate) fn rule_view(r: retention_rules::Model) -> RetentionRule {
    RetentionRule {
        id: r.id.to_string(),
        tenant_id: r.tenant_id,
        name: r.name,
        description: r.description,
        rule_type: r.rule_type,
        conditions: r.conditions,
        action: r.action,
        priority: r.priority,
        enabled: r.enabled,
        last_applied_at: r.last_applied_at.map(|t| t.to_rfc3339()),
        last_applied: r.last_applied_at.map(|t| t.to_rfc3339()),
        created_at: r.created_at.to_rfc3339(),
        updated_at: r.updated_at.to_rfc3339(),
    }
}

fn rule_id(raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::not_found("retention rule"))
}

/// The tenant's rules in the order they run.
pub async fn list_rules(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    enabled_only: bool,
) -> Result<Vec<RetentionRule>> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let found = store::rules(&svc.db, &t.tenant_id, enabled_only).await?;
    Ok(found.into_iter().map(rule_view).collect())
}

pub async fn get_rule(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
) -> Result<RetentionRule> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    Ok(rule_view(
        store::rule(&svc.db, &t.tenant_id, rule_id(id)?).await?,
    ))
}

pub async fn create_rule(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    req: CreateRetentionRule,
) -> Result<RetentionRule> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Admin)
        .await?;
    let rule = new_rule(&t.tenant_id, req, Utc::now().trunc_subsecs(6))?;
    svc.write(async |txn| {
        let view = rule_view(store::insert_rule(txn, rule).await?);
        let entry = audit_rule(caller, &t.tenant_id, "retention.rule_created", &view);
        Ok(Written::audited(view, vec![entry]))
    })
    .await
}

/// A checked new rule of `tenant`, created at `now`.
pub(crate) fn new_rule(
    tenant: &str,
    req: CreateRetentionRule,
    now: DateTime<Utc>,
) -> Result<retention_rules::Model, Invalid> {
    let action = rules::Action::parse(&req.action)?;
    rules::selection(&req.rule_type, &req.conditions)?;
    Ok(retention_rules::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.to_owned(),
        name: rules::rule_name(&req.name)?,
        description: rules::rule_description(req.description)?,
        rule_type: req.rule_type,
        conditions: if req.conditions.is_null() {
            json!({})
        } else {
            req.conditions
        },
        action: action.as_str().to_owned(),
        priority: rules::rule_priority(req.priority)?,
        enabled: req.enabled.unwrap_or(true),
        last_applied_at: None,
        created_at: now,
        updated_at: now,
    })
}

/// The audit entry of a change to `rule`: the rule as it now is (or was, deleted).
fn audit_rule(
    caller: &Caller,
    tenant: &str,
    action: &'static str,
    rule: &RetentionRule,
) -> NewEntry {
    let details = serde_json::to_value(rule).unwrap_or(Value::Null);
    audit::entry(caller, Some(tenant), action, Some(rule.id.clone()), details)
}

/// Changes the given fields of a rule (its type stays; new conditions are checked against it).
pub async fn update_rule(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
    req: UpdateRetentionRule,
) -> Result<RetentionRule> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Admin)
        .await?;
    let id = rule_id(id)?;
    svc.write(async |txn| {
        let mut rule = store::rule(txn, &t.tenant_id, id).await?;
        if let Some(n) = req.name {
            rule.name = rules::rule_name(&n)?;
        }
        if req.description.is_some() {
            rule.description = rules::rule_description(req.description)?;
        }
        if let Some(c) = req.conditions {
            rules::selection(&rule.rule_type, &c)?;
            rule.conditions = c;
        }
        if let Some(a) = req.action {
            rule.action = rules::Action::parse(&a)?.as_str().to_owned();
        }
        if req.priority.is_some() {
            rule.priority = rules::rule_priority(req.priority)?;
        }
        if let Some(e) = req.enabled {
            rule.enabled = e;
        }
        rule.updated_at = Utc::now().trunc_subsecs(6);
        let view = rule_view(store::update_rule(txn, rule).await?);
        let entry = audit_rule(caller, &t.tenant_id, "retention.rule_updated", &view);
        Ok(Written::audited(view, vec![entry]))
    })
    .await
}

pub async fn delete_rule(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
) -> Result<()> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Admin)
        .await?;
    let id = rule_id(id)?;
    svc.write(async |txn| {
        let rule = store::rule(txn, &t.tenant_id, id).await?;
        store::delete_rule(txn, &t.tenant_id, rule.id).await?;
        let view = rule_view(rule);
        let entry = audit_rule(caller, &t.tenant_id, "retention.rule_deleted", &view);
        Ok(Written::audited((), vec![entry]))
    })
    .await
}
