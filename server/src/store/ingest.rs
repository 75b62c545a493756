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

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
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
        per_conversation(&self.messages, &self.authors)
            .into_iter()
            .map(
                |((tenant, id), (count, last, author))| conversations::Model {
                    tenant_id: tenant.to_owned(),
                    id: id.to_owned(),
                    title: None,
                    metadata: serde_json::json!({}),
                    message_count: count,
                    archived_count: 0,
                    cold_count: 0,
                    last_message_at: Some(last),
                    archived: false,
                    user_id: Some(author),
                    created_at: self.now,
                    updated_at: self.now,
                },
            )
            .collect()
    }
}

/// Whether [`insert`] is one statement on `backend` (PostgreSQL), which the database commits
/// atomically on its own; otherwise it must run in a transaction.
pub fn is_one_statement(backend: DbBackend) -> bool {
    backend == DbBackend::Postgres
}

/// Inserts a prepared batch (creating its conversations when new) with its embeddings — or,
/// for messages without one, their embedding jobs — and its `events`, on `db`: a write
/// transaction unless [`is_one_statement`]. An event marked `true` is written only if its
/// conversation is new.
pub async fn insert(
    db: &impl ConnectionTrait,
    prepared: &Prepared,
    events: &[(NewEvent, bool)],
) -> Result<(), StoreError> {
    let Prepared {
        messages: stored,
        vectors: vectors_of,
        authors,
        now,
    } = prepared;
    let now = *now;
    if stored.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let pg = is_one_statement(backend);
    // PostgreSQL: one statement, every part numbering its placeholders in one sequence.
    let mut parts = Parts::new(pg);
    if !pg && !events.is_empty() {
        // Before the conversations' upsert: a conversation not there yet is created here.
        parts.add(|values| events::insert_sql(events, now, Only::NotYetThere, values));
    }
    // Part 0 on PostgreSQL, which the events' part reads.
    parts.add(|values| conversations_upsert(stored, authors, now, pg, values));
    for (rows, vectors) in stored
        .chunks(ROWS_PER_STATEMENT)
        .zip(vectors_of.chunks(ROWS_PER_STATEMENT))
    {
        parts.add(|values| messages_insert(backend, rows, vectors, values));
        let queued: Vec<(Uuid, &str)> = rows
            .iter()
            .zip(vectors)
            .filter(|(_, v)| v.is_none())
            .map(|(m, _)| (m.id, m.tenant_id.as_str()))
            .collect();
        if !queued.is_empty() {
            parts.add(|values| jobs::enqueue_sql(&queued, now, values));
        }
    }
    if pg && !events.is_empty() {
        parts.add(|values| events::insert_sql(events, now, Only::CreatedBy("p0"), values));
    }
    if pg {
        // Foreign keys are checked at the statement's end, when the conversations the
        // messages point to exist.
        let clauses: Vec<String> = (parts.sql.iter().enumerate())
            .map(|(i, sql)| format!("p{i} AS ({sql})"))
            .collect();
        let sql = format!("WITH {} SELECT 1", clauses.join(", "));
        let values = parts.values.pop().unwrap_or_default();
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    } else {
        for (sql, values) in parts.sql.into_iter().zip(parts.values) {
            db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
        }
    }
    Ok(())
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

/// Messages per conversation: how many, the newest `created_at`, the first one's author.
fn per_conversation<'a>(
    stored: &'a [messages::Model],
    authors: &[Uuid],
) -> BTreeMap<(&'a str, &'a str), (i64, DateTime<Utc>, Uuid)> {
    let mut per: BTreeMap<(&str, &str), (i64, DateTime<Utc>, Uuid)> = BTreeMap::new();
    for (m, author) in stored.iter().zip(authors) {
        let entry =
            per.entry((&m.tenant_id, &m.conversation_id))
                .or_insert((0, m.created_at, *author));
        entry.0 += 1;
        entry.1 = entry.1.max(m.created_at);
    }
    per
}

/// The conversations the messages belong to: created (by the first message's author) when
/// new, their counters moved on. `returning` (PostgreSQL) makes the statement return which
/// rows it created, for the events' part.
fn conversations_upsert(
    stored: &[messages::Model],
    authors: &[Uuid],
    now: DateTime<Utc>,
    returning: bool,
    values: &mut Vec<Value>,
) -> String {
    values.push(now.into());
    let at = values.len();
    let rows: Vec<String> = per_conversation(stored, authors)
        .into_iter()
        .map(|((tenant, id), (count, last, author))| {
            values.extend([
                tenant.into(),
                id.into(),
                count.into(),
                last.into(),
                author.into(),
            ]);
            let n = values.len();
            format!(
                "(${}, ${}, '{{}}', ${}, ${}, FALSE, ${}, ${at}, ${at})",
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
fn messages_insert(
    backend: DbBackend,
    rows: &[messages::Model],
    vectors: &[Option<Vec<f32>>],
    values: &mut Vec<Value>,
) -> String {
    const COLUMNS: usize = 13;
    values.reserve(rows.len() * COLUMNS);
    let mut tuples = Vec::with_capacity(rows.len());
    for (m, v) in rows.iter().zip(vectors) {
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
            embeddings::embedding_value(backend, v.as_deref()),
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
