//! How long retention takes on a large tenant: plan (a dry run), archive every message (a real
//! run of the policy), and restore the run, timed over HTTP against the real server.
//!
//! Run with: `cargo run --release -p bench --bin retention -- [messages]` (default 100000),
//! SQLite by default or PostgreSQL with `BENCH_DATABASE_URL`. Messages are stored 400 days old
//! without embeddings (the fake provider, no workers): retention never reads a vector, and the
//! model would only slow the set-up. Prints each phase's wall time and rows per second.

use std::time::Instant;

use serde_json::{json, Value};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().nth(1).map_or(Ok(100_000), |a| a.parse())?;
    let bench = bench::start(&[
        ("MEMORY_EMBEDDING_PROVIDER", "fake"),
        ("MEMORY_JOB_WORKERS", "0"),
        ("MEMORY_EMBEDDING_MODE", "async"),
        // The run is timed whole, however long it takes.
        ("MEMORY_REQUEST_TIMEOUT_SECONDS", "3600"),
    ])
    .await?;
    let old = (chrono::Utc::now() - chrono::Duration::days(400)).to_rfc3339();
    let started = Instant::now();
    for (b, chunk) in (0..n).collect::<Vec<_>>().chunks(1000).enumerate() {
        let messages: Vec<Value> = chunk
            .iter()
            .map(|i| {
                json!({"conversation_id": format!("c{}", i % 100), "role": "user",
                       "content": format!("retention bench message {i}"), "created_at": old})
            })
            .collect();
        bench
            .post("/v1/messages/batch", &json!({"messages": messages}))
            .await?;
        if b % 20 == 19 {
            eprint!(".");
        }
    }
    eprintln!();
    println!(
        "{n} messages stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let client = bench.client.clone();
    let policy = client
        .put(format!("{}/v1/retention/policy", bench.url))
        .bearer_auth(&bench.token)
        .json(&json!({"enabled": true, "max_age_days": 30}))
        .send()
        .await?;
    anyhow::ensure!(
        policy.status().is_success(),
        "policy: {}",
        policy.text().await?
    );
    let timed = |what: &'static str, path: String| {
        let bench = &bench;
        async move {
            let started = Instant::now();
            let answer = bench.post(&path, &json!({})).await?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{what}: {secs:.2} s ({:.0} messages/s)",
                n as f64 / secs.max(1e-9)
            );
            anyhow::Ok(answer)
        }
    };
    let dry = timed(
        "dry run (plan only)",
        "/v1/retention/execute?dry_run=true".into(),
    )
    .await?;
    anyhow::ensure!(dry["messages_archived"] == n, "dry run: {dry}");
    let real = timed("real run (archive all)", "/v1/retention/execute".into()).await?;
    anyhow::ensure!(real["messages_archived"] == n, "real run: {real}");
    let run = real["run_id"].as_str().unwrap_or_default();
    let restored = timed(
        "restore the run",
        format!("/v1/retention/runs/{run}/restore"),
    )
    .await?;
    anyhow::ensure!(restored["messages_restored"] == n, "restore: {restored}");
    Ok(())
}
