//! Embedding over HTTP: OpenAI-compatible `/embeddings` (OpenAI, Azure, vLLM, TEI, LM Studio),
//! Ollama's `/api/embed` and Google's `batchEmbedContents`.
//!
//! One client does what all three need: batching, a timeout per call, retries with backoff on
//! runtime faults (honouring `Retry-After`), and a circuit breaker that fails fast while the
//! provider is down. A failure is always an error — never a substituted vector — so the durable
//! queue retries it later.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::{normalize, EmbedError, EmbeddingProvider, Fault};

/// Which wire protocol the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    OpenAi,
    Ollama,
    Gemini,
}

/// Connection settings of a remote provider.
#[derive(Debug, Clone)]
pub struct RemoteSettings {
    pub protocol: Protocol,
    /// e.g. `https://api.openai.com/v1`, `http://localhost:11434`,
    /// `https://generativelanguage.googleapis.com`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<SecretString>,
    pub dimensions: usize,
    pub timeout: Duration,
}

/// Consecutive failures that open the circuit, and how long it stays open.
const BREAKER_THRESHOLD: u32 = 5;
const BREAKER_OPEN_FOR: Duration = Duration::from_secs(30);
/// Attempts per batch (the first try and two retries).
const ATTEMPTS: u32 = 3;
/// Texts per HTTP request.
const BATCH: usize = 96;

#[derive(Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

pub struct RemoteProvider {
    settings: RemoteSettings,
    client: reqwest::Client,
    breaker: Mutex<Breaker>,
    model_id: String,
}

impl RemoteProvider {
    pub fn new(settings: RemoteSettings) -> Result<Self, EmbedError> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| EmbedError::config(format!("building the HTTP client: {e}")))?;
        let model_id = format!("{:?}:{}", settings.protocol, settings.model).to_lowercase();
        Ok(Self {
            settings,
            client,
            breaker: Mutex::default(),
            model_id,
        })
    }

    fn request(&self, texts: &[String]) -> reqwest::RequestBuilder {
        let s = &self.settings;
        let base = s.base_url.trim_end_matches('/');
        let key = s.api_key.as_ref().map(|k| k.expose_secret().to_owned());
        match s.protocol {
            Protocol::OpenAi => {
                let mut body =
                    json!({"model": s.model, "input": texts, "encoding_format": "float"});
                // Only the text-embedding-3 family accepts a requested width.
                if s.model.starts_with("text-embedding-3") {
                    body["dimensions"] = json!(s.dimensions);
                }
                let r = self.client.post(format!("{base}/embeddings")).json(&body);
                match key {
                    Some(k) => r.bearer_auth(k),
                    None => r,
                }
            }
            Protocol::Ollama => self
                .client
                .post(format!("{base}/api/embed"))
                .json(&json!({"model": s.model, "input": texts})),
            Protocol::Gemini => {
                let model = format!("models/{}", s.model);
                let requests: Vec<Value> = texts
                    .iter()
                    .map(|t| {
                        json!({"model": model, "content": {"parts": [{"text": t}]},
                                    "outputDimensionality": s.dimensions})
                    })
                    .collect();
                // The key travels in a header, not the URL, so it never lands in access logs.
                let r = self
                    .client
                    .post(format!("{base}/v1beta/{model}:batchEmbedContents"))
                    .json(&json!({"requests": requests}));
                match key {
                    Some(k) => r.header("x-goog-api-key", k),
                    None => r,
                }
            }
        }
    }

    fn parse(&self, body: &Value, expected: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
        let bad = |what: &str| {
            EmbedError::runtime(format!("unexpected answer from the provider: {what}"))
        };
        // A component that is not a number, or overflows f32 to infinity, makes the whole
        // answer malformed: one such vector would poison every similarity computed with it.
        let to_vec = |v: &Value| -> Option<Vec<f32>> {
            v.as_array()?
                .iter()
                .map(|x| x.as_f64().map(|f| f as f32).filter(|f| f.is_finite()))
                .collect()
        };
        let vectors: Vec<Vec<f32>> = match self.settings.protocol {
            Protocol::OpenAi => {
                let mut items: Vec<(u64, Vec<f32>)> = body["data"]
                    .as_array()
                    .ok_or_else(|| bad("no data"))?
                    .iter()
                    .map(|d| Some((d["index"].as_u64()?, to_vec(&d["embedding"])?)))
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad("malformed data"))?;
                items.sort_by_key(|(i, _)| *i);
                items.into_iter().map(|(_, v)| v).collect()
            }
            Protocol::Ollama => body["embeddings"]
                .as_array()
                .ok_or_else(|| bad("no embeddings"))?
                .iter()
                .map(to_vec)
                .collect::<Option<_>>()
                .ok_or_else(|| bad("malformed embeddings"))?,
            Protocol::Gemini => body["embeddings"]
                .as_array()
                .ok_or_else(|| bad("no embeddings"))?
                .iter()
                .map(|e| to_vec(&e["values"]))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("malformed embeddings"))?,
        };
        if vectors.len() != expected {
            return Err(bad(&format!(
                "{} vectors for {expected} texts",
                vectors.len()
            )));
        }
        if let Some(v) = vectors.iter().find(|v| v.len() != self.settings.dimensions) {
            return Err(EmbedError::config(format!(
                "the provider returned {}-dimensional vectors; MEMORY_EMBEDDING_DIMENSIONS is {}",
                v.len(),
                self.settings.dimensions
            )));
        }
        Ok(vectors)
    }

    /// One batch, with retries on runtime faults.
    async fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut last = EmbedError::runtime("no attempt made");
        for attempt in 0..ATTEMPTS {
            let (result, retry_after) = self.attempt(texts).await;
            match result {
                Ok(v) => return Ok(v),
                Err(e) if e.fault != Fault::Runtime => return Err(e),
                Err(e) => last = e,
            }
            if attempt + 1 < ATTEMPTS {
                let backoff = Duration::from_millis(200 << attempt);
                tokio::time::sleep(retry_after.unwrap_or(backoff).min(Duration::from_secs(5)))
                    .await;
            }
        }
        Err(last)
    }

    async fn attempt(
        &self,
        texts: &[String],
    ) -> (Result<Vec<Vec<f32>>, EmbedError>, Option<Duration>) {
        let response = match self.request(texts).send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return (Err(EmbedError::runtime("the provider timed out")), None)
            }
            Err(e) => {
                return (
                    Err(EmbedError::runtime(format!(
                        "cannot reach the provider: {e}"
                    ))),
                    None,
                )
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs);
        let body: Value = match response.json().await {
            Ok(b) => b,
            Err(e) => {
                return (
                    Err(EmbedError::runtime(format!("reading the answer: {e}"))),
                    None,
                )
            }
        };
        let result = match status.as_u16() {
            200..=299 => self.parse(&body, texts.len()),
            429 | 500..=599 | 408 => {
                Err(EmbedError::runtime(format!("provider answered {status}")))
            }
            401 | 403 | 404 => Err(EmbedError::config(format!(
                "provider answered {status}: check the API key, base URL and model"
            ))),
            _ => Err(EmbedError {
                fault: Fault::User,
                message: format!("provider refused the input ({status})"),
            }),
        };
        (result, retry_after)
    }
}

#[async_trait::async_trait]
impl EmbeddingProvider for RemoteProvider {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimensions(&self) -> usize {
        self.settings.dimensions
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        {
            let mut b = self.breaker.lock().expect("breaker lock");
            if let Some(until) = b.open_until {
                if Instant::now() < until {
                    return Err(EmbedError::runtime(
                        "provider circuit open after repeated failures",
                    ));
                }
                b.open_until = None; // half-open: let this call try
            }
        }
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(BATCH) {
            match self.embed_batch(chunk).await {
                Ok(vectors) => out.extend(vectors),
                Err(e) => {
                    if e.fault == Fault::Runtime {
                        let mut b = self.breaker.lock().expect("breaker lock");
                        b.failures += 1;
                        if b.failures >= BREAKER_THRESHOLD {
                            b.open_until = Some(Instant::now() + BREAKER_OPEN_FOR);
                            b.failures = 0;
                        }
                    }
                    return Err(e);
                }
            }
        }
        self.breaker.lock().expect("breaker lock").failures = 0;
        // Providers differ on normalisation; cosine as a dot product needs unit vectors.
        out.iter_mut().for_each(|v| normalize(v));
        Ok(out)
    }
}
