//! Reading committed events in commit order, which differs per backend (see the migration that
//! creates the table):
//!
//! - SQLite has one writer at a time, so rows commit in `seq` order and a reader simply reads
//!   past the highest `seq` it has seen.
//! - PostgreSQL writers commit in any order, so a reader hands out rows only up to a *horizon*
//!   below which every transaction has ended: it notes the sequence's position `S`, then the
//!   transactions in progress `P` (each row's transaction draws its number after it has an id,
//!   so a row numbered up to `S` that a later read cannot see belongs to one of `P`). Once no
//!   transaction of `P` is in progress any more, every row up to `S` is committed or never will
//!   be: `S` is the new horizon. Writers are never serialised; a write transaction left open
//!   holds delivery back until it ends.
//!
//!   `P` comes from every backend's own transaction id (`pg_stat_activity.backend_xid`), not from
//!   a snapshot alone: a snapshot lists only ids below its `xmax`, the newest *completed* id + 1,
//!   so a transaction whose id is above every completed one — a lone writer's, the common case
//!   on a quiet server — is missing from it, and its rows would be read past before they commit.

use std::collections::VecDeque;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use super::{between, StoredEvent, BATCH};
use crate::store::StoreError;

/// Where a reader stands.
#[derive(Debug)]
pub struct Reader {
    /// Every event up to here has been read.
    read: i64,
    /// PostgreSQL: every event up to here is committed (or never will be).
    horizon: i64,
    /// PostgreSQL: sequence positions noted with the transactions then in progress, oldest
    /// first, until those transactions end.
    waiting: VecDeque<(i64, Vec<i64>)>,
}

/// What one [`Reader::next`] found.
pub struct Read {
    pub events: Vec<StoredEvent>,
    /// A full batch came: read again at once.
    pub more: bool,
    /// PostgreSQL: events may wait behind transactions in progress; read again shortly even
    /// without a wake-up.
    pub held: bool,
}

impl Reader {
    /// Every event up to here has been read.
    pub fn position(&self) -> i64 {
        self.read
    }

    /// A reader that starts after every event committed now. On PostgreSQL it waits for the
    /// write transactions in progress to end (they may hold lower numbers).
    pub async fn start(db: &DatabaseConnection) -> Result<Self, StoreError> {
        let mut reader = Self {
            read: 0,
            horizon: 0,
            waiting: VecDeque::new(),
        };
        if db.get_database_backend() != DbBackend::Postgres {
            reader.read = sqlite_max(db).await?;
            return Ok(reader);
        }
        reader.note(db).await?;
        while !reader.waiting.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            let pending = pg_pending(db).await?;
            reader.settle(&pending);
        }
        reader.read = reader.horizon;
        Ok(reader)
    }

    /// PostgreSQL: notes the sequence's position, then the transactions in progress (in that
    /// order: see the module docs), and moves the horizon as far as they allow.
    async fn note(&mut self, db: &DatabaseConnection) -> Result<(), StoreError> {
        let position = pg_position(db).await?;
        let pending = pg_pending(db).await?;
        if position > self.waiting.back().map_or(self.horizon, |w| w.0) {
            self.waiting.push_back((position, pending.clone()));
        }
        self.settle(&pending);
        Ok(())
    }

    /// Moves the horizon to the newest noted position none of whose transactions is still in
    /// `pending` (when one is, every later note has it too).
    fn settle(&mut self, pending: &[i64]) {
        let settled = self
            .waiting
            .iter()
            .rposition(|(_, then)| !then.iter().any(|x| pending.contains(x)));
        if let Some(i) = settled {
            self.horizon = self.horizon.max(self.waiting[i].0);
            self.waiting.drain(..=i);
        }
    }

    /// Reads the events committed since the last read, oldest first, at most [`BATCH`].
    pub async fn next(&mut self, db: &DatabaseConnection) -> Result<Read, StoreError> {
        let pg = db.get_database_backend() == DbBackend::Postgres;
        let upto = if pg {
            self.note(db).await?;
            self.horizon
        } else {
            i64::MAX
        };
        let events = if upto > self.read {
            between(db, None, self.read, upto).await?
        } else {
            Vec::new()
        };
        let more = events.len() as u64 == BATCH;
        match events.last() {
            Some(last) if more || !pg => self.read = last.seq,
            _ if pg => self.read = self.read.max(upto),
            _ => {}
        }
        Ok(Read {
            events,
            more,
            held: !self.waiting.is_empty(),
        })
    }
}

/// The highest number any event has so far (committed or not, on PostgreSQL).
pub async fn latest(db: &DatabaseConnection) -> Result<i64, StoreError> {
    match db.get_database_backend() {
        DbBackend::Postgres => pg_position(db).await,
        _ => sqlite_max(db).await,
    }
}

/// The sequence's position: every number drawn so far is at most this.
async fn pg_position(db: &DatabaseConnection) -> Result<i64, StoreError> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS position FROM events_seq",
        ))
        .await?
        .ok_or_else(|| StoreError::Db(sea_orm::DbErr::RecordNotFound("events_seq".into())))?;
    Ok(row.try_get("", "position")?)
}

/// The write transactions in progress now, as 32-bit ids: each backend's (see the module docs)
/// and the snapshot's, which adds prepared transactions below its `xmax`.
async fn pg_pending(db: &DatabaseConnection) -> Result<Vec<i64>, StoreError> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity \
             WHERE backend_xid IS NOT NULL \
             UNION SELECT x::text::bigint % 4294967296 \
             FROM pg_snapshot_xip(pg_current_snapshot()) AS x",
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<i64>("", "xid").map_err(StoreError::from))
        .collect()
}

async fn sqlite_max(db: &DatabaseConnection) -> Result<i64, StoreError> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT COALESCE(MAX(seq), 0) AS seq FROM events",
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "seq"))
        .transpose()?
        .unwrap_or(0))
}
