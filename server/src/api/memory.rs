//! `/v1/memory/search`: "what do I remember about X?", ranked and explainable.

use app::api::memory::{Explain, SearchHit, SearchRequest, SearchResponse, Weights};
use axum::{
    extract::{Query, State},
    Json,
};
use chrono::{DateTime, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{error::ApiError, extract::AppJson, messages::resolve_tenant, Result};
use crate::{
    auth::{Access, Principal},
    domain::{ids::parse_id, messages::Role},
    search::{self, Fusion, Mode},
    state::AppState,
    store::vectors::Filters,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search_get, search_post))
}

/// The GET form: the same fields as query parameters; `metadata.<key>=<value>` filters.
#[utoipa::path(
    get,
    path = "/v1/memory/search",
    tag = "search",
    summary = "Ranked, explainable search of the tenant's memory",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("query" = String, Query, description = "What to remember (required)"), ("top_k" = Option<u32>, Query, description = "Results, 1..100 (default 5)"), ("mode" = Option<String>, Query, description = "vector, lexical or hybrid (default)"), ("fusion" = Option<String>, Query, description = "Hybrid fusion: score (default) or rrf"), ("conversation_id" = Option<String>, Query, description = "Only this conversation"), ("role" = Option<String>, Query, description = "Only user, assistant or system messages"), ("importance_min" = Option<f64>, Query, description = "Minimum importance, 0..1"), ("start" = Option<String>, Query, description = "RFC 3339: created at or after"), ("end" = Option<String>, Query, description = "RFC 3339: created at or before"), ("explain" = Option<bool>, Query, description = "Add every score component and the weights"), ("metadata.<key>" = Option<String>, Query, description = "Metadata equality filter, one parameter per key")),
    responses((status = 200, description = "Best first", body = SearchResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn search_get(
    state: State<AppState>,
    principal: Principal,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<SearchResponse>> {
    let mut req = SearchRequest::default();
    let mut metadata = serde_json::Map::new();
    let mut query = None;
    for (key, value) in params {
        let number = |v: &str, field: &str| {
            v.parse::<f64>()
                .map_err(|_| ApiError::validation(field, format!("{field} must be a number")))
        };
        match key.as_str() {
            "tenant_id" => req.tenant_id = Some(value),
            "query" => query = Some(value),
            "top_k" => {
                req.top_k = Some(value.parse().map_err(|_| {
                    ApiError::validation("top_k", "top_k must be a whole number from 1 to 100")
                })?)
            }
            "conversation_id" => req.conversation_id = Some(value),
            "role" => req.role = Some(value),
            "importance_min" => req.importance_min = Some(number(&value, "importance_min")?),
            "start" => req.start = Some(value),
            "end" => req.end = Some(value),
            "mode" => req.mode = Some(value),
            "fusion" => req.fusion = Some(value),
            "explain" => req.explain = Some(matches!(value.as_str(), "true" | "1" | "yes")),
            k if k.starts_with("metadata.") => {
                metadata.insert(k["metadata.".len()..].to_owned(), value.into());
            }
            other => {
                return Err(ApiError::validation(
                    other,
                    format!("unknown parameter {other:?}"),
                ))
            }
        }
    }
    req.query = query.ok_or_else(|| ApiError::validation("query", "query is required"))?;
    if !metadata.is_empty() {
        req.metadata = Some(metadata);
    }
    run(state, principal, req).await
}

/// The POST form, for long queries.
#[utoipa::path(
    post,
    path = "/v1/memory/search",
    tag = "search",
    summary = "The same search with its fields in a JSON body (for long queries)",
    request_body = SearchRequest,
    responses((status = 200, description = "Best first", body = SearchResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn search_post(
    state: State<AppState>,
    principal: Principal,
    AppJson(req): AppJson<SearchRequest>,
) -> Result<Json<SearchResponse>> {
    run(state, principal, req).await
}

fn time(raw: Option<&str>, field: &str) -> Result<Option<DateTime<Utc>>> {
    raw.map(|r| {
        DateTime::parse_from_rfc3339(r)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ApiError::validation(field, format!("{field} must be an RFC 3339 time")))
    })
    .transpose()
}

async fn run(
    State(state): State<AppState>,
    principal: Principal,
    req: SearchRequest,
) -> Result<Json<SearchResponse>> {
    let tenant = resolve_tenant(&state, &principal, req.tenant_id.as_deref(), Access::Read).await?;
    let text = req.query.trim().to_owned();
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(ApiError::validation(
            "query",
            "query must be 1 to 10000 characters",
        ));
    }
    let top_k = req.top_k.unwrap_or(5);
    if !(1..=100).contains(&top_k) {
        return Err(ApiError::validation(
            "top_k",
            "top_k must be a whole number from 1 to 100",
        ));
    }
    if let Some(r) = &req.role {
        Role::parse(r).map_err(|m| ApiError::validation("role", format!("role {m}")))?;
    }
    if let Some(c) = &req.conversation_id {
        parse_id(c, 128)
            .map_err(|m| ApiError::validation("conversation_id", format!("conversation_id {m}")))?;
    }
    if req
        .importance_min
        .is_some_and(|i| !(0.0..=1.0).contains(&i))
    {
        return Err(ApiError::validation(
            "importance_min",
            "importance_min must be between 0 and 1",
        ));
    }
    let mode = Mode::parse(req.mode.as_deref().unwrap_or("hybrid"))
        .map_err(|m| ApiError::validation("mode", format!("mode {m}")))?;
    let fusion = Fusion::parse(req.fusion.as_deref().unwrap_or("score"))
        .map_err(|m| ApiError::validation("fusion", format!("fusion {m}")))?;
    let mut metadata = Vec::new();
    for (key, value) in req.metadata.unwrap_or_default() {
        parse_id(&key, 64)
            .map_err(|m| ApiError::validation("metadata", format!("metadata key {m}")))?;
        let value = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => (if b { "1" } else { "0" }).to_owned(),
            _ => {
                return Err(ApiError::validation(
                    "metadata",
                    "metadata filters compare text, numbers or booleans",
                ))
            }
        };
        metadata.push((key, value));
    }
    let filters = Filters {
        conversation_id: req.conversation_id,
        role: req.role,
        importance_min: req.importance_min,
        start: time(req.start.as_deref(), "start")?,
        end: time(req.end.as_deref(), "end")?,
        metadata,
    };
    let weights = state.settings.ranking.weights;
    let query = search::Query {
        tenant_id: tenant.tenant_id,
        text,
        top_k: top_k as usize,
        mode,
        fusion,
        filters,
    };
    let outcome = search::run(
        &state.db,
        &state.index,
        state.embedder.as_ref(),
        &weights,
        &query,
    )
    .await?;
    let notice = outcome.degraded.then(|| {
        "The embedding provider is unavailable: these results come from full-text search only."
            .to_owned()
    });
    let hits = outcome.hits;
    let explain = req.explain.unwrap_or(false);
    let items: Vec<SearchHit> = hits
        .into_iter()
        .map(|h| SearchHit {
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
            explain: explain.then(|| Explain {
                mode: mode.as_str().into(),
                fusion: (mode == Mode::Hybrid).then(|| fusion.as_str().into()),
                relevance: h.relevance,
                vector_rank: h.vector_rank,
                lexical_rank: h.lexical_rank,
                weights: Weights {
                    relevance: weights.relevance,
                    importance: weights.importance,
                    recency: weights.recency,
                    half_life_hours: weights.half_life_hours,
                },
            }),
        })
        .collect();
    Ok(Json(SearchResponse {
        total: items.len(),
        items,
        notice,
    }))
}
