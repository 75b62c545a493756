//! What operators ask of an instance: readiness, its metrics, and the instance
//! administrators' cross-tenant view.

use std::time::{Duration, Instant};

use app::wire::{
    admin::{ComponentStatus, EmbeddingHealth, InstanceHealth, ReadinessReport},
    analytics::TenantUsage,
};

use super::{Caller, Result, ServiceError, Services};
use crate::store::{self, analytics};

/// Every metric in the Prometheus text format, after reading the gauges that live elsewhere
/// (queue depth, pool). Anyone may read them while `MEMORY_METRICS_PUBLIC` is on (the
/// default); otherwise only instance administrators.
pub async fn metrics(svc: &Services, caller: Option<&Caller>) -> Result<String> {
    if !svc.settings.http.metrics_public {
        let caller = caller.ok_or_else(|| {
            ServiceError::Unauthenticated("Missing or invalid credentials.".into())
        })?;
        caller.require_instance_admin("Metrics are")?;
    }
    let (tenants, bytes) = svc.index.resident();
    svc.metrics.set_text_index(tenants, bytes);
    match store::jobs::outstanding(&svc.db).await {
        Ok(depth) => {
            let (size, idle) = store::pool_figures(&svc.db);
            svc.metrics.set_scraped(depth, size, idle);
        }
        // The rest still answers; the gauges keep their last reading.
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the queue depth"),
    }
    Ok(svc.metrics.render())
}

/// How long one dependency check may take before it counts as down.
const CHECK_DEADLINE: Duration = Duration::from_secs(3);

/// Whether this instance can serve: the database is required (`down` without it); Redis is
/// not: without it rate limits fall back to each instance's memory, so the instance still
/// serves, `degraded`. The report's first component is always the database.
pub async fn readiness(svc: &Services) -> ReadinessReport {
    let mut components = vec![
        check("database", async {
            store::ping(&svc.db).await.map_err(|e| e.to_string())
        })
        .await,
    ];
    if let Some(redis) = &svc.redis {
        let mut conn = redis.clone();
        let redis = check("redis", async move {
            redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .await;
        if redis.status == "ok" {
            // Redis is back: the limiter need not wait for its next probe to share limits.
            svc.limiter.redis_answered();
        }
        components.push(redis);
    }
    let database_ok = components[0].status == "ok";
    let redis_ok = components[1..].iter().all(|c| c.status == "ok") && !svc.limiter.is_degraded();
    let status = match (database_ok, redis_ok) {
        (true, true) => "ok",
        (true, false) => "degraded",
        (false, _) => "down",
    };
    ReadinessReport {
        status: status.into(),
        components,
    }
}

/// Readiness, the embedding model's health and the job queue, for instance administrators.
pub async fn instance_health(svc: &Services, caller: &Caller) -> Result<InstanceHealth> {
    caller.require_instance_admin("This view is")?;
    let embedder = svc.embedder.clone();
    let (readiness, embedding, queue) = tokio::join!(
        readiness(svc),
        check("embedding", async move {
            let vectors = embedder.embed_query("health check".into()).await;
            vectors.map(|_| ()).map_err(|e| e.to_string())
        }),
        store::jobs::outstanding(&svc.db),
    );
    Ok(InstanceHealth {
        readiness,
        embedding: EmbeddingHealth {
            model: svc.embedder.model_id().to_owned(),
            dimensions: svc.embedder.dimensions() as u64,
            check: embedding,
        },
        queue_depth: queue.ok().and_then(|depth| u64::try_from(depth).ok()),
    })
}

/// Runs one check with a deadline, so a hung dependency cannot hang the probe.
async fn check(
    name: &str,
    probe: impl std::future::Future<Output = Result<(), String>>,
) -> ComponentStatus {
    let start = Instant::now();
    let result = tokio::time::timeout(CHECK_DEADLINE, probe)
        .await
        .unwrap_or_else(|_| Err(format!("timed out after {} s", CHECK_DEADLINE.as_secs())));
    ComponentStatus {
        name: name.into(),
        status: if result.is_ok() { "ok" } else { "down" }.into(),
        latency_ms: (start.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
        error: result.err().map(|e| sanitize(&e)),
    }
}

/// Driver errors can quote the connection string; keep only the first line and mask credentials.
fn sanitize(error: &str) -> String {
    let first = error.lines().next().unwrap_or_default();
    first
        .split_whitespace()
        .map(|w| {
            if w.contains("://") {
                crate::config::redact_url(w)
            } else {
                w.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every tenant's footprint, for instance administrators.
pub async fn tenant_usage(svc: &Services, caller: &Caller) -> Result<Vec<TenantUsage>> {
    caller.require_instance_admin("This view is")?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let usage = analytics::tenant_usage(&svc.db).await?;
    Ok(usage
        .into_iter()
        .map(|t| TenantUsage {
            tenant_id: t.tenant_id,
            name: t.name,
            members: count(t.members),
            total_messages: count(t.total_messages),
            total_conversations: count(t.total_conversations),
            pending_embeddings: count(t.pending_embeddings),
            last_activity: t.last_activity.map(|t| t.to_rfc3339()),
            created_at: t.created_at.to_rfc3339(),
        })
        .collect())
}
