//! Opening the service layer: connect and migrate the database, share the generated JWT
//! secret, check the embedding width, load the search index, connect Redis — everything the
//! use cases work with, and no door. The application ([`crate::startup`]) serves it; tests of
//! the use cases open it alone.

use std::{sync::Arc, time::Instant};

use anyhow::Context;
use tokio_util::task::TaskTracker;

use super::{unit, Services};
use crate::{config::Settings, metrics::Metrics, ratelimit::RateLimiter, store};

impl Services {
    /// Opens everything the use cases need, as `settings` say.
    pub async fn open(mut settings: Settings) -> anyhow::Result<Self> {
        // reqwest is built without a default TLS provider (see Cargo.toml); install ring's.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = store::connect(&settings.database).await?;
        store::migrate(&db).await?;
        if settings.auth.jwt_secret_generated {
            // Instances sharing the database must sign alike, or each rejects the others'
            // tokens: the first one's generated secret is everyone's.
            use secrecy::ExposeSecret;
            let shared =
                store::secrets::shared_secret(&db, "jwt", settings.auth.jwt_secret.expose_secret())
                    .await
                    .context("reading the shared JWT secret")?;
            settings.auth.jwt_secret = shared.into();
        }
        check_embedding_dimensions(&db, &settings).await?;
        // Lexical search (and, on SQLite, vector search) runs in memory; PostgreSQL's HNSW
        // index searches its vectors.
        let started = Instant::now();
        let index = store::index::SearchIndex::load(
            &db,
            settings.embedding.dimensions,
            settings.text_index_max_bytes,
        )
        .await
        .context("loading the search index")?;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index loaded"
        );
        let index = Arc::new(index);
        let redis = match &settings.redis_url {
            Some(url) => Some(
                connect_redis(url.expose())
                    .await
                    .with_context(|| format!("connecting to Redis at {url} (MEMORY_REDIS_URL)"))?,
            ),
            None => None,
        };
        let embedder = crate::embed::from_settings(&settings.embedding)
            .map_err(|e| anyhow::anyhow!("embedding provider: {e}"))?;
        let tokens =
            crate::embed::tokens::TokenCounter::load(settings.embedding.model_dir.as_deref());
        let limiter = Arc::new(RateLimiter::new(
            redis.clone().map(|r| (r, settings.redis_prefix.clone())),
        ));
        let settings_live_queue = settings.live.send_queue;
        let backend = db.get_database_backend();
        let write_gate = unit::group::WriteGate::for_backend(backend);
        let job_notify: Arc<tokio::sync::Notify> = Default::default();
        let hub = Arc::new(crate::live::Hub::new(settings_live_queue));
        let writer = (!crate::store::ingest::is_one_statement(backend)).then(|| {
            let (jobs, hub) = (job_notify.clone(), hub.clone());
            unit::group::GroupWriter::start(db.clone(), write_gate.clone(), move |done| {
                unit::wake(&jobs, &hub, done.stored, done.queued_jobs)
            })
        });
        let replicas = Arc::new(store::replicas::Replicas::connect(&settings.database).await?);
        let services = Services {
            settings: Arc::new(settings),
            db,
            redis,
            embedder,
            tokens,
            index,
            limiter,
            job_notify,
            hub,
            metrics: Metrics::new(),
            search_stats: Default::default(),
            tasks: TaskTracker::new(),
            write_gate,
            writer,
            replicas,
        };
        Ok(services)
    }
}

async fn connect_redis(url: &str) -> anyhow::Result<redis::aio::ConnectionManager> {
    let client = redis::Client::open(url)?;
    let manager = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        redis::aio::ConnectionManager::new(client),
    )
    .await
    .context("timed out after 10 s")??;
    Ok(manager)
}

/// Refuses to start when the configured embedding width differs from the stored vectors', which
/// would otherwise fail every write (PostgreSQL) or make every search meaningless.
async fn check_embedding_dimensions(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
) -> anyhow::Result<()> {
    if let Some(stored) = store::stored_embedding_dimensions(db).await? {
        anyhow::ensure!(
            stored == settings.embedding.dimensions,
            "the database stores {stored}-dimensional embeddings but MEMORY_EMBEDDING_DIMENSIONS \
             is {}; use the model the database was created with, or a new database",
            settings.embedding.dimensions
        );
    }
    Ok(())
}
