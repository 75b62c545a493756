//! The embedded mode's in-process search index, both retrievers of hybrid search in memory:
//! every tenant's vectors, scanned in full (no approximate graph) as 8-bit codes with the best
//! few hundred re-ranked by their f32 vectors; a BM25 inverted index of their words ([`text`]);
//! and each message's importance and time, so ranking needs no query.
//!
//! Why a scan and not a graph: at the sizes one embedded instance holds (10⁵ vectors), an int8
//! scan reads 38 MB in a few milliseconds, finds every candidate under any filter and needs no
//! tuning; the f32 re-rank makes the reported similarities exact. Memory: about 1.9 kB per
//! 384-d vector (int8 + f32).
//!
//! Consistency: the index mirrors the `messages` rows that are not archived (their vectors once
//! they have one).
//! SQLite triggers append each changed message id to `vector_log` (migration 4), and
//! [`MemoryIndex::catch_up`] applies the log before every search, re-reading each changed row.
//! So a search never misses a write that returned before it, whatever wrote the row. A gap in
//! the log (another process pruned it) triggers a full reload.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicU64, Ordering},
        RwLock,
    },
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use super::StoreError;

/// Log rows applied per catch-up query.
const CATCH_UP_BATCH: i64 = 5000;
/// The log is pruned once this many applied rows accumulate.
const PRUNE_AFTER: i64 = 10_000;
mod scan;
mod shard;
#[cfg(test)]
mod tests;
mod text;

use scan::{best_rows, quantize};
pub use shard::Facts;
use shard::{Inner, Row};

/// The columns [`row`] reads.
const COLUMNS: &str = "id, tenant_id, content, embedding, importance_score, created_at";

/// A message as the index mirrors it, and its text. No embedding yet: an empty vector.
fn row(r: &sea_orm::QueryResult) -> Result<(Row, String), sea_orm::DbErr> {
    let blob: Option<Vec<u8>> = r.try_get("", "embedding")?;
    let row = Row {
        id: r.try_get("", "id")?,
        tenant: r.try_get("", "tenant_id")?,
        vector: blob.map_or_else(Vec::new, |b| super::vectors::from_blob(&b)),
        facts: Facts {
            importance: r.try_get("", "importance_score")?,
            created_at: r.try_get("", "created_at")?,
        },
    };
    Ok((row, r.try_get("", "content")?))
}

/// The oldest (`MIN`) or newest (`MAX`) sequence number in `vector_log`; 0 when it is empty.
async fn log_bound(db: &DatabaseConnection, which: &str) -> Result<i64, StoreError> {
    let sql = format!("SELECT COALESCE({which}(seq), 0) AS bound FROM vector_log");
    Ok(db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await?
        .map(|r| r.try_get::<i64>("", "bound"))
        .transpose()?
        .unwrap_or(0))
}

/// Every tenant's searchable vectors, kept in step with the database.
pub struct MemoryIndex {
    dims: usize,
    inner: RwLock<Inner>,
    /// One catch-up at a time; searches that arrive meanwhile wait for it rather than repeat it.
    syncing: tokio::sync::Mutex<()>,
    /// Full reloads so far (start-up included).
    reloads: AtomicU64,
}

impl MemoryIndex {
    /// Loads every searchable vector. Reads the log position first: anything written during the
    /// load is applied again by the next catch-up, which is harmless (it re-reads the row).
    pub async fn load(db: &DatabaseConnection, dims: usize) -> Result<Self, StoreError> {
        let index = Self {
            dims,
            inner: RwLock::new(Inner::default()),
            syncing: tokio::sync::Mutex::new(()),
            reloads: AtomicU64::new(0),
        };
        index.reload(db).await?;
        Ok(index)
    }

    async fn reload(&self, db: &DatabaseConnection) -> Result<(), StoreError> {
        let head = log_bound(db, "MAX").await?;
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("SELECT {COLUMNS} FROM messages WHERE archived = FALSE"),
            ))
            .await?;
        let mut fresh = Inner {
            applied: head,
            ..Inner::default()
        };
        for r in &rows {
            let (row, content) = row(r)?;
            fresh.mirror(&row, &content, self.dims);
        }
        *self.inner.write().expect("index lock") = fresh;
        self.reloads.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(vectors = rows.len(), "vector index loaded");
        Ok(())
    }

    /// How many times the whole index was read from the database.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// Number of vectors indexed for `tenant`.
    pub fn len(&self, tenant: &str) -> usize {
        let inner = self.inner.read().expect("index lock");
        inner.shards.get(tenant).map_or(0, |s| s.ids.len())
    }

    /// Applies every logged change not applied yet.
    pub async fn catch_up(&self, db: &DatabaseConnection) -> Result<(), StoreError> {
        let _guard = self.syncing.lock().await;
        loop {
            let applied = self.inner.read().expect("index lock").applied;
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "SELECT seq, message_id FROM vector_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                    [applied.into(), CATCH_UP_BATCH.into()],
                ))
                .await?;
            let Some(last) = rows.last() else {
                return self.check_for_gap(db, applied).await;
            };
            let first: i64 = rows[0].try_get("", "seq")?;
            if first != applied + 1 && applied > 0 {
                return self.reload(db).await;
            }
            let last: i64 = last.try_get("", "seq")?;
            let mut ids: Vec<Uuid> = rows
                .iter()
                .map(|r| r.try_get::<Uuid>("", "message_id"))
                .collect::<Result<_, _>>()?;
            ids.sort_unstable();
            ids.dedup();
            self.apply(db, &ids, last).await?;
            if last - log_bound(db, "MIN").await? > PRUNE_AFTER {
                self.prune(db, last).await?;
            }
            if (rows.len() as i64) < CATCH_UP_BATCH {
                return Ok(());
            }
        }
    }

    /// With nothing new to apply, a log whose newest row is behind ours was pruned and restarted
    /// (or the database was replaced): reload.
    async fn check_for_gap(&self, db: &DatabaseConnection, applied: i64) -> Result<(), StoreError> {
        if applied == 0 {
            return Ok(());
        }
        let head = log_bound(db, "MAX").await?;
        if head < applied {
            return self.reload(db).await;
        }
        Ok(())
    }

    /// Re-reads the current state of `ids` and mirrors it.
    async fn apply(
        &self,
        db: &DatabaseConnection,
        ids: &[Uuid],
        last: i64,
    ) -> Result<(), StoreError> {
        let mut present = Vec::new();
        for chunk in ids.chunks(500) {
            let (list, values) = super::id_params(chunk);
            let sql =
                format!("SELECT {COLUMNS} FROM messages WHERE archived = FALSE AND id IN ({list})");
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    &sql,
                    values,
                ))
                .await?;
            for r in &rows {
                present.push(row(r)?);
            }
        }
        let mut inner = self.inner.write().expect("index lock");
        for id in ids {
            inner.forget(*id, self.dims);
        }
        for (row, content) in &present {
            inner.mirror(row, content, self.dims);
        }
        inner.applied = last;
        Ok(())
    }

    /// Drops applied log rows, keeping the newest so the sequence (and gap detection) goes on.
    async fn prune(&self, db: &DatabaseConnection, upto: i64) -> Result<(), StoreError> {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "DELETE FROM vector_log WHERE seq < $1",
            [upto.into()],
        ))
        .await?;
        Ok(())
    }

    /// The `n` messages of `tenant` most similar to `query`, as `(id, cosine similarity)`, best
    /// first. `allowed` restricts the search to those ids (filtered search). The int8 scan picks
    /// `4n` (at least 200) candidates; their f32 vectors decide the order exactly.
    pub fn search(
        &self,
        tenant: &str,
        query: &[f32],
        allowed: Option<&[Uuid]>,
        n: usize,
    ) -> Vec<(Uuid, f32)> {
        let dims = self.dims;
        if query.len() != dims || n == 0 {
            return Vec::new();
        }
        let inner = self.inner.read().expect("index lock");
        let Some(shard) = inner.shards.get(tenant) else {
            return Vec::new();
        };
        let slots: Option<Vec<usize>> = allowed.map(|ids| {
            ids.iter()
                .filter_map(|id| inner.slots.get(id))
                .filter(|(t, _)| t == tenant)
                .map(|(_, slot)| *slot)
                .collect()
        });
        let rows = slots.as_ref().map_or(shard.ids.len(), Vec::len);
        let pool = (n * 4).max(200);
        // Small enough to score exactly outright; otherwise the int8 scan picks the pool.
        let candidates: Vec<usize> = if rows <= pool {
            slots.unwrap_or_else(|| (0..rows).collect())
        } else {
            let (q, _) = quantize(query);
            best_rows(&q, &shard.codes, &shard.scales, slots.as_deref(), pool)
        };
        let mut out: Vec<(Uuid, f32)> = candidates
            .into_iter()
            .map(|slot| {
                (
                    shard.ids[slot],
                    crate::embed::dot(query, shard.vector(slot, dims)),
                )
            })
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(n);
        out
    }

    /// The `n` best BM25 matches of `tenant`'s messages for any word of `query`, as
    /// `(id, score)`, best first; `allowed` restricts them to those ids.
    pub fn lexical(
        &self,
        tenant: &str,
        query: &str,
        allowed: Option<&[Uuid]>,
        n: usize,
    ) -> Vec<(Uuid, f64)> {
        let inner = self.inner.read().expect("index lock");
        let Some(shard) = inner.texts.get(tenant) else {
            return Vec::new();
        };
        let allowed: Option<HashSet<Uuid>> = allowed.map(|ids| ids.iter().copied().collect());
        shard.search(query, allowed.as_ref(), n)
    }

    /// The ranking facts of those `ids` that are indexed under `tenant`, with their stored
    /// vectors for those also in `want_vectors` (copies cost 1.5 kB each: only when asked).
    pub fn lookup(
        &self,
        tenant: &str,
        ids: &[Uuid],
        want_vectors: &[Uuid],
    ) -> HashMap<Uuid, (Facts, Option<Vec<f32>>)> {
        let want: HashSet<&Uuid> = want_vectors.iter().collect();
        let inner = self.inner.read().expect("index lock");
        ids.iter()
            .filter_map(|id| {
                let (t, slot) = inner.slots.get(id)?;
                let shard = inner.shards.get(t).filter(|_| t == tenant)?;
                let vector = want
                    .contains(id)
                    .then(|| shard.vector(*slot, self.dims).to_vec());
                Some((*id, (shard.facts[*slot], vector)))
            })
            .collect()
    }
}
