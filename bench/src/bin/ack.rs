//! Async ingest acknowledgement alone: how long `POST /v1/messages?async=true` takes to answer
//! 202, with the embedding worker running beside it (as in production) and without it (the
//! write path's own cost).
//!
//! Run with: `cargo run --release -p bench --bin ack -- [stored] [acks] [workers]` (defaults
//! 10000, 1000 and `1,0`: with one job worker, then with none). Stores `stored` messages
//! inline first (the database's size matters to the write), then times `acks`
//! acknowledgements one after another, once per worker setting, each on a fresh server over the
//! same kind of data. SQLite by default; `BENCH_DATABASE_URL` as for
//! `load`. Prints p50/p95/p99 and the worst.

use std::time::{Duration, Instant};

use bench::{corpus, report};
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let stored: usize = std::env::args().nth(1).map_or(Ok(10_000), |a| a.parse())?;
    let acks: usize = std::env::args().nth(2).map_or(Ok(1_000), |a| a.parse())?;
    let (texts, _) = corpus("../shared/data/locomo/locomo-dev.json")?;
    let workers = std::env::args().nth(3).unwrap_or_else(|| "1,0".into());
    for workers in workers.split(',') {
        let bench = bench::start(&[("MEMORY_JOB_WORKERS", workers)]).await?;
        bench.store_turns(stored, &texts, false).await?;
        let mut latencies = Vec::with_capacity(acks);
        for i in 0..acks {
            let body = json!({"conversation_id": "async", "role": "user",
                              "content": texts[i % texts.len()]});
            let t = Instant::now();
            bench.post("/v1/messages?async=true", &body).await?;
            latencies.push(t.elapsed());
        }
        let worst = latencies.iter().max().copied().unwrap_or(Duration::ZERO);
        // Which requests were slow: the first few (cold connections) or any.
        let mut slowest: Vec<(usize, Duration)> = latencies.iter().copied().enumerate().collect();
        slowest.sort_by_key(|s| std::cmp::Reverse(s.1));
        let slowest: Vec<String> = slowest
            .iter()
            .take(12)
            .map(|(i, d)| format!("#{i} {:.1}", d.as_secs_f64() * 1000.0))
            .collect();
        report(
            &format!("async acknowledgement, {stored} stored, job workers {workers}"),
            &mut latencies,
        );
        println!("  worst {:.1} ms", worst.as_secs_f64() * 1000.0);
        println!("  slowest (request number, ms): {}", slowest.join(", "));
    }
    Ok(())
}
