//! The audit log (`/v1/audit`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Actions the log records, offered as suggestions by the dashboard's filter (the filter takes
/// any action).
pub const ACTIONS: [&str; 18] = [
    "account.other_sessions_ended",
    "account.password_changed",
    "account.session_ended",
    "api_key.created",
    "api_key.revoked",
    "login.failed",
    "member.added",
    "member.removed",
    "member.role_changed",
    "retention.executed",
    "retention.policy_updated",
    "retention.restored",
    "retention.rule_created",
    "retention.rule_deleted",
    "retention.rule_updated",
    "tenant.created",
    "tenant.deleted",
    "tenant.renamed",
];

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

/// `GET /v1/audit` options.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct AuditListQuery {
    /// One tenant (its admins); default: every tenant the caller administers, or everything
    /// for an instance administrator.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Only this action, e.g. `api_key.created`.
    #[serde(default)]
    pub action: Option<String>,
    /// Only entries at or after this RFC 3339 time.
    #[serde(default)]
    pub since: Option<String>,
    /// Only entries before this RFC 3339 time.
    #[serde(default)]
    pub until: Option<String>,
    /// Entries per page (1..500, default 50).
    #[serde(default)]
    pub page_size: Option<u64>,
    /// A previous page's `next_cursor`.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// `GET /v1/audit`: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `cursor` for older entries; absent on the last page.
    pub next_cursor: Option<String>,
}
