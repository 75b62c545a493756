//! `/v1/messages`: store, read, edit and delete conversation messages.

use app::api::memory::{CreateMessageRequest, MessageResponse, UpdateMessageRequest};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    Json,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{error::ApiError, extract::AppJson, Result};
use crate::{
    auth::{Access, Principal, TenantContext},
    domain::{
        messages::{self as rules, ImportanceWeights, Role},
        TenantId,
    },
    state::AppState,
    store::{entities::messages, ingest, memory},
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

pub fn response(m: messages::Model) -> MessageResponse {
    MessageResponse {
        id: m.id.to_string(),
        tenant_id: m.tenant_id,
        conversation_id: m.conversation_id,
        role: m.role,
        content: m.content,
        metadata: m.metadata,
        importance_score: m.importance_score,
        embedding_status: m.embedding_status,
        created_at: m.created_at.to_rfc3339(),
        updated_at: m.updated_at.to_rfc3339(),
    }
}

/// Resolves the tenant a data request acts in: a requested `tenant_id` is format-checked first
/// (garbage is a 422 naming the field, not a 403), then resolved through the credential.
pub async fn resolve_tenant(
    state: &AppState,
    principal: &Principal,
    requested: Option<&str>,
    access: Access,
) -> Result<TenantContext> {
    if let Some(t) = requested {
        TenantId::parse(t)
            .map_err(|m| ApiError::validation("tenant_id", format!("tenant_id {m}")))?;
    }
    principal.tenant(state, requested, access).await
}

/// Validates one create request into a storable message.
pub fn validate(
    req: CreateMessageRequest,
    tenant_id: &str,
    now: DateTime<Utc>,
    weights: ImportanceWeights,
) -> Result<ingest::NewMessage, rules::Invalid> {
    let role = Role::parse(&req.role).map_err(|m| rules::Invalid::new("role", m))?;
    let created_at = match req.created_at.as_deref() {
        Some(raw) => Some(
            DateTime::parse_from_rfc3339(raw)
                .map_err(|_| rules::Invalid::new("created_at", "must be an RFC 3339 time"))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let created_at = rules::created_at(created_at, now)?;
    let override_ = rules::importance_override(req.importance_override)?;
    Ok(ingest::NewMessage {
        tenant_id: tenant_id.to_owned(),
        conversation_id: rules::conversation_id(&req.conversation_id)?,
        role: role.as_str().to_owned(),
        content: rules::content(&req.content)?,
        metadata: rules::metadata(req.metadata)?,
        importance_score: rules::importance(role, created_at, now, override_, weights),
        importance_override: override_,
        created_at,
    })
}

/// `?async=true|false` on writes: overrides `MEMORY_EMBEDDING_MODE` for one request.
#[derive(Debug, Deserialize)]
pub struct WriteQuery {
    #[serde(rename = "async")]
    pub defer: Option<bool>,
}

/// Embeds `texts` now, or returns `None` to leave them to the durable queue: when the request
/// asked for async, or when the provider fails (the write is kept; its job retries). Input the
/// model refuses is the client's error.
pub async fn embed_or_defer(
    state: &AppState,
    texts: Vec<String>,
    defer: Option<bool>,
) -> Result<Option<Vec<Vec<f32>>>> {
    if defer.unwrap_or(state.settings.async_embedding) {
        return Ok(None);
    }
    match state.embedder.embed(texts).await {
        Ok(vectors) => Ok(Some(vectors)),
        Err(e) if e.fault == crate::embed::Fault::User => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "embedding provider failed; queueing the embedding");
            Ok(None)
        }
    }
}

/// 201 when the vector is stored with the message, 202 when a job will add it.
pub fn write_status(messages: &[messages::Model]) -> StatusCode {
    if messages.iter().all(|m| m.embedding_status == "completed") {
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
    params(("async" = Option<bool>, Query, description = "Queue the embedding (202) instead of embedding before answering")),
    request_body = CreateMessageRequest,
    responses((status = 201, description = "Stored and embedded", body = MessageResponse), (status = 202, description = "Stored; the embedding is queued", body = MessageResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Query(w): Query<WriteQuery>,
    AppJson(req): AppJson<CreateMessageRequest>,
) -> Result<(StatusCode, Json<MessageResponse>)> {
    let tenant =
        resolve_tenant(&state, &principal, req.tenant_id.as_deref(), Access::Write).await?;
    let new = validate(
        req,
        &tenant.tenant_id,
        Utc::now(),
        state.settings.ranking.importance,
    )?;
    let vector = embed_or_defer(&state, vec![new.content.clone()], w.defer)
        .await?
        .and_then(|mut v| v.pop());
    let stored =
        ingest::insert_messages(&state.db, vec![(new, vector)], state.embedder.model_id()).await?;
    state.job_notify.notify_one();
    let status = write_status(&stored);
    Ok((
        status,
        Json(response(stored.into_iter().next().expect("one stored"))),
    ))
}

fn message_id(raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound("Message not found.".into()))
}

fn not_found(e: crate::store::StoreError) -> ApiError {
    match e {
        crate::store::StoreError::NotFound => ApiError::NotFound("Message not found.".into()),
        other => other.into(),
    }
}

#[utoipa::path(
    get,
    path = "/v1/messages/{id}",
    tag = "messages",
    summary = "A message",
    params(("id" = String, Path, description = "Message id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 200, description = "The message", body = MessageResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 404, description = "No such id in the tenant", body = app::api::error::ErrorBody))
)]
async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<TenantQuery>,
) -> Result<Json<MessageResponse>> {
    let tenant = resolve_tenant(&state, &principal, q.tenant_id.as_deref(), Access::Read).await?;
    let message = memory::get_message(&state.db, &tenant.tenant_id, message_id(&id)?)
        .await
        .map_err(not_found)?;
    Ok(Json(response(message)))
}

/// Edits a message. New content is embedded before the write, and the vector replaced in the
/// same transaction (or, deferred, the old vector dropped and a job queued); an explicit
/// importance override is kept until another replaces it.
#[utoipa::path(
    put,
    path = "/v1/messages/{id}",
    tag = "messages",
    summary = "Edit a message (new content is re-embedded)",
    params(("id" = String, Path, description = "Message id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), ("async" = Option<bool>, Query, description = "Queue the embedding (202) instead of embedding before answering")),
    request_body = UpdateMessageRequest,
    responses((status = 200, description = "The message", body = MessageResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 404, description = "No such id in the tenant", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<TenantQuery>,
    Query(w): Query<WriteQuery>,
    AppJson(req): AppJson<UpdateMessageRequest>,
) -> Result<Json<MessageResponse>> {
    let tenant = resolve_tenant(&state, &principal, q.tenant_id.as_deref(), Access::Write).await?;
    let updated = apply_update(&state, &tenant.tenant_id, &id, req, w.defer).await?;
    Ok(Json(response(updated)))
}

/// Validates and applies one update within `tenant` (shared with the batch route).
pub async fn apply_update(
    state: &AppState,
    tenant: &str,
    id: &str,
    req: UpdateMessageRequest,
    defer: Option<bool>,
) -> Result<messages::Model> {
    let id = message_id(id)?;
    let current = memory::get_message(&state.db, tenant, id)
        .await
        .map_err(not_found)?;
    let content = req.content.as_deref().map(rules::content).transpose()?;
    let metadata = req.metadata.map(|m| rules::metadata(Some(m))).transpose()?;
    let override_ = rules::importance_override(req.importance_override)?;
    let change = memory::MessageChange {
        content: content.filter(|c| *c != current.content),
        metadata,
        importance_score: override_,
        importance_override: override_,
        archived: req.archived,
    };
    let embedding = match &change.content {
        Some(text) => embed_or_defer(state, vec![text.clone()], defer)
            .await?
            .and_then(|mut v| v.pop())
            .map(|v| (v, state.embedder.model_id())),
        None => None,
    };
    let updated = memory::update_message(&state.db, tenant, id, change, embedding)
        .await
        .map_err(not_found)?;
    state.job_notify.notify_one();
    Ok(updated)
}

#[utoipa::path(
    delete,
    path = "/v1/messages/{id}",
    tag = "messages",
    summary = "Delete a message",
    params(("id" = String, Path, description = "Message id"), ("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 404, description = "No such id in the tenant", body = app::api::error::ErrorBody))
)]
async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<TenantQuery>,
) -> Result<StatusCode> {
    let tenant = resolve_tenant(&state, &principal, q.tenant_id.as_deref(), Access::Write).await?;
    memory::delete_message(&state.db, &tenant.tenant_id, message_id(&id)?)
        .await
        .map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}
