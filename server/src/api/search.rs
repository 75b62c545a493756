//! `/v1/memory/search`: "what do I remember about X?", ranked and explainable, onto
//! [`crate::service::search`]. The GET form spells the request as query parameters.

use app::wire::memory::{SearchRequest, SearchResponse};
use axum::{extract::State, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    extract::{AppJson, MetadataQuery},
    versioning::{announce_if, Announced},
    Result,
};
use crate::{
    service::{
        search::{self, Spelling},
        Caller, Services,
    },
    state::AppState,
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
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("query" = String, Query, description = "What to remember (required)"), ("top_k" = Option<u32>, Query, description = "Results, 1..100 (default 5)"), ("mode" = Option<String>, Query, description = "vector, lexical or hybrid (default)"), ("fusion" = Option<String>, Query, description = "Hybrid fusion: score (default) or rrf"), ("conversation_id" = Option<String>, Query, description = "Only this conversation"), ("role" = Option<String>, Query, description = "Only user, assistant or system messages"), ("importance_min" = Option<f64>, Query, description = "Minimum importance, 0..1"), ("start" = Option<String>, Query, description = "RFC 3339: created at or after"), ("end" = Option<String>, Query, description = "RFC 3339: created at or before"), ("explain" = Option<bool>, Query, description = "Add every score component and the weights"), ("include_archived" = Option<bool>, Query, description = "Archived messages too (default false); cold storage never"), ("weight_relevance" = Option<f64>, Query, description = "This search's relevance weight, 0..1000 (default: the server's)"), ("weight_importance" = Option<f64>, Query, description = "This search's importance weight, 0..1000"), ("weight_recency" = Option<f64>, Query, description = "This search's recency weight, 0..1000 (the three not all 0)"), ("half_life_hours" = Option<f64>, Query, description = "This search's recency half-life in hours, 0.01..1000000"), ("metadata.<key>" = Option<String>, Query, description = "Metadata equality filter, one parameter per key: matches the JSON literal the value spells (true, 2, null) or the same string"), ("candidate_limit" = Option<u32>, Query, deprecated, description = "The original API's parameter: accepted and ignored")),
    responses((status = 200, description = "Best first", body = SearchResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn search_get(
    State(svc): State<Services>,
    caller: Caller,
    MetadataQuery(mut req, metadata): MetadataQuery<SearchRequest>,
) -> Result<Json<SearchResponse>> {
    if !metadata.is_empty() {
        let filters = metadata.into_iter().map(|(k, v)| (k, v.into())).collect();
        req.metadata = Some(filters);
    }
    Ok(Json(search::run(&svc, &caller, req, Spelling::Text).await?))
}

/// The POST form, for long queries.
#[utoipa::path(
    post,
    path = "/v1/memory/search",
    tag = "search",
    summary = "The same search with its fields in a JSON body (for long queries)",
    request_body = SearchRequest,
    responses((status = 200, description = "Best first", body = SearchResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn search_post(
    State(svc): State<Services>,
    caller: Caller,
    AppJson(req): AppJson<SearchRequest>,
) -> Result<(Announced, Json<SearchResponse>)> {
    // `candidate_limit` is the original API's field (the middleware announces the GET form's).
    let announced = announce_if(req.candidate_limit.is_some(), "/v1/memory/search");
    let found = search::run(&svc, &caller, req, Spelling::Json).await?;
    Ok((announced, Json(found)))
}
