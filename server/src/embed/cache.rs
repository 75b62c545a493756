//! Remembered query vectors: the same search text embeds to the same vector (the model is fixed
//! for the life of the process), so a repeated query skips the model or the remote API call.
//!
//! Agents and dashboards re-ask the same questions; a local query costs milliseconds of CPU and a
//! remote one a paid request. Only queries are cached (messages are embedded once anyway), keyed
//! by their exact text, bounded to [`CAPACITY`] entries (~1.6 MB of 384-d vectors). Failures are
//! never cached. Stored data plays no part in a query's vector, so nothing here can go stale.

use std::sync::Arc;

use super::{EmbedError, EmbeddingProvider};

/// Query vectors kept, least recently used out first.
pub const CAPACITY: usize = 1024;

/// Wraps a provider and remembers the vectors of recent queries.
pub struct QueryCache {
    inner: Arc<dyn EmbeddingProvider>,
    vectors: quick_cache::sync::Cache<String, Vec<f32>>,
}

impl QueryCache {
    pub fn new(inner: Arc<dyn EmbeddingProvider>) -> Self {
        Self {
            inner,
            vectors: quick_cache::sync::Cache::new(CAPACITY),
        }
    }
}

#[async_trait::async_trait]
impl EmbeddingProvider for QueryCache {
    fn model_id(&self) -> &str {
        self.inner.model_id()
    }

    fn dimensions(&self) -> usize {
        self.inner.dimensions()
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.inner.embed(texts).await
    }

    async fn embed_beside_requests(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.inner.embed_beside_requests(texts).await
    }

    async fn embed_query(&self, text: String) -> Result<Vec<f32>, EmbedError> {
        if let Some(v) = self.vectors.get(&text) {
            return Ok(v);
        }
        let v = self.inner.embed_query(text.clone()).await?;
        self.vectors.insert(text, v.clone());
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the queries that reach the model.
    struct Counting(AtomicUsize, super::super::fake::FakeProvider);

    #[async_trait::async_trait]
    impl EmbeddingProvider for Counting {
        fn model_id(&self) -> &str {
            "counting"
        }
        fn dimensions(&self) -> usize {
            8
        }
        async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
            self.0.fetch_add(texts.len(), Ordering::SeqCst);
            self.1.embed(texts).await
        }
    }

    #[tokio::test]
    async fn a_repeated_query_reaches_the_model_once_and_gets_the_same_vector() {
        let model = Arc::new(Counting(
            AtomicUsize::new(0),
            super::super::fake::FakeProvider::new(8),
        ));
        let cache = QueryCache::new(model.clone());
        let first = cache.embed_query("what do I like?".into()).await.unwrap();
        let again = cache.embed_query("what do I like?".into()).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(model.0.load(Ordering::SeqCst), 1);
        let other = cache.embed_query("where do I live?".into()).await.unwrap();
        assert_ne!(first, other);
        assert_eq!(model.0.load(Ordering::SeqCst), 2);
        // Messages are not queries: always embedded.
        cache.embed(vec!["what do I like?".into()]).await.unwrap();
        assert_eq!(model.0.load(Ordering::SeqCst), 3);
    }
}
