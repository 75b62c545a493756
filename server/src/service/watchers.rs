//! Live subscribers: who may watch a tenant, where a resume point stands, and what a connection
//! re-checks while it stays open. The WebSocket doors speak the protocol; the rules are here.

use std::sync::Arc;

use super::{authenticate, caller, Access, Caller, Presented, Result, Services, TenantContext};
use crate::{
    domain::{events::parse_event_id, TenantId},
    live::{LiveEvent, Refused, Subscription},
    store::events,
};

/// A credential kept by a long-lived connection, to check it again later. Never logged.
pub enum Held {
    ApiKey(String),
    AccessToken(String),
}

impl Held {
    pub fn new(presented: Presented<'_>) -> Self {
        match presented {
            Presented::ApiKey(k) => Self::ApiKey(k.to_owned()),
            Presented::AccessToken(t) => Self::AccessToken(t.to_owned()),
        }
    }

    fn presented(&self) -> Presented<'_> {
        match self {
            Self::ApiKey(k) => Presented::ApiKey(k),
            Self::AccessToken(t) => Presented::AccessToken(t),
        }
    }
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Held(…)")
    }
}

/// An authenticated subscriber of one tenant.
#[derive(Debug)]
pub struct Watcher {
    pub caller: Caller,
    pub tenant: TenantContext,
    held: Held,
}

/// Admits a connection to `tenant` as it opens: with a credential, as [`open`] does; without
/// one, only a well-formed tenant id, and the connection must then authenticate by its first
/// frame ([`open`] again).
pub async fn admit(svc: &Services, held: Option<Held>, tenant: &str) -> Result<Option<Watcher>> {
    match held {
        Some(held) => open(svc, held, tenant).await.map(Some),
        None => {
            TenantId::parse(tenant)?;
            Ok(None)
        }
    }
}

/// Admits a credential to `tenant` (read access suffices); counts as one request.
pub async fn open(svc: &Services, held: Held, tenant: &str) -> Result<Watcher> {
    let caller = authenticate(svc, held.presented()).await?;
    let tenant = caller
        .authorise_and_charge(svc, Some(tenant), Access::Read)
        .await?;
    Ok(Watcher {
        caller,
        tenant,
        held,
    })
}

/// Checks an open connection's credential again: a logout, a revoked or expired key or token,
/// a removed membership or a changed password fails here. A new credential (the `auth` action)
/// may replace the held one if it is the same user's.
pub async fn recheck(svc: &Services, watcher: &mut Watcher, new: Option<Held>) -> Result<()> {
    let held = new.as_ref().unwrap_or(&watcher.held);
    let caller = authenticate(svc, held.presented()).await?;
    if caller.user_id != watcher.caller.user_id {
        return Err(super::ServiceError::Forbidden(
            "A connection keeps the user it was opened with.".into(),
        ));
    }
    let tenant = caller.authorise(Some(&watcher.tenant.tenant_id), Access::Read)?;
    watcher.caller = caller;
    watcher.tenant = tenant;
    if let Some(new) = new {
        watcher.held = new;
    }
    Ok(())
}

/// Counts one client frame against the same budgets as a REST request.
pub async fn charge_frame(svc: &Services, watcher: &Watcher) -> Result<()> {
    caller::charge_caller(svc, &watcher.caller, &watcher.tenant).await
}

/// Subscribes the watcher to its tenant's live events (refused past the per-tenant limit). The
/// feed starts after every event committed before the call: an instance nobody listened to
/// catches up first.
pub async fn subscribe(
    svc: &Services,
    watcher: &Watcher,
) -> std::result::Result<Subscription, Refused> {
    if !svc.hub.is_wanted() {
        if let Err(e) = caught_up(svc).await {
            tracing::warn!(error = %e, "could not catch the feed up before a subscription");
        }
    }
    svc.hub
        .subscribe(
            &watcher.tenant.tenant_id,
            svc.settings.live.max_connections_per_tenant,
        )
        .await
}

/// Where replay after `last_event_id` starts: `None` for an id this server never issued to the
/// tenant, or one whose event is no longer kept (the events after it may be gone too).
pub async fn resume_point(
    svc: &Services,
    watcher: &Watcher,
    last_event_id: &str,
) -> Result<Option<i64>> {
    let Some(seq) = parse_event_id(last_event_id) else {
        return Ok(None);
    };
    let kept = events::kept(&svc.db, &watcher.tenant.tenant_id, seq).await?;
    Ok(kept.then_some(seq))
}

/// The tenant's events after `after`, up to `upto`, oldest first, one page at a time (read
/// again from the last one's `seq` while pages come full).
pub async fn replay_page(
    svc: &Services,
    watcher: &Watcher,
    after: i64,
    upto: i64,
) -> Result<Vec<Arc<LiveEvent>>> {
    let page = events::between(&svc.db, Some(&watcher.tenant.tenant_id), after, upto).await?;
    Ok(page
        .into_iter()
        .map(|e| Arc::new(LiveEvent::new(e)))
        .collect())
}

/// The feed's position once this instance has published every event committed so far (or
/// after two seconds, if transactions in progress hold them back that long).
pub async fn caught_up(svc: &Services) -> Result<i64> {
    let latest = events::latest(&svc.db).await?;
    Ok(svc
        .hub
        .reach(latest, std::time::Duration::from_secs(2))
        .await)
}

/// How many events a full replay page holds.
pub const REPLAY_PAGE: usize = events::BATCH as usize;
