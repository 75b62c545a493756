//! The durable embedding queue (`embedding_jobs`), one row per message that needs a vector.
//!
//! A job is enqueued in the same transaction as the write that needs it, so an acknowledged
//! message always has either its vector or a job — a crash loses neither. Workers claim jobs
//! with a lease (`locked_until`): on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances never
//! claim the same job; a worker that dies mid-job simply lets its lease expire and the job is
//! claimed again. A content edit resets the job, and completion only writes a vector computed
//! from the message's current content.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, FromQueryResult,
    Statement, Value,
};
use uuid::Uuid;

use super::{embeddings, entities::messages, StoreError};
use crate::domain::embedding::Reason;

/// A claimed job with the content to embed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub job_id: Uuid,
    pub message_id: Uuid,
    pub attempts: i32,
    pub content: String,
}

/// What a tenant may see of a message's job: [`progress`].
#[derive(Debug, Clone)]
pub struct Progress {
    pub message_id: Uuid,
    pub status: String,
    pub attempts: i32,
    pub run_at: DateTime<Utc>,
    /// The end of a worker's lease, while one holds it.
    pub locked_until: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// The jobs of `tenant`'s messages among `ids` (a message without a job has its vector, or
/// is archived without one).
pub async fn progress(
    db: &impl ConnectionTrait,
    tenant: &str,
    ids: &[Uuid],
) -> Result<Vec<Progress>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (list, mut values) = super::id_params(ids);
    values.push(tenant.into());
    let sql = format!(
        "SELECT message_id, status, attempts, run_at, locked_until, reason FROM embedding_jobs \
         WHERE message_id IN ({list}) AND tenant_id = ${}",
        values.len()
    );
    let rows = db
        .query_all_raw(crate::store::statement(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Progress {
                message_id: row.try_get("", "message_id")?,
                status: row.try_get("", "status")?,
                attempts: row.try_get("", "attempts")?,
                run_at: row.try_get("", "run_at")?,
                locked_until: row.try_get("", "locked_until")?,
                reason: row.try_get("", "reason")?,
            })
        })
        .collect()
}

/// Adds (or resets) the job of `message_id`, due now.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    message_id: Uuid,
    tenant_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut values = Vec::new();
    let sql = enqueue_sql(&[(message_id, tenant_id)], now, &mut values);
    db.execute_raw(crate::store::statement(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await?;
    Ok(())
}

/// The statement that adds (or resets) the jobs of `messages` `(id, tenant)`, due `now`, its
/// placeholders numbered after those already in `values` (so it can be one part of a larger
/// statement, as in `ingest`).
pub(super) fn enqueue_sql(
    messages: &[(Uuid, &str)],
    now: DateTime<Utc>,
    values: &mut Vec<Value>,
) -> String {
    values.push(now.into());
    let at = values.len();
    let rows: Vec<String> = messages
        .iter()
        .map(|(id, tenant)| {
            values.extend([Uuid::now_v7().into(), (*id).into(), (*tenant).into()]);
            let n = values.len();
            format!(
                "(${}, ${}, ${}, 'pending', 0, ${at}, ${at}, ${at})",
                n - 2,
                n - 1,
                n
            )
        })
        .collect();
    format!(
        "INSERT INTO embedding_jobs (id, message_id, tenant_id, status, attempts, run_at, \
           created_at, updated_at) VALUES {} \
         ON CONFLICT (message_id, tenant_id) DO UPDATE SET status = 'pending', attempts = 0, \
           run_at = excluded.run_at, locked_until = NULL, locked_by = NULL, last_error = NULL, \
           reason = NULL, updated_at = excluded.updated_at",
        rows.join(", ")
    )
}

/// Claims up to `limit` due jobs (pending and due, or running with an expired lease).
pub async fn claim(
    db: &DatabaseConnection,
    worker: &str,
    limit: usize,
    lease: Duration,
) -> Result<Vec<Claimed>, StoreError> {
    let backend = db.get_database_backend();
    let now = crate::store::now();
    let skip_locked = match backend {
        DbBackend::Postgres => "FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE embedding_jobs SET status = 'running', locked_by = $1, locked_until = $2, \
           attempts = attempts + 1, updated_at = $3 \
         WHERE id IN (SELECT id FROM embedding_jobs \
           WHERE (status = 'pending' AND run_at <= $3) OR (status = 'running' AND locked_until < $3) \
           ORDER BY run_at LIMIT $4 {skip_locked}) \
         RETURNING id, message_id, attempts"
    );
    let txn = super::begin_write(db).await?;
    let rows = txn
        .query_all_raw(crate::store::statement(
            backend,
            &sql,
            [
                worker.into(),
                (now + lease).into(),
                now.into(),
                (limit as i64).into(),
            ],
        ))
        .await?;
    let mut jobs = Vec::with_capacity(rows.len());
    for row in rows {
        let job_id: Uuid = row.try_get("", "id")?;
        let message_id: Uuid = row.try_get("", "message_id")?;
        let attempts: i32 = row.try_get("", "attempts")?;
        jobs.push((job_id, message_id, attempts));
    }
    // The claimed messages' texts in one read (one query per job was 32 round trips a batch).
    let message_ids: Vec<Uuid> = jobs.iter().map(|j| j.1).collect();
    let mut contents = std::collections::HashMap::with_capacity(jobs.len());
    if !message_ids.is_empty() {
        let (list, values) = super::id_params(&message_ids);
        let sql = format!("SELECT id, content FROM messages WHERE id IN ({list})");
        for row in txn
            .query_all_raw(crate::store::statement(backend, &sql, values))
            .await?
        {
            contents.insert(
                row.try_get::<Uuid>("", "id")?,
                row.try_get::<String>("", "content")?,
            );
        }
    }
    let mut claimed = Vec::with_capacity(jobs.len());
    let mut orphans = Vec::new();
    for (job_id, message_id, attempts) in jobs {
        match contents.remove(&message_id) {
            Some(content) => claimed.push(Claimed {
                job_id,
                message_id,
                attempts,
                content,
            }),
            // The message is gone (the foreign key cascade normally removes its job first).
            None => orphans.push(job_id),
        }
    }
    if !orphans.is_empty() {
        let (list, values) = super::id_params(&orphans);
        let sql = format!("DELETE FROM embedding_jobs WHERE id IN ({list})");
        txn.execute_raw(crate::store::statement(backend, &sql, values))
            .await?;
    }
    txn.commit().await?;
    Ok(claimed)
}

/// Stores the vectors of finished jobs and removes the jobs, in `txn`; returns the messages
/// whose vector was stored. A vector is only written while this worker still holds the job and
/// the message still has the content it was computed from: a worker whose lease ran out
/// (another took the job over) or whose text was edited meanwhile (the edit re-queued the job)
/// stores nothing and removes nothing.
pub async fn complete(
    txn: &DatabaseTransaction,
    worker: &str,
    done: &[(Claimed, Vec<f32>)],
    model: &str,
) -> Result<Vec<messages::Model>, StoreError> {
    if done.is_empty() {
        return Ok(Vec::new());
    }
    let backend = txn.get_database_backend();
    // Two statements whatever the batch's size (one per job was 64 round trips for 32 jobs).
    let mut values: Vec<Value> = vec![model.into(), worker.into()];
    let rows: Vec<String> = done
        .iter()
        .map(|(job, vector)| {
            values.extend([
                job.job_id.into(),
                job.message_id.into(),
                embeddings::embedding_value(backend, Some(vector)),
                job.content.clone().into(),
            ]);
            let n = values.len();
            format!("(${}, ${}, ${}, ${})", n - 3, n - 2, n - 1, n)
        })
        .collect();
    // `VALUES` names its columns column1, column2, … on both backends.
    let update = format!(
        "UPDATE messages SET embedding = v.column3, embedding_status = 'completed', \
           embedding_model = $1 \
         FROM (VALUES {}) AS v \
         WHERE messages.id = v.column2 AND messages.content = v.column4 AND messages.cold = FALSE \
           AND EXISTS (SELECT 1 FROM embedding_jobs AS j WHERE j.id = v.column1 \
             AND j.locked_by = $2 AND j.status = 'running') \
         RETURNING {}",
        rows.join(", "),
        messages::COLUMNS
    );
    let job_ids: Vec<Uuid> = done.iter().map(|(job, _)| job.job_id).collect();
    let (list, mut job_values) = super::id_params(&job_ids);
    job_values.push(worker.into());
    let delete = format!(
        "DELETE FROM embedding_jobs WHERE id IN ({list}) AND locked_by = ${} \
         AND status = 'running'",
        job_values.len()
    );
    let stored = txn
        .query_all_raw(crate::store::statement(backend, &update, values))
        .await?
        .iter()
        .map(|row| messages::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    txn.execute_raw(crate::store::statement(backend, &delete, job_values))
        .await?;
    Ok(stored)
}

/// Schedules failed jobs again after an exponential backoff (1 s, 2 s, 4 s … capped at 5 min):
/// a provider outage delays embeddings, it never drops them or substitutes fake vectors.
pub async fn retry_later(
    db: &DatabaseConnection,
    worker: &str,
    jobs: &[Claimed],
    reason: Reason,
    error: &str,
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let now = crate::store::now();
    for job in jobs {
        let delay =
            Duration::seconds(1i64 << job.attempts.clamp(0, 8) as u32).min(Duration::minutes(5));
        db.execute_raw(crate::store::statement(
            backend,
            "UPDATE embedding_jobs SET status = 'pending', run_at = $1, locked_by = NULL, \
               locked_until = NULL, last_error = $2, reason = $3, updated_at = $4 \
             WHERE id = $5 AND locked_by = $6",
            [
                (now + delay).into(),
                Value::from(error.chars().take(1000).collect::<String>()),
                reason.as_str().into(),
                now.into(),
                job.job_id.into(),
                worker.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// Gives up on jobs whose input the model refuses ([`Reason::InputRefused`]), in `txn`: each
/// message still holding the text that was refused, and whose job this worker still holds, is
/// marked `failed`. Returns those messages.
pub async fn fail(
    txn: &DatabaseTransaction,
    worker: &str,
    jobs: &[Claimed],
    error: &str,
) -> Result<Vec<messages::Model>, StoreError> {
    let backend = txn.get_database_backend();
    let now = crate::store::now();
    let mut failed = Vec::with_capacity(jobs.len());
    for job in jobs {
        let marked = txn
            .query_one_raw(crate::store::statement(
                backend,
                format!(
                    "UPDATE messages SET embedding_status = 'failed' WHERE id = $1 AND content = $2 \
                     AND EXISTS (SELECT 1 FROM embedding_jobs WHERE id = $3 AND locked_by = $4 \
                       AND status = 'running') \
                     RETURNING {}",
                    messages::COLUMNS
                ),
                [
                    job.message_id.into(),
                    job.content.clone().into(),
                    job.job_id.into(),
                    worker.into(),
                ],
            ))
            .await?;
        if let Some(row) = marked {
            failed.push(messages::Model::from_query_result(&row, "")?);
        }
        txn.execute_raw(crate::store::statement(
            backend,
            "UPDATE embedding_jobs SET status = 'failed', last_error = $1, reason = $2, \
               updated_at = $3, locked_until = NULL WHERE id = $4 AND locked_by = $5",
            [
                error.into(),
                Reason::InputRefused.as_str().into(),
                now.into(),
                job.job_id.into(),
                worker.into(),
            ],
        ))
        .await?;
    }
    Ok(failed)
}

/// Hands the jobs `workers` still hold back to the queue (a stopping instance's), without
/// counting the interrupted attempt. Returns how many went back.
pub async fn release(db: &DatabaseConnection, workers: &[String]) -> Result<u64, StoreError> {
    if workers.is_empty() {
        return Ok(0);
    }
    let (list, values) = super::id_params(workers);
    requeue_running(db, &format!("AND locked_by IN ({list})"), values).await
}

/// Hands every running job back to the queue, without counting the interrupted attempt. For
/// the embedded default at start-up: no other process serves its file, so every running job
/// is a killed process's, and waiting out its lease would only delay it.
pub async fn release_all(db: &DatabaseConnection) -> Result<u64, StoreError> {
    requeue_running(db, "", Vec::new()).await
}

async fn requeue_running(
    db: &DatabaseConnection,
    and: &str,
    values: Vec<sea_orm::Value>,
) -> Result<u64, StoreError> {
    let sql = format!(
        "UPDATE embedding_jobs SET status = 'pending', locked_by = NULL, locked_until = NULL, \
           attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
         WHERE status = 'running' {and}"
    );
    let result = db
        .execute_raw(crate::store::statement(
            db.get_database_backend(),
            &sql,
            values,
        ))
        .await?;
    Ok(result.rows_affected())
}

/// Jobs not yet done (pending or running), for tests and metrics.
pub async fn outstanding(db: &DatabaseConnection) -> Result<i64, StoreError> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM embedding_jobs WHERE status <> 'failed'",
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}
