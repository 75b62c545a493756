//! `/v1/conversations`: a tenant's conversations. They are created by their first message (or
//! ahead of it with POST); their counters are kept exact by the store.

use app::api::memory::{
    ConversationPage, ConversationResponse, ConversationStats, CreateConversationRequest,
    UpdateConversationRequest,
};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    Json,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{error::ApiError, extract::AppJson, messages::resolve_tenant, Result};
use crate::{
    auth::{Access, Principal},
    domain::messages as rules,
    state::AppState,
    store::{entities::conversations, memory, StoreError},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(fetch, update, delete))
        .routes(routes!(stats))
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
    /// RFC 3339: only conversations updated at or after it.
    updated_since: Option<String>,
    /// From a previous page's `next_cursor`.
    cursor: Option<String>,
}

/// Cursors are `<updated_at in µs>_<id>`: opaque to clients, cheap to check.
fn encode_cursor(c: &conversations::Model) -> String {
    format!("{}_{}", c.updated_at.timestamp_micros(), c.id)
}

fn decode_cursor(raw: &str) -> Result<(DateTime<Utc>, String)> {
    let invalid = || ApiError::validation("cursor", "cursor is not one this server issued");
    let (micros, id) = raw.split_once('_').ok_or_else(invalid)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(invalid)?;
    Ok((at, id.to_owned()))
}

#[utoipa::path(
    get,
    path = "/v1/conversations",
    tag = "conversations",
    summary = "The tenant's conversations, newest activity first",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("archived" = Option<bool>, Query, description = "Only archived (true) or active (false) conversations"), ("page" = Option<u64>, Query, description = "Page number, from 1"), ("page_size" = Option<u64>, Query, description = "Items per page (1..100, default 20)"), ("updated_since" = Option<String>, Query, description = "RFC 3339: only conversations updated since"), ("cursor" = Option<String>, Query, description = "A previous page's `next_cursor` (keyset paging)")),
    responses((status = 200, description = "One page", body = ConversationPage), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<ConversationPage>> {
    let tenant = resolve_tenant(&state, &principal, q.tenant_id.as_deref(), Access::Read).await?;
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
    let updated_since = q
        .updated_since
        .as_deref()
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::validation("updated_since", "updated_since must be an RFC 3339 time")
                })
        })
        .transpose()?;
    let after = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let query = memory::ConversationQuery {
        archived: q.archived,
        updated_since,
        after,
        page,
        page_size,
    };
    let (items, total) = memory::list_conversations(&state.db, &tenant.tenant_id, &query).await?;
    let next_cursor = (items.len() as u64 == page_size)
        .then(|| items.last().map(encode_cursor))
        .flatten();
    Ok(Json(ConversationPage {
        conversations: items.into_iter().map(response).collect(),
        total,
        page,
        page_size,
        next_cursor,
    }))
}

#[utoipa::path(
    post,
    path = "/v1/conversations",
    tag = "conversations",
    summary = "Create a conversation ahead of its first message",
    request_body = CreateConversationRequest,
    responses((status = 201, description = "Created", body = ConversationResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody), (status = 409, description = "The id exists in the tenant", body = app::api::error::ErrorBody))
)]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    AppJson(req): AppJson<CreateConversationRequest>,
) -> Result<(StatusCode, Json<ConversationResponse>)> {
    let tenant =
        resolve_tenant(&state, &principal, req.tenant_id.as_deref(), Access::Write).await?;
    let id = rules::conversation_id(&req.conversation_id)?;
    let title = check_title(req.title)?;
    let metadata = rules::metadata(req.metadata)?;
    let (conversation, created) =
        memory::create_conversation(&state.db, &tenant.tenant_id, &id, title, metadata).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(response(conversation))))
}

fn check_title(title: Option<String>) -> Result<Option<String>> {
    let title = title.map(|t| t.trim().to_owned());
    if title.as_ref().is_some_and(|t| t.chars().count() > 512) {
        return Err(ApiError::validation(
            "title",
            "title must be at most 512 characters",
        ));
    }
    Ok(title)
}

#[utoipa::path(
    put,
    path = "/v1/conversations/{id}",
    tag = "conversations",
    summary = "Retitle, re-tag or archive a conversation",
    params(("id" = String, Path, description = "Conversation id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    request_body = UpdateConversationRequest,
    responses((status = 200, description = "The conversation", body = ConversationResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 404, description = "No such id in the tenant", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<TenantQuery>,
    AppJson(req): AppJson<UpdateConversationRequest>,
) -> Result<Json<ConversationResponse>> {
    let tenant = resolve_tenant(&state, &principal, q.tenant_id.as_deref(), Access::Write).await?;
    let title = check_title(req.title)?;
    let metadata = req.metadata.map(|m| rules::metadata(Some(m))).transpose()?;
    let updated = memory::update_conversation(
        &state.db,
        &tenant.tenant_id,
        &id,
        title,
        metadata,
        req.archived,
    )
    .await
    .map_err(not_found)?;
    Ok(Json(response(updated)))
}

#[utoipa::path(
    get,
    path = "/v1/conversations/{id}/stats",
    tag = "conversations",
    summary = "Message counts by role, average importance, first and last message",
    params(("id" = String, Path, description = "Conversation id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "Statistics", body = ConversationStats), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 404, description = "No such id in the tenant", body = app::api::error::ErrorBody))
)]
async fn stats(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<TenantQuery>,
) -> Result<Json<ConversationStats>> {
    let tenant = resolve_tenant(&state, &principal, q.tenant_id.as_deref(), Access::Read).await?;
    memory::get_conversation(&state.db, &tenant.tenant_id, &id)
        .await
        .map_err(not_found)?;
    let s = memory::conversation_stats(&state.db, &tenant.tenant_id, &id).await?;
    let count = |role: &str| {
        s.per_role
            .iter()
            .find(|(r, _)| r == role)
            .map_or(0, |(_, n)| *n)
    };
    Ok(Json(ConversationStats {
        conversation_id: id,
        tenant_id: tenant.tenant_id,
        total_messages: s.per_role.iter().map(|(_, n)| n).sum(),
        user_messages: count("user"),
        assistant_messages: count("assistant"),
        system_messages: count("system"),
        avg_importance: s.avg_importance,
        first_message_at: s.first.map(|t| t.to_rfc3339()),
        last_message_at: s.last.map(|t| t.to_rfc3339()),
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

#[utoipa::path(
    get,
    path = "/v1/conversations/{id}",
    tag = "conversations",
    summary = "A conversation",
    params(("id" = String, Path, description = "Conversation id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The conversation", body = ConversationResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 404, description = "No such id in the tenant", body = app::api::error::ErrorBody))
)]
async fn fetch(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<TenantQuery>,
) -> Result<Json<ConversationResponse>> {
    let tenant = resolve_tenant(&state, &principal, q.tenant_id.as_deref(), Access::Read).await?;
    let conversation = memory::get_conversation(&state.db, &tenant.tenant_id, &id)
        .await
        .map_err(not_found)?;
    Ok(Json(response(conversation)))
}

/// Deletes a conversation. One that still has messages needs `delete_messages=true`, so a
/// slip cannot silently erase history.
#[utoipa::path(
    delete,
    path = "/v1/conversations/{id}",
    tag = "conversations",
    summary = "Delete a conversation",
    params(("id" = String, Path, description = "Conversation id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("delete_messages" = Option<bool>, Query, description = "Also delete its messages (required when it has any)")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 404, description = "No such id in the tenant", body = app::api::error::ErrorBody), (status = 409, description = "It has messages and delete_messages is not true", body = app::api::error::ErrorBody))
)]
async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<TenantQuery>,
) -> Result<StatusCode> {
    let tenant = resolve_tenant(&state, &principal, q.tenant_id.as_deref(), Access::Write).await?;
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
