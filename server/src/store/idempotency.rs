//! The first answers of idempotent writes (`idempotency_keys`), per tenant and key.
//!
//! An answer is recorded in the transaction of the write it answers; a key already recorded
//! inside the kept period makes [`record`] report `false`, so the caller rolls its own write
//! back and reads the recorded answer instead. On PostgreSQL a second writer's insert waits
//! for the first writer's transaction and then sees its row; SQLite has one writer at a time.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::StoreError;

/// A recorded answer.
pub struct Recorded {
    /// What tells the request it answered from another one under the same key.
    pub fingerprint: String,
    /// The answer's body (JSON).
    pub response: String,
}

/// An answer to record: `response` answered `fingerprint`'s request under `key` in `tenant`;
/// an answer under the same key recorded before `kept_since` has expired and is replaced.
pub struct Answer {
    pub tenant_id: String,
    pub key: String,
    pub fingerprint: String,
    pub response: String,
    pub kept_since: DateTime<Utc>,
}

/// The answer recorded for `key` in `tenant` since `since`, if any.
pub async fn find(
    db: &impl ConnectionTrait,
    tenant: &str,
    key: &str,
    since: DateTime<Utc>,
) -> Result<Option<Recorded>, StoreError> {
    let row = db
        .query_one_raw(crate::store::statement(
            db.get_database_backend(),
            "SELECT fingerprint, response FROM idempotency_keys \
             WHERE tenant_id = $1 AND idempotency_key = $2 AND created_at >= $3",
            [tenant.into(), key.into(), since.into()],
        ))
        .await?;
    row.map(|row| {
        Ok(Recorded {
            fingerprint: row.try_get("", "fingerprint")?,
            response: row.try_get("", "response")?,
        })
    })
    .transpose()
}

/// Records `answer`, unless its key holds an answer that has not expired: returns whether it
/// was recorded.
pub async fn record(db: &impl ConnectionTrait, answer: &Answer) -> Result<bool, StoreError> {
    let result = db
        .execute_raw(crate::store::statement(
            db.get_database_backend(),
            "INSERT INTO idempotency_keys \
             (tenant_id, idempotency_key, fingerprint, response, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, idempotency_key) DO UPDATE SET \
             fingerprint = excluded.fingerprint, response = excluded.response, \
             created_at = excluded.created_at WHERE idempotency_keys.created_at < $6",
            [
                answer.tenant_id.as_str().into(),
                answer.key.as_str().into(),
                answer.fingerprint.as_str().into(),
                answer.response.as_str().into(),
                super::now().into(),
                answer.kept_since.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes answers recorded before `before`; returns how many.
pub async fn prune(db: &DatabaseConnection, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let result = db
        .execute_raw(crate::store::statement(
            db.get_database_backend(),
            "DELETE FROM idempotency_keys WHERE created_at < $1",
            [before.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}
