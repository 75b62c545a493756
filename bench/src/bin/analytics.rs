//! A tenant's analytics at scale: each `/v1/analytics/*` endpoint, and the dashboard's overview
//! page (`/`, rendered on the server), timed over HTTP against one tenant of `messages` messages
//! (default 100000) in 100 conversations over the last 60 days.
//!
//! Run with: `cargo run --release -p bench --bin analytics -- [messages]`, SQLite by default or
//! PostgreSQL with `BENCH_DATABASE_URL`. Messages are stored without embeddings (the fake
//! provider, no workers): the figures count vectors, they never read them. Prints p50/p95/p99
//! of 50 requests per endpoint, right after storing and again after the server's first fold of
//! the counters (65 s later).

use std::time::Instant;

use serde_json::{json, Value};

const REQUESTS: usize = 50;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().nth(1).map_or(Ok(100_000), |a| a.parse())?;
    let bench = bench::start(&[
        ("MEMORY_EMBEDDING_PROVIDER", "fake"),
        ("MEMORY_JOB_WORKERS", "0"),
        ("MEMORY_EMBEDDING_MODE", "async"),
        ("MEMORY_SITE_ROOT", "target/site"),
    ])
    .await?;
    let now = chrono::Utc::now();
    let started = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let messages: Vec<Value> = chunk
            .iter()
            .map(|i| {
                let at = now - chrono::Duration::minutes((i % (60 * 24 * 60)) as i64);
                json!({"conversation_id": format!("c{}", i % 100),
                       "role": if i % 2 == 0 { "user" } else { "assistant" },
                       "content": format!("analytics bench message {i}"),
                       "created_at": at.to_rfc3339()})
            })
            .collect();
        bench
            .post("/v1/messages/batch", &json!({"messages": messages}))
            .await?;
    }
    println!(
        "{n} messages stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    measure(&bench, "just stored (counter deltas not yet folded)").await?;
    // The server folds the counters' deltas once a minute: the steady state.
    tokio::time::sleep(std::time::Duration::from_secs(65)).await;
    measure(&bench, "a minute later (counters folded)").await?;
    Ok(())
}

async fn measure(bench: &bench::Bench, when: &str) -> anyhow::Result<()> {
    println!("{when}:");
    for path in [
        "/v1/analytics/usage",
        "/v1/analytics/trends?days=30",
        "/v1/analytics/trends?days=365",
        "/v1/analytics/top-conversations?limit=100",
        "/v1/analytics/embedding-stats",
        "/v1/analytics/overview?days=30",
    ] {
        let mut samples = Vec::with_capacity(REQUESTS);
        for _ in 0..REQUESTS {
            let started = Instant::now();
            bench.get(path).await?;
            samples.push(started.elapsed());
        }
        bench::report(path, &mut samples);
    }
    // The overview page as a browser gets it: rendered with its charts, the whole body read.
    let mut samples = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let r = bench
            .client
            .get(format!("{}/", bench.url))
            .header("accept", "text/html")
            .bearer_auth(&bench.token)
            .send()
            .await?;
        anyhow::ensure!(r.status() == 200, "/: {}", r.status());
        anyhow::ensure!(
            r.text().await?.contains("usage-active"),
            "/ shows the figures"
        );
        samples.push(started.elapsed());
    }
    bench::report("/ (the overview page)", &mut samples);
    Ok(())
}
