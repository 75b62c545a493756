//! One writer for an SQLite file: new messages are written in groups, and every other write
//! transaction of the instance waits its turn at one gate.
//!
//! SQLite lets one transaction write at a time. A request that began its own write transaction
//! while another held the lock would wait in SQLite's busy handler, which sleeps in growing
//! steps (up to 100 ms at a time) however soon the lock is free: under concurrent writes most
//! of a write's time, and all of its tail, would be those sleeps. Instead each request hands its
//! new messages to one task, which writes every request that arrived meanwhile in one
//! transaction, in the statements of one request — again, one request after the other with a
//! savepoint around each, if that failed, so one request's failure undoes only its part —
//! commits once, and only then answers each (a request is
//! answered only once the transaction that holds it is committed). The other write transactions
//! ([`super::super::Services::write`], the job queue's claims and stored vectors) take the same
//! [`WriteGate`], a queue that hands the lock on the moment it is free: requests first come
//! first served, background work after the requests waiting at that moment. PostgreSQL has row
//! locks and needs neither: there the gate is open.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use sea_orm::{DatabaseConnection, DbBackend, TransactionTrait};
use tokio::sync::{mpsc, oneshot, Mutex, Notify, OwnedMutexGuard};

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

/// How long background work (the job queue's claims and stored vectors) lets waiting
/// requests' writes go first, at most: under a steady stream of requests it still gets a turn
/// this often, so the queue keeps moving.
const BACKGROUND_YIELDS_AT_MOST: Duration = Duration::from_millis(200);

/// The queue every write transaction on an SQLite file waits in; open on PostgreSQL.
/// Requests' writes go before background work that is waiting: a job worker's transaction
/// holds the file for longer than an acknowledgement, and an acknowledgement that waits behind
/// it waits for nothing the client asked for.
#[derive(Clone)]
pub struct WriteGate(Option<Arc<Gate>>);

#[derive(Default)]
struct Gate {
    turn: Arc<Mutex<()>>,
    /// Requests' writes waiting for their turn or holding it.
    requests: AtomicUsize,
    /// Woken when the last of them is done.
    no_requests: Notify,
}

/// A request's place in [`Gate::requests`], given back when dropped: when its turn ends, or
/// when its wait is cancelled.
struct Counted(Arc<Gate>);

impl Drop for Counted {
    fn drop(&mut self) {
        if self.0.requests.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.no_requests.notify_waiters();
        }
    }
}

/// A turn at the gate: the holder may write until it drops.
pub struct Turn {
    _turn: OwnedMutexGuard<()>,
    _request: Option<Counted>,
}

impl WriteGate {
    pub fn for_backend(backend: DbBackend) -> Self {
        Self((backend == DbBackend::Sqlite).then(Arc::default))
    }

    /// Waits for a request's turn to write; the turn lasts until the guard drops.
    pub async fn enter(&self) -> Option<Turn> {
        let gate = self.0.as_ref()?;
        gate.requests.fetch_add(1, Ordering::SeqCst);
        let counted = Counted(gate.clone());
        Some(Turn {
            _turn: gate.turn.clone().lock_owned().await,
            _request: Some(counted),
        })
    }

    /// Waits for background work's turn: after the requests' writes waiting now (for
    /// [`BACKGROUND_YIELDS_AT_MOST`] at most).
    pub async fn enter_background(&self) -> Option<Turn> {
        let gate = self.0.as_ref()?;
        let deadline = tokio::time::Instant::now() + BACKGROUND_YIELDS_AT_MOST;
        loop {
            let idle = gate.no_requests.notified();
            if gate.requests.load(Ordering::SeqCst) == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                break;
            }
        }
        Some(Turn {
            _turn: gate.turn.clone().lock_owned().await,
            _request: None,
        })
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

pub(crate) type Reply = oneshot::Sender<Result<Vec<messages::Model>>>;

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

/// Writes `group` in one transaction, commits, then answers each request. A request's
/// failure must undo only its own part: the group is first written as it is, which nearly
/// always succeeds, and only if a request fails is it written again with a savepoint around
/// each request (two statements more per request, each a round trip to the connection's
/// thread), so the others are stored and the failing one is told its own error.
pub(crate) async fn write_group(
    db: &DatabaseConnection,
    group: Vec<(NewMessages, Reply)>,
) -> Committed {
    if !write_together(db, &group).await {
        return write_apart(db, group).await;
    }
    let done = Committed {
        stored: true,
        queued_jobs: group.iter().any(|(w, _)| w.prepared.queues_jobs()),
    };
    // The stored rows are the prepared ones.
    for (write, reply) in group {
        let _ = reply.send(Ok(write.prepared.messages));
    }
    done
}

/// Writes every request of `group` in one transaction, in the statements of one request
/// ([`ingest::insert_together`]), and commits; `false` (everything rolled back) if any part
/// fails.
async fn write_together(db: &DatabaseConnection, group: &[(NewMessages, Reply)]) -> bool {
    let Ok(txn) = store::begin_write(db).await else {
        return false;
    };
    let writes: Vec<&NewMessages> = group.iter().map(|(w, _)| w).collect();
    if write_all(&txn, &writes).await.is_err() {
        // Awaited, so the file's lock is free for the second attempt.
        let _ = txn.rollback().await;
        return false;
    }
    store::commit(txn).await.is_ok()
}

/// Writes each request of `group` in a savepoint of one transaction, commits, then answers.
async fn write_apart(db: &DatabaseConnection, group: Vec<(NewMessages, Reply)>) -> Committed {
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
            Ok(savepoint) => match write_one(&savepoint, &write).await {
                Ok(()) => savepoint
                    .commit()
                    .await
                    .map(|()| write.prepared.messages)
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

/// Writes one request's new messages, and the idempotent answer to them, in `txn` (the rows
/// stored are `write.prepared.messages`).
pub(super) async fn write_one(
    txn: &sea_orm::DatabaseTransaction,
    write: &NewMessages,
) -> Result<()> {
    write_all(txn, &[write]).await
}

/// Writes several requests' new messages in the statements of one
/// ([`ingest::insert_together`]), and the idempotent answer to each, in `txn`.
async fn write_all(txn: &sea_orm::DatabaseTransaction, writes: &[&NewMessages]) -> Result<()> {
    let parts: Vec<ingest::Write> = (writes.iter())
        .map(|w| (&w.prepared, w.events.as_slice()))
        .collect();
    ingest::insert_together(txn, &parts).await?;
    for answer in writes.iter().filter_map(|w| w.answer.as_ref()) {
        super::super::idempotency::record(txn, answer).await?;
    }
    Ok(())
}

/// A failure of the whole group, as each of its requests is told it.
fn shared_failure(e: &StoreError) -> ServiceError {
    match e {
        // The one mapping from store to service errors, for the variants that carry no data.
        StoreError::Unavailable => StoreError::Unavailable.into(),
        StoreError::Full => StoreError::Full.into(),
        other => ServiceError::Internal(anyhow::anyhow!("writing a group of requests: {other}")),
    }
}
