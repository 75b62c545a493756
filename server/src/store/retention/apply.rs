//! What a run (or one message's archive and restore) changes, for a batch of ids in the
//! caller's transaction. Each statement re-checks the state it changes (only live messages are
//! archived, only warm ones moved to cold), so a batch that races another change or is
//! repeated does nothing twice; each returns the messages it changed, as they are now.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use uuid::Uuid;

use crate::store::{entities::messages, jobs, StoreError};

/// `UPDATE messages SET {set} WHERE tenant_id = $1 AND {guard} AND id IN (ids)`, returning the
/// rows it changed as they are now; `$2` is `now` and `$3`, when given, `reason`.
async fn change(
    db: &impl ConnectionTrait,
    tenant: &str,
    ids: &[Uuid],
    now: DateTime<Utc>,
    reason: Option<&str>,
    set: &str,
    guard: &str,
) -> Result<Vec<messages::Model>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<Value> = vec![tenant.into(), now.into()];
    values.extend(reason.map(Value::from));
    let first = values.len() + 1;
    let list: Vec<String> = (first..first + ids.len())
        .map(|i| format!("${i}"))
        .collect();
    values.extend(ids.iter().map(|id| Value::from(*id)));
    let sql = format!(
        "UPDATE messages SET {set}, updated_at = $2 WHERE tenant_id = $1 AND {guard} \
         AND id IN ({}) RETURNING {}",
        list.join(", "),
        messages::COLUMNS
    );
    db.query_all_raw(crate::store::statement(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await?
    .iter()
    .map(|row| messages::Model::from_query_result(row, "").map_err(StoreError::from))
    .collect()
}

/// Archives the live messages among `ids` with `reason`.
pub async fn archive(
    db: &impl ConnectionTrait,
    tenant: &str,
    ids: &[Uuid],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<messages::Model>, StoreError> {
    let set = "archived = TRUE, archived_at = $2, archive_reason = $3";
    change(db, tenant, ids, now, Some(reason), set, "archived = FALSE").await
}

/// Moves the messages among `ids` not yet in cold storage there: archived (keeping an earlier
/// archive time), without a vector, without a pending embedding job.
pub async fn move_to_cold(
    db: &impl ConnectionTrait,
    tenant: &str,
    ids: &[Uuid],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<messages::Model>, StoreError> {
    let set = "archived = TRUE, archived_at = COALESCE(archived_at, $2), archive_reason = $3, \
               cold = TRUE, embedding = NULL, embedding_status = 'pending'";
    let moved = change(db, tenant, ids, now, Some(reason), set, "cold = FALSE").await?;
    drop_jobs(db, &moved).await?;
    Ok(moved)
}

async fn drop_jobs(db: &impl ConnectionTrait, of: &[messages::Model]) -> Result<(), StoreError> {
    if of.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = of.iter().map(|m| m.id).collect();
    let (list, values) = crate::store::id_params(&ids);
    db.execute_raw(crate::store::statement(
        db.get_database_backend(),
        format!("DELETE FROM embedding_jobs WHERE message_id IN ({list})"),
        values,
    ))
    .await?;
    Ok(())
}

/// Restores the archived messages among `ids`; those that were in cold storage get their
/// embedding job back (their vector is computed again).
pub async fn restore(
    db: &impl ConnectionTrait,
    tenant: &str,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<messages::Model>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let cold = crate::store::messages::messages_by_ids(db, tenant, ids)
        .await?
        .into_iter()
        .filter(|m| m.cold)
        .map(|m| m.id)
        .collect::<std::collections::HashSet<_>>();
    let set = "archived = FALSE, archived_at = NULL, archive_reason = NULL, cold = FALSE";
    let restored = change(db, tenant, ids, now, None, set, "archived = TRUE").await?;
    let warm_again: Vec<(Uuid, &str)> = restored
        .iter()
        .filter(|m| cold.contains(&m.id))
        .map(|m| (m.id, tenant))
        .collect();
    if !warm_again.is_empty() {
        let mut values = Vec::new();
        let sql = jobs::enqueue_sql(&warm_again, now, &mut values);
        db.execute_raw(crate::store::statement(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    }
    Ok(restored)
}
