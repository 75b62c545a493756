//! "What do I remember about X?": a search request validated and authorised here, run by the
//! pipeline in [`crate::search`], and explained in the wire form every door returns.

use app::api::memory::{Explain, SearchHit, SearchRequest, SearchResponse, Weights};
use chrono::{DateTime, Utc};

use super::{Access, Caller, Result, ServiceError, Services, TenantContext};
use crate::{
    domain::{ids::parse_id, messages::Role, Invalid},
    search::{self, Fusion, Mode},
    store::filters::Filters,
};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 10_000;
/// Most results one search returns.
pub const MAX_TOP_K: u32 = 100;

fn time(raw: Option<&str>, field: &str) -> Result<Option<DateTime<Utc>>, Invalid> {
    raw.map(|r| {
        DateTime::parse_from_rfc3339(r)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Invalid::new(field, "must be an RFC 3339 time"))
    })
    .transpose()
}

/// A metadata filter's value, compared as text.
fn filter_value(value: serde_json::Value) -> Result<String, Invalid> {
    match value {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok((if b { "1" } else { "0" }).to_owned()),
        _ => Err(Invalid::new(
            "metadata",
            "filters compare text, numbers or booleans",
        )),
    }
}

/// Everything about a request but its tenant, checked: the pipeline's query and whether to
/// explain.
fn parse(req: SearchRequest, tenant_id: String) -> Result<(search::Query, bool), Invalid> {
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
        parse_id(c, 128, "conversation_id")?;
    }
    if req
        .importance_min
        .is_some_and(|i| !(0.0..=1.0).contains(&i))
    {
        return Err(Invalid::new("importance_min", "must be between 0 and 1"));
    }
    let mode = Mode::parse(req.mode.as_deref().unwrap_or("hybrid"))?;
    let fusion = Fusion::parse(req.fusion.as_deref().unwrap_or("score"))?;
    let metadata = req
        .metadata
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| Ok((parse_id(&key, 64, "metadata")?, filter_value(value)?)))
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
    let query = search::Query {
        tenant_id,
        text,
        top_k: top_k as usize,
        mode,
        fusion,
        filters,
    };
    Ok((query, req.explain.unwrap_or(false)))
}

/// Runs one search for `caller`, best results first.
pub async fn run(svc: &Services, caller: &Caller, req: SearchRequest) -> Result<SearchResponse> {
    let tenant = caller
        .tenant(svc, req.tenant_id.as_deref(), Access::Read)
        .await?;
    run_in(svc, &tenant, req).await
}

/// Runs one search in a tenant the caller was already authorised (and charged) for, as a
/// long-lived connection is; a `tenant_id` in the request must name that tenant.
pub async fn run_in(
    svc: &Services,
    tenant: &TenantContext,
    req: SearchRequest,
) -> Result<SearchResponse> {
    if req
        .tenant_id
        .as_deref()
        .is_some_and(|t| t != tenant.tenant_id)
    {
        return Err(ServiceError::invalid(
            "tenant_id",
            "must be the connection's tenant (or left out)",
        ));
    }
    let (query, explain) = parse(req, tenant.tenant_id.clone())?;
    let weights = svc.settings.ranking.weights;
    let started = std::time::Instant::now();
    let outcome = search::run(&svc.db, &svc.index, svc.embedder.as_ref(), &weights, &query).await?;
    let took = started.elapsed();
    svc.metrics.searched(query.mode.as_str(), took);
    svc.search_stats.record(&tenant.tenant_id, took);
    let notice = outcome.degraded.then(|| {
        "The embedding provider is unavailable: these results come from full-text search only."
            .to_owned()
    });
    let explained = |h: &search::Hit| Explain {
        mode: query.mode.as_str().into(),
        fusion: (query.mode == Mode::Hybrid).then(|| query.fusion.as_str().into()),
        relevance: h.relevance,
        vector_rank: h.vector_rank,
        lexical_rank: h.lexical_rank,
        weights: Weights {
            relevance: weights.relevance,
            importance: weights.importance,
            recency: weights.recency,
            half_life_hours: weights.half_life_hours,
        },
    };
    let items: Vec<SearchHit> = outcome
        .hits
        .into_iter()
        .map(|h| SearchHit {
            explain: explain.then(|| explained(&h)),
            message_id: h.message.id.to_string(),
            conversation_id: h.message.conversation_id,
            content: h.message.content,
            role: h.message.role,
            metadata: h.message.metadata,
            created_at: h.message.created_at.to_rfc3339(),
            score: h.score,
            similarity: h.similarity,
            importance: h.message.importance_score,
            decay: h.decay,
            archived: h.message.archived,
        })
        .collect();
    Ok(SearchResponse {
        total: items.len(),
        items,
        notice,
    })
}
