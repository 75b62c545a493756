//! `/v1/messages`: store, read, edit and delete conversation messages. Thin doors onto
//! [`crate::service::messages`].

use app::wire::memory::{CreateMessageRequest, MessageResponse, UpdateMessageRequest};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    extract::{AppJson, AppQuery, IdempotencyKey},
    Result,
};
use crate::{
    service::{
        messages::{self, WriteOptions},
        views, Caller, Services,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(get, update, delete))
}

/// `?tenant_id=` on routes addressed by id.
#[derive(Debug, Deserialize)]
pub struct TenantQuery {
    pub tenant_id: Option<String>,
}

/// `?async=true|false` on writes: overrides `MEMORY_EMBEDDING_MODE` for one request.
#[derive(Debug, Deserialize)]
pub struct WriteQuery {
    #[serde(rename = "async")]
    pub defer: Option<bool>,
}

/// How a write asked to be carried out: its `?async=` and its `Idempotency-Key`.
pub fn write_options(defer: Option<bool>, key: IdempotencyKey) -> WriteOptions {
    WriteOptions {
        defer,
        idempotency_key: key.0,
    }
}

/// 201 when the vector is stored with the message, 202 when a job will add it.
pub fn write_status(written: &[MessageResponse]) -> StatusCode {
    if written.iter().all(views::is_embedded) {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    }
}

/// Stores a message. Inline mode answers once message and vector are durable (201); async mode
/// answers as soon as message and job are (202).
#[utoipa::path(
    post,
    path = "/v1/messages",
    tag = "messages",
    summary = "Store a message (its conversation is created if new)",
    params(("async" = Option<bool>, Query, description = "Queue the embedding (202) instead of embedding before answering"), super::docs::IdempotencyKeyHeader),
    request_body = CreateMessageRequest,
    responses((status = 201, description = "Stored and embedded", body = MessageResponse), (status = 202, description = "Stored; the embedding is queued", body = MessageResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn create(
    State(svc): State<Services>,
    caller: Caller,
    key: IdempotencyKey,
    AppQuery(w): AppQuery<WriteQuery>,
    AppJson(req): AppJson<CreateMessageRequest>,
) -> Result<(StatusCode, Json<MessageResponse>)> {
    let written = messages::create(&svc, &caller, req, write_options(w.defer, key)).await?;
    Ok((write_status(std::slice::from_ref(&written)), Json(written)))
}

#[utoipa::path(
    get,
    path = "/v1/messages/{id}",
    tag = "messages",
    summary = "A message",
    params(("id" = String, Path, description = "Message id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The message", body = MessageResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn get(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<Json<MessageResponse>> {
    Ok(Json(
        messages::get(&svc, &caller, q.tenant_id.as_deref(), &id).await?,
    ))
}

/// Edits a message; new content is re-embedded (see [`messages::update`]).
#[utoipa::path(
    put,
    path = "/v1/messages/{id}",
    tag = "messages",
    summary = "Edit a message (new content is re-embedded)",
    params(("id" = String, Path, description = "Message id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("async" = Option<bool>, Query, description = "Queue the embedding (202) instead of embedding before answering")),
    request_body = UpdateMessageRequest,
    responses((status = 200, description = "The message", body = MessageResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound, super::docs::Invalid)
)]
async fn update(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
    AppQuery(w): AppQuery<WriteQuery>,
    AppJson(req): AppJson<UpdateMessageRequest>,
) -> Result<Json<MessageResponse>> {
    let tenant = q.tenant_id.as_deref();
    Ok(Json(
        messages::update(&svc, &caller, tenant, &id, req, w.defer).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/v1/messages/{id}",
    tag = "messages",
    summary = "Delete a message",
    params(("id" = String, Path, description = "Message id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 204, description = "Deleted"), super::docs::Unauthorized, super::docs::Forbidden, super::docs::NotFound)
)]
async fn delete(
    State(svc): State<Services>,
    caller: Caller,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TenantQuery>,
) -> Result<StatusCode> {
    messages::delete(&svc, &caller, q.tenant_id.as_deref(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
