//! Embedding storage and the two retrievers of search, per backend.
//!
//! - PostgreSQL: `embedding vector(n)` searched through its HNSW index (cosine), with pgvector's
//!   iterative scan so filters do not starve the result.
//! - SQLite: little-endian f32 blobs, searched in the in-process [`MemoryIndex`] (sign-bit scan
//!   + exact re-rank).
//! - Lexical search on both: the [`MemoryIndex`]'s BM25.
//!
//! [`Scope`] is the one entry point: prepared once per search (the index caught up, the filters
//! resolved to the ids they allow), then asked for either retriever's candidates. Both backends
//! apply the same [`Filters`] in SQL and never leave the tenant.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use std::{collections::HashMap, sync::Arc};

use super::{
    index::{Facts, MemoryIndex},
    StoreError,
};

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
fn where_clause(backend: DbBackend, tenant: &str, f: &Filters, values: &mut Vec<Value>) -> String {
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

fn pg_vector(v: &[f32]) -> Value {
    Value::Vector(Some(sea_orm::prelude::PgVector::from(v.to_vec())))
}

fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub(super) fn from_blob(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Stores `vector` as the embedding of message `id` and marks it completed.
pub async fn set_embedding(
    db: &impl ConnectionTrait,
    id: Uuid,
    vector: &[f32],
    model: &str,
) -> Result<(), StoreError> {
    write_embedding(db, id, vector, model, None).await
}

/// Like [`set_embedding`], but only if the message's content is still `content` (a queued
/// embedding must not overwrite the vector of newer text).
pub async fn set_embedding_if_content(
    db: &impl ConnectionTrait,
    id: Uuid,
    vector: &[f32],
    model: &str,
    content: &str,
) -> Result<(), StoreError> {
    write_embedding(db, id, vector, model, Some(content)).await
}

async fn write_embedding(
    db: &impl ConnectionTrait,
    id: Uuid,
    vector: &[f32],
    model: &str,
    content: Option<&str>,
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let (target, value): (&str, Value) = match backend {
        DbBackend::Postgres => ("$1", pg_vector(vector)),
        _ => ("$1", to_blob(vector).into()),
    };
    let mut values = vec![value, model.into(), id.into()];
    let mut sql = format!(
        "UPDATE messages SET embedding = {target}, embedding_status = 'completed', \
         embedding_model = $2 WHERE id = $3"
    );
    if let Some(c) = content {
        values.push(c.into());
        sql += " AND content = $4";
    }
    db.execute_raw(Statement::from_sql_and_values(backend, &sql, values))
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

/// PostgreSQL: the `limit` messages most similar to `query`, as `(id, cosine similarity)`,
/// best first.
async fn pg_vector_candidates(
    db: &sea_orm::DatabaseConnection,
    tenant: &str,
    query: &[f32],
    filters: &Filters,
    limit: usize,
) -> Result<Vec<(Uuid, f32)>, StoreError> {
    let backend = DbBackend::Postgres;
    let mut values = Vec::new();
    let condition = where_clause(backend, tenant, filters, &mut values);
    // Bound as a binary vector: a text parameter cast in SQL is parsed again for every
    // row and keeps the planner off the HNSW index (466 ms vs a few ms at 10k rows).
    values.push(pg_vector(query));
    let q = values.len();
    values.push((limit as i64).into());
    let sql = format!(
        "SELECT m.id, 1 - (m.embedding <=> ${q}) AS similarity \
         FROM messages m WHERE {condition} AND m.embedding IS NOT NULL \
         ORDER BY m.embedding <=> ${q} LIMIT ${}",
        values.len()
    );
    // The session's `hnsw.*` settings (see `store::connect`) keep recall ≥ 0.95 of exact search
    // and let filters through; the planner picks HNSW or the tenant's rows by their sizes.
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, &sql, values))
        .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<Uuid>("", "id")?,
                r.try_get::<f64>("", "similarity")? as f32,
            ))
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    // relaxed_order may return slightly out of order: restore it.
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(out)
}

/// The ids the filters allow, found by SQL (which owns those columns); `None` without filters.
async fn allowed_ids(
    db: &sea_orm::DatabaseConnection,
    tenant: &str,
    filters: &Filters,
) -> Result<Option<Vec<Uuid>>, StoreError> {
    if filters.is_empty() {
        return Ok(None);
    }
    let backend = db.get_database_backend();
    let mut values = Vec::new();
    let condition = where_clause(backend, tenant, filters, &mut values);
    let sql = format!("SELECT m.id FROM messages m WHERE {condition}");
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, &sql, values))
        .await?;
    Ok(Some(
        rows.iter()
            .map(|r| r.try_get::<Uuid>("", "id"))
            .collect::<Result<Vec<_>, _>>()?,
    ))
}

/// One search's view of a tenant, prepared once for both retrievers: the in-memory index caught
/// up with every committed write and the ids the filters allow. Prepared when the first
/// retriever that reads the index asks: on SQLite at once (both do), on PostgreSQL only for the
/// lexical retriever (its vector query reads the database and applies the filters itself), so a
/// vector-only search there costs no catch-up and no id list.
pub struct Scope<'a> {
    db: &'a sea_orm::DatabaseConnection,
    index: &'a Arc<MemoryIndex>,
    tenant: &'a str,
    filters: &'a Filters,
    allowed: tokio::sync::OnceCell<Option<Arc<Vec<Uuid>>>>,
}

impl<'a> Scope<'a> {
    pub async fn new(
        db: &'a sea_orm::DatabaseConnection,
        index: &'a Arc<MemoryIndex>,
        tenant: &'a str,
        filters: &'a Filters,
    ) -> Result<Self, StoreError> {
        let scope = Self {
            db,
            index,
            tenant,
            filters,
            allowed: tokio::sync::OnceCell::new(),
        };
        if index.holds_vectors() {
            scope.prepared().await?;
        }
        Ok(scope)
    }

    /// Catches the index up and resolves the filters, once; the ids they allow (`None`: all).
    async fn prepared(&self) -> Result<Option<Arc<Vec<Uuid>>>, StoreError> {
        self.allowed
            .get_or_try_init(|| async {
                self.index.catch_up(self.db).await?;
                Ok(allowed_ids(self.db, self.tenant, self.filters)
                    .await?
                    .map(Arc::new))
            })
            .await
            .cloned()
    }

    /// The `limit` messages most similar to `vector`, as `(id, cosine similarity)`, best first.
    pub async fn nearest(
        &self,
        vector: &[f32],
        limit: usize,
    ) -> Result<Vec<(Uuid, f32)>, StoreError> {
        if !self.index.holds_vectors() {
            return pg_vector_candidates(self.db, self.tenant, vector, self.filters, limit).await;
        }
        let v = vector.to_vec();
        self.blocking(move |idx, t, allowed| idx.search(t, &v, allowed, limit))
            .await
    }

    /// The `limit` best full-text matches of `text`, as `(id, relevance)`, best first.
    pub async fn lexical(&self, text: &str, limit: usize) -> Result<Vec<(Uuid, f64)>, StoreError> {
        let q = text.to_owned();
        self.blocking(move |idx, t, allowed| idx.lexical(t, &q, allowed, limit))
            .await
    }

    /// Runs `f` on the index off the async workers (milliseconds of CPU at 10⁵ messages).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&MemoryIndex, &str, Option<&[Uuid]>) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let (idx, t, allowed) = (
            self.index.clone(),
            self.tenant.to_owned(),
            self.prepared().await?,
        );
        tokio::task::spawn_blocking(move || f(&idx, &t, allowed.as_deref().map(Vec::as_slice)))
            .await
            .map_err(|e| {
                StoreError::Db(sea_orm::DbErr::Custom(format!("index search failed: {e}")))
            })
    }
}

/// What ranking needs of each candidate: importance, creation time and (for those in
/// `want_vectors`) the stored vector. From the index when it holds the message, else one query.
pub async fn ranking_facts(
    db: &sea_orm::DatabaseConnection,
    index: &MemoryIndex,
    tenant: &str,
    ids: &[Uuid],
    want_vectors: &[Uuid],
) -> Result<HashMap<Uuid, (Facts, Option<Vec<f32>>)>, StoreError> {
    let mut out: HashMap<Uuid, (Facts, Option<Vec<f32>>)> = HashMap::with_capacity(ids.len());
    out.extend(index.lookup(tenant, ids, want_vectors));
    let missing: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| !out.contains_key(id))
        .collect();
    if missing.is_empty() {
        return Ok(out);
    }
    let backend = db.get_database_backend();
    let (list, values) = super::id_params(&missing);
    // By primary key alone (see `memory::messages_by_ids` for why), the tenant checked per row.
    let sql = format!(
        "SELECT id, tenant_id, importance_score, created_at FROM messages WHERE id IN ({list})"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, &sql, values))
        .await?;
    for r in &rows {
        if r.try_get::<String>("", "tenant_id")? != tenant {
            continue;
        }
        let facts = Facts {
            importance: r.try_get("", "importance_score")?,
            created_at: r.try_get("", "created_at")?,
        };
        out.insert(r.try_get("", "id")?, (facts, None));
    }
    if index.holds_vectors() {
        // The index holds every stored vector: a message it lacks has none yet.
        return Ok(out);
    }
    let need: Vec<Uuid> = want_vectors
        .iter()
        .copied()
        .filter(|id| out.get(id).is_some_and(|(_, v)| v.is_none()))
        .collect();
    for (id, vector) in embeddings_of(db, &need).await? {
        if let Some(entry) = out.get_mut(&id) {
            entry.1 = Some(vector);
        }
    }
    Ok(out)
}

/// Stored embeddings of `ids` (for explaining lexical-only hits), by id.
async fn embeddings_of(
    db: &sea_orm::DatabaseConnection,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, Vec<f32>)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let (list, values) = super::id_params(ids);
    let sql = format!(
        "SELECT id, embedding FROM messages WHERE embedding IS NOT NULL AND id IN ({list})"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, &sql, values))
        .await?;
    rows.iter()
        .map(|r| {
            let id: Uuid = r.try_get("", "id")?;
            let v = match backend {
                DbBackend::Postgres => r
                    .try_get::<sea_orm::prelude::PgVector>("", "embedding")?
                    .to_vec(),
                _ => from_blob(&r.try_get::<Vec<u8>>("", "embedding")?),
            };
            Ok((id, v))
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}
