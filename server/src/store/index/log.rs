//! Reading `change_log`, the change log the index catches up from, on each backend.
//!
//! Both logs number their rows (`seq`) and name a changed message; the index re-reads each named
//! message, so applying a row twice is harmless but missing one is not. What differs is how a
//! reader knows it has seen every committed row:
//!
//! - SQLite has one writer at a time, so rows commit in `seq` order: everything up to the last
//!   `seq` read has been seen, and a hole in the numbers means another process pruned rows this
//!   one had not read (reload).
//! - PostgreSQL writers commit in any order: a row numbered below one already read can commit
//!   later. Each row records its transaction (`xid`), and a read also returns the transactions
//!   still in progress in its snapshot: those it lists (`pg_snapshot_xip`), and every one
//!   numbered from its `xmax` on, which it does not list (a snapshot's `xmax` is the newest
//!   *completed* transaction + 1, so a lone writer's newer transaction is in progress but not
//!   listed). A row invisible to that read was written either before it, by one of those
//!   transactions, or after it, with a higher `seq` (the sequence is not cached, so numbers
//!   follow time). So the next read asks for rows past the highest `seq` seen or written by
//!   those transactions. Rows older than
//!   [`PG_KEEP`] are pruned; an instance that has not read the log for [`PG_MAX_QUIET`] reloads
//!   instead of trusting it.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use crate::store::StoreError;

/// Log rows read per query.
const BATCH: i64 = 5000;
/// SQLite: the log is pruned once this many applied rows accumulate.
const SQLITE_PRUNE_AFTER: i64 = 10_000;
/// PostgreSQL: how long rows stay in the log (every instance reads it several times a second).
const PG_KEEP: &str = "1 hour";
/// PostgreSQL: an instance silent for this long may have missed pruned rows: it reloads.
const PG_MAX_QUIET: Duration = Duration::from_secs(15 * 60);

/// How far a reader has read.
#[derive(Debug, Clone)]
pub(super) struct Cursor {
    /// The highest `seq` read.
    pub(super) seq: i64,
    /// PostgreSQL: the transactions in progress when the log was last read that it listed…
    pending: Vec<i64>,
    /// …and every transaction numbered from here on (its `xmax`).
    unlisted_from: i64,
    /// When the log was last read.
    read_at: Instant,
}

impl Default for Cursor {
    fn default() -> Self {
        Self {
            seq: 0,
            pending: Vec::new(),
            unlisted_from: i64::MAX,
            read_at: Instant::now(),
        }
    }
}

/// What the next read of the log found.
pub(super) enum Step {
    /// These messages changed; `more` when the batch was full.
    Changes {
        ids: Vec<Uuid>,
        cursor: Cursor,
        more: bool,
    },
    /// The log cannot say what changed: read everything again.
    Reload,
}

/// The position to read from after a full load that starts now: anything committed after it
/// is read again, which is harmless.
pub(super) async fn start(db: &DatabaseConnection) -> Result<Cursor, StoreError> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!(
            "SELECT COALESCE((SELECT MAX(seq) FROM change_log), 0) AS seq, \
             {PG_PENDING} AS pending, {PG_UNLISTED} AS unlisted_from"
        ),
        _ => "SELECT COALESCE(MAX(seq), 0) AS seq, '' AS pending, 0 AS unlisted_from \
              FROM change_log"
            .into(),
    };
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| StoreError::Db(sea_orm::DbErr::RecordNotFound("change_log".into())))?;
    let mut cursor = Cursor {
        seq: row.try_get("", "seq")?,
        pending: parse_pending(&row.try_get::<String>("", "pending")?),
        ..Cursor::default()
    };
    if backend == DbBackend::Postgres {
        cursor.unlisted_from = row.try_get("", "unlisted_from")?;
    }
    Ok(cursor)
}

/// The transactions in progress that the statement's snapshot lists, as `1,2,3`.
const PG_PENDING: &str = "(SELECT COALESCE(string_agg(x::text, ','), '') \
     FROM pg_snapshot_xip(pg_current_snapshot()) x)";
/// The statement's snapshot's `xmax`: transactions numbered from here on are in progress (or
/// not yet begun) though it does not list them.
const PG_UNLISTED: &str = "(SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint)";

fn parse_pending(raw: &str) -> Vec<i64> {
    raw.split(',').filter_map(|x| x.parse().ok()).collect()
}

/// Reads the changes after `cursor`.
pub(super) async fn next(db: &DatabaseConnection, cursor: &Cursor) -> Result<Step, StoreError> {
    match db.get_database_backend() {
        DbBackend::Postgres => pg_next(db, cursor).await,
        _ => sqlite_next(db, cursor).await,
    }
}

async fn sqlite_next(db: &DatabaseConnection, cursor: &Cursor) -> Result<Step, StoreError> {
    let rows = db
        .query_all_raw(crate::store::statement(
            DbBackend::Sqlite,
            "SELECT seq, message_id FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
            [cursor.seq.into(), BATCH.into()],
        ))
        .await?;
    let applied = cursor.seq;
    let Some(last) = rows.last() else {
        // Nothing new: a log whose newest row is behind ours was pruned and restarted (or the
        // database was replaced).
        if applied > 0 && sqlite_bound(db, "MAX").await? < applied {
            return Ok(Step::Reload);
        }
        return Ok(Step::Changes {
            ids: Vec::new(),
            cursor: cursor.clone(),
            more: false,
        });
    };
    let first: i64 = rows[0].try_get("", "seq")?;
    if first != applied + 1 && applied > 0 {
        return Ok(Step::Reload);
    }
    let last: i64 = last.try_get("", "seq")?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<Uuid>("", "message_id"))
        .collect::<Result<Vec<_>, _>>()?;
    if last - sqlite_bound(db, "MIN").await? > SQLITE_PRUNE_AFTER {
        // Keeps the newest row so the numbering (and the hole check) goes on.
        db.execute_raw(crate::store::statement(
            DbBackend::Sqlite,
            "DELETE FROM change_log WHERE seq < $1",
            [last.into()],
        ))
        .await?;
    }
    Ok(Step::Changes {
        more: rows.len() as i64 == BATCH,
        ids: dedup(ids),
        cursor: Cursor {
            seq: last,
            read_at: Instant::now(),
            ..cursor.clone()
        },
    })
}

/// The oldest (`MIN`) or newest (`MAX`) `seq` in SQLite's log; 0 when it is empty.
async fn sqlite_bound(db: &DatabaseConnection, which: &str) -> Result<i64, StoreError> {
    let sql = format!("SELECT COALESCE({which}(seq), 0) AS bound FROM change_log");
    Ok(db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await?
        .map(|r| r.try_get::<i64>("", "bound"))
        .transpose()?
        .unwrap_or(0))
}

async fn pg_next(db: &DatabaseConnection, cursor: &Cursor) -> Result<Step, StoreError> {
    if cursor.read_at.elapsed() > PG_MAX_QUIET {
        return Ok(Step::Reload);
    }
    let pending = cursor
        .pending
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    // One statement, so the rows and the transactions in progress come from one snapshot.
    // Index reads, not `seq > $1 OR xid = ANY(…)`: PostgreSQL answers that OR by filtering
    // the whole log, on every search. The first `$3` rows of a part suffice: the outer
    // `LIMIT` keeps no row beyond the last of them.
    //
    // The third part reads `xid` as a range with an upper bound no transaction reaches
    // (`$5`, 2^31 past it: fewer transactions than that can be in progress at once). Without it,
    // a log that has not been analysed since it grew (after a bulk load, autovacuum's next
    // pass) gets the default estimate of a third of the rows for `xid >= $4`, and the
    // planner walks the primary key in `seq` order filtering every row of the log — a scan
    // per search that grows with the log. A two-sided range is estimated small, so the `xid`
    // index is read for the few rows of transactions newer than the last read.
    let sql = format!(
        "SELECT s.pending, s.unlisted_from, l.seq, l.message_id \
         FROM (SELECT {PG_PENDING} AS pending, {PG_UNLISTED} AS unlisted_from) s \
         LEFT JOIN LATERAL ( \
           (SELECT seq, message_id FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $3) \
           UNION \
           (SELECT seq, message_id FROM change_log \
            WHERE xid = ANY(string_to_array($2, ',')::bigint[])) \
           UNION \
           (SELECT seq, message_id FROM change_log \
            WHERE xid >= $4 AND xid < $5 ORDER BY seq LIMIT $3) \
           ORDER BY seq LIMIT $3) l ON TRUE"
    );
    let rows = db
        .query_all_raw(crate::store::statement(
            DbBackend::Postgres,
            &sql,
            [
                cursor.seq.into(),
                pending.into(),
                BATCH.into(),
                cursor.unlisted_from.into(),
                cursor.unlisted_from.saturating_add(1 << 31).into(),
            ],
        ))
        .await?;
    let read_at = Instant::now();
    let (now_pending, unlisted_from) = match rows.first() {
        Some(r) => (
            parse_pending(&r.try_get::<String>("", "pending")?),
            r.try_get::<i64>("", "unlisted_from")?,
        ),
        None => (Vec::new(), i64::MAX),
    };
    let mut seq = cursor.seq;
    let mut ids = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(s) = r.try_get::<Option<i64>>("", "seq")? {
            seq = seq.max(s);
            ids.push(r.try_get::<Uuid>("", "message_id")?);
        }
    }
    Ok(Step::Changes {
        more: ids.len() as i64 == BATCH,
        ids: dedup(ids),
        cursor: Cursor {
            seq,
            pending: now_pending,
            unlisted_from,
            read_at,
        },
    })
}

fn dedup(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// PostgreSQL: deletes log rows older than [`PG_KEEP`]; returns how many. Run in the
/// background (see `startup`), never in a search's catch-up: at a high write rate a minute's
/// rows take a while to delete. (SQLite's log is pruned as it is read.)
pub(super) async fn prune(db: &DatabaseConnection) -> Result<u64, StoreError> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(0);
    }
    let done = db
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("DELETE FROM change_log WHERE logged_at < now() - interval '{PG_KEEP}'"),
        ))
        .await?;
    Ok(done.rows_affected())
}
