//! The application state every handler shares.

use std::{sync::Arc, time::Instant};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use crate::{config::Settings, metrics::Metrics};

/// Cheap-to-clone handles to everything a request may need.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    /// Present when `MEMORY_REDIS_URL` is set; reconnects by itself after Redis restarts.
    pub redis: Option<redis::aio::ConnectionManager>,
    pub metrics: Metrics,
    pub leptos: LeptosOptions,
    pub started_at: Instant,
    /// Failed-login counter per account.
    pub login_throttle: Arc<crate::auth::throttle::LoginThrottle>,
    pub limiter: Arc<crate::ratelimit::RateLimiter>,
    /// The embedding model (local by default).
    pub embedder: Arc<dyn crate::embed::EmbeddingProvider>,
    /// Wakes this instance's embedding workers when a job is enqueued here.
    pub job_notify: Arc<tokio::sync::Notify>,
    /// When a request last arrived: the embedding worker takes fewer cores while they do.
    pub activity: Arc<crate::jobs::Activity>,
    /// The in-memory search index: words on both backends, vectors on SQLite.
    pub index: Arc<crate::store::index::MemoryIndex>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for Metrics {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}
