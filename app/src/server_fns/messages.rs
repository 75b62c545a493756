//! A conversation's messages: add, edit, archive and restore, delete.

use leptos::prelude::*;

use crate::wire::{error::ErrorBody, memory::MessageResponse};

/// Stores a message, as `POST /v1/messages` does (its conversation is created if new).
#[server(prefix = "/api", endpoint = "messages/add")]
pub async fn add_message(
    conversation_id: String,
    role: String,
    content: String,
    #[server(default)] tenant_id: Option<String>,
) -> Result<MessageResponse, ErrorBody> {
    let message = crate::wire::memory::CreateMessageRequest {
        tenant_id,
        conversation_id,
        role,
        content,
        ..Default::default()
    };
    crate::port::port()?.add_message(message).await
}

/// Replaces a message's text (it is embedded again), as `PUT /v1/messages/{id}` does.
#[server(prefix = "/api", endpoint = "messages/edit")]
pub async fn edit_message(
    id: String,
    content: String,
    #[server(default)] tenant_id: Option<String>,
) -> Result<MessageResponse, ErrorBody> {
    let change = crate::wire::memory::UpdateMessageRequest {
        content: Some(content),
        ..Default::default()
    };
    crate::port::port()?
        .edit_message(tenant_id, id, change)
        .await
}

/// Archives a message (`archived = true`) or restores it.
#[server(prefix = "/api", endpoint = "messages/archive")]
pub async fn archive_message(
    id: String,
    archived: bool,
    #[server(default)] tenant_id: Option<String>,
) -> Result<MessageResponse, ErrorBody> {
    let change = crate::wire::memory::UpdateMessageRequest {
        archived: Some(archived),
        ..Default::default()
    };
    crate::port::port()?
        .edit_message(tenant_id, id, change)
        .await
}

/// Deletes a message, its vector and the content of its events.
#[server(prefix = "/api", endpoint = "messages/delete")]
pub async fn delete_message(
    id: String,
    #[server(default)] tenant_id: Option<String>,
) -> Result<(), ErrorBody> {
    crate::port::port()?.delete_message(tenant_id, id).await
}
