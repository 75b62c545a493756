//! Writing an import (docs/export.md): a tenant's rows (and, from an instance export, its
//! accounts) as an export recorded them, ids and times kept, every insert skipping rows already there — importing a file twice stores
//! nothing twice, and a row whose id another tenant holds is left alone.
//!
//! Triggers keep the change log, the tenant's counters and the conversations' state counts
//! as for any insert; a conversation's `message_count` and `last_message_at` are moved on
//! here, by the messages each batch actually inserted.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::OnConflict, ConnectionTrait, DbBackend, EntityTrait, TryInsertResult, Value,
};
use uuid::Uuid;

use super::{
    embeddings,
    entities::{
        api_keys, conversations, memberships, messages, retention_policies, retention_rules,
        tenants, users,
    },
    jobs, StoreError,
};

/// A message to import with what to do about its vector.
pub struct ImportedMessage {
    pub row: messages::Model,
    pub embedding: Embedding,
}

pub enum Embedding {
    /// Stored as exported: same model, same width.
    Kept(Vec<f32>),
    /// Embedded again through the queue.
    Queued,
    /// None (in cold storage).
    Absent,
}

/// Creates tenant `t` unless it exists; whether it did.
pub async fn tenant(db: &impl ConnectionTrait, t: tenants::Model) -> Result<bool, StoreError> {
    inserted(
        tenants::Entity::insert(tenants::ActiveModel::from(t))
            .on_conflict_do_nothing_on([tenants::Column::Id])
            .exec_without_returning(db)
            .await?,
    )
}

fn inserted(outcome: TryInsertResult<u64>) -> Result<bool, StoreError> {
    Ok(matches!(outcome, TryInsertResult::Inserted(n) if n > 0))
}

/// Makes `user` an administrator of `tenant` (a member already is promoted).
pub async fn admin(
    db: &impl ConnectionTrait,
    tenant: &str,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = memberships::Model {
        tenant_id: tenant.to_owned(),
        user_id: user,
        role: crate::domain::MemberRole::Admin.as_str().to_owned(),
        created_at: now,
        updated_at: now,
    };
    memberships::Entity::insert(memberships::ActiveModel::from(row))
        .on_conflict(
            OnConflict::columns([memberships::Column::TenantId, memberships::Column::UserId])
                .update_columns([memberships::Column::Role, memberships::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Inserts the conversations not there yet, with no messages counted (the messages' inserts
/// count them); returns how many it inserted.
pub async fn conversations(
    db: &impl ConnectionTrait,
    rows: Vec<conversations::Model>,
) -> Result<u64, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let rows = rows.into_iter().map(|c| {
        conversations::ActiveModel::from(conversations::Model {
            message_count: 0,
            archived_count: 0,
            cold_count: 0,
            last_message_at: None,
            ..c
        })
    });
    let outcome = conversations::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([conversations::Column::TenantId, conversations::Column::Id])
        .exec_without_returning(db)
        .await?;
    Ok(match outcome {
        TryInsertResult::Inserted(n) => n,
        _ => 0,
    })
}

/// Rows per `INSERT`: 17 values a row stays far under both backends' bound-value limits.
const ROWS_PER_STATEMENT: usize = 500;

/// Inserts the messages not there yet — their conversations must exist — with their kept
/// vectors or their embedding jobs, and counts them in their conversations; returns how many
/// it inserted and how many of those it queued for embedding. Run it in a transaction.
pub async fn messages(
    db: &impl ConnectionTrait,
    batch: &[ImportedMessage],
    now: DateTime<Utc>,
) -> Result<(u64, u64), StoreError> {
    let backend = db.get_database_backend();
    let (mut inserted, mut queued) = (0, 0);
    for chunk in batch.chunks(ROWS_PER_STATEMENT) {
        // A message id is one message: one held by any tenant is skipped (on PostgreSQL the key
        // is `(id, tenant_id)`, so the insert's conflict clause alone would not skip it).
        let held = held_ids(db, chunk).await?;
        let rows: Vec<&ImportedMessage> =
            chunk.iter().filter(|m| !held.contains(&m.row.id)).collect();
        if rows.is_empty() {
            continue;
        }
        let mut values = Vec::with_capacity(rows.len() * 17);
        let sql = insert_sql(backend, &rows, &mut values);
        let stored: HashSet<Uuid> = db
            .query_all_raw(crate::store::statement(backend, sql, values))
            .await?
            .iter()
            .map(|r| r.try_get("", "id"))
            .collect::<Result<_, _>>()?;
        let new: Vec<&messages::Model> = rows
            .iter()
            .map(|m| &m.row)
            .filter(|m| stored.contains(&m.id))
            .collect();
        let to_queue: Vec<(Uuid, &str)> = rows
            .iter()
            .filter(|m| matches!(m.embedding, Embedding::Queued) && stored.contains(&m.row.id))
            .map(|m| (m.row.id, m.row.tenant_id.as_str()))
            .collect();
        if !to_queue.is_empty() {
            let mut values = Vec::new();
            let sql = jobs::enqueue_sql(&to_queue, now, &mut values);
            db.execute_raw(crate::store::statement(backend, sql, values))
                .await?;
        }
        count_in_conversations(db, &new).await?;
        inserted += new.len() as u64;
        queued += to_queue.len() as u64;
    }
    Ok((inserted, queued))
}

/// The ids of `rows` some tenant's message already has.
async fn held_ids(
    db: &impl ConnectionTrait,
    rows: &[ImportedMessage],
) -> Result<HashSet<Uuid>, StoreError> {
    let values: Vec<Value> = rows.iter().map(|m| m.row.id.into()).collect();
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
    db.query_all_raw(crate::store::statement(
        db.get_database_backend(),
        format!(
            "SELECT id FROM messages WHERE id IN ({})",
            placeholders.join(", ")
        ),
        values,
    ))
    .await?
    .iter()
    .map(|r| r.try_get("", "id").map_err(StoreError::from))
    .collect()
}

fn insert_sql(backend: DbBackend, rows: &[&ImportedMessage], values: &mut Vec<Value>) -> String {
    let tuples: Vec<String> = rows
        .iter()
        .copied()
        .map(|ImportedMessage { row: m, embedding }| {
            let first = values.len() + 1;
            let vector = match embedding {
                Embedding::Kept(v) => Some(v.as_slice()),
                Embedding::Queued | Embedding::Absent => None,
            };
            values.extend([
                m.id.into(),
                m.tenant_id.clone().into(),
                m.conversation_id.clone().into(),
                m.role.clone().into(),
                m.content.clone().into(),
                m.metadata.clone().into(),
                m.importance_score.into(),
                m.importance_override.into(),
                embeddings::embedding_value(backend, vector),
                m.embedding_status.clone().into(),
                m.embedding_model.clone().into(),
                m.archived.into(),
                m.archived_at.into(),
                m.archive_reason.clone().into(),
                m.cold.into(),
                m.created_at.into(),
                m.updated_at.into(),
            ]);
            let placeholders: Vec<String> =
                (first..values.len() + 1).map(|i| format!("${i}")).collect();
            format!("({})", placeholders.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO messages (id, tenant_id, conversation_id, role, content, metadata, \
           importance_score, importance_override, embedding, embedding_status, embedding_model, \
           archived, archived_at, archive_reason, cold, created_at, updated_at) VALUES {} \
         ON CONFLICT DO NOTHING RETURNING id",
        tuples.join(", ")
    )
}

/// Adds `new` messages to their conversations' counts and latest times (never moving
/// `updated_at`: the conversation is as it was exported).
async fn count_in_conversations(
    db: &impl ConnectionTrait,
    new: &[&messages::Model],
) -> Result<(), StoreError> {
    let mut per: BTreeMap<(&str, &str), (i64, DateTime<Utc>)> = BTreeMap::new();
    for m in new {
        let entry = per
            .entry((&m.tenant_id, &m.conversation_id))
            .or_insert((0, m.created_at));
        entry.0 += 1;
        entry.1 = entry.1.max(m.created_at);
    }
    if per.is_empty() {
        return Ok(());
    }
    let mut values: Vec<Value> = Vec::with_capacity(per.len() * 4);
    let rows: Vec<String> = per
        .into_iter()
        .map(|((tenant, id), (count, last))| {
            values.extend([tenant.into(), id.into(), count.into(), last.into()]);
            let n = values.len();
            format!("(${}, ${}, ${}, ${})", n - 3, n - 2, n - 1, n)
        })
        .collect();
    // `VALUES` names its columns column1, column2, … on both backends.
    let sql = format!(
        "UPDATE conversations SET message_count = conversations.message_count + v.column3, \
           last_message_at = CASE WHEN conversations.last_message_at IS NULL \
             OR conversations.last_message_at < v.column4 THEN v.column4 \
             ELSE conversations.last_message_at END \
         FROM (VALUES {}) AS v \
         WHERE conversations.tenant_id = v.column1 AND conversations.id = v.column2",
        rows.join(", ")
    );
    let backend = db.get_database_backend();
    db.execute_raw(crate::store::statement(backend, sql, values))
        .await?;
    Ok(())
}

/// The tenant's policy, unless it has one of its own already; whether it was stored.
pub async fn policy(
    db: &impl ConnectionTrait,
    p: retention_policies::Model,
) -> Result<bool, StoreError> {
    inserted(
        retention_policies::Entity::insert(retention_policies::ActiveModel::from(p))
            .on_conflict_do_nothing_on([retention_policies::Column::TenantId])
            .exec_without_returning(db)
            .await?,
    )
}

/// A retention rule, unless a rule with its id exists; whether it was stored.
pub async fn rule(
    db: &impl ConnectionTrait,
    r: retention_rules::Model,
) -> Result<bool, StoreError> {
    inserted(
        retention_rules::Entity::insert(retention_rules::ActiveModel::from(r))
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .try_insert()
            .exec_without_returning(db)
            .await?,
    )
}

/// A user, unless one with their id, email or username exists; whether it was stored.
pub async fn user(db: &impl ConnectionTrait, u: users::Model) -> Result<bool, StoreError> {
    inserted(
        users::Entity::insert(users::ActiveModel::from(u))
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .try_insert()
            .exec_without_returning(db)
            .await?,
    )
}

/// A membership, when its user and tenant are here and it is not; whether it was stored.
pub async fn membership(
    db: &impl ConnectionTrait,
    m: memberships::Model,
) -> Result<bool, StoreError> {
    if !both_here(db, m.user_id, &m.tenant_id).await? {
        return Ok(false);
    }
    inserted(
        memberships::Entity::insert(memberships::ActiveModel::from(m))
            .on_conflict_do_nothing_on([memberships::Column::TenantId, memberships::Column::UserId])
            .exec_without_returning(db)
            .await?,
    )
}

/// An API key, when its user and tenant are here and no key has its id or prefix; whether it
/// was stored.
pub async fn api_key(db: &impl ConnectionTrait, k: api_keys::Model) -> Result<bool, StoreError> {
    if !both_here(db, k.user_id, &k.tenant_id).await? {
        return Ok(false);
    }
    inserted(
        api_keys::Entity::insert(api_keys::ActiveModel::from(k))
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .try_insert()
            .exec_without_returning(db)
            .await?,
    )
}

/// Whether user `user` and tenant `tenant` both exist (a user skipped for a taken email has
/// no memberships or keys here).
async fn both_here(
    db: &impl ConnectionTrait,
    user: Uuid,
    tenant: &str,
) -> Result<bool, StoreError> {
    Ok(super::accounts::user_by_id(db, user).await?.is_some()
        && super::tenants::exists(db, tenant).await?)
}
