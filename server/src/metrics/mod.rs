//! Prometheus metrics: one registry per application instance, the recording calls the service
//! layer and the doors make, and the `/metrics` export ([`http`]).
//!
//! Every label takes values from a small fixed set (a method, a route template, a mode, an
//! outcome): never a raw path, tenant, user or message id, so the number of series stays bounded
//! whatever clients send. `docs/operations.md` lists each metric; the Grafana dashboard and the
//! alert rules under `deploy/` use exactly these names (a test checks it).

pub mod http;

use std::{sync::Arc, time::Duration};

use prometheus::{
    core::Collector, Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGauge, IntGaugeVec, Opts, Registry,
};

/// Latency buckets (seconds) shared by request, search and job histograms.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The label values known in advance, each family's: their series are exported at zero from
/// start-up, so that `rate()` and `increase()` (alerts, dashboards) see a series before its
/// first event instead of nothing.
const INGEST_MODES: &[&str] = &["single", "batch"];
const SEARCH_MODES: &[&str] = &["vector", "lexical", "hybrid"];
const JOB_OUTCOMES: &[&str] = &["embedded", "failed", "retried"];
const BUDGETS: &[&str] = &["ip", "tenant", "api_key", "login"];
const AUTH_FAILURES: &[&str] = &[
    "missing",
    "invalid_token",
    "session_ended",
    "invalid_key",
    "login",
    "refresh",
];
const WS_DOORS: &[&str] = &["feed", "stream"];
const RETENTION_TRIGGERS: &[&str] = &["manual", "admin", "scheduled"];
const RETENTION_ACTIONS: &[&str] = &["archive", "cold", "delete"];

/// The instance's metrics. Cheap to clone (everything inside is reference-counted).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    messages_ingested: IntCounterVec,
    searches: IntCounterVec,
    search_duration: HistogramVec,
    embedding_jobs: IntCounterVec,
    embedding_batch_duration: Histogram,
    embedding_queue_depth: IntGauge,
    rate_limited: IntCounterVec,
    auth_failures: IntCounterVec,
    ws_open: IntGaugeVec,
    ws_events_sent: IntCounter,
    ws_closed: IntCounterVec,
    retention_runs: IntCounterVec,
    retention_messages: IntCounterVec,
    db_pool_in_use: IntGauge,
    db_pool_size: IntGauge,
    text_index_tenants: IntGauge,
    text_index_bytes: IntGauge,
    db_reads: IntCounterVec,
    db_replicas_current: IntGauge,
}

impl Inner {
    /// Creates every series whose labels are known in advance, at zero.
    fn start_at_zero(&self) {
        for mode in INGEST_MODES {
            self.messages_ingested.with_label_values(&[mode]);
        }
        for mode in SEARCH_MODES {
            self.searches.with_label_values(&[mode]);
            self.search_duration.with_label_values(&[mode]);
        }
        for outcome in JOB_OUTCOMES {
            self.embedding_jobs.with_label_values(&[outcome]);
        }
        for budget in BUDGETS {
            self.rate_limited.with_label_values(&[budget]);
        }
        for kind in AUTH_FAILURES {
            self.auth_failures.with_label_values(&[kind]);
        }
        for door in WS_DOORS {
            self.ws_open.with_label_values(&[door]);
        }
        for trigger in RETENTION_TRIGGERS {
            for dry in ["true", "false"] {
                self.retention_runs.with_label_values(&[trigger, dry]);
            }
        }
        for action in RETENTION_ACTIONS {
            self.retention_messages.with_label_values(&[action]);
        }
        for pool in ["primary", "replica"] {
            self.db_reads.with_label_values(&[pool]);
        }
    }
}

/// Registers `collector` and hands it back.
fn registered<C: Collector + Clone + 'static>(registry: &Registry, collector: C) -> C {
    registry
        .register(Box::new(collector.clone()))
        .expect("each metric is registered once, under a valid static name");
    collector
}

fn counters(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("valid static metric");
    registered(registry, metric)
}

fn histograms(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
    registered(
        registry,
        HistogramVec::new(opts, labels).expect("valid static metric"),
    )
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    registered(
        registry,
        IntGauge::new(name, help).expect("valid static metric"),
    )
}

impl Metrics {
    pub fn new() -> Self {
        let r = Registry::new_custom(Some("memory_mesh".into()), None)
            .expect("static registry prefix is valid");
        let build_info = IntGauge::with_opts(
            Opts::new("build_info", "Always 1; labels carry the version")
                .const_label("version", env!("CARGO_PKG_VERSION")),
        )
        .expect("valid static metric");
        build_info.set(1);
        registered(&r, build_info);
        #[cfg(target_os = "linux")]
        r.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
        .expect("the process collector is registered once");
        let inner = Inner {
            http_requests: counters(
                &r,
                "http_requests_total",
                "HTTP requests by method, route template and status",
                &["method", "route", "status"],
            ),
            http_duration: histograms(
                &r,
                "http_request_duration_seconds",
                "HTTP request latency by method and route template",
                &["method", "route"],
            ),
            messages_ingested: counters(
                &r,
                "messages_ingested_total",
                "Messages stored, by mode (single, batch)",
                &["mode"],
            ),
            searches: counters(
                &r,
                "searches_total",
                "Searches answered, by mode (vector, lexical, hybrid)",
                &["mode"],
            ),
            search_duration: histograms(
                &r,
                "search_duration_seconds",
                "Search latency (embedding the query included), by mode",
                &["mode"],
            ),
            embedding_jobs: counters(
                &r,
                "embedding_jobs_total",
                "Embedding jobs finished, by outcome (embedded, failed, retried)",
                &["outcome"],
            ),
            embedding_batch_duration: registered(
                &r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "embedding_batch_duration_seconds",
                        "Time to embed and store one batch of jobs",
                    )
                    .buckets(LATENCY_BUCKETS.to_vec()),
                )
                .expect("valid static metric"),
            ),
            embedding_queue_depth: gauge(
                &r,
                "embedding_queue_depth",
                "Embedding jobs not yet done (pending or running), read at scrape time",
            ),
            rate_limited: counters(
                &r,
                "rate_limit_rejections_total",
                "Requests refused by a rate limit, by budget (ip, tenant, api_key, login)",
                &["budget"],
            ),
            auth_failures: counters(
                &r,
                "auth_failures_total",
                "Refused credentials, by kind (missing, invalid_token, session_ended, invalid_key, \
                 login, refresh)",
                &["kind"],
            ),
            ws_open: registered(
                &r,
                IntGaugeVec::new(
                    Opts::new(
                        "ws_connections_open",
                        "WebSocket connections open, by door (feed, stream)",
                    ),
                    &["door"],
                )
                .expect("valid static metric"),
            ),
            ws_events_sent: registered(
                &r,
                IntCounter::new(
                    "ws_events_sent_total",
                    "Events queued for live-feed subscribers",
                )
                .expect("valid static metric"),
            ),
            ws_closed: counters(
                &r,
                "ws_connections_closed_total",
                "WebSocket connections ended, by door (feed, stream) and close code",
                &["door", "code"],
            ),
            retention_runs: counters(
                &r,
                "retention_runs_total",
                "Retention runs finished, by trigger (manual, admin, scheduled) and dry_run",
                &["trigger", "dry_run"],
            ),
            retention_messages: counters(
                &r,
                "retention_messages_total",
                "Messages changed by real retention runs, by action (archive, cold, delete)",
                &["action"],
            ),
            db_pool_in_use: gauge(
                &r,
                "db_pool_connections_in_use",
                "Database connections checked out of the pool, read at scrape time",
            ),
            db_pool_size: gauge(
                &r,
                "db_pool_connections",
                "Database connections open in the pool, read at scrape time",
            ),
            text_index_tenants: gauge(
                &r,
                "text_index_tenants",
                "Tenants whose words the in-process text index holds (PostgreSQL; 0 on SQLite, \
                 where it holds every tenant), read at scrape time",
            ),
            text_index_bytes: gauge(
                &r,
                "text_index_bytes",
                "Estimated bytes of the words the in-process text index holds (what \
                 MEMORY_TEXT_INDEX_MAX_MB caps on PostgreSQL), read at scrape time",
            ),
            db_reads: counters(
                &r,
                "db_reads_total",
                "Searches and listings by the database they read (primary, replica)",
                &["pool"],
            ),
            db_replicas_current: gauge(
                &r,
                "db_replicas_current",
                "Read replicas current enough to serve reads (MEMORY_DATABASE_READ_URLS)",
            ),
            registry: r,
        };
        inner.start_at_zero();
        Self(Arc::new(inner))
    }

    /// `count` messages were stored through `mode` (`single` or `batch`).
    pub fn ingested(&self, mode: &'static str, count: usize) {
        self.0
            .messages_ingested
            .with_label_values(&[mode])
            .inc_by(count as u64);
    }

    /// A search of `mode` answered after `took`.
    pub fn searched(&self, mode: &'static str, took: Duration) {
        self.0.searches.with_label_values(&[mode]).inc();
        self.0
            .search_duration
            .with_label_values(&[mode])
            .observe(took.as_secs_f64());
    }

    /// A batch of embedding jobs ended: `count` of them with `outcome`, after `took`.
    pub fn embedding_batch(&self, outcome: &'static str, count: usize, took: Duration) {
        self.0
            .embedding_jobs
            .with_label_values(&[outcome])
            .inc_by(count as u64);
        self.0.embedding_batch_duration.observe(took.as_secs_f64());
    }

    /// A request was refused by the `budget` rate limit.
    pub fn rate_limited(&self, budget: &'static str) {
        self.0.rate_limited.with_label_values(&[budget]).inc();
    }

    /// A credential of `kind` was refused.
    pub fn auth_failed(&self, kind: &'static str) {
        self.0.auth_failures.with_label_values(&[kind]).inc();
    }

    /// A WebSocket connection of `door` opened; it counts as open until the guard drops.
    pub fn ws_opened(&self, door: &'static str) -> OpenConnection {
        let gauge = self.0.ws_open.with_label_values(&[door]);
        gauge.inc();
        OpenConnection(gauge)
    }

    /// An event was queued for a live-feed subscriber.
    pub fn ws_sent(&self) {
        self.0.ws_events_sent.inc();
    }

    /// A WebSocket connection of `door` ended with close `code` (a small fixed set).
    pub fn ws_closed(&self, door: &str, code: u16) {
        self.0
            .ws_closed
            .with_label_values(&[door, code.to_string().as_str()])
            .inc();
    }

    /// A retention run finished; `changed` holds its (archive, cold, delete) counts.
    pub fn retention_run(&self, trigger: &str, dry_run: bool, changed: [(&'static str, u64); 3]) {
        let dry = if dry_run { "true" } else { "false" };
        self.0
            .retention_runs
            .with_label_values(&[trigger, dry])
            .inc();
        if !dry_run {
            for (action, count) in changed {
                self.0
                    .retention_messages
                    .with_label_values(&[action])
                    .inc_by(count);
            }
        }
    }

    /// A search or listing was sent to a read replica, or to the primary.
    pub fn routed_read(&self, replica: bool) {
        let pool = if replica { "replica" } else { "primary" };
        self.0.db_reads.with_label_values(&[pool]).inc();
    }

    /// How many read replicas are current (after each probe).
    pub fn set_replicas_current(&self, current: usize) {
        self.0.db_replicas_current.set(current as i64);
    }

    /// Sets the text index's gauges (read at scrape time).
    pub fn set_text_index(&self, tenants: usize, bytes: usize) {
        self.0.text_index_tenants.set(tenants as i64);
        self.0.text_index_bytes.set(bytes as i64);
    }

    /// Sets the gauges read at scrape time.
    pub fn set_scraped(&self, queue_depth: i64, pool_size: u32, pool_idle: usize) {
        self.0.embedding_queue_depth.set(queue_depth);
        self.0.db_pool_size.set(i64::from(pool_size));
        self.0
            .db_pool_in_use
            .set(i64::from(pool_size) - pool_idle as i64);
    }

    /// The registry, for subsystems that add their own metrics.
    pub fn registry(&self) -> &Registry {
        &self.0.registry
    }

    /// Renders every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&self.0.registry.gather(), &mut buf)
            .expect("encoding into a Vec cannot fail");
        String::from_utf8(buf).expect("the text format is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Counts a WebSocket connection as open while it lives.
pub struct OpenConnection(IntGauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_with_known_labels_are_exported_at_zero_before_any_event() {
        let text = Metrics::new().render();
        for series in [
            r#"memory_mesh_embedding_jobs_total{outcome="embedded"} 0"#,
            r#"memory_mesh_embedding_jobs_total{outcome="failed"} 0"#,
            r#"memory_mesh_rate_limit_rejections_total{budget="tenant"} 0"#,
            r#"memory_mesh_auth_failures_total{kind="invalid_key"} 0"#,
            r#"memory_mesh_searches_total{mode="hybrid"} 0"#,
            r#"memory_mesh_messages_ingested_total{mode="batch"} 0"#,
            r#"memory_mesh_ws_connections_open{door="stream"} 0"#,
            r#"memory_mesh_retention_runs_total{dry_run="false",trigger="scheduled"} 0"#,
            r#"memory_mesh_retention_messages_total{action="delete"} 0"#,
        ] {
            assert!(text.contains(series), "{series} missing from:\n{text}");
        }
    }
}
