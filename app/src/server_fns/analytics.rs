//! The tenant's figures, for the overview.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use crate::wire::{analytics::Overview, error::ErrorBody};

/// Usage, the last `days` of trends, embedding progress and the most active conversations.
#[server(prefix = "/api", endpoint = "overview", input = GetUrl)]
pub async fn get_overview(
    #[server(default)] tenant_id: Option<String>,
    #[server(default)] days: Option<i64>,
) -> Result<Overview, ErrorBody> {
    crate::port::port()?.overview(tenant_id, days).await
}
