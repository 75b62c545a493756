//! `/v1/messages/batch…`: many messages per request. Valid items are stored, invalid ones are
//! reported by position (or id) with the same codes as single requests; the status is 201/200
//! when every item succeeded and 207 otherwise. A batch of creates is one transaction and one
//! batched model call, not one per message.

use std::collections::HashMap;

use app::api::memory::{
    BatchCreateRequest, BatchDeleteRequest, BatchItemError, BatchResponse, BatchUpdateRequest,
};
use axum::{
    extract::{Query, State},
    http::StatusCode,
    Json,
};
use chrono::Utc;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    error::ApiError,
    extract::AppJson,
    messages::{
        embed_or_defer, resolve_tenant, response, validate, write_status, TenantQuery, WriteQuery,
    },
    Result,
};
use crate::{
    auth::{Access, Principal, TenantContext},
    state::AppState,
    store::{ingest, memory},
};

/// Most items in one batch request.
pub const MAX_BATCH: usize = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, delete))
        .routes(routes!(update))
        // The original's spelling, kept as an alias.
        .routes(routes!(delete_alias))
}

fn item_error(e: &ApiError) -> (String, String, Option<String>) {
    let field = match e {
        ApiError::Validation { field, .. } => field.clone(),
        _ => None,
    };
    (e.code().to_owned(), e.to_string(), field)
}

fn check_size(n: usize, field: &str) -> Result<()> {
    if n == 0 || n > MAX_BATCH {
        return Err(ApiError::validation(
            field,
            format!("{field} must hold 1 to {MAX_BATCH} items"),
        ));
    }
    Ok(())
}

fn status(errors: &[BatchItemError], ok: StatusCode) -> StatusCode {
    if errors.is_empty() {
        ok
    } else {
        StatusCode::MULTI_STATUS
    }
}

#[utoipa::path(
    post,
    path = "/v1/messages/batch",
    tag = "messages",
    summary = "Store up to 1000 messages in one transaction",
    params(("async" = Option<bool>, Query, description = "Queue the embedding (202) instead of embedding before answering")),
    request_body = BatchCreateRequest,
    responses((status = 201, description = "All stored", body = BatchResponse), (status = 202, description = "All stored; embeddings queued", body = BatchResponse), (status = 207, description = "Valid items stored, invalid ones reported by index", body = BatchResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Query(w): Query<WriteQuery>,
    AppJson(req): AppJson<BatchCreateRequest>,
) -> Result<(StatusCode, Json<BatchResponse>)> {
    check_size(req.messages.len(), "messages")?;
    let now = Utc::now();
    let importance = state.settings.ranking.importance;
    // Each distinct tenant is resolved (and rate-limited) once per batch.
    type Resolved = std::result::Result<TenantContext, (String, String, Option<String>)>;
    let mut tenants: HashMap<Option<String>, Resolved> = HashMap::new();
    let mut valid = Vec::new();
    let mut errors = Vec::new();
    for (index, item) in req.messages.into_iter().enumerate() {
        let key = item.tenant_id.clone();
        if !tenants.contains_key(&key) {
            let resolved = resolve_tenant(&state, &principal, key.as_deref(), Access::Write).await;
            tenants.insert(key.clone(), resolved.map_err(|e| item_error(&e)));
        }
        let outcome = match &tenants[&key] {
            Ok(tenant) => validate(item, &tenant.tenant_id, now, importance)
                .map_err(|e| item_error(&ApiError::from(e))),
            Err(e) => Err(e.clone()),
        };
        match outcome {
            Ok(new) => valid.push(new),
            Err((code, message, field)) => {
                errors.push(BatchItemError {
                    index: Some(index),
                    message_id: None,
                    code,
                    message,
                    field,
                });
            }
        }
    }
    let mut stored = Vec::new();
    if !valid.is_empty() {
        let texts: Vec<String> = valid.iter().map(|m| m.content.clone()).collect();
        let items = match embed_or_defer(&state, texts, w.defer).await? {
            Some(vectors) => valid
                .into_iter()
                .zip(vectors.into_iter().map(Some))
                .collect(),
            None => valid.into_iter().map(|m| (m, None)).collect(),
        };
        stored = ingest::insert_messages(&state.db, items, state.embedder.model_id()).await?;
        state.job_notify.notify_one();
    }
    let ok = if stored.is_empty() {
        StatusCode::CREATED
    } else {
        write_status(&stored)
    };
    let created = stored.into_iter().map(response).collect();
    Ok((
        status(&errors, ok),
        Json(BatchResponse {
            created,
            errors,
            ..Default::default()
        }),
    ))
}

#[utoipa::path(
    method(put, post),
    path = "/v1/messages/batch/update",
    tag = "messages",
    summary = "Edit up to 1000 messages",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    request_body = BatchUpdateRequest,
    responses((status = 200, description = "All updated", body = BatchResponse), (status = 207, description = "Some items failed (reported by id)", body = BatchResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<TenantQuery>,
    AppJson(req): AppJson<BatchUpdateRequest>,
) -> Result<(StatusCode, Json<BatchResponse>)> {
    check_size(req.updates.len(), "updates")?;
    let tenant = resolve_tenant(&state, &principal, q.tenant_id.as_deref(), Access::Write).await?;
    let mut result = BatchResponse::default();
    for item in req.updates {
        match super::messages::apply_update(
            &state,
            &tenant.tenant_id,
            &item.message_id,
            item.update,
            None,
        )
        .await
        {
            Ok(m) => result.updated.push(response(m)),
            Err(e) => {
                let (code, message, field) = item_error(&e);
                result.errors.push(BatchItemError {
                    index: None,
                    message_id: Some(item.message_id),
                    code,
                    message,
                    field,
                });
            }
        }
    }
    Ok((status(&result.errors, StatusCode::OK), Json(result)))
}

#[utoipa::path(
    delete,
    path = "/v1/messages/batch",
    tag = "messages",
    summary = "Delete up to 1000 messages",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    request_body = BatchDeleteRequest,
    responses((status = 200, description = "All deleted", body = BatchResponse), (status = 207, description = "Some ids were not found", body = BatchResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<TenantQuery>,
    AppJson(req): AppJson<BatchDeleteRequest>,
) -> Result<(StatusCode, Json<BatchResponse>)> {
    check_size(req.message_ids.len(), "message_ids")?;
    let tenant = resolve_tenant(&state, &principal, q.tenant_id.as_deref(), Access::Write).await?;
    let ids: Vec<Uuid> = req
        .message_ids
        .iter()
        .filter_map(|raw| Uuid::parse_str(raw).ok())
        .collect();
    let deleted = memory::delete_messages(&state.db, &tenant.tenant_id, &ids).await?;
    let mut result = BatchResponse::default();
    for raw in req.message_ids {
        match Uuid::parse_str(&raw).ok().filter(|id| deleted.contains(id)) {
            Some(id) => result.deleted.push(id.to_string()),
            // Another tenant's id is reported exactly like a missing one.
            None => result.errors.push(BatchItemError {
                index: None,
                message_id: Some(raw),
                code: "not_found".into(),
                message: "Message not found.".into(),
                field: None,
            }),
        }
    }
    Ok((status(&result.errors, StatusCode::OK), Json(result)))
}

#[utoipa::path(
    post,
    path = "/v1/messages/batch/delete",
    tag = "messages",
    summary = "Delete up to 1000 messages (the original API's spelling of DELETE /v1/messages/batch)",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's")),
    request_body = BatchDeleteRequest,
    responses((status = 200, description = "All deleted", body = BatchResponse), (status = 207, description = "Some ids were not found", body = BatchResponse), (status = 401, description = "No valid credential", body = app::api::error::ErrorBody), (status = 403, description = "Not allowed for this credential or role", body = app::api::error::ErrorBody), (status = 422, description = "Invalid field (named in `error.field`)", body = app::api::error::ErrorBody))
)]
async fn delete_alias(
    state: State<AppState>,
    principal: Principal,
    query: Query<TenantQuery>,
    body: AppJson<BatchDeleteRequest>,
) -> Result<(StatusCode, Json<BatchResponse>)> {
    delete(state, principal, query, body).await
}
