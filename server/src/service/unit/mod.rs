//! The one way a use case writes. [`Services::write`] begins a write transaction, runs the use
//! case's work in it, appends the events and audit entries the work says its change made,
//! commits, and only then wakes the live hub (and the job workers, when the work queued
//! embeddings) and tells live connections whose access the change narrowed. New messages, the write path's hot spot, have an entry of their own
//! ([`Services::store_new_messages`]) that commits and wakes alike.
//!
//! Why the work is a closure handed a transaction it does not own: the unit alone decides how
//! the transaction begins and ends, so the write path can combine concurrent requests' work
//! into one commit without any use case changing; and a use case cannot commit while
//! forgetting the wake-up (its events would reach subscribers only at the hub's next periodic
//! read) or the audit entry — [`Written`] has no defaults, so every use case states both, even
//! when the answer is "none".

pub mod group;

use sea_orm::DatabaseTransaction;
use tokio::sync::Notify;

use super::{Result, Services};
use crate::live::{access::AccessChange, pump::ACCESS_CHANNEL, Hub};
use crate::store::{
    self,
    audit::NewEntry,
    entities::messages,
    events::NewEvent,
    idempotency::Answer,
    ingest::{self, Prepared},
};

/// What a unit of work's change did, besides the value it returns to its use case.
#[must_use]
pub struct Written<T> {
    /// What the use case answers.
    pub value: T,
    /// The events the change emits.
    pub events: Events,
    /// The audit entries it leaves (writes to the memory itself leave none: their events are
    /// their record).
    pub audit: Vec<NewEntry>,
    /// Whether it queued embedding jobs: the job workers are woken after the commit.
    pub queued_jobs: bool,
    /// Whose access it may have narrowed (a revoked session or key, a changed membership):
    /// their live connections check their credentials again after the commit.
    pub access: Vec<AccessChange>,
}

impl<T> Written<T> {
    /// A change to the memory: its events, no audit entry, no embedding queued.
    pub fn emitted(value: T, events: Vec<NewEvent>) -> Self {
        Self {
            value,
            events: Events::Append(events),
            audit: Vec::new(),
            queued_jobs: false,
            access: Vec::new(),
        }
    }

    /// A change that neither emits events nor leaves an audit entry: a login's session, a
    /// refresh token's rotation, a retention run's own record.
    pub fn quiet(value: T) -> Self {
        Self::audited(value, Vec::new())
    }

    /// A change to who may do what (accounts, keys, members, tenants, policies): no live
    /// subscriber sees it; its audit entries say who did it.
    pub fn audited(value: T, audit: Vec<NewEntry>) -> Self {
        Self {
            value,
            events: Events::Append(Vec::new()),
            audit,
            queued_jobs: false,
            access: Vec::new(),
        }
    }

    /// The change may end or narrow the access of `changed`: their live connections re-check.
    pub fn narrowing(mut self, changed: impl IntoIterator<Item = AccessChange>) -> Self {
        self.access.extend(changed);
        self
    }
}

/// The events of a change.
pub enum Events {
    /// Appended after the work, in its transaction, in this order (none: an empty list).
    Append(Vec<NewEvent>),
    /// Written by the work's own statements: storing new messages writes a conversation's
    /// `conversation.created` only when those statements created the conversation
    /// ([`Services::store_new_messages`]).
    WrittenWithChange,
}

impl Services {
    /// Runs `work` as one atomic change: all of it, its events and its audit entries are
    /// committed together or not at all (an error from `work` rolls everything back). The hub
    /// is woken once, after the commit, when the change emitted events.
    pub async fn write<T, F>(&self, work: F) -> Result<T>
    where
        F: AsyncFnOnce(&DatabaseTransaction) -> Result<Written<T>>,
    {
        let turn = self.write_gate.enter().await;
        self.write_in_turn(turn, work).await
    }

    /// [`Self::write`] for background work (the job queue's results): on SQLite it lets the
    /// requests' writes waiting for the file go first ([`group::WriteGate`]).
    pub async fn write_in_background<T, F>(&self, work: F) -> Result<T>
    where
        F: AsyncFnOnce(&DatabaseTransaction) -> Result<Written<T>>,
    {
        let turn = self.write_gate.enter_background().await;
        self.write_in_turn(turn, work).await
    }

    async fn write_in_turn<T, F>(&self, turn: Option<group::Turn>, work: F) -> Result<T>
    where
        F: AsyncFnOnce(&DatabaseTransaction) -> Result<Written<T>>,
    {
        let txn = store::begin_write(&self.db).await?;
        let written = work(&txn).await?;
        let mut changed: Vec<String> = Vec::new();
        let emitted = match written.events {
            Events::Append(events) => {
                if self.replicas.configured() {
                    changed.extend(events.iter().map(|e| e.tenant_id.clone()));
                    changed.dedup();
                }
                let any = !events.is_empty();
                store::events::append(&txn, events).await?;
                any
            }
            Events::WrittenWithChange => true,
        };
        for entry in written.audit {
            store::audit::record(&txn, entry).await?;
        }
        // Other instances' connections hear of the change with its commit.
        for change in &written.access {
            store::events::notify(&txn, ACCESS_CHANNEL, &change.to_notice()).await?;
        }
        store::commit(txn).await?;
        drop(turn);
        self.replicas.wrote(changed.iter().map(String::as_str));
        self.committed(emitted, written.queued_jobs);
        self.hub.access.announce(written.access);
        Ok(written.value)
    }

    /// Upkeep's writes (pruning kept rows, folding counters, flushing counts, a credential's
    /// last use): no use case's change, so no events or audit, and each statement commits on
    /// its own — no transaction stays open across the caller's awaits (on PostgreSQL an open
    /// write transaction holds every instance's live feed back). On SQLite they take background
    /// work's turn at the file like the job queue's writes, so a request's write never waits
    /// for one on the file's lock (whose busy wait sleeps in growing steps).
    pub async fn upkeep<T, F>(&self, work: F) -> Result<T>
    where
        F: AsyncFnOnce(&sea_orm::DatabaseConnection) -> std::result::Result<T, store::StoreError>,
    {
        let _turn = self.write_gate.enter_background().await;
        Ok(work(&self.db).await?)
    }

    /// Stores new messages with their events, and embedding jobs for those without a vector:
    /// the acknowledgement's whole write, with the idempotent `answer` to it when the request
    /// carried a key. Its statements write the events themselves (a `conversation.created`
    /// only if they created the conversation). On SQLite the writer task commits it with the
    /// other requests' new messages ([`group`]). On PostgreSQL they are one statement, which
    /// the database commits atomically on its own: a transaction around it would add BEGIN and
    /// COMMIT, two round trips, to every acknowledgement (it takes one only to record an
    /// answer with it).
    pub async fn store_new_messages(
        &self,
        prepared: Prepared,
        events: Vec<(NewEvent, bool)>,
        answer: Option<Answer>,
    ) -> Result<Vec<messages::Model>> {
        let mut tenants: Vec<String> = Vec::new();
        if self.replicas.configured() {
            tenants.extend(events.iter().map(|(e, _)| e.tenant_id.clone()));
            tenants.dedup();
        }
        let write = group::NewMessages {
            prepared,
            events,
            answer,
        };
        let stored = self.store_new(write).await;
        // Read-your-writes: the tenant's next searches read the primary.
        self.replicas.wrote(tenants.iter().map(String::as_str));
        stored
    }

    async fn store_new(&self, write: group::NewMessages) -> Result<Vec<messages::Model>> {
        if let Some(writer) = &self.writer {
            return writer.store(write).await;
        }
        let queued_jobs = write.prepared.queues_jobs();
        if write.answer.is_none() {
            ingest::insert(&self.db, &write.prepared, &write.events).await?;
            self.committed(true, queued_jobs);
            return Ok(write.prepared.messages);
        }
        self.write(async move |txn| {
            group::write_one(txn, &write).await?;
            Ok(Written {
                value: write.prepared.messages,
                events: Events::WrittenWithChange,
                audit: Vec::new(),
                queued_jobs,
                access: Vec::new(),
            })
        })
        .await
    }

    /// After a commit: the hub reads the new events, the job workers the new jobs.
    fn committed(&self, emitted: bool, queued_jobs: bool) {
        wake(&self.job_notify, &self.hub, emitted, queued_jobs);
    }
}

/// Wakes the job workers when a commit queued jobs, and the hub when it emitted events.
pub(super) fn wake(jobs: &Notify, hub: &Hub, emitted: bool, queued_jobs: bool) {
    if queued_jobs {
        jobs.notify_one();
    }
    if emitted {
        hub.wake();
    }
}
