//! A tenant's analytics: usage, daily trends, the most active conversations and embedding
//! progress — each one aggregate query, readable by any member or key of the tenant.

use std::collections::BTreeMap;

use app::wire::analytics::{EmbeddingStats, TopConversation, TrendDay, UsageStats};
use chrono::{Duration, Utc};

use super::{Access, Caller, Result, ServiceError, Services};
use crate::store::analytics as store;

pub async fn usage(svc: &Services, caller: &Caller, tenant: Option<&str>) -> Result<UsageStats> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let now = Utc::now();
    let midnight = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let f = store::message_figures(
        &svc.db,
        &t.tenant_id,
        midnight,
        now - Duration::days(7),
        now - Duration::days(30),
    )
    .await?;
    let vector_bytes = f.vectors as u64 * svc.embedder.dimensions() as u64 * 4;
    let searched = super::search_stats::last_day(svc, &t.tenant_id).await?;
    Ok(UsageStats {
        tenant_id: t.tenant_id,
        total_messages: f.total as u64,
        active_messages: (f.total - f.archived) as u64,
        archived_messages: f.archived as u64,
        cold_messages: f.cold as u64,
        total_conversations: f.conversations as u64,
        active_conversations: (f.conversations - f.archived_conversations) as u64,
        archived_conversations: f.archived_conversations as u64,
        messages_today: f.today as u64,
        messages_this_week: f.week as u64,
        messages_this_month: f.month as u64,
        avg_importance_score: f.avg_importance,
        total_embeddings: f.vectors as u64,
        pending_embeddings: f.pending as u64,
        failed_embeddings: f.failed as u64,
        storage_bytes: f.text_bytes as u64 + vector_bytes,
        searches_last_24h: searched.searches,
        search_latency_p50_ms: searched.p50_ms,
        search_latency_p95_ms: searched.p95_ms,
    })
}

/// The last `days` (1..365, default 30) UTC days, oldest first, every day present.
pub async fn trends(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    days: Option<i64>,
) -> Result<Vec<TrendDay>> {
    let days = days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ServiceError::invalid("days", "must be 1 to 365"));
    }
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let first = Utc::now().date_naive() - Duration::days(days - 1);
    let since = first.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let mut by_day: BTreeMap<String, TrendDay> = (0..days)
        .map(|d| {
            let date = (first + Duration::days(d)).format("%Y-%m-%d").to_string();
            let day = TrendDay {
                date: date.clone(),
                count: 0,
                role_breakdown: BTreeMap::new(),
            };
            (date, day)
        })
        .collect();
    for (date, role, n) in store::daily_counts(&svc.db, &t.tenant_id, since).await? {
        if let Some(day) = by_day.get_mut(&date) {
            day.count += n as u64;
            *day.role_breakdown.entry(role).or_default() += n as u64;
        }
    }
    Ok(by_day.into_values().collect())
}

/// The `limit` (1..100, default 10) most recently active conversations.
pub async fn top_conversations(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<TopConversation>> {
    let limit = limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ServiceError::invalid("limit", "must be 1 to 100"));
    }
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let found = store::top_conversations(&svc.db, &t.tenant_id, limit as u64).await?;
    Ok(found
        .into_iter()
        .map(|c| TopConversation {
            conversation_id: c.id,
            tenant_id: t.tenant_id.clone(),
            message_count: c.message_count as u64,
            last_activity: c.last_message_at.map(|at| at.to_rfc3339()),
            avg_importance: c.avg_importance,
        })
        .collect())
}

pub async fn embedding_stats(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
) -> Result<EmbeddingStats> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let now = Utc::now();
    let f = store::message_figures(&svc.db, &t.tenant_id, now, now, now).await?;
    let settled = f.completed + f.failed;
    Ok(EmbeddingStats {
        total_embeddings: f.vectors as u64,
        completed: f.completed as u64,
        pending: f.pending as u64,
        failed: f.failed as u64,
        cold: f.cold as u64,
        avg_processing_time_seconds: None,
        success_rate: (settled > 0).then(|| f.completed as f64 * 100.0 / settled as f64),
    })
}
