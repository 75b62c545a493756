//! The audit log (`/v1/audit`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    /// Absent for what belongs to no tenant (a failed login, a deleted tenant).
    pub tenant_id: Option<String>,
    /// `user:<id>`, `key:<id>` or `anonymous`.
    pub actor: String,
    pub actor_user_id: Option<String>,
    /// E.g. `api_key.created`, `member.removed`, `tenant.deleted`, `login.failed`.
    pub action: String,
    pub target: Option<String>,
    pub details: Value,
    pub at: String,
}

/// `GET /v1/audit`: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `cursor` for older entries; absent on the last page.
    pub next_cursor: Option<String>,
}
