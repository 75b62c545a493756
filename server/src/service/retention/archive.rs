//! One message archived (optionally into cold storage) or restored by hand, and the restore
//! of a batch that a run's restore is made of. Each emits `message.archived` /
//! `message.restored` in its transaction.

use app::wire::{memory::MessageResponse, retention::ArchiveMessage};
use chrono::{SubsecRound, Utc};
use uuid::Uuid;

use super::super::{
    events,
    messages::message_id,
    unit::{Events, Written},
    views::view_message as view,
    Access, Caller, Result, ServiceError, Services,
};
use crate::{
    domain::events::EventKind,
    store::{self as store_root, entities::messages, retention::apply},
};

/// Archives message `id` (`reason` default `manual`); with `cold_storage`, also drops its
/// vector. Archiving an archived message again only moves it to cold storage if asked.
pub async fn archive(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
    req: ArchiveMessage,
) -> Result<MessageResponse> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Write)
        .await?;
    let id = message_id(id)?;
    let reason = match req.reason.as_deref().map(str::trim) {
        None | Some("") => "manual".to_owned(),
        Some(r) if r.chars().count() <= 255 && !r.contains('\0') => r.to_owned(),
        Some(_) => {
            return Err(ServiceError::invalid(
                "reason",
                "must be at most 255 characters",
            ))
        }
    };
    let now = Utc::now().trunc_subsecs(6);
    svc.write(async |txn| {
        let before = store_root::messages::get_message(txn, &t.tenant_id, id).await?;
        let changed = if req.cold_storage {
            apply::move_to_cold(txn, &t.tenant_id, &[id], &reason, now).await?
        } else {
            apply::archive(txn, &t.tenant_id, &[id], &reason, now).await?
        };
        let emitted = changed
            .iter()
            .map(|m| events::message(EventKind::MessageArchived, m))
            .collect();
        Ok(Written::emitted(
            changed.into_iter().next().unwrap_or(before),
            emitted,
        ))
    })
    .await
    .map(view)
}

/// Restores message `id` (a cold one is embedded again); restoring a live message is a no-op.
pub async fn restore(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
) -> Result<MessageResponse> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Write)
        .await?;
    let id = message_id(id)?;
    let current = store_root::messages::get_message(&svc.db, &t.tenant_id, id).await?;
    let back = restore_batch(svc, &t.tenant_id, &[id]).await?;
    Ok(view(back.into_iter().next().unwrap_or(current)))
}

/// Restores the archived messages among `ids`, in one transaction with their events.
pub(super) async fn restore_batch(
    svc: &Services,
    tenant: &str,
    ids: &[Uuid],
) -> Result<Vec<messages::Model>> {
    svc.write(async |txn| {
        let back = apply::restore(txn, tenant, ids, Utc::now().trunc_subsecs(6)).await?;
        let emitted = back
            .iter()
            .map(|m| events::message(EventKind::MessageRestored, m))
            .collect();
        // A cold message among them is queued for its vector again.
        let queued_jobs = !back.is_empty();
        Ok(Written {
            value: back,
            events: Events::Append(emitted),
            audit: Vec::new(),
            queued_jobs,
            access: Vec::new(),
        })
    })
    .await
}
