//! One writer for an SQLite file: new messages are written in groups, and every other write
//! transaction of the instance waits its turn at one gate.
//!
//! SQLite lets one transaction write at a time. A request that began its own write transaction
//! while another held the lock would wait in SQLite's busy handler, which sleeps in growing
//! steps (up to 100 ms at a time) however soon the lock is free: under concurrent writes most
//! of a write's time, and all of its tail, would be those sleeps. Instead each request hands its
//! new messages to one task, which writes every request that arrived meanwhile in one
//! transaction — each in a savepoint of its own, so one request's failure undoes only its part
//! — commits once, and only then answers each (durability is a committed transaction, as
//! before). The other write transactions ([`super::super::Services::write`], the job queue's
//! claims) take the same [`WriteGate`], a first-come-first-served queue that hands the lock on
//! the moment it is free. PostgreSQL has row locks and needs neither: there the gate is open.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbBackend, TransactionTrait};
use tokio::sync::{mpsc, oneshot, Mutex, OwnedMutexGuard};

use super::super::{Result, ServiceError};
use crate::store::{
    self,
    entities::messages,
    events::NewEvent,
    idempotency,
    ingest::{self, Prepared},
    StoreError,
};

/// Most requests written in one transaction: enough to take in every request that arrived
/// during one commit under heavy load, few enough that a group stays a short transaction.
const MAX_GROUP: usize = 128;

/// The queue every write transaction on an SQLite file waits in; open on PostgreSQL.
#[derive(Clone)]
pub struct WriteGate(Option<Arc<Mutex<()>>>);

impl WriteGate {
    pub fn for_backend(backend: DbBackend) -> Self {
        Self((backend == DbBackend::Sqlite).then(Arc::default))
    }

    /// Waits for this instance's turn to write; the turn lasts until the guard drops.
    pub async fn enter(&self) -> Option<OwnedMutexGuard<()>> {
        match &self.0 {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        }
    }
}

/// One request's new messages, as the writer stores them.
pub struct NewMessages {
    pub prepared: Prepared,
    pub events: Vec<(NewEvent, bool)>,
    /// The idempotent answer recorded with them.
    pub answer: Option<idempotency::Answer>,
}

/// What the writer did with a group, for the wake-ups after its commit.
pub struct Committed {
    pub stored: bool,
    pub queued_jobs: bool,
}

type Reply = oneshot::Sender<Result<Vec<messages::Model>>>;

/// Hands new messages to the writer task of an SQLite file.
#[derive(Clone)]
pub struct GroupWriter {
    inbox: mpsc::UnboundedSender<(NewMessages, Reply)>,
}

impl GroupWriter {
    /// Starts the writer task on `db`, behind `gate`; `after` runs after each commit. The task
    /// ends when every handle is dropped.
    pub fn start(
        db: DatabaseConnection,
        gate: WriteGate,
        after: impl Fn(Committed) + Send + 'static,
    ) -> Self {
        let (inbox, mut requests) = mpsc::unbounded_channel::<(NewMessages, Reply)>();
        tokio::spawn(async move {
            let mut group = Vec::with_capacity(MAX_GROUP);
            while requests.recv_many(&mut group, MAX_GROUP).await > 0 {
                let turn = gate.enter().await;
                let committed = write_group(&db, std::mem::take(&mut group)).await;
                drop(turn);
                after(committed);
            }
        });
        Self { inbox }
    }

    /// Stores `write` in the next group; answers once that group is committed.
    pub async fn store(&self, write: NewMessages) -> Result<Vec<messages::Model>> {
        let (reply, answer) = oneshot::channel();
        let stopped = || ServiceError::Internal(anyhow::anyhow!("the writer task stopped"));
        self.inbox.send((write, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Writes each request of `group` in a savepoint of one transaction, commits, then answers.
async fn write_group(db: &DatabaseConnection, group: Vec<(NewMessages, Reply)>) -> Committed {
    let mut done = Committed {
        stored: false,
        queued_jobs: false,
    };
    let txn = match store::begin_write(db).await {
        Ok(txn) => txn,
        Err(e) => {
            for (_, reply) in group {
                let _ = reply.send(Err(shared_failure(&e)));
            }
            return done;
        }
    };
    let mut outcomes = Vec::with_capacity(group.len());
    for (write, reply) in group {
        let queues_jobs = write.prepared.queues_jobs();
        let outcome = match txn.begin().await {
            Ok(savepoint) => match write_one(&savepoint, write).await {
                Ok(stored) => savepoint
                    .commit()
                    .await
                    .map(|()| stored)
                    .map_err(|e| ServiceError::from(StoreError::from(e))),
                Err(e) => {
                    // Undoes this request's part; the group goes on.
                    let _ = savepoint.rollback().await;
                    Err(e)
                }
            },
            Err(e) => Err(StoreError::from(e).into()),
        };
        if outcome.is_ok() {
            done.stored = true;
            done.queued_jobs |= queues_jobs;
        }
        outcomes.push((reply, outcome));
    }
    if let Err(e) = store::commit(txn).await {
        done = Committed {
            stored: false,
            queued_jobs: false,
        };
        for (reply, outcome) in outcomes {
            let _ = reply.send(outcome.and(Err(shared_failure(&e))));
        }
        return done;
    }
    for (reply, outcome) in outcomes {
        let _ = reply.send(outcome);
    }
    done
}

async fn write_one(
    txn: &sea_orm::DatabaseTransaction,
    write: NewMessages,
) -> Result<Vec<messages::Model>> {
    let stored = ingest::insert(txn, write.prepared, write.events).await?;
    if let Some(answer) = &write.answer {
        super::super::idempotency::record(txn, answer).await?;
    }
    Ok(stored)
}

/// A failure of the whole group, as each of its requests is told it.
fn shared_failure(e: &StoreError) -> ServiceError {
    match e {
        StoreError::Unavailable => {
            ServiceError::Unavailable(super::super::error::DATABASE_UNAVAILABLE.into())
        }
        other => ServiceError::Internal(anyhow::anyhow!("writing a group of requests: {other}")),
    }
}
