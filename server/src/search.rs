//! The search pipeline: embed the query, run the retrievers the mode asks for, fuse their
//! rankings, and score each candidate with importance and recency. No HTTP types here.

use std::collections::HashMap;

use chrono::Utc;
use uuid::Uuid;

use crate::{
    domain::ranking::{self, RankingWeights},
    embed::{dot, EmbedError, EmbeddingProvider},
    store::{entities::messages, memory, vectors, StoreError},
};

/// Which retrievers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Vector,
    Lexical,
    Hybrid,
}

impl Mode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "vector" => Ok(Self::Vector),
            "lexical" => Ok(Self::Lexical),
            "hybrid" => Ok(Self::Hybrid),
            _ => Err("must be vector, lexical or hybrid".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vector => "vector",
            Self::Lexical => "lexical",
            Self::Hybrid => "hybrid",
        }
    }
}

/// How hybrid mode combines its two retrievers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fusion {
    /// Equal-weight convex combination of the normalised scores (the default: best measured).
    Score,
    /// Reciprocal-rank fusion of the two rankings.
    Rrf,
}

impl Fusion {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "score" => Ok(Self::Score),
            "rrf" => Ok(Self::Rrf),
            _ => Err("must be score or rrf".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Score => "score",
            Self::Rrf => "rrf",
        }
    }
}

/// A validated search.
pub struct Query {
    pub tenant_id: String,
    pub text: String,
    pub top_k: usize,
    pub mode: Mode,
    pub fusion: Fusion,
    pub filters: vectors::Filters,
}

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

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How deep each retriever looks before fusion: deep enough that fusion and re-scoring can
/// promote a message neither retriever ranked in its top few.
fn depth(top_k: usize) -> usize {
    (top_k * 10).clamp(50, 500)
}

pub async fn run(
    db: &sea_orm::DatabaseConnection,
    embedder: &dyn EmbeddingProvider,
    weights: &RankingWeights,
    q: &Query,
) -> Result<Outcome, SearchError> {
    let n = depth(q.top_k);
    let mut degraded = false;
    let query_vector = match q.mode {
        Mode::Lexical => None,
        Mode::Vector => embedder.embed(vec![q.text.clone()]).await?.pop(),
        // Hybrid keeps answering from its lexical half while the provider is down, and says so.
        Mode::Hybrid => match embedder.embed(vec![q.text.clone()]).await {
            Ok(mut v) => v.pop(),
            Err(e) if e.fault != crate::embed::Fault::User => {
                tracing::warn!(error = %e, "query embedding failed; hybrid search falls back to lexical");
                degraded = true;
                None
            }
            Err(e) => return Err(e.into()),
        },
    };
    let vector_hits = match &query_vector {
        Some(v) => vectors::vector_candidates(db, &q.tenant_id, v, &q.filters, n).await?,
        None => Vec::new(),
    };
    let lexical_hits = match q.mode {
        Mode::Vector => Vec::new(),
        _ => vectors::lexical_candidates(db, &q.tenant_id, &q.text, &q.filters, n).await?,
    };

    let vector_rank: HashMap<Uuid, (usize, f32)> = vector_hits
        .iter()
        .enumerate()
        .map(|(i, (id, sim))| (*id, (i + 1, *sim)))
        .collect();
    let lexical_max = lexical_hits
        .first()
        .map_or(1.0, |(_, r)| r.max(f64::MIN_POSITIVE));
    let lexical_rank: HashMap<Uuid, (usize, f64)> = lexical_hits
        .iter()
        .enumerate()
        .map(|(i, (id, rel))| (*id, (i + 1, rel / lexical_max)))
        .collect();
    let mut ids: Vec<Uuid> = vector_hits.iter().map(|(id, _)| *id).collect();
    ids.extend(
        lexical_hits
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !vector_rank.contains_key(id)),
    );

    // Lexical-only hits get their cosine similarity too, so every result is explained alike.
    let mut similarity: HashMap<Uuid, f64> = vector_rank
        .iter()
        .map(|(id, (_, s))| (*id, f64::from(*s)))
        .collect();
    if let Some(v) = &query_vector {
        let missing: Vec<Uuid> = ids
            .iter()
            .copied()
            .filter(|id| !similarity.contains_key(id))
            .collect();
        for (id, vector) in vectors::embeddings_of(db, &missing).await? {
            similarity.insert(id, f64::from(dot(v, &vector)));
        }
    }

    let sim_range = similarity
        .values()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
            (lo.min(*s), hi.max(*s))
        });
    let now = Utc::now();
    let mut hits: Vec<Hit> = memory::messages_by_ids(db, &q.tenant_id, &ids)
        .await?
        .into_iter()
        .map(|message| {
            let v = vector_rank.get(&message.id).map(|(r, _)| *r);
            let l = lexical_rank.get(&message.id);
            let relevance = match q.mode {
                Mode::Vector => similarity.get(&message.id).copied().unwrap_or(0.0),
                Mode::Lexical => l.map_or(0.0, |(_, rel)| *rel),
                Mode::Hybrid => match q.fusion {
                    Fusion::Rrf => ranking::rrf(&[v, l.map(|(r, _)| *r)]),
                    Fusion::Score => ranking::convex(
                        similarity.get(&message.id).copied(),
                        sim_range,
                        l.map(|(_, rel)| *rel),
                    ),
                },
            };
            let decay = ranking::decay(message.created_at, now, weights.half_life_hours);
            Hit {
                score: ranking::score(weights, relevance, message.importance_score, decay),
                relevance,
                similarity: similarity.get(&message.id).copied(),
                decay,
                vector_rank: v,
                lexical_rank: l.map(|(r, _)| *r),
                message,
            }
        })
        .collect();
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.message.id.cmp(&b.message.id))
    });
    hits.truncate(q.top_k);
    Ok(Outcome { hits, degraded })
}
