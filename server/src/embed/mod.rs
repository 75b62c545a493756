//! Embedding providers: text in, unit-length vectors out.
//!
//! - [`EmbeddingProvider`]: the interface; batch-first, because every backend is far faster
//!   per text in batches.
//! - [`local`]: all-MiniLM-L6-v2 in-process through ONNX Runtime (the default; no API key).
//! - [`remote`]: OpenAI-compatible, Ollama and Gemini over HTTP (retries, circuit breaker).
//! - [`fake`]: deterministic hashed n-grams, for tests only (refused in production).
//! - [`cache`]: remembers recent query vectors in front of whichever provider is configured.
//! - [`EmbedError`]: failures classified by fault, so callers know whether a retry can help.
//!
//! Vectors are L2-normalised by every provider, so cosine similarity is a dot product.

pub mod cache;
pub mod fake;
pub mod local;
pub mod remote;
pub mod tokens;

use std::sync::Arc;

use crate::config::{EmbeddingProviderKind, EmbeddingSettings};

/// Who is to blame for a failure, which decides what happens next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bad input (empty text, too long): retrying will not help; report it to the client.
    User,
    /// The provider is down, slow or rate-limiting: retry later with backoff.
    Runtime,
    /// Misconfiguration or a broken model file: an operator must act.
    Config,
}

/// An embedding failure.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct EmbedError {
    pub fault: Fault,
    pub message: String,
}

impl EmbedError {
    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            fault: Fault::Runtime,
            message: message.into(),
        }
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self {
            fault: Fault::Config,
            message: message.into(),
        }
    }
}

/// Turns texts into vectors.
#[async_trait::async_trait]
pub trait EmbeddingProvider: Send + Sync {
    /// Identifies the model; stored with each vector so a model change is detectable.
    fn model_id(&self) -> &str;

    /// Width of every vector this provider returns.
    fn dimensions(&self) -> usize;

    /// Embeds `texts` in order; one vector per text.
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError>;

    /// Embeds `texts` for background work while requests are being served. A provider that
    /// computes on this machine should leave cores to the requests (the local model runs such
    /// a batch on one core); the default embeds as [`Self::embed`] does.
    async fn embed_beside_requests(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed(texts).await
    }

    /// Embeds one search query. Providers that can should answer it without queueing behind
    /// bulk work (the local model has a session of its own for queries).
    async fn embed_query(&self, text: String) -> Result<Vec<f32>, EmbedError> {
        self.embed(vec![text])
            .await?
            .pop()
            .ok_or_else(|| EmbedError::runtime("the provider returned no vector"))
    }
}

/// Builds the configured provider, checking its width against the setting.
pub fn from_settings(
    settings: &EmbeddingSettings,
) -> Result<Arc<dyn EmbeddingProvider>, EmbedError> {
    let provider: Arc<dyn EmbeddingProvider> = match settings.provider {
        EmbeddingProviderKind::Fake => Arc::new(fake::FakeProvider::new(settings.dimensions)),
        EmbeddingProviderKind::Local => Arc::new(local::LocalProvider::load(
            &local::files::model_dir(settings.model_dir.as_deref()),
        )?),
        remote => {
            let protocol = match remote {
                EmbeddingProviderKind::OpenAi => remote::Protocol::OpenAi,
                EmbeddingProviderKind::Ollama => remote::Protocol::Ollama,
                _ => remote::Protocol::Gemini,
            };
            let (default_url, default_model) = match protocol {
                remote::Protocol::OpenAi => ("https://api.openai.com/v1", "text-embedding-3-small"),
                remote::Protocol::Ollama => ("http://127.0.0.1:11434", "all-minilm"),
                remote::Protocol::Gemini => (
                    "https://generativelanguage.googleapis.com",
                    "text-embedding-004",
                ),
            };
            Arc::new(remote::RemoteProvider::new(remote::RemoteSettings {
                protocol,
                base_url: settings
                    .base_url
                    .clone()
                    .unwrap_or_else(|| default_url.into()),
                model: settings
                    .model
                    .clone()
                    .unwrap_or_else(|| default_model.into()),
                api_key: settings.api_key.clone(),
                dimensions: settings.dimensions,
                timeout: std::time::Duration::from_secs(30),
            })?)
        }
    };
    if provider.dimensions() != settings.dimensions {
        return Err(EmbedError::config(format!(
            "the {} model returns {}-dimensional vectors but MEMORY_EMBEDDING_DIMENSIONS is {}",
            provider.model_id(),
            provider.dimensions(),
            settings.dimensions
        )));
    }
    Ok(Arc::new(cache::QueryCache::new(provider)))
}

/// Scales `v` to unit length (leaves a zero vector alone).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Dot product; the cosine similarity of two normalised vectors. Summed in 16 independent
/// lanes so the compiler can use packed multiply-adds (a plain `sum()` must add one product at a
/// time, in order); inlined into the index's dispatched scan, it gets that scan's instruction set.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let chunks = a.len().min(b.len()) / 16;
    for c in 0..chunks {
        let (x, y) = (&a[c * 16..c * 16 + 16], &b[c * 16..c * 16 + 16]);
        for k in 0..16 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = a[chunks * 16..]
        .iter()
        .zip(&b[chunks * 16..])
        .map(|(x, y)| x * y)
        .sum();
    acc.iter().sum::<f32>() + tail
}
