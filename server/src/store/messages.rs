//! Messages: read, edit and delete (new ones are written by [`super::ingest`]). Every write that
//! changes a conversation's messages updates its counters in the same transaction, so
//! `message_count` and `last_message_at` are always exact.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use crate::domain::messages::EmbeddingStatus;

use super::{
    embeddings,
    entities::{conversations, messages},
    jobs, StoreError,
};

/// Takes `removed` messages off a conversation's count and recomputes `last_message_at` from the
/// messages left (a delete can remove the newest). Inserts count up in `ingest`.
async fn shrink_conversation(
    txn: &DatabaseTransaction,
    tenant: &str,
    id: &str,
    removed: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let last = messages::Entity::find()
        .filter(messages::Column::TenantId.eq(tenant))
        .filter(messages::Column::ConversationId.eq(id))
        .order_by_desc(messages::Column::CreatedAt)
        .one(txn)
        .await?
        .map(|m| m.created_at);
    conversations::Entity::update_many()
        .col_expr(
            conversations::Column::MessageCount,
            Expr::col(conversations::Column::MessageCount).sub(removed),
        )
        .col_expr(conversations::Column::LastMessageAt, Expr::value(last))
        .col_expr(conversations::Column::UpdatedAt, Expr::value(now))
        .filter(conversations::Column::TenantId.eq(tenant))
        .filter(conversations::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Which of a conversation's messages to read.
pub struct MessageListing {
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    pub include_archived: bool,
    /// Keyset position: messages strictly after this `(created_at, id)` in the order.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u64,
}

/// "Not archived", for a read along a conversation's index. On SQLite it is spelled
/// `+archived`, so the column cannot be read from `ix_messages_tenant_archived`, which the
/// planner (without statistics) otherwise prefers: it walks every live message of the tenant
/// and sorts them, where the conversation's index reads only the rows asked for.
pub(super) fn live_in_conversation(backend: sea_orm::DbBackend) -> &'static str {
    match backend {
        sea_orm::DbBackend::Sqlite => "+archived = 0",
        _ => "archived = false",
    }
}

/// Up to `q.limit` of conversation `id`'s messages in time order (then by id: imported messages
/// may share a time), read along `ix_messages_conversation`.
pub async fn conversation_messages(
    db: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
    q: &MessageListing,
) -> Result<Vec<messages::Model>, StoreError> {
    use sea_orm::QuerySelect;
    let mut query = messages::Entity::find()
        .filter(messages::Column::TenantId.eq(tenant))
        .filter(messages::Column::ConversationId.eq(id));
    if !q.include_archived {
        query = query.filter(Expr::cust(live_in_conversation(db.get_database_backend())));
    }
    if let Some(position) = q.after {
        query = query.filter(beyond(position, q.newest_first));
    }
    let order = if q.newest_first {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    Ok(query
        .order_by(messages::Column::CreatedAt, order.clone())
        .order_by(messages::Column::Id, order)
        .limit(q.limit)
        .all(db)
        .await?)
}

/// The message `id` of `tenant`; another tenant's message is simply not found.
pub async fn get_message(
    db: &impl ConnectionTrait,
    tenant: &str,
    id: Uuid,
) -> Result<messages::Model, StoreError> {
    messages::Entity::find_by_id(id)
        .filter(messages::Column::TenantId.eq(tenant))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { what: "message" })
}

/// Messages by id within a tenant (search results), in no particular order.
pub async fn messages_by_ids(
    db: &impl ConnectionTrait,
    tenant: &str,
    ids: &[Uuid],
) -> Result<Vec<messages::Model>, StoreError> {
    // Looked up by primary key alone, the tenant checked on the rows: given `tenant_id = ? AND
    // id IN (…)`, SQLite's planner (without statistics) walks the tenant index over every
    // message of the tenant instead, which grows with the tenant.
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = messages::Entity::find()
        .filter(messages::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    found.retain(|m| m.tenant_id == tenant);
    Ok(found)
}

/// A change to a message; `None` fields stay as they are.
#[derive(Default)]
pub struct MessageChange {
    pub content: Option<String>,
    pub metadata: Option<serde_json::Value>,
    pub importance_score: Option<f64>,
    /// `Some(Some(v))` sets an override, `Some(None)` leaves it (overrides are not cleared here).
    pub importance_override: Option<f64>,
    pub archived: Option<bool>,
}

/// Applies `change` in `txn`; a new content's embedding replaces the old one in the same
/// transaction, so search never sees new text with a stale vector. Returns the message before
/// and after.
pub async fn update_message(
    txn: &DatabaseTransaction,
    tenant: &str,
    id: Uuid,
    change: MessageChange,
    new_embedding: Option<(Vec<f32>, &str)>,
) -> Result<(messages::Model, messages::Model), StoreError> {
    let current = get_message(txn, tenant, id).await?;
    let change_has_content = change.content.is_some();
    let mut active: messages::ActiveModel = current.clone().into();
    if let Some(c) = change.content {
        active.content = Set(c);
    }
    if let Some(m) = change.metadata {
        active.metadata = Set(m);
    }
    if let Some(o) = change.importance_override {
        active.importance_override = Set(Some(o));
    }
    if let Some(s) = change.importance_score {
        active.importance_score = Set(s);
    }
    let now = super::now();
    // Archived by hand (`manual`); restored, a cold message gets its vector computed again.
    let mut warm_again = false;
    if let Some(a) = change.archived.filter(|a| *a != current.archived) {
        active.archived = Set(a);
        active.archived_at = Set(a.then_some(now));
        active.archive_reason = Set(a.then(|| "manual".to_owned()));
        if !a && current.cold {
            active.cold = Set(false);
            warm_again = true;
        }
    }
    active.updated_at = Set(now);
    let content_changed = change_has_content;
    let mut updated = active.update(txn).await?;
    match new_embedding {
        Some((vector, model)) => {
            embeddings::set_embedding(txn, id, &vector, model).await?;
            updated.embedding_status = EmbeddingStatus::Completed.as_str().into();
            updated.embedding_model = Some(model.to_owned());
        }
        // New text without its vector yet: drop the stale vector and queue the new one, so
        // search never matches the old text.
        None if content_changed || warm_again => {
            embeddings::clear_embedding(txn, id).await?;
            jobs::enqueue(txn, id, tenant, crate::store::now()).await?;
            updated.embedding_status = EmbeddingStatus::Pending.as_str().into();
        }
        None => {}
    }
    Ok((current, updated))
}

/// Deletes the tenant's messages among `ids` in `txn`, updating each touched conversation
/// once; returns the messages that existed (in the tenant) and were deleted.
pub async fn delete_messages(
    txn: &DatabaseTransaction,
    tenant: &str,
    ids: &[Uuid],
) -> Result<Vec<messages::Model>, StoreError> {
    let found = messages_by_ids(txn, tenant, ids).await?;
    let deleted: Vec<Uuid> = found.iter().map(|m| m.id).collect();
    // Only ids just read from this tenant: the primary key alone is the cheaper plan.
    messages::Entity::delete_many()
        .filter(messages::Column::Id.is_in(deleted.iter().copied()))
        .exec(txn)
        .await?;
    let mut per_conversation: std::collections::BTreeMap<&str, i64> = Default::default();
    for m in &found {
        *per_conversation
            .entry(m.conversation_id.as_str())
            .or_default() += 1;
    }
    let now = super::now();
    for (conversation, count) in per_conversation {
        shrink_conversation(txn, tenant, conversation, count, now).await?;
    }
    Ok(found)
}

/// The messages past `(at, id)` in `(created_at, id)` order: before it when `newest_first`.
fn beyond((at, id): (DateTime<Utc>, Uuid), newest_first: bool) -> sea_orm::sea_query::Condition {
    use sea_orm::sea_query::Condition;
    let (time, then_id) = if newest_first {
        (
            messages::Column::CreatedAt.lt(at),
            messages::Column::Id.lt(id),
        )
    } else {
        (
            messages::Column::CreatedAt.gt(at),
            messages::Column::Id.gt(id),
        )
    };
    Condition::any().add(time).add(
        Condition::all()
            .add(messages::Column::CreatedAt.eq(at))
            .add(then_id),
    )
}

/// Up to `limit` of the tenant's messages after `after` in `(created_at, id)` order, archived
/// and cold ones too: every stored message, a page at a time (an export's walk).
pub async fn tenant_page(
    db: &impl ConnectionTrait,
    tenant: &str,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> Result<Vec<messages::Model>, StoreError> {
    use sea_orm::QuerySelect;
    let mut query = messages::Entity::find().filter(messages::Column::TenantId.eq(tenant));
    if let Some(position) = after {
        query = query.filter(beyond(position, false));
    }
    Ok(query
        .order_by_asc(messages::Column::CreatedAt)
        .order_by_asc(messages::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
