//! Cross-tenant usage figures for instance administrators. Read-only; every count comes from
//! indexed columns or the conversations' exact counters, so the view stays cheap at scale.

use chrono::{DateTime, Utc};
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

/// The tenant's figures; `today`, `week`, `month` are the starts of those periods.
pub async fn message_figures(
    db: &impl ConnectionTrait,
    tenant: &str,
    today: DateTime<Utc>,
    week: DateTime<Utc>,
    month: DateTime<Utc>,
) -> Result<MessageFigures, StoreError> {
    let backend = db.get_database_backend();
    let bytes = match backend {
        sea_orm::DbBackend::Postgres => "octet_length(content) + octet_length(metadata::text)",
        _ => "length(CAST(content AS BLOB)) + length(CAST(metadata AS BLOB))",
    };
    let sum = |expr: &str| format!("CAST(COALESCE(SUM({expr}), 0) AS bigint)");
    let flag = |cond: &str| sum(&format!("CASE WHEN {cond} THEN 1 ELSE 0 END"));
    let sql = format!(
        "SELECT COUNT(*) AS total, {} AS archived, {} AS cold, {} AS today, {} AS week, \
         {} AS month, AVG(importance_score) AS avg_importance, {} AS vectors, {} AS completed, \
         {} AS pending, {} AS failed, {} AS text_bytes, \
         (SELECT COUNT(*) FROM conversations c WHERE c.tenant_id = $1) AS conversations, \
         (SELECT {} FROM conversations c WHERE c.tenant_id = $1) AS archived_conversations \
         FROM messages WHERE tenant_id = $1",
        flag("archived"),
        flag("cold"),
        flag("created_at >= $2"),
        flag("created_at >= $3"),
        flag("created_at >= $4"),
        flag("embedding IS NOT NULL"),
        flag("embedding_status = 'completed' AND NOT cold"),
        flag("embedding_status = 'pending' AND NOT cold"),
        flag("embedding_status = 'failed'"),
        sum(bytes),
        flag("c.archived"),
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [tenant.into(), today.into(), week.into(), month.into()],
        ))
        .await?
        .ok_or(StoreError::NotFound { what: "tenant" })?;
    let get = |c: &str| row.try_get::<i64>("", c);
    Ok(MessageFigures {
        total: get("total")?,
        archived: get("archived")?,
        cold: get("cold")?,
        today: get("today")?,
        week: get("week")?,
        month: get("month")?,
        avg_importance: row.try_get("", "avg_importance")?,
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
    let backend = db.get_database_backend();
    // SQLite keeps times as UTC text, so the day is its first ten characters.
    let day = match backend {
        sea_orm::DbBackend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        _ => "substr(created_at, 1, 10)",
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT {day} AS day, role, COUNT(*) AS n FROM messages \
                 WHERE tenant_id = $1 AND created_at >= $2 GROUP BY 1, 2"
            ),
            [tenant.into(), since.into()],
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
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT c.id, c.message_count, c.last_message_at, \
             (SELECT AVG(m.importance_score) FROM messages m \
              WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id) AS avg_importance \
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
