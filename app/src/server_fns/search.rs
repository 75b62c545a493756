//! Search: "what do I remember about X?"

use leptos::{prelude::*, server_fn::codec::Json};

use crate::wire::{
    error::ErrorBody,
    memory::{SearchRequest, SearchResponse},
};

/// Searches the tenant's memory with the same input as `POST /v1/memory/search`.
#[server(prefix = "/api", endpoint = "search", input = Json)]
pub async fn search_memory(request: SearchRequest) -> Result<SearchResponse, ErrorBody> {
    crate::port::port()?.search(request).await
}
