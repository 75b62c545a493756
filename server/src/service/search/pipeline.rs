//! The search pipeline: embed the query, run the retrievers the mode asks for, fuse their
//! rankings, and score each candidate with importance and recency. No HTTP types here.

use std::{collections::HashMap, sync::Arc, time::Instant};

use chrono::Utc;
use uuid::Uuid;

use super::query::{Fusion, Mode, Query};
use crate::{
    domain::ranking,
    embed::EmbeddingProvider,
    service::ServiceError,
    store::{entities::messages, index::SearchIndex, messages as stored, retrievers::Retrievers},
};

/// One ranked result with its score components.
pub struct Hit {
    pub message: messages::Model,
    pub score: f64,
    pub relevance: f64,
    pub similarity: Option<f64>,
    pub decay: f64,
    pub vector_rank: Option<usize>,
    pub lexical_rank: Option<usize>,
}

/// The ranked hits, and whether only the lexical retriever could run.
pub struct Outcome {
    pub hits: Vec<Hit>,
    pub degraded: bool,
}

/// How deep each retriever looks before fusion: deep enough that fusion and re-scoring can
/// promote a message neither retriever ranked in its top few.
fn depth(top_k: usize) -> usize {
    (top_k * 10).clamp(50, 500)
}

/// Runs a validated search: retrieve, rank, then read only the winners.
pub async fn run(
    db: &sea_orm::DatabaseConnection,
    reader: &sea_orm::DatabaseConnection,
    index: &Arc<SearchIndex>,
    embedder: &dyn EmbeddingProvider,
    q: &Query,
) -> Result<Outcome, ServiceError> {
    let started = Instant::now();
    let retrievers = Retrievers::new(db, index, &q.tenant_id, &q.filters).reading_from(reader);
    let found = retrieve(&retrievers, embedder, q).await?;
    let rank_started = Instant::now();
    let (scored, similarity) = rank(&retrievers, &found, q).await?;
    let rank_ms = ms(rank_started);
    let read_started = Instant::now();
    let winners: Vec<Uuid> = scored.iter().map(|s| s.id).collect();
    let mut rows: HashMap<Uuid, messages::Model> =
        stored::messages_by_ids(reader, &q.tenant_id, &winners)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    // Where a search's time goes (`RUST_LOG=server::service::search=debug`): the embedding, then the
    // two retrievers side by side; the rest follow one another.
    tracing::debug!(
        embed_ms = found.embed_ms,
        lexical_ms = found.lexical_ms,
        vector_ms = found.vector_ms,
        rank_ms,
        read_ms = ms(read_started),
        total_ms = ms(started),
        "search timings"
    );
    let hits = scored
        .into_iter()
        .filter_map(|s| {
            Some(Hit {
                message: rows.remove(&s.id)?,
                score: s.score,
                relevance: s.relevance,
                similarity: similarity.get(&s.id).copied(),
                decay: s.decay,
                vector_rank: s.vector_rank,
                lexical_rank: s.lexical_rank,
            })
        })
        .collect();
    Ok(Outcome {
        hits,
        degraded: found.degraded,
    })
}

/// What the retrievers found, best first, and how long each took.
struct Found {
    query_vector: Option<Vec<f32>>,
    /// Hybrid search ran without its vector half (the provider failed).
    degraded: bool,
    vector: Vec<(Uuid, f32)>,
    lexical: Vec<(Uuid, f64)>,
    embed_ms: f64,
    vector_ms: f64,
    lexical_ms: f64,
}

/// The query's embedding, then the retrievers the mode asks for.
///
/// First the embedding, on every core the model may use, while the index catches up (a read of
/// the change log, no real CPU). Then both retrievers at once: the vector one (on PostgreSQL a
/// query the database works on) beside the lexical one (the index, on another core), which on
/// PostgreSQL then sends a query of its own for its hits' facts and similarities. Scoring words
/// beside the embedding instead slowed the embedding by more than the words took.
async fn retrieve(
    retrievers: &Retrievers<'_>,
    embedder: &dyn EmbeddingProvider,
    q: &Query,
) -> Result<Found, ServiceError> {
    let n = depth(q.top_k);
    let embedding = async {
        match q.mode {
            Mode::Lexical => Ok((None, false)),
            Mode::Vector => Ok((Some(embedder.embed_query(q.text.clone()).await?), false)),
            // Hybrid keeps answering from its lexical half while the provider is down, and
            // says so.
            Mode::Hybrid => match embedder.embed_query(q.text.clone()).await {
                Ok(v) => Ok((Some(v), false)),
                Err(e) if e.fault != crate::embed::Fault::User => {
                    tracing::warn!(
                        error = %e,
                        "query embedding failed; hybrid search falls back to lexical"
                    );
                    Ok((None, true))
                }
                Err(e) => Err(ServiceError::from(e)),
            },
        }
    };
    let ready = async { Ok::<_, ServiceError>(retrievers.ready(q.mode != Mode::Vector).await?) };
    let (((query_vector, degraded), embed_ms), ()) = tokio::try_join!(timed(embedding), ready)?;

    let vector = async {
        match &query_vector {
            Some(v) => Ok(retrievers.nearest(v, n).await?),
            None => Ok::<_, ServiceError>(Vec::new()),
        }
    };
    let lexical = async {
        if q.mode == Mode::Vector {
            return Ok(Vec::new());
        }
        let hits = retrievers.lexical(&q.text, n).await?;
        // Their similarities too, so every result is explained alike.
        if let Some(v) = &query_vector {
            let ids: Vec<Uuid> = hits.iter().map(|(id, _)| *id).collect();
            retrievers.score(&ids, v).await?;
        }
        Ok::<_, ServiceError>(hits)
    };
    let ((vector, vector_ms), (lexical, lexical_ms)) =
        tokio::try_join!(timed(vector), timed(lexical))?;
    Ok(Found {
        query_vector,
        degraded,
        vector,
        lexical,
        embed_ms,
        vector_ms,
        lexical_ms,
    })
}

/// Fuses the two rankings and scores every candidate with importance and recency, from facts
/// alone (no text is read): the best `top_k`, and each candidate's similarity to the query.
async fn rank(
    retrievers: &Retrievers<'_>,
    found: &Found,
    q: &Query,
) -> Result<(Vec<Scored>, HashMap<Uuid, f64>), ServiceError> {
    let weights = &q.weights;
    let vector_rank: HashMap<Uuid, (usize, f32)> = found
        .vector
        .iter()
        .enumerate()
        .map(|(i, (id, sim))| (*id, (i + 1, *sim)))
        .collect();
    let lexical_max = found
        .lexical
        .first()
        .map_or(1.0, |(_, r)| r.max(f64::MIN_POSITIVE));
    let lexical_rank: HashMap<Uuid, (usize, f64)> = found
        .lexical
        .iter()
        .enumerate()
        .map(|(i, (id, rel))| (*id, (i + 1, rel / lexical_max)))
        .collect();
    let mut ids: Vec<Uuid> = found.vector.iter().map(|(id, _)| *id).collect();
    let lexical_only: Vec<Uuid> = found
        .lexical
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !vector_rank.contains_key(id))
        .collect();
    ids.extend(&lexical_only);

    // Importance and time of every candidate (and the similarity of lexical-only hits, so every
    // result is explained alike), without reading their text: only the winners are fetched.
    let facts = retrievers
        .facts(&ids, found.query_vector.as_deref(), &lexical_only)
        .await?;
    let mut similarity: HashMap<Uuid, f64> = vector_rank
        .iter()
        .map(|(id, (_, s))| (*id, f64::from(*s)))
        .collect();
    for id in &lexical_only {
        if let Some((_, Some(s))) = facts.get(id) {
            similarity.insert(*id, f64::from(*s));
        }
    }
    let sim_range = similarity
        .values()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
            (lo.min(*s), hi.max(*s))
        });

    let now = Utc::now();
    let mut scored: Vec<Scored> = ids
        .iter()
        .filter_map(|id| {
            let (f, _) = facts.get(id)?;
            let v = vector_rank.get(id).map(|(r, _)| *r);
            let l = lexical_rank.get(id);
            let relevance = match q.mode {
                Mode::Vector => similarity.get(id).copied().unwrap_or(0.0),
                Mode::Lexical => l.map_or(0.0, |(_, rel)| *rel),
                Mode::Hybrid => match q.fusion {
                    Fusion::Rrf => ranking::rrf(&[v, l.map(|(r, _)| *r)]),
                    Fusion::Score => ranking::convex(
                        similarity.get(id).copied(),
                        sim_range,
                        l.map(|(_, rel)| *rel),
                    ),
                },
            };
            let decay = ranking::decay(f.created_at, now, weights.half_life_hours);
            Some(Scored {
                id: *id,
                score: ranking::score(weights, relevance, f.importance, decay),
                relevance,
                decay,
                vector_rank: v,
                lexical_rank: l.map(|(r, _)| *r),
            })
        })
        .collect();
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    scored.truncate(q.top_k);
    Ok((scored, similarity))
}

/// Milliseconds since `since`.
fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Runs `f`, and tells how long it took.
async fn timed<T, E>(f: impl std::future::Future<Output = Result<T, E>>) -> Result<(T, f64), E> {
    let started = Instant::now();
    Ok((f.await?, ms(started)))
}

/// A candidate's score before its message is read.
struct Scored {
    id: Uuid,
    score: f64,
    relevance: f64,
    decay: f64,
    vector_rank: Option<usize>,
    lexical_rank: Option<usize>,
}
