//! A tenant's retention: its policy, its rules (each type with its own condition fields,
//! [`conditions`]), runs dry and real, the messages a run touched, and restores.

// A rule's form sends every condition field of its type as an argument of its own (the macro
// also generates the browser's caller with them all).
#![allow(clippy::too_many_arguments)]

pub mod conditions;

use leptos::{prelude::*, server_fn::codec::GetUrl};

use crate::wire::{
    error::ErrorBody,
    retention::{RetentionPolicy, RetentionRule, RetentionRun, RetentionRunPage, RunMessages},
};

/// The policy in force (the server's defaults, disabled, until the tenant sets one).
#[server(prefix = "/api", endpoint = "retention/policy", input = GetUrl)]
pub async fn get_retention_policy(
    #[server(default)] tenant_id: Option<String>,
) -> Result<RetentionPolicy, ErrorBody> {
    crate::port::retention()?.retention_policy(tenant_id).await
}

/// Saves the policy as the form shows it: `enabled` is present when ticked; an empty
/// `max_items` removes the limit.
#[server(prefix = "/api", endpoint = "retention/policy/save")]
pub async fn save_retention_policy(
    #[server(default)] tenant_id: Option<String>,
    #[server(default)] enabled: Option<String>,
    max_age_days: String,
    importance_threshold: String,
    min_age_days: String,
    #[server(default)] max_items: String,
    delete_after_days: String,
) -> Result<RetentionPolicy, ErrorBody> {
    use serde_json::Value;
    // A form sends numbers as text; what is not one reaches the service as a value outside
    // its bounds (0 days, NaN, text), which it refuses naming the field.
    let days = |raw: &str| Some(raw.trim().parse::<i64>().unwrap_or(0));
    let max_items = match max_items.trim() {
        "" => Value::Null,
        n => n
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(n.to_owned())),
    };
    let change = crate::wire::retention::UpdateRetentionPolicy {
        enabled: Some(enabled.is_some()),
        max_age_days: days(&max_age_days),
        importance_threshold: Some(importance_threshold.trim().parse().unwrap_or(f64::NAN)),
        min_age_days: days(&min_age_days),
        max_items: Some(max_items),
        delete_after_days: days(&delete_after_days),
    };
    crate::port::retention()?
        .update_retention_policy(tenant_id, change)
        .await
}

/// The rules, in the order they run.
#[server(prefix = "/api", endpoint = "retention/rules", input = GetUrl)]
pub async fn retention_rules(
    #[server(default)] tenant_id: Option<String>,
) -> Result<Vec<RetentionRule>, ErrorBody> {
    crate::port::retention()?.retention_rules(tenant_id).await
}

/// Adds a rule (no `id`) or changes rule `id` (whose type stays: `rule_type` only says which
/// condition fields the form holds). Conditions come as their type's fields.
#[server(prefix = "/api", endpoint = "retention/rules/save")]
pub async fn save_retention_rule(
    #[server(default)] tenant_id: Option<String>,
    #[server(default)] id: Option<String>,
    name: String,
    #[server(default)] description: String,
    rule_type: String,
    action: String,
    #[server(default)] priority: String,
    #[server(default)] enabled: Option<String>,
    #[server(default)] days: String,
    #[server(default)] importance_threshold: String,
    #[server(default)] min_age_days: String,
    #[server(default)] max_items: String,
    #[server(default)] role: String,
    #[server(default)] min_importance: String,
    #[server(default)] max_importance: String,
    #[server(default)] max_age_days: String,
    #[server(default)] conversation_ids: String,
    #[server(default)] metadata: String,
) -> Result<RetentionRule, ErrorBody> {
    use crate::wire::retention::{CreateRetentionRule, UpdateRetentionRule};
    let fields = conditions::ConditionFields {
        days,
        importance_threshold,
        min_age_days,
        max_items,
        role,
        min_importance,
        max_importance,
        max_age_days,
        conversation_ids,
        metadata,
    };
    let conditions = fields.conditions(&rule_type);
    // Not a number: 0, which is outside the bounds the service states.
    let priority = match priority.trim() {
        "" => None,
        p => Some(p.parse::<i64>().unwrap_or(0)),
    };
    let description = Some(description.trim().to_owned()).filter(|d| !d.is_empty());
    let port = crate::port::retention()?;
    match id.filter(|i| !i.is_empty()) {
        None => {
            let rule = CreateRetentionRule {
                name,
                description,
                rule_type,
                conditions,
                action,
                priority,
                enabled: Some(enabled.is_some()),
            };
            port.create_retention_rule(tenant_id, rule).await
        }
        Some(id) => {
            let change = UpdateRetentionRule {
                name: Some(name),
                description,
                conditions: Some(conditions),
                action: Some(action),
                priority,
                enabled: Some(enabled.is_some()),
            };
            port.update_retention_rule(tenant_id, id, change).await
        }
    }
}

/// Turns rule `id` on or off.
#[server(prefix = "/api", endpoint = "retention/rules/enable")]
pub async fn enable_retention_rule(
    #[server(default)] tenant_id: Option<String>,
    id: String,
    enabled: bool,
) -> Result<RetentionRule, ErrorBody> {
    let change = crate::wire::retention::UpdateRetentionRule {
        enabled: Some(enabled),
        ..Default::default()
    };
    crate::port::retention()?
        .update_retention_rule(tenant_id, id, change)
        .await
}

/// Deletes rule `id`.
#[server(prefix = "/api", endpoint = "retention/rules/delete")]
pub async fn delete_retention_rule(
    #[server(default)] tenant_id: Option<String>,
    id: String,
) -> Result<(), ErrorBody> {
    crate::port::retention()?
        .delete_retention_rule(tenant_id, id)
        .await
}

/// Runs the enabled rules, then the policy if enabled — dry (`dry_run`), it changes nothing
/// and records what a real run would do now.
#[server(prefix = "/api", endpoint = "retention/run")]
pub async fn run_retention(
    #[server(default)] tenant_id: Option<String>,
    dry_run: bool,
) -> Result<RetentionRun, ErrorBody> {
    crate::port::retention()?
        .run_retention(tenant_id, dry_run)
        .await
}

/// The runs, newest first, a page at a time.
#[server(prefix = "/api", endpoint = "retention/runs", input = GetUrl)]
pub async fn retention_runs(
    #[server(default)] tenant_id: Option<String>,
    #[server(default)] cursor: Option<String>,
) -> Result<RetentionRunPage, ErrorBody> {
    crate::port::retention()?
        .retention_runs(tenant_id, cursor)
        .await
}

/// One run.
#[server(prefix = "/api", endpoint = "retention/runs/one", input = GetUrl)]
pub async fn get_retention_run(
    #[server(default)] tenant_id: Option<String>,
    id: String,
) -> Result<RetentionRun, ErrorBody> {
    crate::port::retention()?.retention_run(tenant_id, id).await
}

/// The messages run `id` sampled that still exist, per action.
#[server(prefix = "/api", endpoint = "retention/runs/messages", input = GetUrl)]
pub async fn list_run_messages(
    #[server(default)] tenant_id: Option<String>,
    id: String,
) -> Result<RunMessages, ErrorBody> {
    crate::port::retention()?.run_messages(tenant_id, id).await
}

/// Restores everything run `id` archived or moved to cold storage.
#[server(prefix = "/api", endpoint = "retention/runs/restore")]
pub async fn restore_retention_run(
    #[server(default)] tenant_id: Option<String>,
    id: String,
) -> Result<crate::wire::retention::RunRestored, ErrorBody> {
    crate::port::retention()?.restore_run(tenant_id, id).await
}
