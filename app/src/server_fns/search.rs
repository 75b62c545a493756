//! Search: "what do I remember about X?"

use leptos::{
    prelude::*,
    server_fn::codec::{GetUrl, Json},
};

use crate::wire::{
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
