//! The `events` table: a change's events written inside the change's transaction, a deleted
//! message's content scrubbed from earlier events, committed events read in order, replay and
//! pruning.
//!
//! [`Reader`] reads committed events in order on each backend (see [`reader`]).

mod reader;

pub use reader::{latest, Read, Reader};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Value};
use uuid::Uuid;

use super::StoreError;

/// An event to record with a change.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub tenant_id: String,
    pub conversation_id: Option<String>,
    pub message_id: Option<Uuid>,
    pub name: &'static str,
    /// The event's `data`, as JSON text.
    pub data: String,
}

/// A committed event.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub tenant_id: String,
    pub conversation_id: Option<String>,
    pub name: String,
    pub data: String,
    pub at: DateTime<Utc>,
}

const COLUMNS: &str = "tenant_id, conversation_id, message_id, name, data, at";
const SELECT: &str = "SELECT seq, tenant_id, conversation_id, name, data, at FROM events";

/// Rows per read.
pub const BATCH: u64 = 1000;
/// Events per `INSERT` (8 values each).
const ROWS_PER_STATEMENT: usize = 500;

/// One value list row per event: `(order, tenant, conversation, message, name, data, only if
/// its conversation is new, at)`.
fn values_rows<'a>(
    events: impl IntoIterator<Item = (&'a NewEvent, bool, DateTime<Utc>)>,
    values: &mut Vec<Value>,
) -> String {
    let rows: Vec<String> = events
        .into_iter()
        .enumerate()
        .map(|(i, (e, conditional, at))| {
            values.extend([
                (i as i64).into(),
                e.tenant_id.clone().into(),
                e.conversation_id.clone().into(),
                e.message_id.map(|id| id.to_string()).into(),
                e.name.into(),
                e.data.clone().into(),
                conditional.into(),
                at.trunc_subsecs(6).into(),
            ]);
            let n = values.len();
            let p: Vec<String> = (n - 7..=n).map(|i| format!("${i}")).collect();
            format!("({})", p.join(", "))
        })
        .collect();
    rows.join(", ")
}

/// Which rows of an event `INSERT` are written.
#[derive(Debug, Clone, Copy)]
pub enum Only<'a> {
    /// Every row.
    All,
    /// Rows marked `true` only if their conversation is created by the same write. PostgreSQL
    /// (one statement with the write): the named part of the statement upserts the
    /// conversations and returns `tenant_id, id, created`.
    CreatedBy(&'a str),
    /// The same on SQLite: the `INSERT` runs before the conversations are upserted, in the same
    /// transaction, so "not there yet" means "created by this write".
    NotYetThere,
}

/// The `INSERT` of `events`, written in the given order.
pub fn insert_sql<'a>(
    events: impl IntoIterator<Item = (&'a NewEvent, bool, DateTime<Utc>)>,
    only: Only<'_>,
    values: &mut Vec<Value>,
) -> String {
    let rows = values_rows(events, values);
    let filter = match only {
        Only::All => String::new(),
        Only::CreatedBy(part) => format!(
            "WHERE NOT v.column7 OR EXISTS (SELECT 1 FROM {part} AS c \
             WHERE c.tenant_id = v.column2 AND c.id = v.column3 AND c.created)"
        ),
        Only::NotYetThere => "WHERE NOT v.column7 OR NOT EXISTS (SELECT 1 FROM conversations AS c \
             WHERE c.tenant_id = v.column2 AND c.id = v.column3)"
            .into(),
    };
    format!(
        "INSERT INTO events ({COLUMNS}) \
         SELECT v.column2, v.column3, v.column4, v.column5, v.column6, v.column8 \
         FROM (VALUES {rows}) AS v {filter} ORDER BY v.column1"
    )
}

/// Writes `events` with the change in `txn`, in order.
pub async fn append(txn: &impl ConnectionTrait, events: Vec<NewEvent>) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    let now = crate::store::now();
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let mut values = Vec::new();
        let sql = insert_sql(
            chunk.iter().map(|e| (e, false, now)),
            Only::All,
            &mut values,
        );
        txn.execute_raw(crate::store::statement(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// The `data` a deleted message's earlier events keep: who it was, not what it said.
fn scrubbed_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "json_build_object('id', message_id, 'tenant_id', tenant_id, \
             'conversation_id', conversation_id, 'redacted', true)::text"
        }
        _ => {
            "json_object('id', message_id, 'tenant_id', tenant_id, \
             'conversation_id', conversation_id, 'redacted', json('true'))"
        }
    }
}

/// Removes the content and metadata of `ids`' earlier events ("delete removes it everywhere"
/// includes the replay buffer); ids and event names stay.
pub async fn scrub_messages(
    txn: &impl ConnectionTrait,
    tenant: &str,
    ids: &[Uuid],
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    let mut values: Vec<Value> = vec![tenant.into()];
    let list: Vec<String> = ids
        .iter()
        .map(|id| {
            values.push(id.to_string().into());
            format!("${}", values.len())
        })
        .collect();
    let sql = format!(
        "UPDATE events SET data = {} WHERE tenant_id = $1 AND message_id IN ({})",
        scrubbed_sql(backend),
        list.join(", ")
    );
    txn.execute_raw(crate::store::statement(backend, sql, values))
        .await?;
    Ok(())
}

/// Scrubs every message event of a deleted conversation.
pub async fn scrub_conversation(
    txn: &impl ConnectionTrait,
    tenant: &str,
    conversation: &str,
) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    let sql = format!(
        "UPDATE events SET data = {} WHERE tenant_id = $1 AND conversation_id = $2 \
         AND message_id IS NOT NULL",
        scrubbed_sql(backend)
    );
    txn.execute_raw(crate::store::statement(
        backend,
        sql,
        [tenant.into(), conversation.into()],
    ))
    .await?;
    Ok(())
}

fn stored(row: &sea_orm::QueryResult) -> Result<StoredEvent, StoreError> {
    Ok(StoredEvent {
        seq: row.try_get("", "seq")?,
        tenant_id: row.try_get("", "tenant_id")?,
        conversation_id: row.try_get("", "conversation_id")?,
        name: row.try_get("", "name")?,
        data: row.try_get("", "data")?,
        at: row.try_get("", "at")?,
    })
}

/// Events with `after < seq <= upto` — of one tenant, or (`None`) of every tenant — oldest
/// first, at most [`BATCH`].
pub async fn between(
    db: &DatabaseConnection,
    tenant: Option<&str>,
    after: i64,
    upto: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut values: Vec<Value> = vec![after.into(), upto.into(), (BATCH as i64).into()];
    let of_tenant = match tenant {
        Some(t) => {
            values.push(t.into());
            "AND tenant_id = $4 "
        }
        None => "",
    };
    let rows = db
        .query_all_raw(crate::store::statement(
            db.get_database_backend(),
            format!("{SELECT} WHERE seq > $1 AND seq <= $2 {of_tenant}ORDER BY seq LIMIT $3"),
            values,
        ))
        .await?;
    rows.iter().map(stored).collect()
}

/// Whether `tenant` still keeps its event `seq` (a resume point that was pruned, or never
/// was this tenant's, is not).
pub async fn kept(db: &DatabaseConnection, tenant: &str, seq: i64) -> Result<bool, StoreError> {
    let row = db
        .query_one_raw(crate::store::statement(
            db.get_database_backend(),
            "SELECT 1 AS one FROM events WHERE tenant_id = $1 AND seq = $2",
            [tenant.into(), seq.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// Deletes events older than `keep_since`, and each tenant's beyond its newest `cap`; returns
/// how many went.
pub async fn prune(
    db: &DatabaseConnection,
    keep_since: DateTime<Utc>,
    cap: u64,
) -> Result<u64, StoreError> {
    let backend = db.get_database_backend();
    let mut removed = db
        .execute_raw(crate::store::statement(
            backend,
            "DELETE FROM events WHERE at < $1",
            [keep_since.into()],
        ))
        .await?
        .rows_affected();
    let over = db
        .query_all_raw(crate::store::statement(
            backend,
            "SELECT tenant_id FROM events GROUP BY tenant_id HAVING COUNT(*) > $1",
            [(cap as i64).into()],
        ))
        .await?;
    for row in over {
        let tenant: String = row.try_get("", "tenant_id")?;
        removed += db
            .execute_raw(crate::store::statement(
                backend,
                "DELETE FROM events WHERE tenant_id = $1 AND seq < (SELECT seq FROM events \
                 WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)",
                [tenant.into(), (cap as i64 - 1).into()],
            ))
            .await?
            .rows_affected();
    }
    Ok(removed)
}

/// Sends `payload` on the PostgreSQL notification `channel` when `txn` commits (nothing if it
/// rolls back); a no-op on SQLite, where one instance serves a database.
pub async fn notify(
    txn: &impl ConnectionTrait,
    channel: &str,
    payload: &str,
) -> Result<(), StoreError> {
    if txn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(crate::store::statement(
        sea_orm::DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [channel.into(), payload.into()],
    ))
    .await?;
    Ok(())
}
