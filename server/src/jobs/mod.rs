//! Background work: the embedding worker.
//!
//! [`run_once`] claims a batch of due jobs, embeds their messages in one model call and stores
//! the vectors; it is public so tests can drain the queue deterministically. [`spawn`] runs
//! `MEMORY_JOB_WORKERS` loops that call it until shutdown, woken at once by new jobs of this
//! instance and polling for those of others.
//!
//! While requests are arriving ([`Activity`]), the worker embeds beside them
//! ([`crate::embed::EmbeddingProvider::embed_beside_requests`]): the local model then takes one
//! core instead of all, so requests do not wait for CPU time behind a batch. A batch on every
//! core holds them all for up to a scheduler tick at a time despite its low priority, and the
//! requests' database backends wait behind it (`perf sched` shows it).

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use tokio::sync::Notify;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    domain::embedding::Reason,
    embed::Fault,
    service::Services,
    store::jobs::{self, Claimed},
};

/// Jobs per claim: one batched model call.
pub const BATCH: usize = 32;
/// Idle polling interval (jobs enqueued by other instances, retries coming due).
const POLL: Duration = Duration::from_millis(500);

/// Requests this recent make the worker embed beside them.
const BUSY_WINDOW: Duration = Duration::from_millis(250);

/// When this instance last began to serve a request (one relaxed atomic store per request).
pub struct Activity {
    origin: Instant,
    /// Milliseconds after `origin`.
    last: AtomicU64,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            last: AtomicU64::new(0),
        }
    }
}

impl Activity {
    /// Notes a request arriving now.
    pub fn touch(&self) {
        let now = self.origin.elapsed().as_millis() as u64;
        self.last.store(now, Ordering::Relaxed);
    }

    /// Whether a request arrived within `window`.
    pub fn within(&self, window: Duration) -> bool {
        let now = self.origin.elapsed().as_millis() as u64;
        now.saturating_sub(self.last.load(Ordering::Relaxed)) < window.as_millis() as u64
    }
}

/// Identifies this process's workers in `locked_by`.
pub fn worker_id(n: usize) -> String {
    format!(
        "{}-{}-{n}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Processes one batch; returns how many jobs it claimed (0: nothing due).
pub async fn run_once(svc: &Services, activity: &Activity, worker: &str) -> anyhow::Result<usize> {
    let turn = svc.write_gate.enter_background().await;
    let lease = chrono::Duration::from_std(svc.settings.job_lease)?;
    let claimed = jobs::claim(&svc.db, worker, BATCH, lease).await?;
    drop(turn);
    if claimed.is_empty() {
        return Ok(0);
    }
    let count = claimed.len();
    let started = Instant::now();
    let texts: Vec<String> = claimed.iter().map(|c| c.content.clone()).collect();
    let embedder = &svc.embedder;
    let embedded = if activity.within(BUSY_WINDOW) {
        embedder.embed_beside_requests(texts).await
    } else {
        embedder.embed(texts).await
    };
    match embedded {
        Ok(vectors) => {
            let done: Vec<(Claimed, Vec<f32>)> = claimed.into_iter().zip(vectors).collect();
            crate::service::messages::store_embeddings(svc, worker, &done).await?;
            svc.metrics
                .embedding_batch("embedded", count, started.elapsed());
        }
        Err(e) if e.fault == Fault::User => {
            tracing::warn!(error = %e, jobs = count, "model refused input; jobs failed");
            crate::service::messages::fail_embeddings(svc, worker, &claimed, &e.message).await?;
            svc.metrics
                .embedding_batch("failed", count, started.elapsed());
        }
        Err(e) => {
            tracing::warn!(error = %e, jobs = count, "embedding failed; will retry");
            let reason = match e.fault {
                Fault::Config => Reason::ProviderMisconfigured,
                _ => Reason::ProviderUnavailable,
            };
            jobs::retry_later(&svc.db, worker, &claimed, reason, &e.message).await?;
            svc.metrics
                .embedding_batch("retried", count, started.elapsed());
        }
    }
    Ok(count)
}

/// Starts the workers on `tracker`; they stop when `token` is cancelled, each after its
/// current batch. Returns their ids (for [`jobs::release`] when a batch outlasts shutdown).
pub fn spawn(
    svc: &Services,
    activity: &Arc<Activity>,
    count: usize,
    token: &CancellationToken,
    tracker: &TaskTracker,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let svc = svc.clone();
        let activity = activity.clone();
        let token = token.clone();
        let wake: Arc<Notify> = svc.job_notify.clone();
        let worker = worker_id(n);
        ids.push(worker.clone());
        tracker.spawn(async move {
            loop {
                let outcome = run_once(&svc, &activity, &worker).await;
                let idle = match &outcome {
                    Ok(0) => POLL,
                    Ok(_) => Duration::ZERO,
                    Err(e) => {
                        tracing::error!(error = %e, "embedding worker failed; backing off");
                        Duration::from_secs(2)
                    }
                };
                if idle.is_zero() && !token.is_cancelled() {
                    continue;
                }
                tokio::select! {
                    () = token.cancelled() => break,
                    () = wake.notified() => {}
                    () = tokio::time::sleep(idle) => {}
                }
            }
        });
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_counts_as_recent_only_within_its_window() {
        let activity = Activity::default();
        std::thread::sleep(Duration::from_millis(30));
        assert!(!activity.within(Duration::from_millis(20)));
        activity.touch();
        assert!(activity.within(Duration::from_secs(1)));
    }
}
