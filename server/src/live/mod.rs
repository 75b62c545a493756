//! Live events on this instance: one [`pump`] reads committed events from the `events` table in
//! order and hands each to this instance's subscribers of its tenant, through the [`Hub`].
//!
//! The table is the truth; wake-ups only say "read it now": [`Hub::wake`] after a local commit,
//! PostgreSQL's `LISTEN memory_events` for commits on other instances, and a timer as the
//! fallback. Every event is serialised once, whatever the number of subscribers.
//!
//! [`access`]: committed changes to who may do what, told to the connections they concern.

pub mod access;
pub mod pump;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, Notify};
use tokio_util::sync::CancellationToken;

use crate::{domain::events::event_id, store::events::StoredEvent};

/// An event as subscribers receive it.
#[derive(Debug)]
pub struct LiveEvent {
    pub seq: i64,
    pub conversation_id: Option<String>,
    pub name: String,
    /// The whole frame, in its wire form ([`app::wire::live::event_frame`]), written once for
    /// every subscriber and shared by their sockets without a copy.
    pub frame: Utf8Bytes,
}

/// The events of one tenant from one read of the table, in order: a subscriber is woken once
/// for them all, and its socket writes them together.
pub type Batch = Arc<[LiveEvent]>;

impl LiveEvent {
    pub fn new(e: StoredEvent) -> Self {
        let frame = app::wire::live::event_frame(
            &e.name,
            &event_id(e.seq),
            &e.tenant_id,
            e.conversation_id.as_deref(),
            &e.at.to_rfc3339(),
            &e.data,
        );
        Self {
            seq: e.seq,
            conversation_id: e.conversation_id,
            name: e.name,
            frame: frame.into(),
        }
    }
}

/// A subscriber's end: live events of one tenant after `position`.
pub struct Subscription {
    pub events: broadcast::Receiver<Batch>,
    /// Every event up to here was published before this subscription began: read those from
    /// the table (replay); the receiver has everything after.
    pub position: i64,
    _guard: ConnectionGuard,
}

/// Counts a tenant's open subscriptions on this instance while it lives.
struct ConnectionGuard {
    hub: Arc<Hub>,
    tenant: String,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut tenants = self.hub.tenants.lock().expect("hub lock");
        if let Some(t) = tenants.get_mut(&self.tenant) {
            t.connections -= 1;
            if t.connections == 0 {
                tenants.remove(&self.tenant);
            }
        }
    }
}

struct Tenant {
    sender: broadcast::Sender<Batch>,
    connections: usize,
}

/// The subscribers of this instance, per tenant.
pub struct Hub {
    tenants: Mutex<HashMap<String, Tenant>>,
    /// Every event up to here has been published.
    position: AtomicI64,
    /// Signalled after each read of the table.
    round_done: Notify,
    /// Callers of [`Hub::reach`] waiting now.
    reaching: AtomicUsize,
    ready: AtomicBool,
    started: Notify,
    wake: Notify,
    /// Reads of the table ([`Batch`]es) a subscriber may fall behind by before it is dropped.
    capacity: usize,
    /// Cancelled when the server stops: every connection closes.
    pub closing: CancellationToken,
    /// Revoked sessions and keys, changed memberships: their connections re-check at once.
    pub access: access::AccessChanges,
}

/// Why a subscription was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The tenant already has this many subscriptions here.
    TooMany(usize),
}

impl Hub {
    pub fn new(capacity: usize) -> Self {
        Self {
            tenants: Mutex::new(HashMap::new()),
            position: AtomicI64::new(0),
            round_done: Notify::new(),
            reaching: AtomicUsize::new(0),
            ready: AtomicBool::new(false),
            started: Notify::new(),
            wake: Notify::new(),
            // `capacity` counts frames (a connection's send queue); a channel slot holds a
            // read's batch, often tens of events, and the channel keeps its last slots
            // however many were read. A subscriber whose socket keeps up is never that far
            // behind; one that does not is closed by its full send queue first.
            capacity: (capacity / 64).max(16),
            closing: CancellationToken::new(),
            access: access::AccessChanges::new(),
        }
    }

    /// Asks the pump to read the table now (a change was committed here).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Subscribes to `tenant`'s live events, unless it has `limit` subscriptions here already.
    /// Waits for the pump's first read, so `position` is meaningful.
    pub async fn subscribe(
        self: &Arc<Self>,
        tenant: &str,
        limit: usize,
    ) -> Result<Subscription, Refused> {
        while !self.ready.load(Ordering::Acquire) {
            let started = self.started.notified();
            if self.ready.load(Ordering::Acquire) {
                break;
            }
            started.await;
        }
        let events = {
            let mut tenants = self.tenants.lock().expect("hub lock");
            let entry = tenants.entry(tenant.to_owned()).or_insert_with(|| Tenant {
                sender: broadcast::channel(self.capacity).0,
                connections: 0,
            });
            if entry.connections >= limit {
                return Err(Refused::TooMany(limit));
            }
            entry.connections += 1;
            entry.sender.subscribe()
        };
        // Read after subscribing: the pump moves the position before it publishes, so an
        // event is either at most `position` or in the receiver (or both; subscribers skip
        // what they already sent).
        let position = self.position.load(Ordering::Acquire);
        Ok(Subscription {
            events,
            position,
            _guard: ConnectionGuard {
                hub: self.clone(),
                tenant: tenant.to_owned(),
            },
        })
    }

    /// Waits (at most `limit`) until everything up to `target` is published; returns the
    /// position then.
    pub async fn reach(&self, target: i64, limit: std::time::Duration) -> i64 {
        struct Reaching<'a>(&'a AtomicUsize);
        impl Drop for Reaching<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        self.reaching.fetch_add(1, Ordering::AcqRel);
        let _reaching = Reaching(&self.reaching);
        let wait = async {
            self.wake();
            loop {
                let done = self.round_done.notified();
                if self.position() >= target {
                    break;
                }
                done.await;
            }
        };
        let _ = tokio::time::timeout(limit, wait).await;
        self.position()
    }

    /// The pump finished a read of the table.
    fn round(&self) {
        self.round_done.notify_waiters();
    }

    /// Every event up to here has been published.
    pub fn position(&self) -> i64 {
        self.position.load(Ordering::Acquire)
    }

    /// Whether anyone on this instance waits for events: a subscriber, or a [`Hub::reach`].
    pub fn is_wanted(&self) -> bool {
        self.reaching.load(Ordering::Acquire) > 0
            || !self.tenants.lock().expect("hub lock").is_empty()
    }

    /// The pump: everything up to `position` is read; publish `events` (all at most it).
    fn publish(&self, position: i64, events: Vec<StoredEvent>) {
        self.position.store(position, Ordering::Release);
        if events.is_empty() {
            return;
        }
        let tenants = self.tenants.lock().expect("hub lock");
        let mut batches: HashMap<String, Vec<LiveEvent>> = HashMap::new();
        for e in events {
            // Only events someone here subscribed to are serialised at all.
            if tenants.contains_key(&e.tenant_id) {
                let tenant = e.tenant_id.clone();
                batches.entry(tenant).or_default().push(LiveEvent::new(e));
            }
        }
        for (tenant, batch) in batches {
            if let Some(t) = tenants.get(&tenant) {
                // No receiver left is not an error: the last one is just closing.
                let _ = t.sender.send(batch.into());
            }
        }
    }

    fn start_at(&self, position: i64) {
        self.position.store(position, Ordering::Release);
        self.ready.store(true, Ordering::Release);
        self.started.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_s_frame_is_json_with_its_stored_data_spliced_in() {
        let event = LiveEvent::new(StoredEvent {
            seq: 7,
            tenant_id: "acme".into(),
            conversation_id: None,
            name: "message.created".into(),
            data: r#"{"content":"a \"quoted\" note"}"#.into(),
            at: chrono::Utc::now(),
        });
        let frame: serde_json::Value = serde_json::from_str(&event.frame).unwrap();
        assert_eq!(frame["type"], "event");
        assert_eq!(frame["event"], "message.created");
        assert_eq!(frame["id"], event_id(7).as_str());
        assert_eq!(frame["conversation_id"], serde_json::Value::Null);
        assert_eq!(frame["data"]["content"], "a \"quoted\" note");
    }

    fn stored(seq: i64, tenant: &str) -> StoredEvent {
        StoredEvent {
            seq,
            tenant_id: tenant.into(),
            conversation_id: Some("c".into()),
            name: "message.created".into(),
            data: "{}".into(),
            at: chrono::Utc::now(),
        }
    }

    #[tokio::test]
    async fn a_read_reaches_each_tenant_s_subscribers_as_one_batch_of_its_own_events() {
        let hub = Arc::new(Hub::new(8192));
        hub.start_at(0);
        let mut acme = hub.subscribe("acme", 10).await.unwrap();
        let mut other = hub.subscribe("other", 10).await.unwrap();
        let events = [
            (1, "acme"),
            (2, "other"),
            (3, "acme"),
            (4, "nobody"),
            (5, "acme"),
        ];
        hub.publish(5, events.iter().map(|(s, t)| stored(*s, t)).collect());
        let batch = acme.events.recv().await.unwrap();
        let seqs: Vec<i64> = batch.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 3, 5]);
        let batch = other.events.recv().await.unwrap();
        assert_eq!(batch.iter().map(|e| e.seq).collect::<Vec<_>>(), [2]);
        // One batch each: nothing else is waiting.
        assert!(acme.events.try_recv().is_err());
        assert!(other.events.try_recv().is_err());
        assert_eq!(hub.position(), 5);
    }
}
