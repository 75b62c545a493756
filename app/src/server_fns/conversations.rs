//! Conversations.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use crate::wire::{
    error::ErrorBody,
    memory::{ConversationPage, ConversationResponse, ConversationStats, MessagePage},
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
    #[server(default)] q: Option<String>,
) -> Result<ConversationPage, ErrorBody> {
    let query = crate::wire::memory::ConversationListQuery {
        tenant_id,
        archived,
        page,
        page_size,
        updated_since,
        cursor,
        q,
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

/// A conversation's figures: messages by role, archived and cold, average importance.
#[server(prefix = "/api", endpoint = "conversation/stats", input = GetUrl)]
pub async fn get_conversation_stats(
    id: String,
    #[server(default)] tenant_id: Option<String>,
) -> Result<ConversationStats, ErrorBody> {
    crate::port::port()?.conversation_stats(tenant_id, id).await
}

/// Gives a conversation a new title (an empty one removes it).
#[server(prefix = "/api", endpoint = "conversation/rename")]
pub async fn rename_conversation(
    id: String,
    title: String,
    #[server(default)] tenant_id: Option<String>,
) -> Result<ConversationResponse, ErrorBody> {
    let change = crate::wire::memory::UpdateConversationRequest {
        title: Some(title),
        ..Default::default()
    };
    crate::port::port()?
        .edit_conversation(tenant_id, id, change)
        .await
}

/// Archives a conversation (`archived = true`) or restores it.
#[server(prefix = "/api", endpoint = "conversation/archive")]
pub async fn archive_conversation(
    id: String,
    archived: bool,
    #[server(default)] tenant_id: Option<String>,
) -> Result<ConversationResponse, ErrorBody> {
    let change = crate::wire::memory::UpdateConversationRequest {
        archived: Some(archived),
        ..Default::default()
    };
    crate::port::port()?
        .edit_conversation(tenant_id, id, change)
        .await
}

/// Deletes a conversation; one that has messages only with `delete_messages`, which deletes
/// them too.
#[server(prefix = "/api", endpoint = "conversation/delete")]
pub async fn delete_conversation(
    id: String,
    #[server(default)] delete_messages: bool,
    #[server(default)] tenant_id: Option<String>,
) -> Result<(), ErrorBody> {
    crate::port::port()?
        .delete_conversation(tenant_id, id, delete_messages)
        .await
}
