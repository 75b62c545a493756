//! Cross-tenant usage figures for instance administrators. Read-only; every count comes from
//! indexed columns or the conversations' exact counters, so the view stays cheap at scale.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::StoreError;

/// One tenant's counts.
pub struct TenantUsage {
    pub tenant_id: String,
    pub name: String,
    pub members: i64,
    pub total_messages: i64,
    pub total_conversations: i64,
    pub pending_embeddings: i64,
    pub last_activity: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Every tenant, ordered by id.
pub async fn tenant_usage(db: &DatabaseConnection) -> Result<Vec<TenantUsage>, StoreError> {
    // Aggregates in correlated subqueries rather than joins (see `tenants::COUNTS`).
    let sql = format!(
        "SELECT t.id, t.name, t.created_at, {}, \
         (SELECT COUNT(*) FROM embedding_jobs j WHERE j.tenant_id = t.id) AS pending_embeddings, \
         (SELECT MAX(c.last_message_at) FROM conversations c WHERE c.tenant_id = t.id) \
            AS last_activity \
         FROM tenants t ORDER BY t.id",
        super::tenants::COUNTS
    );
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(TenantUsage {
                tenant_id: r.try_get("", "id")?,
                name: r.try_get("", "name")?,
                members: r.try_get("", "members")?,
                total_messages: r.try_get("", "messages")?,
                total_conversations: r.try_get("", "conversations")?,
                pending_embeddings: r.try_get("", "pending_embeddings")?,
                last_activity: r.try_get("", "last_activity")?,
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

/// One tenant's message figures, from one pass over its rows.
pub struct MessageFigures {
    pub total: i64,
    pub archived: i64,
    pub cold: i64,
    pub today: i64,
    pub week: i64,
    pub month: i64,
    pub avg_importance: Option<f64>,
    pub vectors: i64,
    pub completed: i64,
    pub pending: i64,
    pub failed: i64,
    pub text_bytes: i64,
    pub conversations: i64,
    pub archived_conversations: i64,
}

/// The tenant's figures; `today` is the current UTC day: "today" counts its messages, "week"
/// the last 7 days' including it, "month" the last 30 days'.
pub async fn message_figures(
    db: &impl ConnectionTrait,
    tenant: &str,
    today: NaiveDate,
) -> Result<MessageFigures, StoreError> {
    let backend = db.get_database_backend();
    // The counters the triggers of migration 14 keep: the totals a sum over few delta rows,
    // the periods over the per-day rows (a few per day and role, however many messages); the
    // conversations from their index.
    let sum = |column: &str| format!("CAST(COALESCE(SUM({column}), 0) AS bigint) AS {column}");
    let recent = |p: &str| {
        format!(
            "(SELECT CAST(COALESCE(SUM(d.messages), 0) AS bigint) FROM tenant_daily d \
             WHERE d.tenant_id = $1 AND d.day >= {p})"
        )
    };
    let day = |back: i64| {
        (today - chrono::Duration::days(back))
            .format("%Y-%m-%d")
            .to_string()
    };
    let sql = format!(
        "SELECT {}, {}, {}, {}, {}, {}, {}, {}, \
         CAST(COALESCE(SUM(importance_sum), 0) AS double precision) AS importance_sum, \
         {} AS today, {} AS week, {} AS month, \
         (SELECT COUNT(*) FROM conversations c WHERE c.tenant_id = $1) AS conversations, \
         (SELECT CAST(COALESCE(SUM(CASE WHEN c.archived THEN 1 ELSE 0 END), 0) AS bigint) \
          FROM conversations c WHERE c.tenant_id = $1) AS archived_conversations \
         FROM tenant_stats WHERE tenant_id = $1",
        sum("messages"),
        sum("archived"),
        sum("cold"),
        sum("vectors"),
        sum("completed"),
        sum("pending"),
        sum("failed"),
        sum("text_bytes"),
        recent("$2"),
        recent("$3"),
        recent("$4"),
    );
    let row = db
        .query_one_raw(crate::store::statement(
            backend,
            sql,
            [tenant.into(), day(0).into(), day(6).into(), day(29).into()],
        ))
        .await?
        .ok_or(StoreError::NotFound { what: "tenant" })?;
    let get = |c: &str| row.try_get::<i64>("", c);
    let total = get("messages")?;
    let importance_sum: f64 = row.try_get("", "importance_sum")?;
    Ok(MessageFigures {
        total,
        archived: get("archived")?,
        cold: get("cold")?,
        today: get("today")?,
        week: get("week")?,
        month: get("month")?,
        avg_importance: (total > 0).then(|| importance_sum / total as f64),
        vectors: get("vectors")?,
        completed: get("completed")?,
        pending: get("pending")?,
        failed: get("failed")?,
        text_bytes: get("text_bytes")?,
        conversations: get("conversations")?,
        archived_conversations: get("archived_conversations")?,
    })
}

/// Messages per UTC day and role since `since`: `(YYYY-MM-DD, role, count)`.
pub async fn daily_counts(
    db: &impl ConnectionTrait,
    tenant: &str,
    since: DateTime<Utc>,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    // The per-day counters of migration 14 (`YYYY-MM-DD`, UTC).
    let rows = db
        .query_all_raw(crate::store::statement(
            db.get_database_backend(),
            "SELECT day, role, CAST(SUM(messages) AS bigint) AS n FROM tenant_daily \
             WHERE tenant_id = $1 AND day >= $2 GROUP BY day, role HAVING SUM(messages) <> 0",
            [tenant.into(), since.format("%Y-%m-%d").to_string().into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "day")?,
                r.try_get("", "role")?,
                r.try_get("", "n")?,
            ))
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

/// A conversation's activity.
pub struct ConversationActivity {
    pub id: String,
    pub message_count: i64,
    pub last_message_at: Option<DateTime<Utc>>,
    pub avg_importance: Option<f64>,
}

/// The tenant's `limit` most recently active conversations, those without messages last.
pub async fn top_conversations(
    db: &impl ConnectionTrait,
    tenant: &str,
    limit: u64,
) -> Result<Vec<ConversationActivity>, StoreError> {
    let rows = db
        .query_all_raw(crate::store::statement(
            db.get_database_backend(),
            // `importance_sum` is kept by the triggers of migration 14.
            "SELECT c.id, c.message_count, c.last_message_at, \
             CASE WHEN c.message_count > 0 \
               THEN CAST(c.importance_sum AS double precision) / c.message_count END \
               AS avg_importance \
             FROM conversations c WHERE c.tenant_id = $1 \
             ORDER BY CASE WHEN c.last_message_at IS NULL THEN 1 ELSE 0 END, \
               c.last_message_at DESC, c.id LIMIT $2",
            [tenant.into(), (limit as i64).into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ConversationActivity {
                id: r.try_get("", "id")?,
                message_count: r.try_get("", "message_count")?,
                last_message_at: r.try_get("", "last_message_at")?,
                avg_importance: r.try_get("", "avg_importance")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

/// How far [`fold_counters`] has folded each counter table (ids below are folded or were
/// visible when it last ran).
#[derive(Debug, Default, Clone, Copy)]
pub struct Folded {
    stats: i64,
    daily: i64,
}

/// Folds the counter deltas of every tenant written to since `folded` into one row per tenant
/// (and per day and role), dropping days that sum to zero. Deltas of transactions still open
/// are invisible here and stay as they are, counted once; on PostgreSQL an advisory lock keeps
/// two instances from folding the same rows.
pub async fn fold_counters(db: &DatabaseConnection, folded: Folded) -> Result<Folded, StoreError> {
    let txn = super::begin_write(db).await?;
    let backend = db.get_database_backend();
    if backend == sea_orm::DbBackend::Postgres {
        txn.execute_raw(Statement::from_string(
            backend,
            "SELECT pg_advisory_xact_lock(7422001)",
        ))
        .await?;
    }
    let top = |table: &str| format!("SELECT COALESCE(MAX(id), 0) AS top FROM {table}");
    let mut next = folded;
    for (table, columns, groups, since, into) in [
        (
            "tenant_stats",
            "messages, archived, cold, vectors, completed, pending, failed, text_bytes, \
             importance_sum",
            "tenant_id",
            folded.stats,
            &mut next.stats,
        ),
        (
            "tenant_daily",
            "messages",
            "tenant_id, day, role",
            folded.daily,
            &mut next.daily,
        ),
    ] {
        let row = txn
            .query_one_raw(Statement::from_string(backend, top(table)))
            .await?;
        let up_to: i64 = row.map(|r| r.try_get("", "top")).transpose()?.unwrap_or(0);
        if up_to <= since {
            continue;
        }
        let touched = format!(
            "tenant_id IN (SELECT DISTINCT tenant_id FROM {table} WHERE id > $1 AND id <= $2) \
             AND id <= $2"
        );
        let sums: Vec<String> = columns.split(", ").map(|c| format!("SUM({c})")).collect();
        let keep = if table == "tenant_daily" {
            " HAVING SUM(messages) <> 0"
        } else {
            ""
        };
        let values = || [since.into(), up_to.into()];
        txn.execute_raw(crate::store::statement(
            backend,
            format!(
                "INSERT INTO {table} ({groups}, {columns}) SELECT {groups}, {} FROM {table} \
                 WHERE {touched} GROUP BY {groups}{keep}",
                sums.join(", ")
            ),
            values(),
        ))
        .await?;
        txn.execute_raw(crate::store::statement(
            backend,
            format!("DELETE FROM {table} WHERE {touched}"),
            values(),
        ))
        .await?;
        let row = txn
            .query_one_raw(Statement::from_string(backend, top(table)))
            .await?;
        *into = row.map(|r| r.try_get("", "top")).transpose()?.unwrap_or(0);
    }
    txn.commit().await?;
    Ok(next)
}
