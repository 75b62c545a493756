//! `retention_runs` (one per run, dry or real), `retention_run_items` (what a real run did to
//! which message, for restore) and `retention_leases` (one instance at a time per tenant).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Value,
};
use uuid::Uuid;

use crate::store::{entities::retention_runs as run, StoreError};

pub async fn insert(db: &impl ConnectionTrait, r: run::Model) -> Result<(), StoreError> {
    let active: run::ActiveModel = r.into();
    run::Entity::insert(active)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Stores a run's final counts, samples and finish time.
pub async fn finish(db: &impl ConnectionTrait, r: run::Model) -> Result<(), StoreError> {
    let mut active: run::ActiveModel = r.into();
    for c in [
        run::Column::RulesApplied,
        run::Column::MessagesArchived,
        run::Column::MessagesDeleted,
        run::Column::MessagesMovedToCold,
        run::Column::SampleIds,
        run::Column::FinishedAt,
        run::Column::Error,
    ] {
        active.reset(c);
    }
    active.update(db).await?;
    Ok(())
}

/// Run `id` of the tenant.
pub async fn get(
    db: &impl ConnectionTrait,
    tenant: &str,
    id: Uuid,
) -> Result<run::Model, StoreError> {
    run::Entity::find_by_id(id)
        .filter(run::Column::TenantId.eq(tenant))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            what: "retention run",
        })
}

/// The tenant's runs newest first (run ids are time-ordered), before `before` if given.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &str,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<run::Model>, StoreError> {
    let mut q = run::Entity::find().filter(run::Column::TenantId.eq(tenant));
    if let Some(b) = before {
        q = q.filter(run::Column::Id.lt(b));
    }
    Ok(q.order_by_desc(run::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// When the tenant's newest scheduled run started.
pub async fn last_scheduled(
    db: &impl ConnectionTrait,
    tenant: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(run::Entity::find()
        .filter(run::Column::TenantId.eq(tenant))
        .filter(run::Column::RunTrigger.eq("scheduled"))
        .order_by_desc(run::Column::Id)
        .one(db)
        .await?
        .map(|r| r.started_at))
}

/// Records that run `run` of `tenant` did `action` (`archive`, `cold`, `delete`) to `ids`.
pub async fn add_items(
    db: &impl ConnectionTrait,
    tenant: &str,
    run: Uuid,
    action: &str,
    ids: &[Uuid],
) -> Result<(), StoreError> {
    for chunk in ids.chunks(500) {
        let mut values: Vec<Value> = vec![run.into(), action.into(), tenant.into()];
        let rows: Vec<String> = chunk
            .iter()
            .map(|id| {
                values.push((*id).into());
                format!("($1, ${}, $2, $3)", values.len())
            })
            .collect();
        db.execute_raw(crate::store::statement(
            db.get_database_backend(),
            format!(
                "INSERT INTO retention_run_items (run_id, message_id, action, tenant_id) \
                 VALUES {} ON CONFLICT DO NOTHING",
                rows.join(", ")
            ),
            values,
        ))
        .await?;
    }
    Ok(())
}

/// The messages run `run` archived or moved to cold storage.
pub async fn restorable(db: &impl ConnectionTrait, run: Uuid) -> Result<Vec<Uuid>, StoreError> {
    let rows = db
        .query_all_raw(crate::store::statement(
            db.get_database_backend(),
            "SELECT message_id FROM retention_run_items \
             WHERE run_id = $1 AND action IN ('archive', 'cold') ORDER BY message_id",
            [run.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get_by_index::<Uuid>(0).map_err(StoreError::from))
        .collect()
}

/// Marks run `id` as restored, adding `count` restored messages.
pub async fn mark_restored(
    db: &impl ConnectionTrait,
    r: run::Model,
    count: u64,
    at: DateTime<Utc>,
) -> Result<run::Model, StoreError> {
    let total = r.messages_restored + count as i64;
    let mut active: run::ActiveModel = r.into();
    active.restored_at = Set(Some(at));
    active.messages_restored = Set(total);
    Ok(active.update(db).await?)
}

/// How long a lease lasts without renewal; a run renews it with every batch.
pub const LEASE: Duration = Duration::minutes(5);

/// Takes the tenant's retention lease for `holder` unless another holds it unexpired; true
/// when taken. Two instances racing both insert: the primary key lets one through.
pub async fn take_lease(
    db: &sea_orm::DatabaseConnection,
    tenant: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let txn = crate::store::begin_write(db).await?;
    let backend = txn.get_database_backend();
    txn.execute_raw(crate::store::statement(
        backend,
        "DELETE FROM retention_leases WHERE tenant_id = $1 AND expires_at < $2",
        [tenant.into(), now.into()],
    ))
    .await?;
    let taken = txn
        .execute_raw(crate::store::statement(
            backend,
            "INSERT INTO retention_leases (tenant_id, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO NOTHING",
            [tenant.into(), holder.into(), (now + LEASE).into()],
        ))
        .await?
        .rows_affected()
        == 1;
    crate::store::commit(txn).await?;
    Ok(taken)
}

/// Extends `holder`'s lease, in the batch's transaction; false when it was lost (expired and
/// taken by another), and the run must stop.
pub async fn renew_lease(
    db: &impl ConnectionTrait,
    tenant: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(db
        .execute_raw(crate::store::statement(
            db.get_database_backend(),
            "UPDATE retention_leases SET expires_at = $3 WHERE tenant_id = $1 AND holder = $2",
            [tenant.into(), holder.into(), (now + LEASE).into()],
        ))
        .await?
        .rows_affected()
        == 1)
}

pub async fn release_lease(
    db: &impl ConnectionTrait,
    tenant: &str,
    holder: &str,
) -> Result<(), StoreError> {
    db.execute_raw(crate::store::statement(
        db.get_database_backend(),
        "DELETE FROM retention_leases WHERE tenant_id = $1 AND holder = $2",
        [tenant.into(), holder.into()],
    ))
    .await?;
    Ok(())
}
