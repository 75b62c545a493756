//! A tenant's analytics: usage, daily trends, the most active conversations and embedding
//! progress — readable by any member or key of the tenant — and the overview, all four in one
//! answer with one authorisation and the reads run concurrently (the dashboard's landing page).

use std::collections::BTreeMap;

use app::wire::analytics::{EmbeddingStats, Overview, TopConversation, TrendDay, UsageStats};
use chrono::{Duration, NaiveDate, Utc};

use super::{Access, Caller, Result, ServiceError, Services, TenantContext};
use crate::store::analytics::{self as store, MessageFigures};

pub async fn usage(svc: &Services, caller: &Caller, tenant: Option<&str>) -> Result<UsageStats> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let (figures, searched) = tokio::try_join!(
        figures(svc, &t),
        super::search_stats::last_day(svc, &t.tenant_id)
    )?;
    Ok(usage_view(svc, &t, &figures, searched))
}

async fn figures(svc: &Services, t: &TenantContext) -> Result<MessageFigures> {
    let today = Utc::now().date_naive();
    Ok(store::message_figures(&svc.db, &t.tenant_id, today).await?)
}

fn usage_view(
    svc: &Services,
    t: &TenantContext,
    f: &MessageFigures,
    searched: super::search_stats::SearchFigures,
) -> UsageStats {
    let vector_bytes = f.vectors as u64 * svc.embedder.dimensions() as u64 * 4;
    UsageStats {
        tenant_id: t.tenant_id.clone(),
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
    }
}

/// The last `days` (1..365, default 30) UTC days, oldest first, every day present.
pub async fn trends(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    days: Option<i64>,
) -> Result<Vec<TrendDay>> {
    let days = trend_days(days)?;
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    trends_of(svc, &t, days).await
}

fn trend_days(days: Option<i64>) -> Result<i64> {
    let days = days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ServiceError::invalid("days", "must be 1 to 365"));
    }
    Ok(days)
}

async fn trends_of(svc: &Services, t: &TenantContext, days: i64) -> Result<Vec<TrendDay>> {
    let first: NaiveDate = Utc::now().date_naive() - Duration::days(days - 1);
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
    top_of(svc, &t, limit as u64).await
}

async fn top_of(svc: &Services, t: &TenantContext, limit: u64) -> Result<Vec<TopConversation>> {
    let found = store::top_conversations(&svc.db, &t.tenant_id, limit).await?;
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
    Ok(embedding_view(&figures(svc, &t).await?))
}

fn embedding_view(f: &MessageFigures) -> EmbeddingStats {
    let settled = f.completed + f.failed;
    EmbeddingStats {
        total_embeddings: f.vectors as u64,
        completed: f.completed as u64,
        pending: f.pending as u64,
        failed: f.failed as u64,
        cold: f.cold as u64,
        avg_processing_time_seconds: None,
        success_rate: (settled > 0).then(|| f.completed as f64 * 100.0 / settled as f64),
    }
}

/// How many conversations the overview lists.
const OVERVIEW_TOP: u64 = 10;

/// Usage, the last `days` (1..365, default 30) of trends, embedding progress and the most
/// active conversations, as one request: authorised and charged once, its reads concurrent.
pub async fn overview(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    days: Option<i64>,
) -> Result<Overview> {
    let days = trend_days(days)?;
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let (figures, searched, trends, top) = tokio::try_join!(
        figures(svc, &t),
        super::search_stats::last_day(svc, &t.tenant_id),
        trends_of(svc, &t, days),
        top_of(svc, &t, OVERVIEW_TOP),
    )?;
    Ok(Overview {
        usage: usage_view(svc, &t, &figures, searched),
        embeddings: embedding_view(&figures),
        trends,
        top_conversations: top,
    })
}
