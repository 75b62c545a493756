//! Health and readiness reports (`GET /v1/admin/health`, `GET /v1/admin/readiness`).

use serde::{Deserialize, Serialize};

/// Liveness answer: the process serves requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthReport {
    /// Always `"ok"` when the process answers at all.
    pub status: String,
    /// Crate version of the running server.
    pub version: String,
    /// `development`, `test`, `staging` or `production`.
    pub environment: String,
    /// Seconds since the process started.
    pub uptime_seconds: u64,
    /// RFC 3339 time of the answer.
    pub timestamp: String,
}

/// Readiness answer: whether each dependency this instance needs answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReadinessReport {
    /// `ok` when every component is `ok`, `degraded` when only optional ones fail (HTTP 200),
    /// `down` when a required one fails (HTTP 503).
    pub status: String,
    /// One entry per dependency, in a fixed order.
    pub components: Vec<ComponentStatus>,
}

/// The state of one dependency in a [`ReadinessReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ComponentStatus {
    /// `database` or `redis`.
    pub name: String,
    /// `ok` or `down`.
    pub status: String,
    /// Round-trip time of the check.
    pub latency_ms: f64,
    /// Why the check failed (no secrets: connection strings are never included).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// What an instance administrator sees of this instance (`GET /v1/admin/instance`): the
/// readiness answer, the embedding model's health and the job queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InstanceHealth {
    /// The readiness answer, as `GET /v1/admin/readiness` gives it.
    pub readiness: ReadinessReport,
    /// The embedding model, checked by embedding a short text.
    pub embedding: EmbeddingHealth,
    /// Embedding jobs waiting or running, on every instance (absent when the database does
    /// not answer).
    pub queue_depth: Option<u64>,
}

/// The embedding model's identity and whether it answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EmbeddingHealth {
    pub model: String,
    pub dimensions: u64,
    /// The check: `ok` or `down`, with its time and the reason it failed.
    pub check: ComponentStatus,
}
