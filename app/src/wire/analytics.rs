//! Usage views (`/v1/analytics/*`).

use serde::{Deserialize, Serialize};

/// One tenant's footprint, as instance administrators see it in `GET /v1/analytics/tenants`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantUsage {
    pub tenant_id: String,
    pub name: String,
    /// Users with a membership in the tenant.
    pub members: u64,
    pub total_messages: u64,
    pub total_conversations: u64,
    /// Messages whose embedding is still queued (or failed for now and being retried).
    pub pending_embeddings: u64,
    /// RFC 3339 time of the tenant's newest message, if it has any.
    pub last_activity: Option<String>,
    pub created_at: String,
}

/// `GET /v1/analytics/usage`: one tenant's memory in numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageStats {
    pub tenant_id: String,
    /// Every stored message, archived ones included.
    pub total_messages: u64,
    /// Messages not archived: what search sees.
    pub active_messages: u64,
    /// Archived messages, cold ones included.
    pub archived_messages: u64,
    pub cold_messages: u64,
    pub total_conversations: u64,
    /// Conversations not archived.
    pub active_conversations: u64,
    pub archived_conversations: u64,
    /// Created today (UTC), in the last 7 UTC days (today included), in the last 30.
    pub messages_today: u64,
    pub messages_this_week: u64,
    pub messages_this_month: u64,
    /// Over every message; absent when there are none.
    pub avg_importance_score: Option<f64>,
    /// Stored vectors.
    pub total_embeddings: u64,
    /// Messages waiting for their vector (cold ones excluded: they wait for a restore).
    pub pending_embeddings: u64,
    pub failed_embeddings: u64,
    /// Text and metadata bytes plus 4 bytes per vector dimension.
    pub storage_bytes: u64,
    /// Searches in the last 24 hours, on every instance (each reports its own once a minute).
    pub searches_last_24h: u64,
    /// Their median and 95th percentile latency, exact to within the latency bucket (about
    /// ±25 %); absent without searches.
    pub search_latency_p50_ms: Option<f64>,
    pub search_latency_p95_ms: Option<f64>,
}

/// One day of `GET /v1/analytics/trends` (UTC), oldest first; days without messages count 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TrendDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub count: u64,
    pub role_breakdown: std::collections::BTreeMap<String, u64>,
}

/// One row of `GET /v1/analytics/top-conversations`: most recently active first, those without
/// messages last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TopConversation {
    pub conversation_id: String,
    pub tenant_id: String,
    pub message_count: u64,
    /// Its newest message's time; absent without messages.
    pub last_activity: Option<String>,
    pub avg_importance: Option<f64>,
}

/// `GET /v1/analytics/embedding-stats` (alias `/embeddings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EmbeddingStats {
    /// Stored vectors.
    pub total_embeddings: u64,
    pub completed: u64,
    pub pending: u64,
    pub failed: u64,
    /// In cold storage: no vector until restored.
    pub cold: u64,
    /// Not measured (always absent); kept for the original's clients.
    pub avg_processing_time_seconds: Option<f64>,
    /// completed / (completed + failed) × 100; absent when neither.
    pub success_rate: Option<f64>,
}

/// `GET /v1/analytics/overview`: a tenant's usage, trends, embedding progress and most active
/// conversations in one answer (the dashboard's landing page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Overview {
    pub usage: UsageStats,
    /// The last `days` UTC days, oldest first.
    pub trends: Vec<TrendDay>,
    pub embeddings: EmbeddingStats,
    /// The 10 most recently active conversations.
    pub top_conversations: Vec<TopConversation>,
}
