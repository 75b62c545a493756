//! `audit_log`: appending what happened, reading it back newest first by keyset, and pruning
//! entries past the kept period. Written in the change's own transaction where there is one,
//! so an acknowledged change always has its entry.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Value};
use uuid::Uuid;

use super::StoreError;

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// `None` for what belongs to no tenant (a failed login).
    pub tenant_id: Option<String>,
    pub actor_user_id: Option<Uuid>,
    /// Who acted: `user:<id>`, `key:<prefix>`, or `anonymous`.
    pub actor: String,
    pub action: &'static str,
    /// What it acted on (a key id, a user id, a tenant id).
    pub target: Option<String>,
    pub details: serde_json::Value,
}

/// A stored entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    pub tenant_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub details: String,
    pub at: DateTime<Utc>,
}

/// Appends `entry`, in `db` (a transaction, to go with its change).
pub async fn record(db: &impl ConnectionTrait, entry: NewEntry) -> Result<(), StoreError> {
    let values: Vec<Value> = vec![
        entry.tenant_id.into(),
        entry.actor_user_id.map(|u| u.to_string()).into(),
        entry.actor.into(),
        entry.action.into(),
        entry.target.into(),
        entry.details.to_string().into(),
        crate::store::now().into(),
    ];
    db.execute_raw(crate::store::statement(
        db.get_database_backend(),
        "INSERT INTO audit_log (tenant_id, actor_user_id, actor, action, target, details, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        values,
    ))
    .await?;
    Ok(())
}

/// Which entries to read.
pub struct Query<'a> {
    /// Only these tenants' entries; `None`: every entry (instance administrators).
    pub tenants: Option<&'a [String]>,
    pub action: Option<&'a str>,
    /// Entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub until: Option<DateTime<Utc>>,
    /// Keyset position: entries older than this id.
    pub before: Option<i64>,
    pub limit: u64,
}

/// Entries newest first.
pub async fn list(db: &DatabaseConnection, q: &Query<'_>) -> Result<Vec<Entry>, StoreError> {
    let mut values: Vec<Value> = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    if let Some(tenants) = q.tenants {
        if tenants.is_empty() {
            return Ok(Vec::new());
        }
        let first = values.len() + 1;
        values.extend(tenants.iter().map(|t| Value::from(t.as_str())));
        let list: Vec<String> = (first..first + tenants.len())
            .map(|i| format!("${i}"))
            .collect();
        conditions.push(format!("tenant_id IN ({})", list.join(", ")));
    }
    if let Some(action) = q.action {
        values.push(action.into());
        conditions.push(format!("action = ${}", values.len()));
    }
    if let Some(since) = q.since {
        values.push(since.into());
        conditions.push(format!("at >= ${}", values.len()));
    }
    if let Some(until) = q.until {
        values.push(until.into());
        conditions.push(format!("at < ${}", values.len()));
    }
    if let Some(before) = q.before {
        values.push(before.into());
        conditions.push(format!("id < ${}", values.len()));
    }
    values.push((q.limit as i64).into());
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {} ", conditions.join(" AND "))
    };
    let rows = db
        .query_all_raw(crate::store::statement(
            db.get_database_backend(),
            format!(
                "SELECT id, tenant_id, actor_user_id, actor, action, target, details, at \
                 FROM audit_log {filter}ORDER BY id DESC LIMIT ${}",
                values.len()
            ),
            values,
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Entry {
                id: r.try_get("", "id")?,
                tenant_id: r.try_get("", "tenant_id")?,
                actor_user_id: r.try_get("", "actor_user_id")?,
                actor: r.try_get("", "actor")?,
                action: r.try_get("", "action")?,
                target: r.try_get("", "target")?,
                details: r.try_get("", "details")?,
                at: r.try_get("", "at")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

/// Deletes entries older than `before`; returns how many.
pub async fn prune(db: &DatabaseConnection, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let done = db
        .execute_raw(crate::store::statement(
            db.get_database_backend(),
            "DELETE FROM audit_log WHERE at < $1",
            [before.into()],
        ))
        .await?;
    Ok(done.rows_affected())
}
