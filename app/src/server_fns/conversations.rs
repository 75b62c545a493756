//! Conversations.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use crate::wire::{
    error::ErrorBody,
    memory::{ConversationPage, ConversationResponse, MessagePage},
};

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

/// One conversation of the tenant.
#[server(prefix = "/api", endpoint = "conversation", input = GetUrl)]
pub async fn get_conversation(
    id: String,
    #[server(default)] tenant_id: Option<String>,
) -> Result<ConversationResponse, ErrorBody> {
    crate::port::port()?.conversation(tenant_id, id).await
}

/// One page of a conversation's messages in time order:
/// [`MessageListQuery`](crate::wire::memory::MessageListQuery)'s fields as query parameters.
#[server(prefix = "/api", endpoint = "conversation/messages", input = GetUrl)]
pub async fn list_messages(
    id: String,
    #[server(default)] tenant_id: Option<String>,
    #[server(default)] order: Option<String>,
    #[server(default)] include_archived: bool,
    #[server(default)] page_size: Option<u64>,
    #[server(default)] cursor: Option<String>,
) -> Result<MessagePage, ErrorBody> {
    let query = crate::wire::memory::MessageListQuery {
        tenant_id,
        order,
        include_archived,
        page_size,
        cursor,
    };
    crate::port::port()?.conversation_messages(id, query).await
}
