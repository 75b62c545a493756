//! `search_stats`: per-minute search counts and latency histograms, one row per tenant, minute
//! and instance (appended once a minute by each instance, summed by analytics).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::StoreError;

/// One tenant's searches in one minute on one instance.
pub struct MinuteRow {
    pub tenant_id: String,
    pub minute: DateTime<Utc>,
    pub searches: u64,
    pub latency_buckets: Vec<u64>,
}

/// Appends `rows` of `instance` in one statement.
pub async fn append(
    db: &DatabaseConnection,
    instance: &str,
    rows: &[MinuteRow],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut values = Vec::with_capacity(rows.len() * 5);
    let placeholders: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let n = i * 5;
            values.extend([
                row.tenant_id.clone().into(),
                instance.into(),
                row.minute.into(),
                (row.searches as i64).into(),
                serde_json::to_string(&row.latency_buckets)
                    .unwrap_or_else(|_| "[]".into())
                    .into(),
            ]);
            format!(
                "(${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO search_stats (tenant_id, instance, minute, searches, latency_buckets) \
         VALUES {}",
        placeholders.join(", ")
    );
    db.execute_raw(crate::store::statement(
        db.get_database_backend(),
        &sql,
        values,
    ))
    .await?;
    Ok(())
}

/// The latency bucket lists of `tenant`'s rows since `since` (each list one minute of one
/// instance).
pub async fn since(
    db: &DatabaseConnection,
    tenant: &str,
    since: DateTime<Utc>,
) -> Result<Vec<Vec<u64>>, StoreError> {
    let rows = db
        .query_all_raw(crate::store::statement(
            db.get_database_backend(),
            "SELECT latency_buckets FROM search_stats WHERE tenant_id = $1 AND minute >= $2",
            [tenant.into(), since.into()],
        ))
        .await?;
    let mut lists = Vec::with_capacity(rows.len());
    for row in rows {
        let text: String = row.try_get("", "latency_buckets")?;
        // A row this server cannot read counts as nothing rather than failing the analytics.
        lists.push(serde_json::from_str(&text).unwrap_or_default());
    }
    Ok(lists)
}

/// Deletes rows older than `before`; returns how many.
pub async fn prune(db: &DatabaseConnection, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let result = db
        .execute_raw(crate::store::statement(
            db.get_database_backend(),
            "DELETE FROM search_stats WHERE minute < $1",
            [before.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}
