//! `/v1/memory/search`: "what do I remember about X?", ranked and explainable, onto
//! [`crate::service::search`]. The GET form spells the request as query parameters.

use app::api::memory::{SearchRequest, SearchResponse};
use axum::{extract::State, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::ApiError,
    extract::{AppJson, AppQuery},
    Result,
};
use crate::{
    service::{search, Caller, Services},
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
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("query" = String, Query, description = "What to remember (required)"), ("top_k" = Option<u32>, Query, description = "Results, 1..100 (default 5)"), ("mode" = Option<String>, Query, description = "vector, lexical or hybrid (default)"), ("fusion" = Option<String>, Query, description = "Hybrid fusion: score (default) or rrf"), ("conversation_id" = Option<String>, Query, description = "Only this conversation"), ("role" = Option<String>, Query, description = "Only user, assistant or system messages"), ("importance_min" = Option<f64>, Query, description = "Minimum importance, 0..1"), ("start" = Option<String>, Query, description = "RFC 3339: created at or after"), ("end" = Option<String>, Query, description = "RFC 3339: created at or before"), ("explain" = Option<bool>, Query, description = "Add every score component and the weights"), ("include_archived" = Option<bool>, Query, description = "Archived messages too (default false); cold storage never"), ("metadata.<key>" = Option<String>, Query, description = "Metadata equality filter, one parameter per key")),
    responses((status = 200, description = "Best first", body = SearchResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn search_get(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(params): AppQuery<Vec<(String, String)>>,
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
            // `min_importance` is the original dashboard's name for it.
            "importance_min" | "min_importance" => {
                req.importance_min = Some(number(&value, "importance_min")?)
            }
            "start" => req.start = Some(value),
            "end" => req.end = Some(value),
            "mode" => req.mode = Some(value),
            "fusion" => req.fusion = Some(value),
            "explain" => req.explain = Some(matches!(value.as_str(), "true" | "1" | "yes")),
            "include_archived" => {
                req.include_archived = Some(value.parse().map_err(|_| {
                    ApiError::validation(
                        "include_archived",
                        "include_archived must be true or false",
                    )
                })?)
            }
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
    Ok(Json(search::run(&svc, &caller, req).await?))
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
) -> Result<Json<SearchResponse>> {
    Ok(Json(search::run(&svc, &caller, req).await?))
}
