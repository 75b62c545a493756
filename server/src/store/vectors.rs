//! Embedding storage per backend, and the search [`Filters`] as SQL.
//!
//! - PostgreSQL: `embedding vector(n)`, searched through its HNSW index (cosine).
//! - SQLite: little-endian f32 blobs, searched in the in-process
//!   [`MemoryIndex`](super::index::MemoryIndex).
//!
//! The retrievers themselves are in [`super::scope`].

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use super::StoreError;

/// Search filters, all optional, applied by both retrievers.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub conversation_id: Option<String>,
    pub role: Option<String>,
    pub importance_min: Option<f64>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// `metadata.<key> = <value>` equality, compared as text. Keys are validated by the caller.
    pub metadata: Vec<(String, String)>,
}

impl Filters {
    /// True when only the tenant restricts the search.
    pub fn is_empty(&self) -> bool {
        self.conversation_id.is_none()
            && self.role.is_none()
            && self.importance_min.is_none()
            && self.start.is_none()
            && self.end.is_none()
            && self.metadata.is_empty()
    }
}

/// Builds `WHERE` conditions with numbered placeholders starting after `values`.
pub(super) fn where_clause(
    backend: DbBackend,
    tenant: &str,
    f: &Filters,
    values: &mut Vec<Value>,
) -> String {
    let mut push = |v: Value| {
        values.push(v);
        format!("${}", values.len())
    };
    let mut sql = format!(
        "m.tenant_id = {} AND m.archived = FALSE",
        push(tenant.into())
    );
    if let Some(c) = &f.conversation_id {
        sql += &format!(" AND m.conversation_id = {}", push(c.clone().into()));
    }
    if let Some(r) = &f.role {
        sql += &format!(" AND m.role = {}", push(r.clone().into()));
    }
    if let Some(i) = f.importance_min {
        sql += &format!(" AND m.importance_score >= {}", push(i.into()));
    }
    if let Some(s) = f.start {
        sql += &format!(" AND m.created_at >= {}", push(s.into()));
    }
    if let Some(e) = f.end {
        sql += &format!(" AND m.created_at <= {}", push(e.into()));
    }
    for (key, value) in &f.metadata {
        let (k, v) = match backend {
            DbBackend::Postgres => (push(key.clone().into()), push(value.clone().into())),
            _ => (
                push(format!("$.\"{key}\"").into()),
                push(value.clone().into()),
            ),
        };
        sql += &match backend {
            DbBackend::Postgres => format!(" AND (m.metadata ->> {k}) = {v}"),
            _ => format!(" AND CAST(json_extract(m.metadata, {k}) AS TEXT) = {v}"),
        };
    }
    sql
}

pub(super) fn pg_vector(v: &[f32]) -> Value {
    Value::Vector(Some(sea_orm::prelude::PgVector::from(v.to_vec())))
}

/// The `embedding` column's value for `v` (NULL when there is none yet) on `backend`.
pub(super) fn embedding_value(backend: DbBackend, v: Option<&[f32]>) -> Value {
    match (backend, v) {
        (DbBackend::Postgres, Some(v)) => pg_vector(v),
        (DbBackend::Postgres, None) => Value::Vector(None),
        (_, v) => v.map(to_blob).into(),
    }
}

fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub(super) fn from_blob(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Stores `vector` as the embedding of message `id` and marks it completed. (The job worker
/// stores its batches with `jobs::complete`, only where the content is still the text embedded.)
pub async fn set_embedding(
    db: &impl ConnectionTrait,
    id: Uuid,
    vector: &[f32],
    model: &str,
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE messages SET embedding = $1, embedding_status = 'completed', \
         embedding_model = $2 WHERE id = $3",
        [
            embedding_value(backend, Some(vector)),
            model.into(),
            id.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Forgets the vector of a message whose content changed, until its job embeds the new text.
pub async fn clear_embedding(db: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE messages SET embedding = NULL, embedding_status = 'pending' WHERE id = $1",
        [id.into()],
    ))
    .await?;
    Ok(())
}
