//! The use cases: every rule of the product — validation, authorisation, the transaction, what
//! a change sets in motion — lives here once. REST handlers (and, as they come, WebSocket
//! handlers, Leptos server functions and agent tools) are doors that parse their protocol,
//! call one function here with a [`Caller`] and typed input, and map the result back. Nothing
//! here knows any door: no HTTP framework, no status codes.
//!
//! - [`error`]: [`ServiceError`], the one error every use case returns.
//! - [`caller`]: authentication ([`authenticate`]) and tenant resolution ([`Caller::authorise_and_charge`]).
//! - [`accounts`]: registration, login, token refresh, logout, profile, password;
//!   [`sessions`]: a user's logins, listed and ended.
//! - [`api_keys`], [`members`]: what tenant admins manage.
//! - [`messages`], [`batch`], [`conversations`]: the memory itself.
//! - [`search`]: "what do I remember about X?" — parsed, authorised and run here.
//! - [`unit`]: the unit of work every write goes through ([`Services::write`]): one transaction
//!   with the change's events and audit entries, then the wake-ups; on SQLite one writer
//!   ([`unit::group`]: new messages committed in groups, every write transaction in one queue).
//! - [`idempotency`]: writes sent with an `Idempotency-Key`, carried out once per tenant and key.
//! - [`views`]: stored rows in their wire form, for every door and every event.
//! - [`events`]: the events each change emits (written in its transaction); [`watchers`]: what a
//!   live subscriber may see, and replay.
//! - [`retention`]: policies, rules, dry and real runs with their records and restore, one
//!   message's archive and restore, and the scheduler.
//! - [`audit`]: the audit log; [`tenants`]: tenants themselves.
//! - [`export`], [`import`]: a tenant as JSON lines, out and back in; [`instance`]: the whole
//!   installation, its accounts too.
//! - [`operations`]: readiness and the instance administrators' views.
//! - [`analytics`]: a tenant's usage, trends, top conversations and embedding progress;
//!   [`search_stats`]: searches per tenant and minute, counted in memory and flushed.

pub mod accounts;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod batch;
pub mod caller;
pub mod context;
pub mod conversations;
pub mod error;
pub mod events;
pub mod export;
pub mod idempotency;
pub mod import;
pub mod instance;
pub mod members;
pub mod messages;
mod open;
pub mod operations;
pub mod retention;
pub mod search;
pub mod search_stats;
pub mod sessions;
pub mod tenants;
#[cfg(test)]
mod tests;
pub mod unit;
pub mod views;
pub mod watchers;

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use tokio_util::task::TaskTracker;

pub use caller::{authenticate, Access, Caller, Credential, Presented, TenantContext};
pub use error::{Result, ServiceError};

use crate::{
    config::Settings, embed::EmbeddingProvider, live::Hub, ratelimit::RateLimiter,
    store::index::SearchIndex,
};

/// What the use cases work with: cheap handles, cloned into every door.
#[derive(Clone)]
pub struct Services {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    /// Present when `MEMORY_REDIS_URL` is set; reconnects by itself after Redis restarts.
    pub redis: Option<redis::aio::ConnectionManager>,
    /// The embedding model (local by default).
    pub embedder: Arc<dyn EmbeddingProvider>,
    /// How a prompt budget counts tokens (the local model's tokenizer when present).
    pub tokens: crate::embed::tokens::TokenCounter,
    /// The in-memory search index: words on both backends, vectors on SQLite.
    pub index: Arc<SearchIndex>,
    /// Request budgets and the login throttle.
    pub limiter: Arc<RateLimiter>,
    /// Wakes this instance's embedding workers when a job is enqueued here.
    pub job_notify: Arc<Notify>,
    /// This instance's live subscribers; woken after every committed change.
    pub hub: Arc<Hub>,
    /// This instance's Prometheus metrics, recorded where each thing happens.
    pub metrics: crate::metrics::Metrics,
    /// Searches per tenant and minute not yet flushed to `search_stats`.
    pub search_stats: Arc<search_stats::SearchStats>,
    /// Work that outlives the request that started it (a retention run, recording a key's
    /// last use) and the instance's own loops: shutdown waits for all of it.
    pub tasks: TaskTracker,
    /// The queue every write transaction waits in on SQLite (open on PostgreSQL).
    pub write_gate: unit::group::WriteGate,
    /// On SQLite, the task that writes new messages in groups.
    pub writer: Option<unit::group::GroupWriter>,
    /// PostgreSQL read replicas for searches and listings (none unless configured).
    pub replicas: Arc<crate::store::replicas::Replicas>,
}

impl Services {
    /// Where a search or listing of `tenant` reads: a current read replica, unless the tenant
    /// changed something lately (read-your-writes) or none is configured or current.
    pub fn reader(&self, tenant: &str) -> &DatabaseConnection {
        let replica = self.replicas.for_read(tenant);
        self.metrics.routed_read(replica.is_some());
        replica.unwrap_or(&self.db)
    }
}
