//! Ingest throughput and search latency with the local model, over real HTTP.
//!
//! Run with: `cargo run --release -p bench --bin load -- [messages] [locomo-dev.json]`
//! (default 10000 messages; texts are LoCoMo turns, cycled; queries are LoCoMo's questions, as
//! users ask them). SQLite by default; set `BENCH_DATABASE_URL=postgres://…` (an empty database
//! with pgvector) for PostgreSQL. Prints: inline batch ingest rate, async acknowledgement
//! latency, search latency (p50/p95/p99, query embedding included) per mode, measured once the
//! queued embeddings are done (so searches do not wait for the worker's model runs). On
//! PostgreSQL, `BENCH_USER=<the user an earlier run printed>` skips storing and measures that
//! run's data again.

use std::time::{Duration, Instant};

use anyhow::Context;
use bench::report;
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (n, texts, questions) = bench::messages_and_corpus(10_000)?;
    let backend = if std::env::var("BENCH_DATABASE_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    };
    let bench = bench::start(&[]).await?;
    println!("backend {backend}, {n} messages in one tenant, local model all-MiniLM-L6-v2");

    if std::env::var("BENCH_USER").is_err() {
        ingest(&bench, n, &texts).await?;
    }
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
        println!("{}", bench::ensure_analyzed(&url).await?);
    }

    // Each mode asks its own 200 questions: a question asked before would find its vector
    // remembered (embed::cache) and measure the cache, not the search.
    for (m, mode) in ["vector", "lexical", "hybrid"].into_iter().enumerate() {
        let queries =
            (0..200).map(|i| questions[((i + 200 * m) * 7919) % questions.len()].as_str());
        let mut latencies = time_searches(&bench, queries, mode).await?;
        report(&format!("search {mode} top-10"), &mut latencies);
    }
    // One question asked again and again (an agent re-checking): its vector is remembered.
    let repeated = std::iter::repeat_n(questions[0].as_str(), 200);
    let mut latencies = time_searches(&bench, repeated, "hybrid").await?;
    report("search hybrid top-10, one query repeated", &mut latencies);
    Ok(())
}

/// Runs each query as a top-10 search in `mode`, one after another, timing each.
async fn time_searches(
    bench: &bench::Bench,
    queries: impl Iterator<Item = &str>,
    mode: &str,
) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    for query in queries {
        let t = Instant::now();
        bench
            .post(
                "/v1/memory/search",
                &json!({"query": query, "mode": mode, "top_k": 10}),
            )
            .await?;
        latencies.push(t.elapsed());
    }
    Ok(latencies)
}

/// Stores `n` messages in batches (inline embedding), then times 300 async acknowledgements
/// and waits until their embeddings are done.
async fn ingest(bench: &bench::Bench, n: usize, texts: &[String]) -> anyhow::Result<()> {
    let started = Instant::now();
    bench.store_turns(n, texts, true).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "inline batch ingest: {:.0} messages/s ({n} in {secs:.1} s)",
        n as f64 / secs
    );

    let mut acks = Vec::new();
    let mut last = Value::Null;
    for i in 0..300 {
        let t = Instant::now();
        last = bench
            .post(
                "/v1/messages?async=true",
                &json!({"conversation_id": "async", "role": "user", "content": texts[i % texts.len()]}),
            )
            .await?;
        acks.push(t.elapsed());
    }
    report("async ingest acknowledgement", &mut acks);
    let path = format!(
        "/v1/messages/{}",
        last["id"].as_str().context("message id")?
    );
    while bench.get(&path).await?["embedding_status"] != "completed" {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    Ok(())
}
