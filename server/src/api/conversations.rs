//! `/v1/conversations`: list, read and delete a tenant's conversations. Conversations are
//! created by their first message; their counters are kept exact by the store.

use app::api::memory::{ConversationPage, ConversationResponse};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use serde::Deserialize;

use super::{error::ApiError, messages::requested_tenant, Result};
use crate::{
    auth::{Access, Principal},
    state::AppState,
    store::{entities::conversations, memory, StoreError},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/conversations", get(list))
        .route("/v1/conversations/{id}", get(fetch).delete(delete))
}

pub fn response(c: conversations::Model) -> ConversationResponse {
    ConversationResponse {
        id: c.id,
        tenant_id: c.tenant_id,
        title: c.title,
        metadata: c.metadata,
        message_count: c.message_count,
        last_message_at: c.last_message_at.map(|t| t.to_rfc3339()),
        archived: c.archived,
        created_at: c.created_at.to_rfc3339(),
        updated_at: c.updated_at.to_rfc3339(),
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    tenant_id: Option<String>,
    archived: Option<bool>,
    page: Option<u64>,
    page_size: Option<u64>,
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<ConversationPage>> {
    let tenant = principal
        .tenant(
            &state,
            requested_tenant(q.tenant_id.as_deref())?,
            Access::Read,
        )
        .await?;
    let page = q.page.unwrap_or(1);
    let page_size = q.page_size.unwrap_or(20);
    if page == 0 {
        return Err(ApiError::validation("page", "page must be at least 1"));
    }
    if !(1..=100).contains(&page_size) {
        return Err(ApiError::validation(
            "page_size",
            "page_size must be 1 to 100",
        ));
    }
    let (items, total) =
        memory::list_conversations(&state.db, &tenant.tenant_id, q.archived, page, page_size)
            .await?;
    Ok(Json(ConversationPage {
        conversations: items.into_iter().map(response).collect(),
        total,
        page,
        page_size,
    }))
}

#[derive(Debug, Deserialize)]
struct TenantQuery {
    tenant_id: Option<String>,
    #[serde(default)]
    delete_messages: bool,
}

fn not_found(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::NotFound("Conversation not found.".into()),
        other => other.into(),
    }
}

async fn fetch(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<TenantQuery>,
) -> Result<Json<ConversationResponse>> {
    let tenant = principal
        .tenant(
            &state,
            requested_tenant(q.tenant_id.as_deref())?,
            Access::Read,
        )
        .await?;
    let conversation = memory::get_conversation(&state.db, &tenant.tenant_id, &id)
        .await
        .map_err(not_found)?;
    Ok(Json(response(conversation)))
}

/// Deletes a conversation. One that still has messages needs `delete_messages=true`, so a
/// slip cannot silently erase history.
async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<TenantQuery>,
) -> Result<StatusCode> {
    let tenant = principal
        .tenant(
            &state,
            requested_tenant(q.tenant_id.as_deref())?,
            Access::Write,
        )
        .await?;
    let conversation = memory::get_conversation(&state.db, &tenant.tenant_id, &id)
        .await
        .map_err(not_found)?;
    if conversation.message_count > 0 && !q.delete_messages {
        return Err(ApiError::Conflict(
            "The conversation has messages: pass delete_messages=true to delete them too.".into(),
        ));
    }
    memory::delete_conversation(&state.db, &tenant.tenant_id, &id)
        .await
        .map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}
