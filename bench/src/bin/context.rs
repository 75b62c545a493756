//! `POST /v1/memory/context` over HTTP on one tenant of `messages` LoCoMo turns (default
//! 100000, 50 conversations) stored with the local model: 200 requests, each a different
//! LoCoMo question with the latest 10 turns of a conversation and a 1000-token budget; then one
//! question repeated (its vector remembered). Prints p50 / p95 / p99 beside the target (p50
//! ≤ 15 ms at 10⁵ on the embedded default).
//!
//! Run with: `cargo run --release -p bench --bin context -- [messages] [locomo-dev.json]`;
//! SQLite by default, PostgreSQL with `BENCH_DATABASE_URL`. `MEMORY_DATA_DIR=<dir>` keeps the
//! SQLite data, and `BENCH_USER=<user printed by a run>` then measures it again without storing
//! anything.

use std::time::Instant;

use bench::report;
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (n, texts, questions) = bench::messages_and_corpus(100_000)?;
    let bench = bench::start(&[]).await?;
    if std::env::var_os("BENCH_USER").is_none() {
        let started = Instant::now();
        bench.store_turns(n, &texts, true).await?;
        println!(
            "{n} messages stored in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let ask = |q: &str, i: usize| {
        json!({"query": q, "conversation_id": format!("c{}", i % 50), "recent_turns": 10,
               "max_tokens": 1000})
    };
    let mut samples = Vec::new();
    let mut tokens = Vec::new();
    for (i, q) in questions.iter().cycle().take(200).enumerate() {
        let t = Instant::now();
        let c = bench.post("/v1/memory/context", &ask(q, i)).await?;
        samples.push(t.elapsed());
        tokens.push(c["tokens"].as_u64().unwrap_or_default());
    }
    report(
        "context, a new question each time (target p50 ≤ 15 ms)",
        &mut samples,
    );
    tokens.sort_unstable();
    println!(
        "tokens per context: median {} of 1000 ({})",
        tokens[tokens.len() / 2],
        bench
            .post("/v1/memory/context", &ask(&questions[0], 0))
            .await?["token_counter"]
    );
    let mut samples = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        bench
            .post("/v1/memory/context", &ask(&questions[0], i))
            .await?;
        samples.push(t.elapsed());
    }
    report(
        "context, one question repeated (its vector remembered)",
        &mut samples,
    );
    Ok(())
}
