//! Persistence: connecting to SQLite or PostgreSQL, migrations, and (by aggregate) the queries.
//! Nothing here knows about HTTP.
//!
//! - [`accounts`]: users, memberships, login sessions, API keys; [`tenants`]: tenants and
//!   deleting one with all it holds; [`callers`]: a
//!   credential and everything it stands for, in one query.
//! - [`ingest`]: new messages, set-based; [`messages`], [`conversations`]: the rest of their
//!   lives, with exact conversation counters; [`import`]: an export's rows as they were.
//! - [`embeddings`]: vector storage per backend; [`filters`]: search filters as SQL;
//!   [`retrievers`]: both retrievers per backend and the candidates' ranking facts;
//!   [`index`]: the in-process search index and the change log it follows; [`replicas`]:
//!   PostgreSQL read replicas, and which reads may use them.
//! - [`events`]: the durable event stream (written with each change, read by the feed).
//! - [`retention`]: policies, rules, candidate selection, batch archive/cold/restore, run
//!   records and the per-tenant lease; [`audit`]: the audit log.
//! - [`jobs`]: the durable embedding queue; [`analytics`]: a tenant's figures from the
//!   trigger-kept counters (and their folding), cross-tenant counts; [`search_stats`]: search
//!   minutes; [`idempotency`]: the first answers of writes sent with an `Idempotency-Key`;
//!   [`secrets`]: secrets the server generated, shared by every instance on the database.
//! - [`entities`]: SeaORM entities; [`statement`]: a raw statement with `$N` placeholders, as
//!   each backend takes it best.
//!
//! Errors: [`StoreError`]. Every `DbErr` becomes one through a single `From`, which is where
//! unique-constraint violations become [`StoreError::Conflict`] and a database that cannot be
//! reached becomes [`StoreError::Unavailable`], and one whose disk is full [`StoreError::Full`].

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

use crate::config::DatabaseSettings;
pub(crate) use sql::statement;

/// The current time as both databases keep it (to the microsecond): what a write stores, and
/// answers, is what a later read returns on either backend.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6)
}

pub mod accounts;
pub mod analytics;
pub mod audit;
pub mod callers;
pub mod conversations;
pub mod embeddings;
pub mod entities;
pub mod events;
pub mod filters;
pub mod idempotency;
pub mod import;
pub mod index;
pub mod ingest;
pub mod jobs;
pub mod messages;
pub mod neighbours;
pub mod replicas;
pub mod retention;
pub mod retrievers;
pub mod search_stats;
pub mod secrets;
mod sql;
pub mod tenants;

/// Errors of the store layer; the services map them to their own.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such `what` (in the tenant asked about).
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// A uniqueness rule would be broken; the message says which, for the client.
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached (down, or no connection within the acquire timeout).
    #[error("the database is unavailable")]
    Unavailable,
    /// The database's disk (or its size cap) is full: nothing more can be written until space
    /// is freed; reads go on.
    #[error("the database's storage is full")]
    Full,
    #[error(transparent)]
    Db(sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for StoreError {
    fn from(e: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) = e.sql_err() {
            return Self::Conflict(conflict_message(&detail).into());
        }
        if is_unavailable(&e) {
            return Self::Unavailable;
        }
        if is_full(&e) {
            return Self::Full;
        }
        Self::Db(e)
    }
}

/// What a client reads when a write breaks a unique rule. The detail names the constraint
/// (PostgreSQL: `… unique constraint "ix_users_email"`; SQLite: `UNIQUE constraint failed:
/// users.email`); a concurrent writer that won a check-then-insert race lands here.
fn conflict_message(detail: &str) -> &'static str {
    let d = detail.to_ascii_lowercase();
    if d.contains("email") {
        "this email is already registered"
    } else if d.contains("username") {
        "this username is already registered"
    } else if d.contains("tenants") {
        "this tenant already exists; ask its administrator for an invitation"
    } else if d.contains("memberships") {
        "this user is already a member of the tenant"
    } else if d.contains("conversations") {
        "this conversation already exists"
    } else {
        "this would duplicate an existing record"
    }
}

/// True for failures that mean "no database right now" rather than a bad statement: no
/// connection could be had, or the one in use broke.
pub fn is_unavailable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = |r: &RuntimeErr| match r {
        RuntimeErr::SqlxError(e) => matches!(
            **e,
            sea_orm::sqlx::Error::Io(_)
                | sea_orm::sqlx::Error::PoolTimedOut
                | sea_orm::sqlx::Error::PoolClosed
                | sea_orm::sqlx::Error::WorkerCrashed
                | sea_orm::sqlx::Error::Tls(_)
        ),
        _ => false,
    };
    match e {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(r) | DbErr::Exec(r) | DbErr::Query(r) => sqlx(r),
        _ => false,
    }
}

/// True when a write failed for want of space: SQLite's `SQLITE_FULL` (13) or PostgreSQL's
/// `disk_full` (53100).
pub fn is_full(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| code == "13" || code == "53100"),
        _ => false,
    }
}

/// Begins a transaction that will write. On SQLite it starts `IMMEDIATE`, taking the write lock
/// up front: a deferred transaction that reads first and then writes fails at once with
/// "database is locked" when another writer committed meanwhile (the busy timeout cannot help
/// it), which under concurrent writes and the embedding worker turned into 500s.
pub async fn begin_write(
    db: &sea_orm::DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, StoreError> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    Ok(db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?)
}

/// Commits a transaction begun with [`begin_write`].
pub async fn commit(txn: sea_orm::DatabaseTransaction) -> Result<(), StoreError> {
    Ok(txn.commit().await?)
}

/// Opens the connection pool. For SQLite, creates the file's directory and sets the pragmas that
/// make every committed write survive a crash of the process (WAL with `synchronous=NORMAL` is
/// durable against `kill -9`; only an OS crash could lose the last transactions).
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.url.expose();
    if let Some(path) = sqlite_path(url) {
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating database directory {}", dir.display()))?;
            }
        }
    }
    Database::connect(options(settings, url))
        .await
        .with_context(|| format!("connecting to {}", settings.url))
}

/// A pool on the read replica at `url`, with the primary's settings; it connects when first
/// used, so a replica that is down does not stop start-up ([`replicas`]).
pub async fn connect_replica(
    settings: &DatabaseSettings,
    url: &crate::config::Redacted,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = options(settings, url.expose());
    options.connect_lazy(true);
    // A replica that went away fails its reads over to the primary; a request should not
    // wait the primary's acquire timeout for it first.
    options.acquire_timeout(settings.acquire_timeout.min(Duration::from_millis(500)));
    Database::connect(options)
        .await
        .with_context(|| format!("opening a pool on {url}"))
}

fn options(settings: &DatabaseSettings, url: &str) -> ConnectOptions {
    let session = postgres_session(settings);
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        // Ping only a connection idle long enough that a proxy or firewall may have dropped it,
        // not on every checkout (sqlx's default): that ping is a round trip of its own before
        // each query.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        // A request waits this long for a connection before it is told the database is
        // unavailable (503): while PostgreSQL is down, every new connection fails at once and
        // sqlx keeps retrying until this deadline.
        .acquire_timeout(settings.acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        })
        .map_sqlx_postgres_opts(move |o| o.options(session.clone()));
    options
}

/// Session settings every PostgreSQL connection starts with (so a search is one round trip):
/// - `hnsw.ef_search`: how wide pgvector's HNSW search looks (recall against exact search).
/// - `hnsw.iterative_scan`: keep walking the graph when filters reject candidates, so a
///   filtered search still fills its `LIMIT`; `relaxed_order` may return neighbours slightly
///   out of order, which the caller re-sorts.
/// - `plan_cache_mode`: plan each execution with its real parameters. sqlx prepares every
///   statement, and after five runs PostgreSQL may switch to a generic plan that cannot tell a
///   tenant of 100 messages (exact scan of its rows) from one of 100 000 (HNSW), and a generic
///   plan is several times slower for the big one.
/// - `random_page_cost`: 1.1, the usual value for data on SSD or in memory. pgvector costs an
///   HNSW scan in page reads that grow with `ef_search`; at the default 4.0 and ef_search 400
///   the planner sorts a tenant of ten thousand messages exactly rather than walk the graph,
///   which is a few times faster. A tenant of a hundred still gets its own rows sorted.
fn postgres_session(settings: &DatabaseSettings) -> [(&'static str, String); 4] {
    [
        ("hnsw.ef_search", settings.hnsw_ef_search.to_string()),
        ("hnsw.iterative_scan", "relaxed_order".into()),
        ("plan_cache_mode", "force_custom_plan".into()),
        ("random_page_cost", "1.1".into()),
    ]
}

/// `ids` as the parameters of an `IN (…)` list: the placeholders `$1,$2,…` and their values.
pub(crate) fn id_params<T: Clone + Into<sea_orm::Value>>(
    ids: &[T],
) -> (String, Vec<sea_orm::Value>) {
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    (
        placeholders.join(","),
        ids.iter().map(|id| id.clone().into()).collect(),
    )
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://")?;
    Some(rest.split('?').next().unwrap_or(rest))
}

/// Applies every pending migration. On PostgreSQL under an advisory lock: instances starting
/// together on one database would otherwise each apply the same migration, and all but one
/// fail; with it the first applies them and the others wait, then find nothing to apply.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Migrator::up(db, None).await.context("running migrations");
    }
    // Held by a transaction of its own (its connection stays checked out) while the migrations
    // run on the pool's other connections; the commit releases it.
    let lock = sea_orm::TransactionTrait::begin(db)
        .await
        .context("starting the migration lock")?;
    lock.execute_unprepared("SELECT pg_advisory_xact_lock(7422002)")
        .await
        .context("taking the migration lock")?;
    let applied = Migrator::up(db, None).await.context("running migrations");
    lock.commit()
        .await
        .context("releasing the migration lock")?;
    applied
}

/// Writes a consistent copy of an SQLite database to `target` (`VACUUM INTO` reads the whole
/// database in one transaction: writers go on meanwhile, and the copy is compacted).
pub async fn backup_sqlite(
    db: &DatabaseConnection,
    target: &std::path::Path,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite,
        "backup copies the embedded default's SQLite file; on PostgreSQL use pg_dump (docs/operations.md)"
    );
    let target = target
        .to_str()
        .context("the backup's path is not valid UTF-8")?
        .replace('\'', "''");
    db.execute_unprepared(&format!("VACUUM INTO '{target}'"))
        .await
        .context("copying the database")?;
    Ok(())
}

/// Checks the database answers a trivial query (readiness).
/// Connections open in the pool, and how many of them are idle (for the metrics).
pub fn pool_figures(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    }
}

pub async fn ping(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT 1",
    ))
    .await
    .map(|_| ())
}

/// The width of the stored embedding column, if the backend fixes one (PostgreSQL's `vector(n)`).
pub async fn stored_embedding_dimensions(db: &DatabaseConnection) -> anyhow::Result<Option<usize>> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT atttypmod FROM pg_attribute \
             WHERE attrelid = 'messages'::regclass AND attname = 'embedding'",
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get_by_index::<i32>(0))
        .transpose()?
        .filter(|d| *d > 0)
        .map(|d| d as usize))
}
