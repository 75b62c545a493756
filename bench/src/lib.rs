//! Shared plumbing of the benchmarks: start the real server in-process on a random port, against
//! SQLite (default) or PostgreSQL (`BENCH_DATABASE_URL`), with the local model, and talk to it
//! over real HTTP like any client.

use std::{io::BufRead, time::Duration};

use anyhow::Context;
use serde_json::{json, Value};
use server::{config::Settings, startup::Application};
use tokio_util::sync::CancellationToken;

/// A running server and an authenticated client.
pub struct Bench {
    pub url: String,
    pub client: reqwest::Client,
    pub token: String,
    /// The registered user's name (password [`PASSWORD`]).
    pub user: String,
    _shutdown: tokio_util::sync::DropGuard,
    dir: std::path::PathBuf,
}

/// Starts another instance on the same database as a [`start`]ed one (PostgreSQL:
/// `BENCH_DATABASE_URL`), with `extra` settings; returns its URL and keeps it running until
/// the guard drops.
pub async fn start_instance(
    extra: &[(&str, &str)],
) -> anyhow::Result<(String, tokio_util::sync::DropGuard)> {
    std::env::var("BENCH_DATABASE_URL").context("a second instance needs PostgreSQL")?;
    let (url, guard, _) = launch(extra).await?;
    Ok((url, guard))
}

/// Starts a server in this process on a random port with `extra` settings; returns its URL,
/// the guard that stops it, and its data directory.
async fn launch(
    extra: &[(&str, &str)],
) -> anyhow::Result<(String, tokio_util::sync::DropGuard, std::path::PathBuf)> {
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
    // Any MEMORY_* variable of the bench's environment reaches the server, to measure the same
    // bench under other settings (the model directory, a provider, database settings); the
    // bench's own settings (`extra`) come last and win.
    let overrides = std::env::vars()
        .filter(|(k, _)| k.starts_with("MEMORY_"))
        .chain(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
    for (k, v) in overrides {
        vars.retain(|(key, _)| *key != k);
        vars.push((k, v));
    }
    let app = Application::build(Settings::from_vars(&vars)?).await?;
    let url = format!("http://127.0.0.1:{}", app.port());
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));
    Ok((url, shutdown.drop_guard(), dir))
}

/// The password of every user the benches register.
pub const PASSWORD: &str = "BenchPass123";

/// Registers `user` (password [`PASSWORD`]) at `url`; its personal tenant's id.
pub async fn register(client: &reqwest::Client, url: &str, user: &str) -> anyhow::Result<String> {
    let r = client
        .post(format!("{url}/v1/auth/register"))
        .json(&json!({"email": format!("{user}@example.com"), "username": user, "password": PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 201, "register: {}", r.text().await?);
    let me: Value = r.json().await?;
    Ok(me["tenants"][0]["tenant_id"]
        .as_str()
        .context("register gave no tenant")?
        .to_owned())
}

/// Logs `user` in at `url`; its access token.
pub async fn login(client: &reqwest::Client, url: &str, user: &str) -> anyhow::Result<String> {
    let tokens: Value = client
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    Ok(tokens["access_token"]
        .as_str()
        .context("login gave no token")?
        .to_owned())
}

/// The resident memory of process `pid` in MB, from /proc (Linux).
pub fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .context("VmRSS")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kb / 1e3)
}

/// Starts the server with `extra` settings and registers one user (tenant `bench`).
pub async fn start(extra: &[(&str, &str)]) -> anyhow::Result<Bench> {
    let _ = server::telemetry::init(server::config::LogFormat::Pretty, None);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (url, guard, dir) = launch(extra).await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()?;
    // `BENCH_USER` logs in as the user of an earlier run on the same database, to measure
    // searches again without storing everything again.
    let user = match std::env::var("BENCH_USER") {
        Ok(user) => user,
        Err(_) => {
            let user = format!("bench_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            register(&client, &url, &user).await?;
            user
        }
    };
    eprintln!("bench user {user} (BENCH_USER={user} searches this run's data again)");
    let token = login(&client, &url, &user).await?;
    Ok(Bench {
        url,
        client,
        token,
        user,
        _shutdown: guard,
        dir,
    })
}

impl Bench {
    /// The server's data directory (the embedded default's SQLite file is in it).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Stores `n` LoCoMo turns (cycled, numbered, over 50 conversations) with inline embedding,
    /// 500 per batch request; prints a dot every 2000 when `progress`.
    pub async fn store_turns(
        &self,
        n: usize,
        texts: &[String],
        progress: bool,
    ) -> anyhow::Result<()> {
        for (b, chunk) in (0..n).collect::<Vec<_>>().chunks(500).enumerate() {
            let messages: Vec<Value> = chunk
                .iter()
                .map(|i| {
                    json!({"conversation_id": format!("c{}", i % 50), "role": "user",
                           "content": format!("{} ({i})", texts[i % texts.len()])})
                })
                .collect();
            self.post("/v1/messages/batch", &json!({"messages": messages}))
                .await?;
            if progress && b % 4 == 3 {
                eprint!(".");
            }
        }
        if progress {
            eprintln!();
        }
        Ok(())
    }

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

/// The command line of a bench that stores LoCoMo turns: `[messages] [locomo-dev.json]`, the
/// count defaulting to `default_messages`; the count and the corpus' turns and questions.
pub fn messages_and_corpus(
    default_messages: usize,
) -> anyhow::Result<(usize, Vec<String>, Vec<String>)> {
    let n = std::env::args()
        .nth(1)
        .map_or(Ok(default_messages), |a| a.parse())?;
    let path = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "../shared/data/locomo/locomo-dev.json".into());
    let (texts, questions) = corpus(&path)?;
    Ok((n, texts, questions))
}

/// The `memory-mesh` binary `scripts/build.sh` built (or `MEMORY_MESH_BIN`), for the benches
/// that run it as a separate process.
pub fn built_binary() -> anyhow::Result<std::path::PathBuf> {
    let binary = std::env::var("MEMORY_MESH_BIN").map_or_else(
        |_| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/release/memory-mesh")
        },
        std::path::PathBuf::from,
    );
    anyhow::ensure!(
        binary.exists(),
        "{} is not built: run scripts/build.sh",
        binary.display()
    );
    Ok(binary)
}

/// The p-th percentile (0..=100) of sorted durations, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank].as_secs_f64() * 1000.0
}

/// Every LoCoMo turn's text, as realistic chat messages, and every question, as realistic queries.
pub fn corpus(path: &str) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let data: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
    )?;
    let mut texts = Vec::new();
    let mut questions = Vec::new();
    for sample in &data {
        for qa in sample["qa"].as_array().into_iter().flatten() {
            if let Some(q) = qa["question"].as_str() {
                questions.push(q.to_owned());
            }
        }
        for (key, session) in sample["conversation"].as_object().context("conversation")? {
            if key.starts_with("session_") && !key.ends_with("date_time") {
                for turn in session.as_array().into_iter().flatten() {
                    if let Some(t) = turn["text"].as_str() {
                        texts.push(t.to_owned());
                    }
                }
            }
        }
    }
    anyhow::ensure!(
        !texts.is_empty() && !questions.is_empty(),
        "no texts or questions in {path}"
    );
    Ok((texts, questions))
}

/// PostgreSQL: makes sure `messages` has been analysed since the load, so searches run on the
/// plans a live service gets. With autovacuum on (PostgreSQL's default), waits for it (migration 5
/// has it analyse every 2000 changed rows); with autovacuum off, runs `ANALYZE` itself. Says which.
pub async fn ensure_analyzed(url: &str) -> anyhow::Result<String> {
    use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
    let db = Database::connect(url).await?;
    let scalar = |sql: &'static str| {
        let db = db.clone();
        async move {
            db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
                .await?
                .context("no answer")
        }
    };
    let autovacuum: String = scalar("SHOW autovacuum").await?.try_get_by_index(0)?;
    if autovacuum != "on" {
        db.execute_unprepared("ANALYZE messages").await?;
        return Ok("autovacuum is off on this server: ran ANALYZE messages".into());
    }
    let started = std::time::Instant::now();
    loop {
        let pending: i64 = scalar(
            "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'messages'",
        )
        .await?
        .try_get_by_index(0)?;
        if pending < 2000 {
            return Ok(format!(
                "waited {:.0} s for autovacuum to analyse messages",
                started.elapsed().as_secs_f64()
            ));
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "autovacuum did not analyse messages within 5 minutes"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Prints the p50 / p95 / p99 of `samples` (sorting them).
pub fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    println!(
        "{what}: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms ({} requests)",
        percentile_ms(samples, 50.0),
        percentile_ms(samples, 95.0),
        percentile_ms(samples, 99.0),
        samples.len()
    );
}

/// A `memory-mesh serve` child process; killed on drop.
pub struct Instance {
    pub child: std::process::Child,
    pub url: String,
    dir: std::path::PathBuf,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Instance {
    /// Starts `binary` with its own data directory, the fake embedder, limits raised, a fixed
    /// JWT secret (so instances on one database accept each other's tokens) and `settings`
    /// last; returns once it serves.
    pub fn start(
        binary: &std::path::Path,
        settings: &[(String, String)],
    ) -> anyhow::Result<Instance> {
        let dir = std::env::temp_dir().join(format!("mm-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let mut child = std::process::Command::new(binary)
            .current_dir(&dir)
            .env("MEMORY_PORT", "0")
            .env("MEMORY_DATA_DIR", &dir)
            .env("MEMORY_EMBEDDING_PROVIDER", "fake")
            .env("MEMORY_GLOBAL_RATE_LIMIT", "100000000/minute")
            .env("MEMORY_TENANT_RATE_LIMIT", "100000000/minute")
            .env("MEMORY_WS_MAX_CONNECTIONS_PER_TENANT", "100000")
            .env(
                "MEMORY_JWT_SECRET_KEY",
                "mixed-bench-secret-0123456789abcdef0123",
            )
            .env("RUST_LOG", "warn")
            .envs(settings.iter().map(|(k, v)| (k, v)))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let mut lines = std::io::BufReader::new(child.stdout.take().context("stdout")?).lines();
        let url = loop {
            let line = lines.next().context("the server exited before serving")??;
            if let Some(at) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                break at.to_owned();
            }
        };
        // Keep reading, so the server never blocks on a full pipe; its warnings and errors (the
        // cause of any 5xx) go to the bench's stderr.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                eprintln!("[server] {line}");
            }
        });
        Ok(Instance { child, url, dir })
    }
}
