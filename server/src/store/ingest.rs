//! Storing new messages: a whole batch — conversations, messages with their vectors, and
//! embedding jobs — in a fixed number of statements, not a few per message.
//!
//! Why set-based: an async acknowledgement is nothing but this write, and every round trip to
//! the database is a wake-up that waits behind whatever else the two cores are doing (the
//! embedding worker, above all). Per message the old loop made seven round trips; now
//! PostgreSQL gets one statement (data-modifying `WITH` parts, committed on its own) and SQLite
//! three statements in one `IMMEDIATE` transaction (it has no data-modifying `WITH`). A batch of
//! 1000 costs the same number of statements as one message (split only to stay under the
//! backends' limits on bound values).
//!
//! Conversations are upserted with their counts added up per conversation first, so
//! `message_count` and `last_message_at` stay exact in the same atomic write, as before.

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use uuid::Uuid;

use super::{entities::messages, vectors, StoreError};

/// A validated message ready to store.
pub struct NewMessage {
    pub tenant_id: String,
    pub conversation_id: String,
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

/// Inserts messages (creating their conversations when new) with their embeddings — or, for
/// those without one, their embedding jobs — atomically: either all are stored or none.
pub async fn insert_messages(
    db: &DatabaseConnection,
    items: Vec<(NewMessage, Option<Vec<f32>>)>,
    model: &str,
) -> Result<Vec<messages::Model>, StoreError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    // The databases keep microseconds: truncate here so the answer equals what a read returns.
    let now = Utc::now().trunc_subsecs(6);
    let mut stored = Vec::with_capacity(items.len());
    let mut vectors_of = Vec::with_capacity(items.len());
    for (new, vector) in items {
        let embedded = vector.is_some();
        stored.push(messages::Model {
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
            created_at: new.created_at.trunc_subsecs(6),
            updated_at: now,
        });
        vectors_of.push(vector);
    }
    let mut statements = vec![conversations_upsert(&stored, now)];
    for (rows, vectors) in stored
        .chunks(ROWS_PER_STATEMENT)
        .zip(vectors_of.chunks(ROWS_PER_STATEMENT))
    {
        statements.push(messages_insert(backend, rows, vectors));
        let queued: Vec<_> = rows
            .iter()
            .zip(vectors)
            .filter(|(_, v)| v.is_none())
            .map(|(m, _)| m)
            .collect();
        if !queued.is_empty() {
            statements.push(jobs_insert(&queued, now));
        }
    }
    match backend {
        DbBackend::Postgres => {
            // One statement commits atomically on its own: no BEGIN / COMMIT round trips.
            db.execute_raw(combined(statements)).await?;
        }
        _ => {
            let txn = super::begin_write(db).await?;
            for (sql, values) in statements {
                txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                    .await?;
            }
            txn.commit().await?;
        }
    }
    Ok(stored)
}

type Part = (String, Vec<Value>);

/// The conversations the messages belong to: created when new, their counters moved on.
fn conversations_upsert(stored: &[messages::Model], now: DateTime<Utc>) -> Part {
    let mut per: BTreeMap<(&str, &str), (i64, DateTime<Utc>)> = BTreeMap::new();
    for m in stored {
        let entry = per
            .entry((&m.tenant_id, &m.conversation_id))
            .or_insert((0, m.created_at));
        entry.0 += 1;
        entry.1 = entry.1.max(m.created_at);
    }
    let mut values = Vec::with_capacity(per.len() * 4 + 1);
    values.push(now.into());
    let rows: Vec<String> = per
        .into_iter()
        .map(|((tenant, id), (count, last))| {
            values.extend([tenant.into(), id.into(), count.into(), last.into()]);
            let n = values.len();
            format!(
                "(${}, ${}, '{{}}', ${}, ${}, FALSE, $1, $1)",
                n - 3,
                n - 2,
                n - 1,
                n
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO conversations (tenant_id, id, metadata, message_count, last_message_at, \
           archived, created_at, updated_at) VALUES {} \
         ON CONFLICT (tenant_id, id) DO UPDATE SET \
           message_count = conversations.message_count + excluded.message_count, \
           last_message_at = CASE WHEN conversations.last_message_at IS NULL \
             OR conversations.last_message_at < excluded.last_message_at \
             THEN excluded.last_message_at ELSE conversations.last_message_at END, \
           updated_at = excluded.updated_at",
        rows.join(", ")
    );
    (sql, values)
}

/// The messages themselves, each with its vector when it has one.
fn messages_insert(
    backend: DbBackend,
    rows: &[messages::Model],
    vectors: &[Option<Vec<f32>>],
) -> Part {
    const COLUMNS: usize = 13;
    let mut values = Vec::with_capacity(rows.len() * COLUMNS);
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
            vectors::embedding_value(backend, v.as_deref()),
            m.embedding_status.clone().into(),
            m.embedding_model.clone().into(),
            m.created_at.into(),
            m.updated_at.into(),
        ]);
        let placeholders: Vec<String> = (first..first + COLUMNS).map(|i| format!("${i}")).collect();
        tuples.push(format!("({})", placeholders.join(", ")));
    }
    let sql = format!(
        "INSERT INTO messages (id, tenant_id, conversation_id, role, content, metadata, \
           importance_score, importance_override, embedding, embedding_status, embedding_model, \
           created_at, updated_at) VALUES {}",
        tuples.join(", ")
    );
    (sql, values)
}

/// A due embedding job for each message stored without a vector.
fn jobs_insert(queued: &[&messages::Model], now: DateTime<Utc>) -> Part {
    let mut values = Vec::with_capacity(queued.len() * 3 + 1);
    values.push(now.into());
    let rows: Vec<String> = queued
        .iter()
        .map(|m| {
            values.extend([
                Uuid::now_v7().into(),
                m.id.into(),
                m.tenant_id.clone().into(),
            ]);
            let n = values.len();
            format!("(${}, ${}, ${}, 'pending', 0, $1, $1, $1)", n - 2, n - 1, n)
        })
        .collect();
    let sql = format!(
        "INSERT INTO embedding_jobs (id, message_id, tenant_id, status, attempts, run_at, \
           created_at, updated_at) VALUES {}",
        rows.join(", ")
    );
    (sql, values)
}

/// PostgreSQL: the parts as one statement, each a data-modifying `WITH` clause with its
/// placeholders renumbered after the previous parts'. Foreign keys are checked at the end of
/// the statement, when the conversations the messages point to exist.
fn combined(parts: Vec<Part>) -> Statement {
    let mut clauses = Vec::with_capacity(parts.len());
    let mut values = Vec::new();
    for (i, (sql, part_values)) in parts.into_iter().enumerate() {
        let offset = values.len();
        clauses.push(format!("p{i} AS ({})", renumber(&sql, offset)));
        values.extend(part_values);
    }
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("WITH {} SELECT 1", clauses.join(", ")),
        values,
    )
}

/// `sql` with every placeholder `$n` turned into `$(n + offset)`. The parts above put user
/// input only in bound values, never in the SQL text, so every `$` here is a placeholder.
fn renumber(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + sql.len() / 8);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut n = 0usize;
        let mut digits = false;
        while let Some(&(_, d)) = chars.peek() {
            let Some(v) = d.to_digit(10) else { break };
            n = n * 10 + v as usize;
            digits = true;
            chars.next();
        }
        if digits {
            out.push_str(&(n + offset).to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::renumber;

    #[test]
    fn renumbering_shifts_every_placeholder_and_nothing_else() {
        assert_eq!(renumber("($1, $12, 'x', $3)", 10), "($11, $22, 'x', $13)");
        assert_eq!(renumber("($1, $2)", 0), "($1, $2)");
    }
}
