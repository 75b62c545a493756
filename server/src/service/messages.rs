//! Messages: store, read, edit and delete, one at a time. Every write embeds its text before
//! the transaction (or leaves it to the durable queue) and wakes the job workers.

use app::api::memory::{CreateMessageRequest, MessageResponse, UpdateMessageRequest};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Access, Caller, Result, ServiceError, Services};
use crate::{
    domain::{
        messages::{self as rules, EmbeddingStatus, ImportanceWeights, Role},
        Invalid,
    },
    embed::Fault,
    store::{entities::messages, ingest, messages as store},
};

/// The wire form of a stored message (without its vector).
pub fn view(m: messages::Model) -> MessageResponse {
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

/// Whether a written message's vector is already stored (the door's 201) or queued (202).
pub fn is_embedded(m: &MessageResponse) -> bool {
    EmbeddingStatus::from_stored(&m.embedding_status) == EmbeddingStatus::Completed
}

/// Validates one create request into a storable message of `tenant_id`, written by `author`.
pub fn validate(
    req: CreateMessageRequest,
    tenant_id: &str,
    author: Uuid,
    now: DateTime<Utc>,
    weights: ImportanceWeights,
) -> Result<ingest::NewMessage, Invalid> {
    let role = Role::parse(&req.role)?;
    let created_at = match req.created_at.as_deref() {
        Some(raw) => Some(
            DateTime::parse_from_rfc3339(raw)
                .map_err(|_| Invalid::new("created_at", "must be an RFC 3339 time"))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let created_at = rules::created_at(created_at, now)?;
    let override_ = rules::importance_override(req.importance_override)?;
    Ok(ingest::NewMessage {
        tenant_id: tenant_id.to_owned(),
        conversation_id: rules::conversation_id(&req.conversation_id)?,
        author,
        role: role.as_str().to_owned(),
        content: rules::content(&req.content)?,
        metadata: rules::metadata(req.metadata)?,
        importance_score: rules::importance(role, created_at, now, override_, weights),
        importance_override: override_,
        created_at,
    })
}

/// Embeds `texts` now, or returns `None` to leave them to the durable queue: when the request
/// asked for async (`defer`, else `MEMORY_EMBEDDING_MODE`), or when the provider fails (the
/// write is kept; its job retries). Input the model refuses is the client's error.
pub async fn embed_or_defer(
    svc: &Services,
    texts: Vec<String>,
    defer: Option<bool>,
) -> Result<Option<Vec<Vec<f32>>>> {
    if defer.unwrap_or(svc.settings.async_embedding) {
        return Ok(None);
    }
    match svc.embedder.embed(texts).await {
        Ok(vectors) => Ok(Some(vectors)),
        Err(e) if e.fault == Fault::User => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "embedding provider failed; queueing the embedding");
            Ok(None)
        }
    }
}

/// Stores a message (its conversation is created if new). Inline mode returns once message and
/// vector are durable; deferred, as soon as message and job are.
pub async fn create(
    svc: &Services,
    caller: &Caller,
    req: CreateMessageRequest,
    defer: Option<bool>,
) -> Result<MessageResponse> {
    let tenant = caller
        .tenant(svc, req.tenant_id.as_deref(), Access::Write)
        .await?;
    let new = validate(
        req,
        &tenant.tenant_id,
        caller.user_id,
        Utc::now(),
        svc.settings.ranking.importance,
    )?;
    let vector = embed_or_defer(svc, vec![new.content.clone()], defer)
        .await?
        .and_then(|mut v| v.pop());
    let stored =
        ingest::insert_messages(&svc.db, vec![(new, vector)], svc.embedder.model_id()).await?;
    svc.job_notify.notify_one();
    stored
        .into_iter()
        .next()
        .map(view)
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("an insert returned no row")))
}

/// A message id from a path: anything unparsable is simply not found.
pub fn message_id(raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::not_found("message"))
}

pub async fn get(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
) -> Result<MessageResponse> {
    let tenant = caller.tenant(svc, tenant, Access::Read).await?;
    let message = store::get_message(&svc.db, &tenant.tenant_id, message_id(id)?).await?;
    Ok(view(message))
}

/// Edits a message. New content is embedded before the write, and the vector replaced in the
/// same transaction (or, deferred, the old vector dropped and a job queued); an explicit
/// importance override is kept until another replaces it.
pub async fn update(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
    req: UpdateMessageRequest,
    defer: Option<bool>,
) -> Result<MessageResponse> {
    let tenant = caller.tenant(svc, tenant, Access::Write).await?;
    apply_update(svc, &tenant.tenant_id, id, req, defer)
        .await
        .map(view)
}

/// Validates and applies one update within an authorised `tenant` (one item of a batch, too).
pub(super) async fn apply_update(
    svc: &Services,
    tenant: &str,
    id: &str,
    req: UpdateMessageRequest,
    defer: Option<bool>,
) -> Result<messages::Model> {
    let id = message_id(id)?;
    let current = store::get_message(&svc.db, tenant, id).await?;
    let content = req.content.as_deref().map(rules::content).transpose()?;
    let metadata = req.metadata.map(|m| rules::metadata(Some(m))).transpose()?;
    let override_ = rules::importance_override(req.importance_override)?;
    let change = store::MessageChange {
        content: content.filter(|c| *c != current.content),
        metadata,
        importance_score: override_,
        importance_override: override_,
        archived: req.archived,
    };
    let embedding = match &change.content {
        Some(text) => embed_or_defer(svc, vec![text.clone()], defer)
            .await?
            .and_then(|mut v| v.pop())
            .map(|v| (v, svc.embedder.model_id())),
        None => None,
    };
    let updated = store::update_message(&svc.db, tenant, id, change, embedding).await?;
    svc.job_notify.notify_one();
    Ok(updated)
}

pub async fn delete(svc: &Services, caller: &Caller, tenant: Option<&str>, id: &str) -> Result<()> {
    let tenant = caller.tenant(svc, tenant, Access::Write).await?;
    store::delete_message(&svc.db, &tenant.tenant_id, message_id(id)?).await?;
    Ok(())
}
