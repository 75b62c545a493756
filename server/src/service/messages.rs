//! Messages: store, read, edit and delete, one at a time. Every write embeds its text before
//! its unit of work (or leaves it to the durable queue).

use std::collections::HashMap;

use app::wire::memory::{CreateMessageRequest, MessageResponse, UpdateMessageRequest};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use uuid::Uuid;

use super::{
    events,
    idempotency::{self, Claim, Key},
    unit::{Events, Written},
    views::{is_stored_embedded, view_message as view, view_progress},
    Access, Caller, Result, ServiceError, Services,
};
use crate::{
    domain::{
        events::EventKind,
        messages::{self as rules, EmbeddingStatus, ImportanceWeights, Role},
        Invalid,
    },
    embed::Fault,
    store::{self as store_root, entities::messages, ingest, jobs::Progress, messages as store},
};

/// Validates one create request into a storable message of `tenant_id`, written by `author`.
pub fn validate(
    req: CreateMessageRequest,
    tenant_id: &str,
    author: Uuid,
    now: DateTime<Utc>,
    weights: ImportanceWeights,
) -> Result<ingest::NewMessage, Invalid> {
    let role = Role::parse(&req.role)?;
    let created_at = (req.created_at.as_deref())
        .map(|raw| crate::domain::parse_time(raw, "created_at"))
        .transpose()?;
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
/// asked for async (`defer`, else `MEMORY_EMBEDDING_MODE`), when the provider fails (the
/// write is kept; its job retries), or when it takes longer than half the request timeout (a
/// big batch on a slow model: stored and answered 202 rather than lost to a 504). Input the
/// model refuses is the client's error.
pub async fn embed_or_defer(
    svc: &Services,
    texts: Vec<String>,
    defer: Option<bool>,
) -> Result<Option<Vec<Vec<f32>>>> {
    if defer.unwrap_or(svc.settings.async_embedding) {
        return Ok(None);
    }
    let budget = svc.settings.http.request_timeout / 2;
    let count = texts.len();
    match tokio::time::timeout(budget, svc.embedder.embed(texts)).await {
        Ok(Ok(vectors)) => Ok(Some(vectors)),
        Ok(Err(e)) if e.fault == Fault::User => Err(e.into()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "embedding provider failed; queueing the embedding");
            Ok(None)
        }
        Err(_) => {
            tracing::warn!(
                texts = count,
                budget_ms = budget.as_millis() as u64,
                "embedding took longer than half the request timeout; queueing it"
            );
            Ok(None)
        }
    }
}

/// How a write is carried out, beside what it writes.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Leave the embedding to the queue (`Some(true)`) or embed before answering
    /// (`Some(false)`); `None` follows `MEMORY_EMBEDDING_MODE`.
    pub defer: Option<bool>,
    /// The client's `Idempotency-Key`, if it sent one ([`idempotency`]).
    pub idempotency_key: Option<String>,
}

impl WriteOptions {
    pub fn deferred(defer: Option<bool>) -> Self {
        Self {
            defer,
            idempotency_key: None,
        }
    }

    /// The checked key of `operation` with `request`: the same key with another request, or
    /// the same request with another `defer`, is another request.
    pub fn key(&self, operation: &str, request: &impl Serialize) -> Result<Option<Key>> {
        Key::of(
            self.idempotency_key.as_deref(),
            operation,
            &(request, self.defer),
        )
    }
}

/// Stores a message (its conversation is created if new). Inline mode returns once message and
/// vector are durable; deferred, as soon as message and job are.
pub async fn create(
    svc: &Services,
    caller: &Caller,
    req: CreateMessageRequest,
    options: WriteOptions,
) -> Result<MessageResponse> {
    let key = options.key("messages.create", &req)?;
    let tenant = super::tenants::for_write(svc, caller, req.tenant_id.as_deref()).await?;
    let tenant = tenant.tenant_id.as_str();
    idempotency::once(svc, tenant, key.as_ref(), async |claim| {
        let new = validate(
            req,
            tenant,
            caller.user_id,
            Utc::now(),
            svc.settings.ranking.importance,
        )?;
        let vector = embed_or_defer(svc, vec![new.content.clone()], options.defer)
            .await?
            .and_then(|mut v| v.pop());
        let created = store_new(svc, vec![(new, vector)], claim, |stored| {
            stored.into_iter().next().map(view)
        })
        .await?;
        svc.metrics.ingested("single", 1);
        created.ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("an insert returned no row")))
    })
    .await
}

/// Stores validated messages with their events (and, for those without a vector, their
/// embedding jobs); answers what `answer` makes of the stored rows, recorded under `claim`'s
/// key in the same write.
pub(super) async fn store_new<T: Serialize>(
    svc: &Services,
    items: Vec<(ingest::NewMessage, Option<Vec<f32>>)>,
    claim: Option<Claim<'_>>,
    answer: impl FnOnce(Vec<messages::Model>) -> T,
) -> Result<T> {
    let prepared = ingest::prepare(items, svc.embedder.model_id());
    let events = events::created(&prepared);
    let Some(claim) = claim else {
        let stored = svc.store_new_messages(prepared, events, None).await?;
        return Ok(answer(stored));
    };
    // The stored rows are the prepared ones: the answer is known before the write it goes in.
    let value = answer(prepared.messages.clone());
    let recorded = claim.answer(&value)?;
    svc.store_new_messages(prepared, events, Some(recorded))
        .await?;
    Ok(value)
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
    let tenant = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let db = svc.reader(&tenant.tenant_id);
    let message = store::get_message(db, &tenant.tenant_id, message_id(id)?).await?;
    let mut found = views_with_progress(db, &tenant.tenant_id, vec![message]).await?;
    Ok(found.remove(0))
}

/// The wire form of `tenant`'s stored `rows`, each still without a vector carrying where its
/// embedding job stands (one read of the waiting ones' jobs, none when every row is embedded).
pub(super) async fn views_with_progress(
    db: &DatabaseConnection,
    tenant: &str,
    rows: Vec<messages::Model>,
) -> Result<Vec<MessageResponse>> {
    let waiting: Vec<Uuid> = rows
        .iter()
        .filter(|m| !is_stored_embedded(m))
        .map(|m| m.id)
        .collect();
    let mut jobs: HashMap<Uuid, Progress> = store_root::jobs::progress(db, tenant, &waiting)
        .await?
        .into_iter()
        .map(|job| (job.message_id, job))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let job = jobs.remove(&row.id);
            let mut message = view(row);
            message.embedding_job = job.map(|j| Box::new(view_progress(&j)));
            message
        })
        .collect())
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
    let tenant = caller
        .authorise_and_charge(svc, tenant, Access::Write)
        .await?;
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
    // A message in cold storage keeps no vector until it is restored.
    let stays_cold = current.cold && change.archived != Some(false);
    let embedding = match &change.content {
        Some(_) if stays_cold => None,
        Some(text) => embed_or_defer(svc, vec![text.clone()], defer)
            .await?
            .and_then(|mut v| v.pop())
            .map(|v| (v, svc.embedder.model_id())),
        None => None,
    };
    let embedded = embedding.is_some();
    svc.write(async |txn| {
        let (before, updated) = store::update_message(txn, tenant, id, change, embedding).await?;
        // New text without its vector, or a message back from cold storage, waits for a job.
        let queued_jobs = updated.embedding_status == EmbeddingStatus::Pending.as_str();
        Ok(Written {
            events: Events::Append(events::updated(&before, &updated, embedded)),
            value: updated,
            audit: Vec::new(),
            queued_jobs,
            access: Vec::new(),
        })
    })
    .await
}

pub async fn delete(svc: &Services, caller: &Caller, tenant: Option<&str>, id: &str) -> Result<()> {
    let tenant = caller
        .authorise_and_charge(svc, tenant, Access::Write)
        .await?;
    let ids = [message_id(id)?];
    let existed = delete_stored(svc, &tenant.tenant_id, &ids, None, |gone| !gone.is_empty());
    match existed.await? {
        true => Ok(()),
        false => Err(ServiceError::not_found("message")),
    }
}

/// Deletes the tenant's messages among `ids` — rows, vectors, jobs, and the content of their
/// earlier events — with one `message.deleted` each; answers what `answer` makes of the ids
/// that existed, recorded under `claim`'s key in the same transaction.
pub(super) async fn delete_stored<T: Serialize>(
    svc: &Services,
    tenant: &str,
    ids: &[Uuid],
    claim: Option<Claim<'_>>,
    answer: impl FnOnce(&[Uuid]) -> T,
) -> Result<T> {
    svc.write(async |txn| {
        let deleted = store::delete_messages(txn, tenant, ids).await?;
        let gone: Vec<Uuid> = deleted.iter().map(|m| m.id).collect();
        store_root::events::scrub_messages(txn, tenant, &gone).await?;
        let events = deleted.iter().map(events::message_deleted).collect();
        let value = answer(&gone);
        if let Some(claim) = &claim {
            claim.record(txn, &value).await?;
        }
        Ok(Written::emitted(value, events))
    })
    .await
}

/// Stores the vectors a job worker computed (see [`crate::store::jobs::complete`] for which
/// are kept), each with its `message.embedded`; returns how many were stored.
pub async fn store_embeddings(
    svc: &Services,
    worker: &str,
    done: &[(store_root::jobs::Claimed, Vec<f32>)],
) -> Result<usize> {
    svc.write_in_background(async |txn| {
        let stored = store_root::jobs::complete(txn, worker, done, svc.embedder.model_id()).await?;
        let embedded = stored
            .iter()
            .map(|m| events::message(EventKind::MessageEmbedded, m))
            .collect();
        Ok(Written::emitted(stored.len(), embedded))
    })
    .await
}

/// Marks the jobs whose text the model refused as failed, each message with its
/// `message.embedding_failed` (see [`crate::store::jobs::fail`] for which); returns how many
/// messages were marked.
pub async fn fail_embeddings(
    svc: &Services,
    worker: &str,
    jobs: &[store_root::jobs::Claimed],
    error: &str,
) -> Result<usize> {
    svc.write_in_background(async |txn| {
        let failed = store_root::jobs::fail(txn, worker, jobs, error).await?;
        let events = failed
            .iter()
            .map(|m| events::message(EventKind::MessageEmbeddingFailed, m))
            .collect();
        Ok(Written::emitted(failed.len(), events))
    })
    .await
}
