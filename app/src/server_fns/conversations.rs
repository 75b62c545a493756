//! Conversations.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use crate::wire::{error::ErrorBody, memory::ConversationPage};

/// The tenant's conversations, newest activity first:
/// [`ConversationListQuery`](crate::wire::memory::ConversationListQuery)'s fields as
/// query parameters (one argument each, so that a plain HTML form can send them).
#[server(prefix = "/api", endpoint = "conversations", input = GetUrl)]
pub async fn list_conversations(
    #[server(default)] tenant_id: Option<String>,
    #[server(default)] archived: Option<bool>,
    #[server(default)] page: Option<u64>,
    #[server(default)] page_size: Option<u64>,
    #[server(default)] updated_since: Option<String>,
    #[server(default)] cursor: Option<String>,
) -> Result<ConversationPage, ErrorBody> {
    let query = crate::wire::memory::ConversationListQuery {
        tenant_id,
        archived,
        page,
        page_size,
        updated_since,
        cursor,
    };
    crate::port::port()?.conversations(query).await
}
