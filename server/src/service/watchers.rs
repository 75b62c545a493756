//! Live subscribers: who may watch a tenant, which of its events they want, where a resume point
//! stands and what a replay sends, and what a connection re-checks while it stays open. The WebSocket doors speak the protocol; the rules are here.

use std::{collections::HashSet, sync::Arc};

use super::{authenticate, caller, Access, Caller, Presented, Result, Services, TenantContext};
use crate::{
    domain::{
        events::{parse_event_id, EventKind},
        messages as rules, TenantId,
    },
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

/// Which of its tenant's events a subscriber wants: one conversation's, some kinds, or all.
#[derive(Debug, Default)]
pub struct Interest {
    pub conversation_id: Option<String>,
    /// Event names (`None`: every kind).
    pub events: Option<HashSet<&'static str>>,
}

impl Interest {
    /// Checks a subscription's conversation id and event names (`events[i]` names a bad one).
    pub fn new(conversation_id: Option<&str>, events: Option<&[String]>) -> Result<Self> {
        let conversation_id = conversation_id.map(rules::conversation_id).transpose()?;
        let events = events
            .map(|names| {
                (names.iter().enumerate())
                    .map(|(i, name)| Ok(EventKind::parse(name, &format!("events[{i}]"))?.as_str()))
                    .collect::<Result<HashSet<_>>>()
            })
            .transpose()?;
        Ok(Self {
            conversation_id,
            events,
        })
    }

    /// The event names asked for, sorted (`None`: every kind).
    pub fn names(&self) -> Option<Vec<&'static str>> {
        let mut names: Vec<&'static str> = self.events.as_ref()?.iter().copied().collect();
        names.sort_unstable();
        Some(names)
    }

    pub fn admits(&self, e: &LiveEvent) -> bool {
        let conversation = match &self.conversation_id {
            Some(c) => e.conversation_id.as_deref() == Some(c.as_str()),
            None => true,
        };
        conversation && (self.events.as_ref()).is_none_or(|set| set.contains(e.name.as_str()))
    }
}

/// A replay of the tenant's events after a resume point, up to everything committed when it
/// began, read a page at a time ([`Replay::next_page`]).
#[derive(Debug)]
pub struct Replay {
    after: i64,
    /// The feed's position the replay reaches: live events up to here are in it.
    pub upto: i64,
    done: bool,
}

/// Starts a replay after `last_event_id`: `None` for an id this server never issued to the
/// tenant, or one whose event is no longer kept (the events after it may be gone too).
/// Everything committed before the call is replayed, even what this instance has not
/// published yet.
pub async fn replay(
    svc: &Services,
    watcher: &Watcher,
    last_event_id: &str,
) -> Result<Option<Replay>> {
    let Some(after) = parse_event_id(last_event_id) else {
        return Ok(None);
    };
    if !events::kept(&svc.db, &watcher.tenant.tenant_id, after).await? {
        return Ok(None);
    }
    let upto = caught_up(svc).await?;
    Ok(Some(Replay {
        after,
        upto,
        done: false,
    }))
}

impl Replay {
    /// The next page of events, oldest first; `None` once the replay has reached [`Self::upto`].
    pub async fn next_page(
        &mut self,
        svc: &Services,
        watcher: &Watcher,
    ) -> Result<Option<Vec<Arc<LiveEvent>>>> {
        if self.done {
            return Ok(None);
        }
        let tenant = Some(watcher.tenant.tenant_id.as_str());
        let page = events::between(&svc.db, tenant, self.after, self.upto).await?;
        match page.last() {
            Some(last) if page.len() == REPLAY_PAGE => self.after = last.seq,
            _ => self.done = true,
        }
        Ok(Some(
            page.into_iter()
                .map(|e| Arc::new(LiveEvent::new(e)))
                .collect(),
        ))
    }
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
const REPLAY_PAGE: usize = events::BATCH as usize;
