//! The in-process search index; in the embedded mode both retrievers of hybrid search in memory:
//! every tenant's vectors, scanned in full (no approximate graph) as one sign bit per dimension,
//! with the best couple of thousand re-ranked by their f32 vectors ([`scan`] says why bits); a
//! BM25 inverted index of their words ([`text`]); and each message's importance and time, so
//! ranking needs no query.
//!
//! Why a scan and not a graph: at the sizes one embedded instance holds (10⁵ vectors), the bit
//! scan reads 4.8 MB, finds candidates under any filter and needs no tuning; the f32 re-rank
//! makes the reported similarities exact. Memory: about 1.6 kB per
//! 384-d vector (f32 + bits).
//!
//! On PostgreSQL the index holds words only ([`SearchIndex::holds_vectors`] is false): vectors
//! are searched by pgvector's HNSW index in the database, but `ts_rank_cd` ranks every message
//! sharing a word with the query, so a common word made lexical search grow with the tenant;
//! this BM25 is many times faster and ranks better on LoCoMo (docs/benchmarks.md). There it
//! holds the tenants searched lately, under a memory cap ([`resident`]): start-up reads no
//! message, and a tenant's first search reads its words.
//!
//! Consistency: the index mirrors the `messages` rows that are not in cold storage (their
//! vectors once they have one); archived ones under their tenant's [`archived_key`], so a
//! search sees them only when it asks (`include_archived`). Triggers append each changed message id to `change_log` (migrations 4 and 6),
//! and [`SearchIndex::catch_up`] applies the log before every search, re-reading each changed
//! row. So a search never misses a write that returned before it, whatever wrote the row — a
//! request, the job worker, another server instance or a command-line tool. [`log`] explains how
//! each backend's log is read without missing a row.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicU64, Ordering},
        RwLock,
    },
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use uuid::Uuid;

use super::StoreError;

mod log;
mod resident;
mod scan;
mod shard;
#[cfg(test)]
mod tests;
mod text;

pub use resident::Hold;
use resident::Residents;
use scan::{nearest_bits, sign_bits, similarities, Part};
pub use shard::Facts;
use shard::{Inner, Row};

/// Maps and sets keyed by message id. foldhash instead of std's SipHash: a filtered search
/// looks up every allowed id, and with SipHash mapping them to slots was most of its time.
/// Ids are made by the server, so no client can choose keys that collide.
type IdMap<V> = HashMap<Uuid, V, foldhash::fast::RandomState>;
type IdSet = HashSet<Uuid, foldhash::fast::RandomState>;

/// Candidates the sign-bit scan passes to the exact re-rank per result asked for, and at least.
/// 20 per result keeps recall against an exact scan near 0.99 at a fraction of the cost of 40;
/// `BENCH_REAL=1 bench --bin scan` measures the trade (docs/benchmarks.md).
const CANDIDATES_PER_RESULT: usize = 20;
const MIN_CANDIDATES: usize = 1000;

/// The columns [`row`] reads: the vector only where the index holds vectors.
fn columns(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "id, tenant_id, archived, content, importance_score, created_at",
        _ => "id, tenant_id, archived, content, embedding, importance_score, created_at",
    }
}

/// Where `tenant`'s archived messages are indexed: a shard of their own, which only searches
/// with `include_archived` read. (No tenant id holds a NUL character.)
pub fn archived_key(tenant: &str) -> String {
    format!("{tenant}{ARCHIVED}")
}

const ARCHIVED: &str = "\u{0}archived";

/// The tenant whose messages are held under `key` ([`archived_key`] or the tenant itself).
fn tenant_of(key: &str) -> &str {
    key.strip_suffix(ARCHIVED).unwrap_or(key)
}

/// A message as the index mirrors it, and its text. No embedding (yet, or held): an empty
/// vector.
fn row(r: &sea_orm::QueryResult, backend: DbBackend) -> Result<(Row, String), sea_orm::DbErr> {
    let blob: Option<Vec<u8>> = match backend {
        DbBackend::Postgres => None,
        _ => r.try_get("", "embedding")?,
    };
    let tenant: String = r.try_get("", "tenant_id")?;
    let archived: bool = r.try_get("", "archived")?;
    let row = Row {
        id: r.try_get("", "id")?,
        tenant: if archived {
            archived_key(&tenant)
        } else {
            tenant
        },
        vector: blob.map_or_else(Vec::new, |b| super::embeddings::from_blob(&b)),
        facts: Facts {
            importance: r.try_get("", "importance_score")?,
            created_at: r.try_get("", "created_at")?,
        },
    };
    Ok((row, r.try_get("", "content")?))
}

/// Every tenant's searchable words (and, on SQLite, vectors), kept in step with the database.
pub struct SearchIndex {
    dims: usize,
    backend: DbBackend,
    inner: RwLock<Inner>,
    /// How far `change_log` has been applied. Held through a catch-up, so there is one at a
    /// time; searches that arrive meanwhile wait for it rather than repeat it.
    cursor: tokio::sync::Mutex<log::Cursor>,
    /// Full reloads so far (start-up included).
    reloads: AtomicU64,
    /// On PostgreSQL, the tenants whose words are held; `None`: every tenant's are.
    residents: Option<Residents>,
}

impl SearchIndex {
    /// Loads every searchable message (on PostgreSQL none: tenants are read on their first
    /// search, and words beyond `max_bytes` are dropped). Reads the log position first:
    /// anything written during the load is applied again by the next catch-up, which is
    /// harmless (it re-reads the row).
    pub async fn load(
        db: &DatabaseConnection,
        dims: usize,
        max_bytes: usize,
    ) -> Result<Self, StoreError> {
        let backend = db.get_database_backend();
        let index = Self {
            dims,
            backend,
            inner: RwLock::new(Inner::default()),
            cursor: tokio::sync::Mutex::new(log::Cursor::default()),
            reloads: AtomicU64::new(0),
            residents: (backend == DbBackend::Postgres).then(|| Residents::new(max_bytes)),
        };
        *index.cursor.lock().await = index.reload(db).await?;
        Ok(index)
    }

    /// False on PostgreSQL, whose HNSW index searches the vectors: this index has words only.
    pub fn holds_vectors(&self) -> bool {
        self.backend != DbBackend::Postgres
    }

    /// Reads every message again (where tenants are read on demand: forgets them all); returns
    /// where the log is to be read from next.
    async fn reload(&self, db: &DatabaseConnection) -> Result<log::Cursor, StoreError> {
        let cursor = log::start(db).await?;
        let mut fresh = Inner::default();
        if let Some(residents) = &self.residents {
            residents.clear();
        } else {
            let rows = self.read_rows(db, "TRUE", Vec::new()).await?;
            for (row, content) in &rows {
                fresh.mirror(row, content, self.dims);
            }
            tracing::debug!(messages = rows.len(), "search index loaded");
        }
        *self.inner.write().expect("index lock") = fresh;
        self.reloads.fetch_add(1, Ordering::Relaxed);
        Ok(cursor)
    }

    /// Catches up, then makes sure `tenant`'s words are in memory (reading them if they are
    /// not) and keeps them there while the returned [`Hold`] lives: what a search does before
    /// it reads the index.
    pub async fn ready(&self, db: &DatabaseConnection, tenant: &str) -> Result<Hold, StoreError> {
        let mut cursor = self.cursor.lock().await;
        self.catch_up_from(db, &mut cursor).await?;
        let Some(residents) = &self.residents else {
            return Ok(Hold::default());
        };
        if let Some(hold) = residents.hold(tenant) {
            return Ok(hold);
        }
        // Under the cursor's lock: a change logged after the rows are read is applied by the
        // next catch-up, now that the tenant is resident; one logged before is in the rows.
        let started = std::time::Instant::now();
        let read = self
            .read_rows(db, "tenant_id = $1", vec![tenant.into()])
            .await?;
        let mut inner = self.inner.write().expect("index lock");
        for (row, content) in &read {
            inner.mirror(row, content, self.dims);
        }
        let hold = residents.admit(tenant);
        let size = |t: &str| inner.text_bytes(t) + inner.text_bytes(&archived_key(t));
        let evicted = residents.evict(inner.all_text_bytes(), size);
        for t in &evicted {
            inner.drop_key(t);
            inner.drop_key(&archived_key(t));
        }
        tracing::debug!(
            messages = read.len(),
            evicted = evicted.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "a tenant's words read into the search index"
        );
        Ok(hold)
    }

    /// The tenants whose words are held, and their estimated bytes (PostgreSQL; on SQLite
    /// every tenant's are).
    pub fn resident(&self) -> (usize, usize) {
        let bytes = self.inner.read().expect("index lock").all_text_bytes();
        (self.residents.as_ref().map_or(0, Residents::count), bytes)
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
        let mut cursor = self.cursor.lock().await;
        self.catch_up_from(db, &mut cursor).await
    }

    async fn catch_up_from(
        &self,
        db: &DatabaseConnection,
        cursor: &mut log::Cursor,
    ) -> Result<(), StoreError> {
        loop {
            match log::next(db, cursor).await? {
                log::Step::Reload => {
                    *cursor = self.reload(db).await?;
                    return Ok(());
                }
                log::Step::Changes {
                    ids,
                    cursor: next,
                    more,
                } => {
                    if !ids.is_empty() {
                        self.apply(db, &ids).await?;
                    }
                    *cursor = next;
                    if !more {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Drops change-log rows every instance has long read (PostgreSQL; a no-op on SQLite);
    /// returns how many.
    pub async fn prune_log(&self, db: &DatabaseConnection) -> Result<u64, StoreError> {
        log::prune(db).await
    }

    /// The messages not in cold storage that match `filter` (SQL over `messages`, with
    /// `values` for its placeholders), as the index mirrors them.
    async fn read_rows(
        &self,
        db: &DatabaseConnection,
        filter: &str,
        values: Vec<sea_orm::Value>,
    ) -> Result<Vec<(Row, String)>, StoreError> {
        let sql = format!(
            "SELECT {} FROM messages WHERE cold = FALSE AND {filter}",
            columns(self.backend)
        );
        let rows = db
            .query_all_raw(crate::store::statement(self.backend, &sql, values))
            .await?;
        Ok(rows
            .iter()
            .map(|r| row(r, self.backend))
            .collect::<Result<_, _>>()?)
    }

    /// Re-reads the current state of `ids` and mirrors it.
    async fn apply(&self, db: &DatabaseConnection, ids: &[Uuid]) -> Result<(), StoreError> {
        let mut present = Vec::new();
        for chunk in ids.chunks(500) {
            let (list, values) = super::id_params(chunk);
            let filter = format!("id IN ({list})");
            present.extend(self.read_rows(db, &filter, values).await?);
        }
        let mut inner = self.inner.write().expect("index lock");
        for id in ids {
            inner.forget(*id, self.dims);
        }
        for (row, content) in &present {
            // Where tenants are read on demand, only those in memory are kept current.
            let tenant = tenant_of(&row.tenant);
            if self
                .residents
                .as_ref()
                .is_none_or(|r| r.is_resident(tenant))
            {
                inner.mirror(row, content, self.dims);
            }
        }
        Ok(())
    }

    /// The `n` messages of `tenant` most similar to `query`, as `(id, cosine similarity)`, best
    /// first. `allowed` restricts the search to those ids (filtered search). The sign-bit scan
    /// picks [`CANDIDATES_PER_RESULT`]` · n` (at least [`MIN_CANDIDATES`]) candidates; their f32
    /// vectors decide the order exactly.
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
        let want = (n * CANDIDATES_PER_RESULT).max(MIN_CANDIDATES);
        // Few enough to score exactly outright; otherwise the sign bits pick the candidates.
        let candidates: Vec<usize> = if rows <= want {
            slots.unwrap_or_else(|| (0..rows).collect())
        } else {
            let part = slots.as_deref().map_or(Part::All, Part::Slots);
            nearest_bits(&sign_bits(query), &shard.bits, part, want)
        };
        let similarities = similarities(query, &shard.vectors, &candidates);
        let mut out: Vec<(Uuid, f32)> = candidates
            .into_iter()
            .zip(similarities)
            .map(|(slot, similarity)| (shard.ids[slot], similarity))
            .collect();
        let order = |a: &(Uuid, f32), b: &(Uuid, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if out.len() > n {
            out.select_nth_unstable_by(n - 1, order);
            out.truncate(n);
        }
        out.sort_by(order);
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
        let allowed: Option<IdSet> = allowed.map(|ids| ids.iter().copied().collect());
        shard.search(query, allowed.as_ref(), n)
    }

    /// The ranking facts of those `ids` that are indexed under `tenant`, with the similarity of
    /// their stored vector to `query` for those also in `score` (computed here, where the vectors
    /// are, rather than copied out).
    pub fn lookup(
        &self,
        tenant: &str,
        ids: &[Uuid],
        query: Option<&[f32]>,
        score: &[Uuid],
    ) -> HashMap<Uuid, (Facts, Option<f32>)> {
        let score: HashSet<&Uuid> = score.iter().collect();
        let inner = self.inner.read().expect("index lock");
        ids.iter()
            .filter_map(|id| {
                let (t, slot) = inner.slots.get(id)?;
                let shard = inner.shards.get(t).filter(|_| t == tenant)?;
                let similarity = query
                    .filter(|_| score.contains(id))
                    .map(|q| crate::embed::dot(q, shard.vector(*slot, self.dims)));
                Some((*id, (shard.facts[*slot], similarity)))
            })
            .collect()
    }
}
