//! Embedding storage per backend.
//!
//! - PostgreSQL: `embedding vector(n)`, searched through its HNSW index (cosine).
//! - SQLite: little-endian f32 blobs, searched in the in-process
//!   [`SearchIndex`](super::index::SearchIndex).
//!
//! The retrievers themselves are in [`super::retrievers`].

use sea_orm::{ConnectionTrait, DbBackend, Value};
use uuid::Uuid;

use super::StoreError;

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
    db.execute_raw(crate::store::statement(
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
    db.execute_raw(crate::store::statement(
        db.get_database_backend(),
        "UPDATE messages SET embedding = NULL, embedding_status = 'pending' WHERE id = $1",
        [id.into()],
    ))
    .await?;
    Ok(())
}

/// The vectors of those of `ids` that have one.
pub async fn vectors_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<f32>>, StoreError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let backend = db.get_database_backend();
    let (list, values) = super::id_params(ids);
    let sql = format!(
        "SELECT id, embedding FROM messages WHERE id IN ({list}) AND embedding IS NOT NULL"
    );
    let rows = db
        .query_all_raw(crate::store::statement(backend, sql, values))
        .await?;
    rows.iter()
        .map(|r| {
            let id: Uuid = r.try_get("", "id")?;
            let vector = match backend {
                DbBackend::Postgres => r
                    .try_get::<sea_orm::prelude::PgVector>("", "embedding")?
                    .to_vec(),
                _ => from_blob(&r.try_get::<Vec<u8>>("", "embedding")?),
            };
            Ok((id, vector))
        })
        .collect()
}
