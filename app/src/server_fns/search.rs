//! Search: "what do I remember about X?"

use leptos::{
    prelude::*,
    server_fn::codec::{GetUrl, Json},
};

use crate::wire::{
    context::{ContextRequest, ContextResponse},
    error::ErrorBody,
    memory::{SearchRequest, SearchResponse, Weights},
};

/// Searches the tenant's memory with the same input as `POST /v1/memory/search`.
#[server(prefix = "/api", endpoint = "search", input = Json)]
pub async fn search_memory(request: SearchRequest) -> Result<SearchResponse, ErrorBody> {
    crate::port::port()?.search(request).await
}

/// The ranking weights a search uses when it names none (the server's settings).
#[server(prefix = "/api", endpoint = "search/defaults", input = GetUrl)]
pub async fn ranking_defaults() -> Result<Weights, ErrorBody> {
    crate::port::port()?.ranking_defaults().await
}

/// The context a prompt would get for a question, as `POST /v1/memory/context` packs it.
#[server(prefix = "/api", endpoint = "context", input = Json)]
pub async fn memory_context(request: ContextRequest) -> Result<ContextResponse, ErrorBody> {
    crate::port::port()?.context(request).await
}
