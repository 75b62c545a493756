//! A search request parsed, once and whole, into the typed [`Query`] the pipeline runs: its
//! text, size, mode, fusion, time bounds and filters, each checked here against its rule.

use app::wire::memory::SearchRequest;
use chrono::{DateTime, Utc};

use crate::{
    domain::{
        messages::{conversation_id, Role},
        metadata::MetadataFilter,
        ranking::{RankingWeights, WeightChanges},
        Invalid,
    },
    store::filters::Filters,
};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 10_000;
/// Most results one search returns.
pub const MAX_TOP_K: u32 = 100;

/// Which retrievers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Vector,
    Lexical,
    Hybrid,
}

impl Mode {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "vector" => Ok(Self::Vector),
            "lexical" => Ok(Self::Lexical),
            "hybrid" => Ok(Self::Hybrid),
            _ => Err(Invalid::new("mode", "must be vector, lexical or hybrid")),
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
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "score" => Ok(Self::Score),
            "rrf" => Ok(Self::Rrf),
            _ => Err(Invalid::new("fusion", "must be score or rrf")),
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
    pub filters: Filters,
    /// The server's weights with the request's changes.
    pub weights: RankingWeights,
}

/// How a request spells its metadata filters' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// As JSON values, each with its type (a JSON body, a WebSocket frame).
    Json,
    /// As text that cannot say its type (a URL's query string): each matches the JSON
    /// literal it spells or the same string.
    Text,
}

fn time(raw: Option<&str>, field: &str) -> Result<Option<DateTime<Utc>>, Invalid> {
    raw.map(|r| crate::domain::parse_time(r, field)).transpose()
}

/// Everything about a request but its tenant, checked: the pipeline's query (ranked with
/// `weights` as the request changes them) and whether to explain.
pub fn parse(
    req: SearchRequest,
    spelling: Spelling,
    tenant_id: String,
    weights: RankingWeights,
) -> Result<(Query, bool), Invalid> {
    let text = req.query.trim().to_owned();
    if text.is_empty() || text.chars().count() > MAX_QUERY_CHARS {
        return Err(Invalid::new(
            "query",
            format!("must be 1 to {MAX_QUERY_CHARS} characters"),
        ));
    }
    let top_k = req.top_k.unwrap_or(5);
    if !(1..=MAX_TOP_K).contains(&top_k) {
        return Err(Invalid::new(
            "top_k",
            format!("must be a whole number from 1 to {MAX_TOP_K}"),
        ));
    }
    if let Some(r) = &req.role {
        Role::parse(r)?;
    }
    if let Some(c) = &req.conversation_id {
        conversation_id(c)?;
    }
    if req
        .importance_min
        .is_some_and(|i| !(0.0..=1.0).contains(&i))
    {
        return Err(Invalid::new("importance_min", "must be between 0 and 1"));
    }
    let changes = WeightChanges {
        relevance: req.weight_relevance,
        importance: req.weight_importance,
        recency: req.weight_recency,
        half_life_hours: req.half_life_hours,
    };
    let weights = weights.changed(changes, "weight_")?;
    let mode = Mode::parse(req.mode.as_deref().unwrap_or("hybrid"))?;
    let fusion = Fusion::parse(req.fusion.as_deref().unwrap_or("score"))?;
    let metadata = req
        .metadata
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| match (spelling, value) {
            (Spelling::Text, serde_json::Value::String(text)) => {
                MetadataFilter::spelled(&key, &text, "metadata")
            }
            (_, value) => MetadataFilter::typed(&key, &value, "metadata"),
        })
        .collect::<Result<Vec<_>, Invalid>>()?;
    let filters = Filters {
        start: time(req.start.as_deref(), "start")?,
        end: time(req.end.as_deref(), "end")?,
        conversation_id: req.conversation_id,
        role: req.role,
        importance_min: req.importance_min,
        metadata,
        include_archived: req.include_archived.unwrap_or(false),
    };
    let query = Query {
        tenant_id,
        text,
        top_k: top_k as usize,
        mode,
        fusion,
        filters,
        weights,
    };
    Ok((query, req.explain.unwrap_or(false)))
}
