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
