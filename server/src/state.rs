//! The application state every HTTP handler shares: the use cases' [`Services`] and what only
//! the HTTP edge needs.

use std::{sync::Arc, time::Instant};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{jobs::Activity, metrics::Metrics, service::Services};

/// Cheap-to-clone handles to everything a request may need.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub metrics: Metrics,
    pub leptos: LeptosOptions,
    pub started_at: Instant,
    /// When a request last arrived: the embedding worker takes fewer cores while they do.
    pub activity: Arc<Activity>,
}

impl FromRef<AppState> for Services {
    fn from_ref(state: &AppState) -> Self {
        state.services.clone()
    }
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
