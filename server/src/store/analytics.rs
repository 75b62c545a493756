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
