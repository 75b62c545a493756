//! Tenants: creating one with its first admin, reading them with their counts, renaming, and
//! deleting one with everything it holds.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryResult, Set,
};
use uuid::Uuid;

use super::{
    entities::{memberships, tenants},
    StoreError,
};
use crate::domain::MemberRole;

/// A tenant with its counts (members, conversations, messages).
pub struct TenantCounts {
    pub tenant: tenants::Model,
    pub members: i64,
    pub conversations: i64,
    pub messages: i64,
}

/// Creates tenant `id` named `name` with `admin` as its administrator; 409 if the id is taken.
pub async fn create_tenant(
    txn: &DatabaseTransaction,
    id: &str,
    name: &str,
    admin: Uuid,
) -> Result<(), StoreError> {
    if tenants::Entity::find_by_id(id).one(txn).await?.is_some() {
        return Err(taken());
    }
    // A racing creation that passed the check above breaks the primary key: also a 409.
    insert_with_admin(txn, id, name, admin, super::now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => taken(),
            other => other,
        })?;
    Ok(())
}

/// Inserts tenant `id` named `name` and `admin`'s admin membership of it, in `txn`; a taken
/// id is a [`StoreError::Conflict`].
pub(super) async fn insert_with_admin(
    txn: &DatabaseTransaction,
    id: &str,
    name: &str,
    admin: Uuid,
    now: DateTime<Utc>,
) -> Result<memberships::Model, StoreError> {
    tenants::ActiveModel {
        id: Set(id.to_owned()),
        name: Set(name.to_owned()),
        settings: Set(serde_json::json!({})),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    let membership = memberships::ActiveModel {
        tenant_id: Set(id.to_owned()),
        user_id: Set(admin),
        role: Set(MemberRole::Admin.as_str().into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(membership)
}

fn taken() -> StoreError {
    StoreError::Conflict("this tenant id is taken; choose another".into())
}

/// The counts of the tenant `t` in a `SELECT` (`members`, `conversations`, `messages`), as
/// correlated subqueries: joining members and conversations at once would multiply the rows
/// each count sees. Messages are counted from the conversations' exact counters.
pub(super) const COUNTS: &str = "\
    (SELECT COUNT(*) FROM memberships x WHERE x.tenant_id = t.id) AS members, \
    (SELECT COUNT(*) FROM conversations c WHERE c.tenant_id = t.id) AS conversations, \
    (SELECT CAST(COALESCE(SUM(c.message_count), 0) AS bigint) FROM conversations c \
        WHERE c.tenant_id = t.id) AS messages";

/// The tenants among `ids` with their counts, ordered by id.
pub async fn tenants_with_counts(
    db: &DatabaseConnection,
    ids: &[String],
) -> Result<Vec<TenantCounts>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT t.id, t.name, t.settings, t.created_at, t.updated_at, {COUNTS} \
         FROM tenants t WHERE t.id IN ({}) ORDER BY t.id",
        placeholders.join(", ")
    );
    let rows = db
        .query_all_raw(crate::store::statement(
            db.get_database_backend(),
            sql,
            ids.iter().map(|id| id.as_str().into()),
        ))
        .await?;
    rows.iter()
        .map(counts)
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

fn counts(r: &QueryResult) -> Result<TenantCounts, sea_orm::DbErr> {
    Ok(TenantCounts {
        tenant: tenants::Model {
            id: r.try_get("", "id")?,
            name: r.try_get("", "name")?,
            settings: r.try_get("", "settings")?,
            created_at: r.try_get("", "created_at")?,
            updated_at: r.try_get("", "updated_at")?,
        },
        members: r.try_get("", "members")?,
        conversations: r.try_get("", "conversations")?,
        messages: r.try_get("", "messages")?,
    })
}

/// Renames tenant `id`.
pub async fn rename_tenant(
    db: &impl ConnectionTrait,
    id: &str,
    name: &str,
) -> Result<(), StoreError> {
    let tenant = tenants::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { what: "tenant" })?;
    let mut active: tenants::ActiveModel = tenant.into();
    active.name = Set(name.to_owned());
    active.updated_at = Set(super::now());
    active.update(db).await?;
    Ok(())
}

/// The tables that hold a tenant's rows, children first. Most would follow the tenant by their
/// foreign keys' cascades; deleting each explicitly keeps the order (and the change log the
/// search indexes follow) independent of what the schema cascades.
const TENANT_TABLES: &[&str] = &[
    "idempotency_keys",
    "audit_log",
    "events",
    "embedding_jobs",
    "messages",
    // After `messages`: deleting those adds the counters' negative deltas.
    "tenant_stats",
    "tenant_daily",
    "conversations",
    "archived_messages",
    "retention_leases",
    "retention_runs",
    "retention_rules",
    "retention_policies",
    "search_stats",
    "api_keys",
    "memberships",
];

/// Deletes tenant `id` and every row of it, in `txn`.
pub async fn delete_tenant(txn: &DatabaseTransaction, id: &str) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    for table in TENANT_TABLES {
        txn.execute_raw(crate::store::statement(
            backend,
            format!("DELETE FROM {table} WHERE tenant_id = $1"),
            [id.into()],
        ))
        .await?;
    }
    let deleted = txn
        .execute_raw(crate::store::statement(
            backend,
            "DELETE FROM tenants WHERE id = $1",
            [id.into()],
        ))
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(StoreError::NotFound { what: "tenant" });
    }
    Ok(())
}

/// Whether tenant `id` exists.
pub async fn exists(db: &impl ConnectionTrait, id: &str) -> Result<bool, StoreError> {
    Ok(tenants::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .is_some())
}

/// Every tenant's id, in order.
pub async fn all_ids(db: &impl ConnectionTrait) -> Result<Vec<String>, StoreError> {
    use sea_orm::QueryOrder;
    Ok(tenants::Entity::find()
        .order_by_asc(tenants::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect())
}

/// The tenant `id`, if it exists.
pub async fn get(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<tenants::Model>, StoreError> {
    Ok(tenants::Entity::find_by_id(id.to_owned()).one(db).await?)
}
