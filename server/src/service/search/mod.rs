//! "What do I remember about X?": a search request authorised here, parsed whole into a typed
//! query ([`query`]), run by the [`pipeline`], and explained in the wire form every door
//! returns.

mod pipeline;
mod query;
pub mod streaming;

use app::wire::memory::{Explain, SearchHit, SearchRequest, SearchResponse, Weights};

pub use self::query::{Fusion, Mode, Query, Spelling, MAX_QUERY_CHARS, MAX_TOP_K};
use super::{Access, Caller, Result, ServiceError, Services, TenantContext};

/// The weights a search ranks with when it names none, as `explain` shows them.
pub fn default_weights(svc: &Services) -> Weights {
    wire_weights(&svc.settings.ranking.weights)
}

fn wire_weights(w: &crate::domain::ranking::RankingWeights) -> Weights {
    Weights {
        relevance: w.relevance,
        importance: w.importance,
        recency: w.recency,
        half_life_hours: w.half_life_hours,
    }
}

/// Runs one search for `caller`, best results first.
pub async fn run(
    svc: &Services,
    caller: &Caller,
    req: SearchRequest,
    spelling: Spelling,
) -> Result<SearchResponse> {
    let tenant = caller
        .authorise_and_charge(svc, req.tenant_id.as_deref(), Access::Read)
        .await?;
    run_in(svc, &tenant, req, spelling).await
}

/// Runs one search in a tenant the caller was already authorised (and charged) for, as a
/// long-lived connection is; a `tenant_id` in the request must name that tenant.
pub(super) async fn run_in(
    svc: &Services,
    tenant: &TenantContext,
    req: SearchRequest,
    spelling: Spelling,
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
    let defaults = svc.settings.ranking.weights;
    let (query, explain) = query::parse(req, spelling, tenant.tenant_id.clone(), defaults)?;
    let weights = query.weights;
    let started = std::time::Instant::now();
    let reader = svc.reader(&tenant.tenant_id);
    let outcome = pipeline::run(&svc.db, reader, &svc.index, svc.embedder.as_ref(), &query).await?;
    let took = started.elapsed();
    svc.metrics.searched(query.mode.as_str(), took);
    svc.search_stats.record(&tenant.tenant_id, took);
    let notice = outcome.degraded.then(|| {
        "The embedding provider is unavailable: these results come from full-text search only."
            .to_owned()
    });
    let explained = |h: &pipeline::Hit| Explain {
        mode: query.mode.as_str().into(),
        fusion: (query.mode == Mode::Hybrid).then(|| query.fusion.as_str().into()),
        relevance: h.relevance,
        vector_rank: h.vector_rank,
        lexical_rank: h.lexical_rank,
        weights: wire_weights(&weights),
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
