//! Building and running the application: connect, migrate, bind, serve until told to stop.

use std::time::Instant;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{api, config::Settings, dashboard, service::Services, state::AppState, store};

/// A built application: its listener is bound, its database migrated.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects to the database (and Redis), runs migrations and binds the listener.
    /// `MEMORY_PORT=0` binds a random free port; [`Application::port`] tells which.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let leptos = dashboard::options(&settings);
        let bind = settings.bind_address();
        let services = Services::open(settings).await?;
        warn_of_unusable_rules(&services).await;
        let listener = TcpListener::bind(bind)
            .await
            .with_context(|| format!("binding {bind} (MEMORY_HOST/MEMORY_PORT)"))?;
        let state = AppState {
            metrics: services.metrics.clone(),
            services,
            leptos,
            started_at: Instant::now(),
            activity: Default::default(),
        };
        let routes = api::router(&state)
            .merge(crate::mcp::http::router(&state))
            .merge(dashboard::router(&state))
            .fallback(dashboard::fallback)
            .with_state(state.clone());
        let router = api::layers(routes, &state);
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
            .port()
    }

    /// The shared state (tests use it to reach the database directly).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves (and runs the embedding workers) until `shutdown` is cancelled. Then it stops
    /// accepting, closes WebSockets (1001), and gives in-flight requests and the workers'
    /// current batches `MEMORY_SHUTDOWN_TIMEOUT_SECONDS` to finish; jobs still running after
    /// that go back to the queue for the next instance.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let svc = &self.state.services;
        let tracker = &svc.tasks;
        let grace = svc.settings.http.shutdown_timeout;
        if !svc.settings.database.is_postgres() {
            match store::jobs::release_all(&svc.db).await {
                Ok(0) => {}
                Ok(jobs) => tracing::info!(jobs, "re-queued the jobs of a process that died"),
                Err(e) => {
                    tracing::warn!(error = %e, "could not re-queue jobs; their leases expire")
                }
            }
        }
        let workers = crate::jobs::spawn(
            svc,
            &self.state.activity,
            svc.settings.job_workers,
            &shutdown,
            tracker,
        );
        tracker.spawn(keep_index_current(svc.clone(), shutdown.clone()));
        tracker.spawn(prune_audit_log(svc.clone(), shutdown.clone()));
        tracker.spawn(schedule_retention(svc.clone(), shutdown.clone()));
        tracker.spawn(minute_upkeep(svc.clone(), shutdown.clone()));
        if svc.replicas.configured() {
            tracker.spawn(probe_replicas(svc.clone(), shutdown.clone()));
        }
        let postgres_url = svc
            .settings
            .database
            .is_postgres()
            .then(|| svc.settings.database.url.expose().to_owned());
        crate::live::pump::spawn(
            svc.db.clone(),
            postgres_url,
            svc.hub.clone(),
            svc.replicas.clone(),
            &shutdown,
            tracker,
        );
        // WebSocket connections end with a close frame when the server stops, so the graceful
        // shutdown does not wait for them forever.
        let (stopping, closing) = (shutdown.clone(), svc.hub.closing.clone());
        tracker.spawn(async move {
            stopping.cancelled().await;
            closing.cancel();
        });
        tracker.close();
        let serving = crate::http_server::serve(
            self.listener,
            self.router,
            &svc.settings.http,
            shutdown.clone(),
        );
        let signalled = std::sync::OnceLock::new();
        let deadline = async {
            shutdown.cancelled().await;
            let _ = signalled.set(Instant::now());
            tracing::info!(
                grace_s = grace.as_secs(),
                "stopping: finishing in-flight work"
            );
            tokio::time::sleep(grace).await;
        };
        let served = tokio::select! {
            () = serving => Ok(()),
            _ = deadline => {
                tracing::warn!("requests still in flight at the shutdown deadline were dropped");
                Ok(())
            }
        };
        shutdown.cancel();
        let left = grace.saturating_sub(signalled.get_or_init(Instant::now).elapsed());
        if tokio::time::timeout(left, tracker.wait()).await.is_err() {
            match store::jobs::release(&svc.db, &workers).await {
                Ok(jobs) => tracing::warn!(jobs, "batches outlasted the shutdown; jobs re-queued"),
                Err(e) => {
                    tracing::warn!(error = %e, "could not re-queue jobs; their leases expire")
                }
            }
        }
        served
    }
}

/// Applies writes to the search index in the background, so the search after a bulk import
/// does not pay for applying it (searches still catch up themselves, so they are never stale),
/// and prunes the change log once a minute.
async fn keep_index_current(svc: Services, shutdown: CancellationToken) {
    let (index, db) = (&svc.index, &svc.db);
    let mut pruned = Instant::now();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {}
        }
        if let Err(e) = index.catch_up(db).await {
            tracing::warn!(error = %e, "search index catch-up failed; the next search retries");
        }
        if pruned.elapsed() >= std::time::Duration::from_secs(60) {
            pruned = Instant::now();
            match svc.upkeep(async |db| index.prune_log(db).await).await {
                Ok(0) => {}
                Ok(rows) => tracing::debug!(rows, "pruned the search index's change log"),
                Err(e) => {
                    tracing::warn!(error = %e, "pruning the change log failed; retried in a minute")
                }
            }
        }
    }
}

/// Checks the read replicas' lag every quarter of the read-after-write pin
/// ([`store::replicas`]); the first probe marks none current, the next ones those caught up.
async fn probe_replicas(svc: crate::service::Services, shutdown: CancellationToken) {
    let mut position: Option<String> = None;
    loop {
        position = svc.replicas.probe(&svc.db, position.as_deref()).await;
        svc.metrics.set_replicas_current(svc.replicas.counts().0);
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(svc.replicas.probe_interval()) => {}
        }
    }
}

/// Once a minute: appends this instance's search counts (also when stopping), prunes events
/// past their kept window and count, and folds the analytics counters' deltas; hourly, prunes
/// search minutes past their use.
async fn minute_upkeep(svc: crate::service::Services, shutdown: CancellationToken) {
    use crate::service::search_stats;
    let mut pruned: Option<Instant> = None;
    let mut folded = store::analytics::Folded::default();
    loop {
        let stopping = tokio::select! {
            _ = shutdown.cancelled() => true,
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => false,
        };
        if let Err(e) = search_stats::flush(&svc).await {
            tracing::warn!(error = %e, "flushing search counts failed; kept for the next minute");
        }
        if stopping {
            return;
        }
        match crate::service::events::prune(&svc).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(events = n, "pruned old events"),
            Err(e) => tracing::warn!(error = %e, "pruning events failed; retried in a minute"),
        }
        match svc
            .upkeep(async |db| store::analytics::fold_counters(db, folded).await)
            .await
        {
            Ok(f) => folded = f,
            Err(e) => tracing::warn!(error = %e, "folding analytics counters failed; retried"),
        }
        if pruned.is_none_or(|at| at.elapsed() >= std::time::Duration::from_secs(3600)) {
            pruned = Some(Instant::now());
            if let Err(e) = search_stats::prune(&svc).await {
                tracing::warn!(error = %e, "pruning search counts failed; retried in an hour");
            }
        }
    }
}

/// Deletes audit entries and idempotent answers past their kept periods, at start and then
/// hourly.
async fn prune_audit_log(svc: crate::service::Services, shutdown: CancellationToken) {
    loop {
        match crate::service::audit::prune(&svc).await {
            Ok(0) => {}
            Ok(rows) => tracing::debug!(rows, "pruned the audit log"),
            Err(e) => {
                tracing::warn!(error = %e, "pruning the audit log failed; retried in an hour")
            }
        }
        if let Err(e) = crate::service::idempotency::prune(&svc).await {
            tracing::warn!(error = %e, "pruning idempotency keys failed; retried in an hour");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
        }
    }
}

/// Lists the enabled retention rules no run can carry out (stored under looser rules than
/// hold now): every run skips them and records why, and the operator reads it here first.
async fn warn_of_unusable_rules(svc: &Services) {
    match crate::service::retention::plan::unusable_rules(&svc.db).await {
        Ok(rules) => {
            for (tenant, r) in rules {
                tracing::warn!(
                    tenant = %tenant, rule = %r.rule_id, name = %r.name, reason = %r.reason,
                    "a retention rule cannot run and is skipped; edit or delete it"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not check the retention rules"),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Runs the retention of tenants that enabled it, every `MEMORY_RETENTION_SCHEDULE_SECONDS`
/// (first one period after start: a restart never triggers a run by itself).
async fn schedule_retention(svc: crate::service::Services, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(svc.settings.retention.schedule) => {}
        }
        if let Err(e) = crate::service::retention::scheduler::tick(&svc).await {
            tracing::warn!(error = %e, "the retention scheduler failed; it tries again next period");
        }
    }
}
