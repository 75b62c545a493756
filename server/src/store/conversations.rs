//! A tenant's conversations: created by their first message (see [`super::ingest`]) or ahead of
//! it, listed by recent activity, retitled, archived, deleted with their messages.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::{
    entities::{conversations, messages},
    StoreError,
};

pub async fn get_conversation(
    db: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
) -> Result<conversations::Model, StoreError> {
    conversations::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            what: "conversation",
        })
}

/// Which conversations to list.
pub struct ConversationQuery {
    pub archived: Option<bool>,
    pub updated_since: Option<DateTime<Utc>>,
    /// Keyset position: conversations strictly after this `(updated_at, id)` in the order.
    pub after: Option<(DateTime<Utc>, String)>,
    pub page: u64,
    pub page_size: u64,
    /// Only conversations whose id or title contains this lower-case text.
    pub text: Option<String>,
}

/// A page of a tenant's conversations, most recently updated first, with the total matching
/// (ignoring the page position).
pub async fn list_conversations(
    db: &DatabaseConnection,
    tenant: &str,
    q: &ConversationQuery,
) -> Result<(Vec<conversations::Model>, u64), StoreError> {
    use sea_orm::sea_query::Condition;
    let mut query =
        conversations::Entity::find().filter(conversations::Column::TenantId.eq(tenant));
    if let Some(a) = q.archived {
        query = query.filter(conversations::Column::Archived.eq(a));
    }
    if let Some(since) = q.updated_since {
        query = query.filter(conversations::Column::UpdatedAt.gte(since));
    }
    if let Some(text) = &q.text {
        use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
        // lower() on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's is not.
        let escaped: String = text
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        let contains = |column: conversations::Column| {
            Expr::expr(Func::lower(Expr::col(column)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(contains(conversations::Column::Id))
                .add(contains(conversations::Column::Title)),
        );
    }
    let total = query.clone().count(db).await?;
    let mut query = query
        .order_by_desc(conversations::Column::UpdatedAt)
        .order_by_desc(conversations::Column::Id);
    match &q.after {
        Some((at, id)) => {
            query = query.filter(
                Condition::any()
                    .add(conversations::Column::UpdatedAt.lt(*at))
                    .add(
                        Condition::all()
                            .add(conversations::Column::UpdatedAt.eq(*at))
                            .add(conversations::Column::Id.lt(id.as_str())),
                    ),
            );
        }
        None => query = query.offset((q.page - 1) * q.page_size),
    }
    let items = query.limit(q.page_size).all(db).await?;
    Ok((items, total))
}

/// Creates a conversation in `txn` unless it exists; returns it and whether it was created.
pub async fn create_conversation(
    txn: &DatabaseTransaction,
    tenant: &str,
    id: &str,
    title: Option<String>,
    metadata: serde_json::Value,
    creator: Uuid,
) -> Result<(conversations::Model, bool), StoreError> {
    if let Some(existing) = conversations::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(txn)
        .await?
    {
        return Ok((existing, false));
    }
    let now = super::now();
    let created = conversations::ActiveModel {
        tenant_id: Set(tenant.to_owned()),
        id: Set(id.to_owned()),
        title: Set(title),
        metadata: Set(metadata),
        message_count: Set(0),
        archived_count: Set(0),
        cold_count: Set(0),
        last_message_at: Set(None),
        archived: Set(false),
        user_id: Set(Some(creator)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok((created, true))
}

/// Changes title, metadata or archived flag, in `txn`.
pub async fn update_conversation(
    txn: &DatabaseTransaction,
    tenant: &str,
    id: &str,
    title: Option<String>,
    metadata: Option<serde_json::Value>,
    archived: Option<bool>,
) -> Result<conversations::Model, StoreError> {
    let current = get_conversation(txn, tenant, id).await?;
    let mut active: conversations::ActiveModel = current.into();
    if let Some(t) = title {
        active.title = Set(Some(t).filter(|t| !t.is_empty()));
    }
    if let Some(m) = metadata {
        active.metadata = Set(m);
    }
    if let Some(a) = archived {
        active.archived = Set(a);
    }
    active.updated_at = Set(super::now());
    Ok(active.update(txn).await?)
}

/// Per-role counts, average importance and time span of a conversation's active messages.
pub struct Stats {
    pub per_role: Vec<(String, i64)>,
    pub avg_importance: Option<f64>,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

pub async fn conversation_stats(
    db: &DatabaseConnection,
    tenant: &str,
    id: &str,
) -> Result<Stats, StoreError> {
    let rows = messages::Entity::find()
        .select_only()
        .column(messages::Column::Role)
        .column_as(messages::Column::Id.count(), "n")
        .column_as(messages::Column::ImportanceScore.sum(), "importance")
        .column_as(messages::Column::CreatedAt.min(), "first")
        .column_as(messages::Column::CreatedAt.max(), "last")
        .filter(messages::Column::TenantId.eq(tenant))
        .filter(messages::Column::ConversationId.eq(id))
        .filter(messages::Column::Archived.eq(false))
        .group_by(messages::Column::Role)
        .into_tuple::<(
            String,
            i64,
            Option<f64>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
        )>()
        .all(db)
        .await?;
    let total: i64 = rows.iter().map(|r| r.1).sum();
    let importance: f64 = rows.iter().filter_map(|r| r.2).sum();
    Ok(Stats {
        per_role: rows.iter().map(|r| (r.0.clone(), r.1)).collect(),
        avg_importance: (total > 0).then(|| importance / total as f64),
        first: rows.iter().filter_map(|r| r.3).min(),
        last: rows.iter().filter_map(|r| r.4).max(),
    })
}

/// Deletes a conversation in `txn`; its messages go with it (one statement, by the foreign key
/// cascade).
pub async fn delete_conversation(
    txn: &DatabaseTransaction,
    tenant: &str,
    id: &str,
) -> Result<(), StoreError> {
    let result = conversations::Entity::delete_by_id((tenant.to_owned(), id.to_owned()))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(StoreError::NotFound {
            what: "conversation",
        });
    }
    Ok(())
}
