//! `/v1/conversations`: a tenant's conversations, onto [`crate::service::conversations`].

use app::wire::memory::{
    ConversationListQuery, ConversationPage, ConversationResponse, ConversationStats,
    CreateConversationRequest, MessageListQuery, MessagePage, UpdateConversationRequest,
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    extract::{AppJson, AppQuery},
    Result,
};
use crate::{
    service::{conversations, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(fetch, update, delete))
        .routes(routes!(stats))
        .routes(routes!(messages))
}

#[derive(Debug, Deserialize)]
struct TenantQuery {
    tenant_id: Option<String>,
    #[serde(default)]
    delete_messages: bool,
}

#[utoipa::path(
    get,
    path = "/v1/conversations",
    tag = "conversations",
    summary = "The tenant's conversations, newest activity first",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("archived" = Option<bool>, Query, description = "Only archived (true) or active (false) conversations"), ("page" = Option<u64>, Query, description = "Page number, from 1"), ("page_size" = Option<u64>, Query, description = "Items per page (1..100, default 20)"), ("updated_since" = Option<String>, Query, description = "RFC 3339: only conversations updated since"), ("cursor" = Option<String>, Query, description = "A previous page's `next_cursor` (keyset paging)"), ("q" = Option<String>, Query, description = "Only conversations whose id or title contains this text (any case; up to 200 characters)")),
    responses((status = 200, description = "One page", body = ConversationPage), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn list(
    State(svc): State<Services>,
    caller: Caller,
    AppQuery(q): AppQuery<ConversationListQuery>,
) -> Result<Json<ConversationPage>> {
    Ok(Json(conversations::list(&svc, &caller, q).await?))
}

#[utoipa::path(
    post,
    path = "/v1/conversations",
    tag = "conversations",
    summary = "Create a conversation ahead of its first message",
    request_body = CreateConversationRequest,
    responses((status = 201, description = "Created", body = ConversationResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid, (status = 409, description = "The id exists in the tenant", body = app::wire::error::ErrorBody))
)]
async fn create(
    State(svc): State<Services>,
    caller: Caller,
    AppJson(req): AppJson<CreateConversationRequest>,
) -> Result<(StatusCode, Json<ConversationResponse>)> {
    let (conversation, created) = conversations::create(&svc, &caller, req).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(conversation)))
}

#[utoipa::path(
    get,
    path = "/v1/conversations/{id}",
    tag = "conversations",
    summary = "A conversation",
    params(("id" = String, Path, description = "Conversation id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The conversation", body = ConversationResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn fetch(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<Json<ConversationResponse>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(conversations::get(&svc, &caller, tenant, &id).await?))
}

#[utoipa::path(
    put,
    path = "/v1/conversations/{id}",
    tag = "conversations",
    summary = "Retitle, re-tag or archive a conversation",
    params(("id" = String, Path, description = "Conversation id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    request_body = UpdateConversationRequest,
    responses((status = 200, description = "The conversation", body = ConversationResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound, super::docs::Invalid)
)]
async fn update(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
    AppJson(req): AppJson<UpdateConversationRequest>,
) -> Result<Json<ConversationResponse>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(
        conversations::update(&svc, &caller, tenant, &id, req).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/v1/conversations/{id}/stats",
    tag = "conversations",
    summary = "Message counts by role, average importance, first and last message",
    params(("id" = String, Path, description = "Conversation id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "Statistics", body = ConversationStats), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn stats(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<Json<ConversationStats>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(
        conversations::stats(&svc, &caller, tenant, &id).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/v1/conversations/{id}/messages",
    tag = "conversations",
    summary = "A conversation's messages in time order, paged by cursor",
    params(("id" = String, Path, description = "Conversation id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("order" = Option<String>, Query, description = "`asc` (oldest first, the default) or `desc`"), ("include_archived" = Option<bool>, Query, description = "Also archived messages (default false)"), ("page_size" = Option<u64>, Query, description = "Messages per page (1..100, default 50)"), ("cursor" = Option<String>, Query, description = "A previous page's `next_cursor`, with the same order")),
    responses((status = 200, description = "One page", body = MessagePage), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound, super::docs::Invalid)
)]
async fn messages(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<MessageListQuery>,
) -> Result<Json<MessagePage>> {
    Ok(Json(conversations::messages(&svc, &caller, &id, q).await?))
}

/// Deletes a conversation; one with messages needs `delete_messages=true` (409 otherwise).
#[utoipa::path(
    delete,
    path = "/v1/conversations/{id}",
    tag = "conversations",
    summary = "Delete a conversation",
    params(("id" = String, Path, description = "Conversation id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("delete_messages" = Option<bool>, Query, description = "Also delete its messages (required when it has any)")),
    responses((status = 204, description = "Deleted"), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound, (status = 409, description = "It has messages and delete_messages is not true", body = app::wire::error::ErrorBody))
)]
async fn delete(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<StatusCode> {
    let tenant = q.tenant_id.as_deref();
    conversations::delete(&svc, &caller, tenant, &id, q.delete_messages).await?;
    Ok(StatusCode::NO_CONTENT)
}
