//! The two retrievers of search, per backend, and what ranking needs of their candidates.
//!
//! - Vectors: on PostgreSQL, pgvector's HNSW index (cosine), with its iterative scan so filters
//!   do not starve the result; on SQLite, the in-process [`SearchIndex`] (sign-bit scan + exact
//!   re-rank).
//! - Words, on both: the [`SearchIndex`]'s BM25.
//!
//! [`Retrievers`] is the one entry point: prepared once per search (the index caught up, the filters
//! resolved to the ids they allow), then asked for either retriever's candidates and for their
//! ranking facts. Both backends apply the same [`Filters`] in SQL and never leave the tenant.
//!
//! Round trips: on PostgreSQL every query is one, and a search's critical path is the query's
//! embedding followed by the vector query. So the vector query also returns its rows' ranking
//! facts, and [`Retrievers::score`] reads the lexical hits' facts and similarities on another
//! connection while it runs: ranking then needs no query of its own.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use sea_orm::{ConnectionTrait, DbBackend};
use uuid::Uuid;

use super::{
    index::{archived_key, Facts, Hold, SearchIndex},
    StoreError,
    {
        embeddings::pg_vector,
        filters::{where_clause, Filters},
    },
};

/// What ranking needs of each candidate: its facts and, for those asked, its similarity to the
/// query (`None`: it has no vector yet).
pub type RankingFacts = HashMap<Uuid, (Facts, Option<f32>)>;

/// One search's view of a tenant, prepared once for both retrievers: the in-memory index caught
/// up with every committed write and the ids the filters allow. Prepared by [`Retrievers::ready`] or
/// when the first retriever that reads the index asks: on SQLite both do, on PostgreSQL only the
/// lexical retriever (its vector query reads the database and applies the filters itself), so a
/// vector-only search there costs no catch-up and no id list.
pub struct Retrievers<'a> {
    /// The primary: the index catches up from its change log.
    db: &'a sea_orm::DatabaseConnection,
    /// Where rows are read: the primary, or a read replica ([`Retrievers::reading_from`]).
    rows: &'a sea_orm::DatabaseConnection,
    index: &'a Arc<SearchIndex>,
    tenant: &'a str,
    filters: &'a Filters,
    /// The ids the filters allow (`None`: all), and the tenant's words kept in memory while
    /// this search reads them.
    allowed: tokio::sync::OnceCell<(Option<Arc<Vec<Uuid>>>, Hold)>,
    /// PostgreSQL only (the index holds no facts there): what the vector query returned.
    read: Mutex<RankingFacts>,
}

impl<'a> Retrievers<'a> {
    /// Cheap: nothing is read until a retriever asks (or [`Retrievers::ready`]).
    pub fn new(
        db: &'a sea_orm::DatabaseConnection,
        index: &'a Arc<SearchIndex>,
        tenant: &'a str,
        filters: &'a Filters,
    ) -> Self {
        Self {
            db,
            rows: db,
            index,
            tenant,
            filters,
            allowed: tokio::sync::OnceCell::new(),
            read: Mutex::default(),
        }
    }

    /// Reads rows (filters, vectors, ranking facts) from `replica` instead of the primary; the
    /// in-memory index still catches up from the primary's change log.
    pub fn reading_from(mut self, replica: &'a sea_orm::DatabaseConnection) -> Self {
        self.rows = replica;
        self
    }

    /// Catches the index up and resolves the filters now, if the retrievers about to run
    /// (`lexical`: the lexical one too) will read the index, so that a search can do it while
    /// the query is being embedded.
    pub async fn ready(&self, lexical: bool) -> Result<(), StoreError> {
        if lexical || self.index.holds_vectors() {
            self.prepared().await?;
        }
        Ok(())
    }

    /// Catches the index up (with the tenant's words in memory) and resolves the filters,
    /// once; the ids they allow (`None`: all).
    async fn prepared(&self) -> Result<Option<Arc<Vec<Uuid>>>, StoreError> {
        self.allowed
            .get_or_try_init(|| async {
                let hold = self.index.ready(self.db, self.tenant).await?;
                let allowed = allowed_ids(self.rows, self.tenant, self.filters).await?;
                Ok((allowed.map(Arc::new), hold))
            })
            .await
            .map(|(allowed, _)| allowed.clone())
    }

    /// The `limit` messages most similar to `vector`, as `(id, cosine similarity)`, best first.
    /// On PostgreSQL the same query reads their ranking facts, for [`Retrievers::facts`].
    pub async fn nearest(
        &self,
        vector: &[f32],
        limit: usize,
    ) -> Result<Vec<(Uuid, f32)>, StoreError> {
        if !self.index.holds_vectors() {
            let nearest = pg_nearest(self.rows, self.tenant, vector, self.filters, limit).await?;
            let mut read = self.read.lock().expect("fact cache");
            return Ok(nearest
                .into_iter()
                .map(|(id, similarity, facts)| {
                    read.insert(id, (facts, Some(similarity)));
                    (id, similarity)
                })
                .collect());
        }
        let v = vector.to_vec();
        let archived = self.filters.include_archived;
        self.blocking(move |idx, t, allowed| {
            let mut hits = idx.search(t, &v, allowed, limit);
            if archived {
                hits.extend(idx.search(&archived_key(t), &v, allowed, limit));
                best_first(&mut hits, limit, |a, b| {
                    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
                });
            }
            hits
        })
        .await
    }

    /// Gets ready to tell [`Retrievers::facts`] the ranking facts of `ids` and their similarity to
    /// `vector`. On PostgreSQL that is one query by primary key, which a search sends while
    /// the vector query runs (on another connection, so the database works on both at once);
    /// on SQLite the index has them at hand and this does nothing.
    pub async fn score(&self, ids: &[Uuid], vector: &[f32]) -> Result<(), StoreError> {
        if self.index.holds_vectors() || ids.is_empty() {
            return Ok(());
        }
        let scored = pg_scored(self.rows, self.tenant, ids, vector).await?;
        self.read.lock().expect("fact cache").extend(scored);
        Ok(())
    }

    /// The `limit` best full-text matches of `text`, as `(id, relevance)`, best first.
    pub async fn lexical(&self, text: &str, limit: usize) -> Result<Vec<(Uuid, f64)>, StoreError> {
        let q = text.to_owned();
        let archived = self.filters.include_archived;
        self.blocking(move |idx, t, allowed| {
            let mut hits = idx.lexical(t, &q, allowed, limit);
            if archived {
                // Each shard scores by its own word statistics: close enough to merge.
                hits.extend(idx.lexical(&archived_key(t), &q, allowed, limit));
                best_first(&mut hits, limit, |a, b| {
                    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
                });
            }
            hits
        })
        .await
    }

    /// What ranking needs of each of `ids` (of this tenant; others are left out): importance,
    /// creation time and, for those in `score`, the similarity of their stored vector to
    /// `query`. From the index on SQLite; on PostgreSQL from what [`Retrievers::nearest`] and
    /// [`Retrievers::score`] read, and one query for the facts of ids neither read.
    pub async fn facts(
        &self,
        ids: &[Uuid],
        query: Option<&[f32]>,
        score: &[Uuid],
    ) -> Result<RankingFacts, StoreError> {
        let score = if query.is_some() { score } else { &[] };
        if self.index.holds_vectors() {
            // The index holds every stored vector: a message it lacks has none yet.
            let mut out = self.index.lookup(self.tenant, ids, query, score);
            if self.filters.include_archived {
                let key = archived_key(self.tenant);
                out.extend(self.index.lookup(&key, ids, query, score));
            }
            let missing: Vec<Uuid> = ids
                .iter()
                .filter(|id| !out.contains_key(id))
                .copied()
                .collect();
            if !missing.is_empty() {
                let rows = read_facts(self.rows, self.tenant, &missing).await?;
                out.extend(rows.into_iter().map(|(id, facts)| (id, (facts, None))));
            }
            return Ok(out);
        }
        let scored: HashSet<&Uuid> = score.iter().collect();
        let (mut out, missing) = {
            let read = self.read.lock().expect("fact cache");
            let mut out = RankingFacts::with_capacity(ids.len());
            let mut missing = Vec::new();
            for id in ids {
                match read.get(id) {
                    Some(&(facts, s)) => {
                        out.insert(*id, (facts, s.filter(|_| scored.contains(id))));
                    }
                    None => missing.push(*id),
                }
            }
            (out, missing)
        };
        // Lexical hits that were not scored (no query vector: lexical mode, or the provider
        // down). With a query vector [`Retrievers::score`] has read them all already; asking again
        // would only find the same rows again.
        if !missing.is_empty() {
            let rows = read_facts(self.rows, self.tenant, &missing).await?;
            out.extend(rows.into_iter().map(|(id, facts)| (id, (facts, None))));
        }
        Ok(out)
    }

    /// Runs `f` on the index off the async workers (milliseconds of CPU at 10⁵ messages).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SearchIndex, &str, Option<&[Uuid]>) -> T + Send + 'static,
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

/// PostgreSQL: the `limit` messages most similar to `query`, as `(id, cosine similarity,
/// ranking facts)`, best first.
async fn pg_nearest(
    db: &sea_orm::DatabaseConnection,
    tenant: &str,
    query: &[f32],
    filters: &Filters,
    limit: usize,
) -> Result<Vec<(Uuid, f32, Facts)>, StoreError> {
    let backend = DbBackend::Postgres;
    let mut values = Vec::new();
    let condition = where_clause(backend, tenant, filters, &mut values);
    // Bound as a binary vector: a text parameter cast in SQL is parsed again for every
    // row and keeps the planner off the HNSW index (a scan instead of a graph walk).
    values.push(pg_vector(query));
    let q = values.len();
    values.push((limit as i64).into());
    let l = values.len();
    let sql = format!(
        "SELECT m.id, 1 - (m.embedding <=> ${q}) AS similarity, m.importance_score, \
           m.created_at FROM messages m \
         WHERE {condition} AND m.embedding IS NOT NULL ORDER BY m.embedding <=> ${q} LIMIT ${l}"
    );
    // The session's `hnsw.*` settings (see `store::connect`) keep recall ≥ 0.95 of exact search
    // and let filters through; the planner picks HNSW or the tenant's rows by their sizes.
    let rows = db
        .query_all_raw(crate::store::statement(backend, &sql, values))
        .await?;
    let mut nearest = Vec::with_capacity(limit);
    for r in &rows {
        let similarity: f64 = r.try_get("", "similarity")?;
        nearest.push((r.try_get("", "id")?, similarity as f32, row_facts(r)?));
    }
    // relaxed_order may return slightly out of order: restore it.
    nearest.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(nearest)
}

/// PostgreSQL: the ranking facts of the tenant's messages among `ids`, and the similarity of
/// their vectors to `query` (computed where the vectors are, not sent over).
async fn pg_scored(
    db: &sea_orm::DatabaseConnection,
    tenant: &str,
    ids: &[Uuid],
    query: &[f32],
) -> Result<RankingFacts, StoreError> {
    // One text parameter (sea-orm's array binding is not enabled): read by primary key.
    let listed = ids
        .iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let rows = db
        .query_all_raw(crate::store::statement(
            DbBackend::Postgres,
            "SELECT m.id, 1 - (m.embedding <=> $1) AS similarity, m.importance_score, \
               m.created_at FROM messages m \
             WHERE m.id = ANY(string_to_array($2, ',')::uuid[]) AND m.tenant_id = $3",
            [pg_vector(query), listed.into(), tenant.into()],
        ))
        .await?;
    let mut scored = RankingFacts::with_capacity(rows.len());
    for r in &rows {
        let similarity: Option<f64> = r.try_get("", "similarity")?;
        scored.insert(
            r.try_get("", "id")?,
            (row_facts(r)?, similarity.map(|s| s as f32)),
        );
    }
    Ok(scored)
}

/// The ranking facts of a row that has `importance_score` and `created_at`.
fn row_facts(r: &sea_orm::QueryResult) -> Result<Facts, StoreError> {
    Ok(Facts {
        importance: r.try_get("", "importance_score")?,
        created_at: r.try_get("", "created_at")?,
    })
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
        .query_all_raw(crate::store::statement(backend, &sql, values))
        .await?;
    Ok(Some(
        rows.iter()
            .map(|r| r.try_get::<Uuid>("", "id"))
            .collect::<Result<Vec<_>, _>>()?,
    ))
}

/// Importance and creation time of those `ids` that belong to `tenant`, in one query.
async fn read_facts(
    db: &sea_orm::DatabaseConnection,
    tenant: &str,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Facts>, StoreError> {
    let backend = db.get_database_backend();
    let (list, values) = super::id_params(ids);
    // By primary key alone (see `messages::messages_by_ids` for why), the tenant checked per row.
    let sql = format!(
        "SELECT id, tenant_id, importance_score, created_at FROM messages WHERE id IN ({list})"
    );
    let rows = db
        .query_all_raw(crate::store::statement(backend, &sql, values))
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in &rows {
        if r.try_get::<String>("", "tenant_id")? == tenant {
            out.insert(r.try_get("", "id")?, row_facts(r)?);
        }
    }
    Ok(out)
}

/// Keeps the `limit` best of `hits` by `order` (best first), sorted.
fn best_first<T>(hits: &mut Vec<T>, limit: usize, order: impl Fn(&T, &T) -> std::cmp::Ordering) {
    hits.sort_by(order);
    hits.truncate(limit);
}
