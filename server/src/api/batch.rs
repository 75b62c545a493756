//! `/v1/messages/batch…`: many messages per request, onto [`crate::service::batch`]. The status
//! is 201/200 when every item succeeded and 207 otherwise.

use app::wire::memory::{
    BatchCreateRequest, BatchDeleteRequest, BatchItemError, BatchResponse, BatchUpdateRequest,
};
use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    extract::{AppJson, AppQuery, IdempotencyKey},
    messages::{write_options, write_status, TenantQuery, WriteQuery},
    Result,
};
use crate::{
    service::{batch, Caller, Services},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, delete))
        .routes(routes!(update))
        // The original's spellings, kept as aliases.
        .routes(routes!(update_alias))
        .routes(routes!(delete_alias))
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
    operation_id = "messages_batch_create",
    tag = "messages",
    summary = "Store up to 1000 messages in one transaction",
    params(("async" = Option<bool>, Query, description = "Queue the embedding (202) instead of embedding before answering"), super::docs::IdempotencyKeyHeader),
    request_body = BatchCreateRequest,
    responses((status = 201, description = "All stored", body = BatchResponse), (status = 202, description = "All stored; embeddings queued", body = BatchResponse), (status = 207, description = "Valid items stored, invalid ones reported by index", body = BatchResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn create(
    State(svc): State<Services>,
    caller: Caller,
    key: IdempotencyKey,
    AppQuery(w): AppQuery<WriteQuery>,
    AppJson(req): AppJson<BatchCreateRequest>,
) -> Result<(StatusCode, Json<BatchResponse>)> {
    let result = batch::create(&svc, &caller, req, write_options(w.defer, key)).await?;
    let ok = if result.created.is_empty() {
        StatusCode::CREATED
    } else {
        write_status(&result.created)
    };
    Ok((status(&result.errors, ok), Json(result)))
}

#[utoipa::path(
    put,
    path = "/v1/messages/batch/update",
    operation_id = "messages_batch_update",
    tag = "messages",
    summary = "Edit up to 1000 messages",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), super::docs::IdempotencyKeyHeader),
    request_body = BatchUpdateRequest,
    responses((status = 200, description = "All updated", body = BatchResponse), (status = 207, description = "Some items failed (reported by id)", body = BatchResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn update(
    State(svc): State<Services>,
    caller: Caller,
    key: IdempotencyKey,
    AppQuery(q): AppQuery<TenantQuery>,
    AppJson(req): AppJson<BatchUpdateRequest>,
) -> Result<(StatusCode, Json<BatchResponse>)> {
    let options = write_options(None, key);
    let result = batch::update(&svc, &caller, q.tenant_id.as_deref(), req, options).await?;
    Ok((status(&result.errors, StatusCode::OK), Json(result)))
}

#[utoipa::path(
    post,
    path = "/v1/messages/batch/update",
    operation_id = "messages_batch_update_alias",
    tag = "messages",
    summary = "Edit up to 1000 messages (the original API's spelling of PUT /v1/messages/batch/update)",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), super::docs::IdempotencyKeyHeader),
    request_body = BatchUpdateRequest,
    responses((status = 200, description = "All updated", body = BatchResponse), (status = 207, description = "Some items failed (reported by id)", body = BatchResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn update_alias(
    svc: State<Services>,
    caller: Caller,
    key: IdempotencyKey,
    query: AppQuery<TenantQuery>,
    body: AppJson<BatchUpdateRequest>,
) -> Result<(StatusCode, Json<BatchResponse>)> {
    update(svc, caller, key, query, body).await
}

#[utoipa::path(
    delete,
    path = "/v1/messages/batch",
    operation_id = "messages_batch_delete",
    tag = "messages",
    summary = "Delete up to 1000 messages",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), super::docs::IdempotencyKeyHeader),
    request_body = BatchDeleteRequest,
    responses((status = 200, description = "All deleted", body = BatchResponse), (status = 207, description = "Some ids were not found", body = BatchResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn delete(
    State(svc): State<Services>,
    caller: Caller,
    key: IdempotencyKey,
    AppQuery(q): AppQuery<TenantQuery>,
    AppJson(req): AppJson<BatchDeleteRequest>,
) -> Result<(StatusCode, Json<BatchResponse>)> {
    let options = write_options(None, key);
    let result = batch::delete(&svc, &caller, q.tenant_id.as_deref(), req, options).await?;
    Ok((status(&result.errors, StatusCode::OK), Json(result)))
}

#[utoipa::path(
    post,
    path = "/v1/messages/batch/delete",
    operation_id = "messages_batch_delete_alias",
    tag = "messages",
    summary = "Delete up to 1000 messages (the original API's spelling of DELETE /v1/messages/batch)",
    params(("tenant_id" = Option<String>, Query, description = "Tenant; defaults to the credential's"), super::docs::IdempotencyKeyHeader),
    request_body = BatchDeleteRequest,
    responses((status = 200, description = "All deleted", body = BatchResponse), (status = 207, description = "Some ids were not found", body = BatchResponse), super::docs::Unauthorized, super::docs::Forbidden, super::docs::Invalid)
)]
async fn delete_alias(
    svc: State<Services>,
    caller: Caller,
    key: IdempotencyKey,
    query: AppQuery<TenantQuery>,
    body: AppJson<BatchDeleteRequest>,
) -> Result<(StatusCode, Json<BatchResponse>)> {
    delete(svc, caller, key, query, body).await
}
