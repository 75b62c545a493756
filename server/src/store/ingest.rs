//! Storing new messages: a whole batch — conversations, messages with their vectors, and
//! embedding jobs — in a fixed number of statements, not a few per message.
//!
//! Why set-based: an async acknowledgement is nothing but this write, and every round trip to
//! the database is a wake-up that waits behind whatever else the cores are doing (the
//! embedding worker, above all). PostgreSQL gets one statement (data-modifying `WITH` parts,
//! committed on its own) and SQLite three in one write transaction (it has no data-modifying
//! `WITH`). A batch of
//! 1000 costs the same number of statements as one message (split only to stay under the
//! backends' limits on bound values).
//!
//! Conversations are upserted with their counts added up per conversation first, so
//! `message_count` and `last_message_at` stay exact in the same atomic write. The write's
//! events (see [`super::events`]) go in the same statements: whether a conversation's
//! `conversation.created` is written depends on whether they created it.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Value};
use uuid::Uuid;

use super::{
    embeddings,
    entities::{conversations, messages},
    events::{self, NewEvent, Only},
    jobs, StoreError,
};

/// A validated message ready to store.
pub struct NewMessage {
    pub tenant_id: String,
    pub conversation_id: String,
    /// The user whose credential wrote it: a conversation it creates records them.
    pub author: Uuid,
    pub role: String,
    pub content: String,
    pub metadata: serde_json::Value,
    pub importance_score: f64,
    pub importance_override: Option<f64>,
    pub created_at: DateTime<Utc>,
}

/// Rows per `INSERT` at most: 13 values a row keeps 1000 messages far under SQLite's 32766
/// and PostgreSQL's 65535 bound parameters, but a statement per 500 keeps each one modest.
const ROWS_PER_STATEMENT: usize = 500;

/// A batch ready to store: the rows as they will be written.
pub struct Prepared {
    pub messages: Vec<messages::Model>,
    vectors: Vec<Option<Vec<f32>>>,
    authors: Vec<Uuid>,
    /// The write's time (`updated_at`), as the database keeps it.
    pub now: DateTime<Utc>,
}

/// Gives each message its id and stored form: the caller can describe the write (its events)
/// before [`insert`] stores it.
pub fn prepare(items: Vec<(NewMessage, Option<Vec<f32>>)>, model: &str) -> Prepared {
    // To the microsecond, as the databases keep it: the answer equals what a read returns.
    let now = crate::store::now();
    let mut prepared = Prepared {
        messages: Vec::with_capacity(items.len()),
        vectors: Vec::with_capacity(items.len()),
        authors: Vec::with_capacity(items.len()),
        now,
    };
    for (new, vector) in items {
        prepared.authors.push(new.author);
        let embedded = vector.is_some();
        prepared.messages.push(messages::Model {
            id: Uuid::now_v7(),
            tenant_id: new.tenant_id,
            conversation_id: new.conversation_id,
            role: new.role,
            content: new.content,
            metadata: new.metadata,
            importance_score: new.importance_score,
            importance_override: new.importance_override,
            embedding_status: if embedded { "completed" } else { "pending" }.into(),
            embedding_model: embedded.then(|| model.to_owned()),
            archived: false,
            archived_at: None,
            archive_reason: None,
            cold: false,
            created_at: new.created_at.trunc_subsecs(6),
            updated_at: now,
        });
        prepared.vectors.push(vector);
    }
    prepared
}

impl Prepared {
    /// Whether storing it queues embedding jobs (some message comes without its vector).
    pub fn queues_jobs(&self) -> bool {
        self.vectors.iter().any(Option::is_none)
    }

    /// The conversations the batch writes to, each as it will be if this write creates it
    /// (created by its first message's author, counting the batch's messages).
    pub fn conversations_if_new(&self) -> Vec<conversations::Model> {
        let rows: Vec<Row> = self.rows().collect();
        per_conversation(&rows)
            .into_iter()
            .map(|((tenant, id), c)| conversations::Model {
                tenant_id: tenant.to_owned(),
                id: id.to_owned(),
                title: None,
                metadata: serde_json::json!({}),
                message_count: c.count,
                archived_count: 0,
                cold_count: 0,
                last_message_at: Some(c.last_message_at),
                archived: false,
                user_id: Some(c.author),
                created_at: c.first_write,
                updated_at: c.last_write,
            })
            .collect()
    }

    fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        (self.messages.iter().zip(&self.vectors).zip(&self.authors)).map(
            |((message, vector), author)| Row {
                message,
                vector: vector.as_deref(),
                author: *author,
            },
        )
    }
}

/// Whether [`insert`] is one statement on `backend` (PostgreSQL), which the database commits
/// atomically on its own; otherwise it must run in a transaction.
pub fn is_one_statement(backend: DbBackend) -> bool {
    backend == DbBackend::Postgres
}

/// One request's write: its prepared batch and its events (see [`insert`]).
pub type Write<'a> = (&'a Prepared, &'a [(NewEvent, bool)]);

/// Inserts a prepared batch (creating its conversations when new) with its embeddings — or,
/// for messages without one, their embedding jobs — and its `events`, on `db`: a write
/// transaction unless [`is_one_statement`]. An event marked `true` is written only if its
/// conversation is new.
pub async fn insert(
    db: &impl ConnectionTrait,
    prepared: &Prepared,
    events: &[(NewEvent, bool)],
) -> Result<(), StoreError> {
    insert_together(db, &[(prepared, events)]).await
}

/// [`insert`] for several requests' writes in the same statements, stored as if each were
/// inserted in turn: their events in order, a conversation's `conversation.created` only for
/// the first write to it, its counters summed, created at the first write's time and updated
/// at the last's. Why: on SQLite every statement is a round trip to the connection's thread,
/// and a group of requests costs the statements of one.
pub async fn insert_together(
    db: &impl ConnectionTrait,
    writes: &[Write<'_>],
) -> Result<(), StoreError> {
    let rows: Vec<Row> = writes.iter().flat_map(|(p, _)| p.rows()).collect();
    if rows.is_empty() {
        return Ok(());
    }
    let events = events_in_turn(writes);
    let now = (writes.iter().map(|(p, _)| p.now).max()).unwrap_or_else(crate::store::now);
    let backend = db.get_database_backend();
    let pg = is_one_statement(backend);
    // PostgreSQL: one statement, every part numbering its placeholders in one sequence.
    let mut parts = Parts::new(pg);
    if !pg {
        // Before the conversations' upsert: a conversation not there yet is created here.
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            parts
                .add(|values| events::insert_sql(chunk.iter().copied(), Only::NotYetThere, values));
        }
    }
    // Part 0 on PostgreSQL, which the events' part reads (so one part: a request's batch
    // stays far under PostgreSQL's bound on values).
    let conversations: Vec<_> = per_conversation(&rows).into_iter().collect();
    let per_upsert = if pg {
        conversations.len()
    } else {
        ROWS_PER_STATEMENT
    };
    for chunk in conversations.chunks(per_upsert.max(1)) {
        parts.add(|values| conversations_upsert(chunk, pg, values));
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        parts.add(|values| messages_insert(backend, chunk, values));
        let queued: Vec<(Uuid, &str)> = (chunk.iter())
            .filter(|r| r.vector.is_none())
            .map(|r| (r.message.id, r.message.tenant_id.as_str()))
            .collect();
        if !queued.is_empty() {
            parts.add(|values| jobs::enqueue_sql(&queued, now, values));
        }
    }
    if pg && !events.is_empty() {
        parts.add(|values| {
            events::insert_sql(events.iter().copied(), Only::CreatedBy("p0"), values)
        });
    }
    if pg {
        // Foreign keys are checked at the statement's end, when the conversations the
        // messages point to exist.
        let clauses: Vec<String> = (parts.sql.iter().enumerate())
            .map(|(i, sql)| format!("p{i} AS ({sql})"))
            .collect();
        let sql = format!("WITH {} SELECT 1", clauses.join(", "));
        let values = parts.values.pop().unwrap_or_default();
        db.execute_raw(crate::store::statement(backend, sql, values))
            .await?;
    } else {
        for (sql, values) in parts.sql.into_iter().zip(parts.values) {
            db.execute_raw(crate::store::statement(backend, sql, values))
                .await?;
        }
    }
    Ok(())
}

/// A message as the write stores it.
struct Row<'a> {
    message: &'a messages::Model,
    vector: Option<&'a [f32]>,
    author: Uuid,
}

/// The writes' events in order, each with its write's time; a `conversation.created` (marked
/// `true`) is left out when an earlier write of the group writes to its conversation, which
/// that write creates if it is new.
fn events_in_turn<'a>(writes: &[Write<'a>]) -> Vec<(&'a NewEvent, bool, DateTime<Utc>)> {
    let mut written_to: HashSet<(&str, &str)> = HashSet::new();
    let mut events = Vec::new();
    for (prepared, of_write) in writes {
        for (event, conditional) in of_write.iter() {
            let earlier = (event.conversation_id.as_deref())
                .is_some_and(|c| written_to.contains(&(event.tenant_id.as_str(), c)));
            if !(*conditional && earlier) {
                events.push((event, *conditional, prepared.now));
            }
        }
        if writes.len() > 1 {
            written_to.extend(
                (prepared.messages.iter())
                    .map(|m| (m.tenant_id.as_str(), m.conversation_id.as_str())),
            );
        }
    }
    events
}

/// The write's statements. Each part numbers its placeholders after the values already in the
/// list it is given: its own list, or (`shared`, for one combined statement) the one list.
struct Parts {
    shared: bool,
    sql: Vec<String>,
    values: Vec<Vec<Value>>,
}

impl Parts {
    fn new(shared: bool) -> Self {
        Self {
            shared,
            sql: Vec::new(),
            values: Vec::new(),
        }
    }

    fn add(&mut self, part: impl FnOnce(&mut Vec<Value>) -> String) {
        if !self.shared || self.values.is_empty() {
            self.values.push(Vec::new());
        }
        let values = self.values.last_mut().expect("a value list");
        self.sql.push(part(values));
    }
}

/// A conversation's part of the write: its messages' count, the newest `created_at`, the
/// first message's author, the first and the last write's time.
struct Counted {
    count: i64,
    last_message_at: DateTime<Utc>,
    author: Uuid,
    first_write: DateTime<Utc>,
    last_write: DateTime<Utc>,
}

/// The write's messages per conversation.
fn per_conversation<'a>(rows: &[Row<'a>]) -> BTreeMap<(&'a str, &'a str), Counted> {
    let mut per: BTreeMap<(&str, &str), Counted> = BTreeMap::new();
    for row in rows {
        let m = row.message;
        // A message's `updated_at` is its write's time.
        let entry = per
            .entry((&m.tenant_id, &m.conversation_id))
            .or_insert(Counted {
                count: 0,
                last_message_at: m.created_at,
                author: row.author,
                first_write: m.updated_at,
                last_write: m.updated_at,
            });
        entry.count += 1;
        entry.last_message_at = entry.last_message_at.max(m.created_at);
        entry.last_write = entry.last_write.max(m.updated_at);
    }
    per
}

/// The conversations the messages belong to: created (by the first message's author) when
/// new, their counters moved on. `returning` (PostgreSQL) makes the statement return which
/// rows it created, for the events' part.
fn conversations_upsert(
    conversations: &[((&str, &str), Counted)],
    returning: bool,
    values: &mut Vec<Value>,
) -> String {
    let rows: Vec<String> = conversations
        .iter()
        .map(|((tenant, id), c)| {
            values.extend([
                (*tenant).into(),
                (*id).into(),
                c.count.into(),
                c.last_message_at.into(),
                c.author.into(),
                c.first_write.into(),
                c.last_write.into(),
            ]);
            let n = values.len();
            format!(
                "(${}, ${}, '{{}}', ${}, ${}, FALSE, ${}, ${}, ${})",
                n - 6,
                n - 5,
                n - 4,
                n - 3,
                n - 2,
                n - 1,
                n
            )
        })
        .collect();
    // A row the upsert inserted has no deleting transaction (`xmax = 0`); an updated one has.
    let returning = if returning {
        " RETURNING tenant_id, id, (xmax = 0) AS created"
    } else {
        ""
    };
    format!(
        "INSERT INTO conversations (tenant_id, id, metadata, message_count, last_message_at, \
           archived, user_id, created_at, updated_at) VALUES {} \
         ON CONFLICT (tenant_id, id) DO UPDATE SET \
           message_count = conversations.message_count + excluded.message_count, \
           last_message_at = CASE WHEN conversations.last_message_at IS NULL \
             OR conversations.last_message_at < excluded.last_message_at \
             THEN excluded.last_message_at ELSE conversations.last_message_at END, \
           updated_at = excluded.updated_at{returning}",
        rows.join(", ")
    )
}

/// The messages themselves, each with its vector when it has one.
fn messages_insert(backend: DbBackend, rows: &[Row], values: &mut Vec<Value>) -> String {
    const COLUMNS: usize = 13;
    values.reserve(rows.len() * COLUMNS);
    let mut tuples = Vec::with_capacity(rows.len());
    for Row {
        message: m, vector, ..
    } in rows
    {
        let first = values.len() + 1;
        values.extend([
            m.id.into(),
            m.tenant_id.clone().into(),
            m.conversation_id.clone().into(),
            m.role.clone().into(),
            m.content.clone().into(),
            m.metadata.clone().into(),
            m.importance_score.into(),
            m.importance_override.into(),
            embeddings::embedding_value(backend, *vector),
            m.embedding_status.clone().into(),
            m.embedding_model.clone().into(),
            m.created_at.into(),
            m.updated_at.into(),
        ]);
        let placeholders: Vec<String> = (first..first + COLUMNS).map(|i| format!("${i}")).collect();
        tuples.push(format!("({})", placeholders.join(", ")));
    }
    format!(
        "INSERT INTO messages (id, tenant_id, conversation_id, role, content, metadata, \
           importance_score, importance_override, embedding, embedding_status, embedding_model, \
           created_at, updated_at) VALUES {}",
        tuples.join(", ")
    )
}
