//! Many messages per request. Authorisation is decided for the request as a whole: a caller who
//! may not write — or whose items name a tenant they may not write — is refused outright and
//! nothing is written. Items that fail their own validation are reported by position (or id)
//! with the same codes as single requests, and the valid ones are stored. A batch of creates
//! is one transaction and one batched model call, not one per message.

use std::collections::HashMap;

use app::wire::memory::{
    BatchCreateRequest, BatchDeleteRequest, BatchItemError, BatchResponse, BatchUpdateRequest,
};
use chrono::Utc;
use uuid::Uuid;

use super::{
    idempotency,
    messages::{apply_update, embed_or_defer, validate, WriteOptions},
    tenants::{admin_of, creatable_on_write, create_on_write},
    unit::Written,
    views::view_message as view,
    Access, Caller, Result, ServiceError, Services, TenantContext,
};
use crate::domain::Invalid;

/// Most items in one batch request.
pub const MAX_BATCH: usize = 1000;

fn check_size(n: usize, field: &str) -> Result<()> {
    if n == 0 || n > MAX_BATCH {
        return Err(ServiceError::invalid(
            field,
            format!("must hold 1 to {MAX_BATCH} items"),
        ));
    }
    Ok(())
}

/// One item's failure, in the batch answer.
fn item_error(e: &ServiceError, index: Option<usize>, id: Option<String>) -> BatchItemError {
    BatchItemError {
        index,
        message_id: id,
        code: e.code().to_owned(),
        message: e.to_string(),
        field: e.field().map(str::to_owned),
    }
}

/// Stores every valid item; `errors` lists the others by index. An idempotency key belongs to
/// the tenant of the first item that names one the caller may write.
pub async fn create(
    svc: &Services,
    caller: &Caller,
    req: BatchCreateRequest,
    options: WriteOptions,
) -> Result<BatchResponse> {
    check_size(req.messages.len(), "messages")?;
    let key = options.key("messages.batch_create", &req)?;
    // Every distinct tenant the items name is authorised (and counted) once, before anything
    // is written: one the caller may not write refuses the whole batch.
    // A malformed or missing tenant id is the item's own validation error.
    // A tenant nobody holds yet is created (`tenants::for_write`), but only once every item
    // is known to be allowed: a refused batch creates nothing.
    let mut tenants: HashMap<Option<String>, Result<TenantContext, Invalid>> = HashMap::new();
    let (mut to_create, mut refusal) = (Vec::new(), None);
    for item in &req.messages {
        let named = item.tenant_id.as_ref();
        if tenants.contains_key(&item.tenant_id) || named.is_some_and(|t| to_create.contains(t)) {
            continue;
        }
        let resolved = match caller.authorise(item.tenant_id.as_deref(), Access::Write) {
            Ok(tenant) => Ok(tenant),
            Err(ServiceError::Invalid(invalid)) => Err(invalid),
            Err(refused) => {
                let requested = item.tenant_id.as_deref();
                if creatable_on_write(svc, caller, requested, &refused).is_none() {
                    return Err(refused);
                }
                to_create.extend(requested.map(str::to_owned));
                refusal.get_or_insert(refused);
                continue;
            }
        };
        tenants.insert(item.tenant_id.clone(), resolved);
    }
    if let Some(refused) = refusal {
        let ids: Vec<&str> = to_create.iter().map(String::as_str).collect();
        create_on_write(svc, caller, &ids, refused).await?;
        for id in to_create {
            tenants.insert(Some(id.clone()), Ok(admin_of(&id)));
        }
    }
    for tenant in tenants.values().flatten() {
        super::caller::charge(svc, tenant).await?;
    }
    let scope = (req.messages.iter())
        .find_map(|item| tenants[&item.tenant_id].as_ref().ok())
        .map(|tenant| tenant.tenant_id.clone())
        .unwrap_or_default();
    let key = key.filter(|_| !scope.is_empty());
    idempotency::once(svc, &scope, key.as_ref(), async |claim| {
        let now = Utc::now();
        let importance = svc.settings.ranking.importance;
        let mut valid = Vec::new();
        let mut errors = Vec::new();
        for (index, item) in req.messages.into_iter().enumerate() {
            let outcome = match &tenants[&item.tenant_id] {
                Ok(tenant) => validate(item, &tenant.tenant_id, caller.user_id, now, importance)
                    .map_err(ServiceError::from),
                Err(invalid) => Err(ServiceError::Invalid(invalid.clone())),
            };
            match outcome {
                Ok(new) => valid.push(new),
                Err(e) => errors.push(item_error(&e, Some(index), None)),
            }
        }
        if valid.is_empty() {
            return Ok(BatchResponse {
                errors,
                ..Default::default()
            });
        }
        let texts: Vec<String> = valid.iter().map(|m| m.content.clone()).collect();
        let items = match embed_or_defer(svc, texts, options.defer).await? {
            Some(vectors) => valid
                .into_iter()
                .zip(vectors.into_iter().map(Some))
                .collect(),
            None => valid.into_iter().map(|m| (m, None)).collect(),
        };
        let answer = |stored: Vec<_>| BatchResponse {
            created: stored.into_iter().map(view).collect(),
            errors,
            ..Default::default()
        };
        let done = super::messages::store_new(svc, items, claim, answer).await?;
        svc.metrics.ingested("batch", done.created.len());
        Ok(done)
    })
    .await
}

/// Edits each item; those that fail are reported by id. Each item is its own transaction; with
/// an idempotency key the answer is recorded after the last, so attempts racing each other
/// may both apply the same edits (the result is the same) and answer alike.
pub async fn update(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    req: BatchUpdateRequest,
    options: WriteOptions,
) -> Result<BatchResponse> {
    check_size(req.updates.len(), "updates")?;
    let key = options.key("messages.batch_update", &req)?;
    let tenant = caller
        .authorise_and_charge(svc, tenant, Access::Write)
        .await?;
    let tenant = tenant.tenant_id.as_str();
    idempotency::once(svc, tenant, key.as_ref(), async |claim| {
        let mut result = BatchResponse::default();
        for item in req.updates {
            match apply_update(svc, tenant, &item.message_id, item.update, options.defer).await {
                Ok(m) => result.updated.push(view(m)),
                Err(e) => result
                    .errors
                    .push(item_error(&e, None, Some(item.message_id))),
            }
        }
        if let Some(claim) = claim {
            svc.write(async |txn| {
                claim.record(txn, &result).await?;
                Ok(Written::quiet(()))
            })
            .await?;
        }
        Ok(result)
    })
    .await
}

/// Deletes the tenant's messages among the ids in one transaction; ids that are not there (or
/// are another tenant's) are reported alike.
pub async fn delete(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    req: BatchDeleteRequest,
    options: WriteOptions,
) -> Result<BatchResponse> {
    check_size(req.message_ids.len(), "message_ids")?;
    let key = options.key("messages.batch_delete", &req)?;
    let tenant = caller
        .authorise_and_charge(svc, tenant, Access::Write)
        .await?;
    let tenant = tenant.tenant_id.as_str();
    let ids: Vec<Uuid> = req
        .message_ids
        .iter()
        .filter_map(|raw| Uuid::parse_str(raw).ok())
        .collect();
    idempotency::once(svc, tenant, key.as_ref(), async |claim| {
        let answer = |deleted: &[Uuid]| {
            let mut result = BatchResponse::default();
            for raw in req.message_ids {
                match Uuid::parse_str(&raw).ok().filter(|id| deleted.contains(id)) {
                    Some(id) => result.deleted.push(id.to_string()),
                    None => result.errors.push(item_error(
                        &ServiceError::not_found("message"),
                        None,
                        Some(raw),
                    )),
                }
            }
            result
        };
        super::messages::delete_stored(svc, tenant, &ids, claim, answer).await
    })
    .await
}
