//! `retention_policies` and `retention_rules`: read, written, listed by priority.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::OnConflict, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::store::{
    entities::{retention_policies as policy, retention_rules as rule},
    StoreError,
};

/// The tenant's own policy, if it set one.
pub async fn policy(
    db: &impl ConnectionTrait,
    tenant: &str,
) -> Result<Option<policy::Model>, StoreError> {
    Ok(policy::Entity::find_by_id(tenant.to_owned())
        .one(db)
        .await?)
}

/// Writes the tenant's whole policy (created on first write).
pub async fn save_policy(db: &impl ConnectionTrait, p: policy::Model) -> Result<(), StoreError> {
    let active: policy::ActiveModel = p.into();
    policy::Entity::insert(active)
        .on_conflict(
            OnConflict::column(policy::Column::TenantId)
                .update_columns([
                    policy::Column::Enabled,
                    policy::Column::MaxAgeDays,
                    policy::Column::ImportanceThreshold,
                    policy::Column::MinAgeDays,
                    policy::Column::MaxItems,
                    policy::Column::DeleteAfterDays,
                    policy::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Tenants whose retention may run by itself: an enabled policy or an enabled rule.
pub async fn scheduled_tenants(db: &impl ConnectionTrait) -> Result<Vec<String>, StoreError> {
    let mut tenants: Vec<String> = policy::Entity::find()
        .filter(policy::Column::Enabled.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.tenant_id)
        .collect();
    tenants.extend(
        rule::Entity::find()
            .filter(rule::Column::Enabled.eq(true))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.tenant_id),
    );
    tenants.sort();
    tenants.dedup();
    Ok(tenants)
}

/// The tenant's rules, in the order they run (priority, then oldest first).
pub async fn rules(
    db: &impl ConnectionTrait,
    tenant: &str,
    enabled_only: bool,
) -> Result<Vec<rule::Model>, StoreError> {
    let mut q = rule::Entity::find().filter(rule::Column::TenantId.eq(tenant));
    if enabled_only {
        q = q.filter(rule::Column::Enabled.eq(true));
    }
    Ok(q.order_by_asc(rule::Column::Priority)
        .order_by_asc(rule::Column::CreatedAt)
        .order_by_asc(rule::Column::Id)
        .all(db)
        .await?)
}

/// Every tenant's enabled rules.
pub async fn all_enabled_rules(db: &impl ConnectionTrait) -> Result<Vec<rule::Model>, StoreError> {
    Ok(rule::Entity::find()
        .filter(rule::Column::Enabled.eq(true))
        .order_by_asc(rule::Column::TenantId)
        .order_by_asc(rule::Column::Priority)
        .all(db)
        .await?)
}

/// Rule `id` of the tenant; another tenant's is not found.
pub async fn rule(
    db: &impl ConnectionTrait,
    tenant: &str,
    id: Uuid,
) -> Result<rule::Model, StoreError> {
    rule::Entity::find_by_id(id)
        .filter(rule::Column::TenantId.eq(tenant))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            what: "retention rule",
        })
}

pub async fn insert_rule(
    db: &impl ConnectionTrait,
    r: rule::Model,
) -> Result<rule::Model, StoreError> {
    let active: rule::ActiveModel = r.into();
    Ok(active.insert(db).await?)
}

pub async fn update_rule(
    db: &impl ConnectionTrait,
    r: rule::Model,
) -> Result<rule::Model, StoreError> {
    let mut active: rule::ActiveModel = r.into();
    for c in [
        rule::Column::Name,
        rule::Column::Description,
        rule::Column::Conditions,
        rule::Column::Action,
        rule::Column::Priority,
        rule::Column::Enabled,
        rule::Column::LastAppliedAt,
        rule::Column::UpdatedAt,
    ] {
        active.reset(c);
    }
    Ok(active.update(db).await?)
}

pub async fn delete_rule(
    db: &impl ConnectionTrait,
    tenant: &str,
    id: Uuid,
) -> Result<(), StoreError> {
    let done = rule::Entity::delete_many()
        .filter(rule::Column::Id.eq(id))
        .filter(rule::Column::TenantId.eq(tenant))
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Err(StoreError::NotFound {
            what: "retention rule",
        });
    }
    Ok(())
}

/// Marks rules as applied by a real run at `at`.
pub async fn mark_applied(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    rule::Entity::update_many()
        .col_expr(
            rule::Column::LastAppliedAt,
            sea_orm::sea_query::Expr::value(at),
        )
        .filter(rule::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}
