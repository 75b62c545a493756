//! Shared plumbing of the benchmarks: start the real server in-process on a random port, against
//! SQLite (default) or PostgreSQL (`BENCH_DATABASE_URL`), with the local model, and talk to it
//! over real HTTP like any client.

use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};
use server::{config::Settings, startup::Application};
use tokio_util::sync::CancellationToken;

/// A running server and an authenticated client.
pub struct Bench {
    pub url: String,
    pub client: reqwest::Client,
    pub token: String,
    _shutdown: tokio_util::sync::DropGuard,
    _dir: Option<std::path::PathBuf>,
}

/// Starts the server with `extra` settings and registers one user (tenant `bench`).
pub async fn start(extra: &[(&str, &str)]) -> anyhow::Result<Bench> {
    server::telemetry::init(server::config::LogFormat::Pretty);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("mm-bench-{}", uuid::Uuid::new_v4().simple()));
    let mut vars: Vec<(String, String)> = vec![
        ("MEMORY_PORT".into(), "0".into()),
        ("MEMORY_DATA_DIR".into(), dir.display().to_string()),
        ("MEMORY_GLOBAL_RATE_LIMIT".into(), "1000000/minute".into()),
        ("MEMORY_TENANT_RATE_LIMIT".into(), "1000000/minute".into()),
    ];
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
        vars.push(("MEMORY_DATABASE_URL".into(), url));
    }
    if let Ok(model_dir) = std::env::var("MEMORY_EMBEDDING_MODEL_DIR") {
        vars.push(("MEMORY_EMBEDDING_MODEL_DIR".into(), model_dir));
    }
    for (k, v) in extra {
        vars.retain(|(key, _)| key != k);
        vars.push(((*k).into(), (*v).into()));
    }
    let app = Application::build(Settings::from_vars(&vars)?).await?;
    let url = format!("http://127.0.0.1:{}", app.port());
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()?;
    let user = format!("bench_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let password = "BenchPass123";
    let r = client
        .post(format!("{url}/v1/auth/register"))
        .json(&json!({"email": format!("{user}@example.com"), "username": user, "password": password}))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 201, "register: {}", r.text().await?);
    let tokens: Value = client
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    let token = tokens["access_token"]
        .as_str()
        .context("login gave no token")?
        .to_owned();
    Ok(Bench {
        url,
        client,
        token,
        _shutdown: shutdown.drop_guard(),
        _dir: Some(dir),
    })
}

impl Bench {
    /// GETs JSON, failing on any non-2xx answer.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.client.get(format!("{}{path}", self.url)), path)
            .await
    }

    /// POSTs JSON, failing on any non-2xx answer.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let request = self.client.post(format!("{}{path}", self.url)).json(body);
        self.send(request, path).await
    }

    /// Sends with the bench user's token; a non-2xx answer is an error naming the path.
    async fn send(&self, request: reqwest::RequestBuilder, path: &str) -> anyhow::Result<Value> {
        let r = request.bearer_auth(&self.token).send().await?;
        let status = r.status();
        let text = r.text().await?;
        anyhow::ensure!(status.is_success(), "{path}: {status}: {text}");
        Ok(serde_json::from_str(&text)?)
    }
}

/// The p-th percentile (0..=100) of sorted durations, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank].as_secs_f64() * 1000.0
}
