//! Retention (`/v1/retention/…`, `/v1/admin/retention/run`, a message's archive and restore).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A tenant's policy: what is archived and deleted when it is enabled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetentionPolicy {
    pub tenant_id: String,
    /// Nothing happens under a disabled policy (the default) unless an administrator runs it.
    pub enabled: bool,
    /// Live messages older than this are archived.
    pub max_age_days: u32,
    /// Live messages older than `min_age_days` with importance at or below this are archived.
    pub importance_threshold: f64,
    pub min_age_days: u32,
    /// Keep at most this many live messages (the newest); `null`: no limit.
    pub max_items: Option<u64>,
    /// Messages archived for longer than this are deleted.
    pub delete_after_days: u32,
    /// Absent until the tenant sets its own (the server's defaults apply).
    pub updated_at: Option<String>,
}

/// `PUT /v1/retention/policy`: the fields to change (`max_items: null` removes the limit).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateRetentionPolicy {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub max_age_days: Option<i64>,
    #[serde(default)]
    pub importance_threshold: Option<f64>,
    #[serde(default)]
    pub min_age_days: Option<i64>,
    #[serde(default, deserialize_with = "super::memory::some_value")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<u64>))]
    pub max_items: Option<Value>,
    #[serde(default)]
    pub delete_after_days: Option<i64>,
}

/// A retention rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetentionRule {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub description: Option<String>,
    /// `age`, `importance`, `conversation_age`, `max_items` or `custom`.
    pub rule_type: String,
    pub conditions: Value,
    /// `archive`, `delete` or `move_to_cold_storage`.
    pub action: String,
    /// Lower runs first (1..1000).
    pub priority: i32,
    pub enabled: bool,
    pub last_applied_at: Option<String>,
    /// The same as `last_applied_at`, under the original API's name.
    #[serde(default)]
    pub last_applied: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /v1/retention/rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateRetentionRule {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub rule_type: String,
    #[serde(default)]
    pub conditions: Value,
    pub action: String,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `PUT /v1/retention/rules/{id}`: the fields to change (the type stays).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateRetentionRule {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub conditions: Option<Value>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Ids a run acted on, per action (the first 100 of each).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunSamples {
    pub archive: Vec<String>,
    pub delete: Vec<String>,
    pub cold: Vec<String>,
}

/// An enabled rule a run did not run, and why: its stored conditions break a rule that holds
/// now (a metadata key outside the identifier rule, say). Edit or delete it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SkippedRule {
    pub rule_id: String,
    pub name: String,
    pub reason: String,
}

/// What a retention run did (or, dry, would do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetentionRun {
    pub run_id: String,
    pub tenant_id: String,
    pub dry_run: bool,
    /// `manual`, `admin` or `scheduled`.
    pub trigger: String,
    /// `user:<id>`, `key:<id>` or `scheduler`.
    pub actor: String,
    /// The rules' names in the order they ran, and `policy` when the policy ran.
    pub rules_applied: Vec<String>,
    /// Enabled rules the run could not run, and why.
    #[serde(default)]
    pub rules_skipped: Vec<SkippedRule>,
    pub messages_archived: u64,
    pub messages_deleted: u64,
    pub messages_moved_to_cold: u64,
    pub sample_ids: RunSamples,
    pub started_at: String,
    /// Absent while the run is in progress.
    pub finished_at: Option<String>,
    /// What interrupted the run, if anything: its counts and ids are what it did until then
    /// (each batch is all or nothing), and running it again does the rest.
    pub error: Option<String>,
    pub restored_at: Option<String>,
    pub messages_restored: u64,
}

/// `GET /v1/retention/runs`: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetentionRunPage {
    pub runs: Vec<RetentionRun>,
    pub next_cursor: Option<String>,
}

/// `POST /v1/admin/retention/run`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdminRetentionRun {
    /// One tenant; absent: every tenant the caller administers (all, for instance admins).
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub dry_run: bool,
    /// The original API's choice of steps: `archive` (by age, by importance, beyond
    /// `max_items`) and `delete` (what has been archived long enough); absent: both.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(deprecated))]
    pub actions: Option<Vec<String>>,
}

/// The runs of `POST /v1/admin/retention/run`, one per tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetentionRunList {
    pub runs: Vec<RetentionRun>,
    /// The original API's totals over `runs`: messages archived (cold ones included) and
    /// deleted, and whether the runs were dry.
    #[serde(default)]
    pub archived: u64,
    #[serde(default)]
    pub deleted: u64,
    #[serde(default)]
    pub dry_run: bool,
}

/// `POST /v1/messages/{id}/archive`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ArchiveMessage {
    /// Why (kept with the message; default `manual`).
    #[serde(default)]
    pub reason: Option<String>,
    /// Also drop its vector and take it out of every index (restore embeds it again).
    #[serde(default)]
    pub cold_storage: bool,
}

/// `POST /v1/retention/runs/{id}/restore`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunRestored {
    pub run_id: String,
    pub messages_restored: u64,
}

/// `GET /v1/retention/runs/{id}/messages`: the messages a run sampled (the first 100 of each
/// action, [`RetentionRun::sample_ids`]) that still exist, oldest first — for a dry run, what a
/// real run would touch now; a real run's deleted messages are gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunMessages {
    pub run_id: String,
    pub archive: Vec<super::memory::MessageResponse>,
    pub delete: Vec<super::memory::MessageResponse>,
    pub cold: Vec<super::memory::MessageResponse>,
}
