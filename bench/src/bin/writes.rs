//! The write path under concurrent clients, each figure printed beside its target:
//!
//! 0. the `stored` messages first, in inline batches of 500 from one client: messages/s;
//! 1. single inline `POST /v1/messages` from `clients` clients for `seconds`, with the fast
//!    fake embedder (what the server and the database cost, not a model): writes/s and
//!    p50/p95/p99;
//! 2. a burst of 10⁴ async acknowledgements (`?async=true`) from the same clients: acks/s and
//!    their latency, then the sustained embedding rate until the queue is empty;
//! 3. with `--model`: batched inline ingest with the local model (batches of 100), against the
//!    model's own batch throughput on the same texts.
//!
//! Run with: `cargo run --release -p bench --bin writes -- [clients] [seconds] [stored]
//! [--model]` (defaults 8, 10, 10000). `stored` messages are written first, as the database's
//! size matters to a write. SQLite by default; `BENCH_DATABASE_URL` as for `load`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use bench::{corpus, percentile_ms, Bench};
use serde_json::json;

const BURST: usize = 10_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let model = args.iter().any(|a| a == "--model");
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let clients = numbers.first().copied().unwrap_or(8);
    let seconds = numbers.get(1).copied().unwrap_or(10) as u64;
    let stored = numbers.get(2).copied().unwrap_or(10_000);
    let (texts, _) = corpus("../shared/data/locomo/locomo-dev.json")?;
    let texts = Arc::new(texts);
    let backend = if std::env::var("BENCH_DATABASE_URL").is_ok() {
        "PostgreSQL"
    } else {
        "SQLite"
    };

    let bench = Arc::new(bench::start(&[("MEMORY_EMBEDDING_PROVIDER", "fake")]).await?);
    let started = Instant::now();
    bench.store_turns(stored, &texts, false).await?;
    println!(
        "{backend}, {stored} messages stored ({:.0}/s in inline batches of 500 from one client), \
         {clients} clients, fake embedder",
        stored as f64 / started.elapsed().as_secs_f64()
    );

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut samples = run_clients(&bench, &texts, clients, "/v1/messages", move |_| {
        Instant::now() < deadline
    })
    .await?;
    let rate = samples.len() as f64 / started.elapsed().as_secs_f64();
    samples.sort();
    println!(
        "single inline writes: {rate:.0}/s (target ≥ 4500); p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} \
         ms (target ≤ 20)",
        percentile_ms(&samples, 50.0),
        percentile_ms(&samples, 95.0),
        percentile_ms(&samples, 99.0),
    );

    let pending_before = pending(&bench).await?;
    let started = Instant::now();
    let per_client = BURST / clients;
    let mut samples = run_clients(
        &bench,
        &texts,
        clients,
        "/v1/messages?async=true",
        move |n| n < per_client,
    )
    .await?;
    let acked = started.elapsed();
    let rate = samples.len() as f64 / acked.as_secs_f64();
    samples.sort();
    println!(
        "async acknowledgements, a burst of {}: {rate:.0}/s (target ≥ 4500); p50 {:.1} ms, p95 \
         {:.1} ms, p99 {:.1} ms",
        samples.len(),
        percentile_ms(&samples, 50.0),
        percentile_ms(&samples, 95.0),
        percentile_ms(&samples, 99.0),
    );
    while pending(&bench).await? > pending_before {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained = started.elapsed();
    println!(
        "  embedded by the job worker at {:.0}/s sustained ({:.1} s from the burst's first \
         request to an empty queue)",
        samples.len() as f64 / drained.as_secs_f64(),
        drained.as_secs_f64()
    );
    drop(bench);

    if model {
        batched_with_model(&texts).await?;
    }
    Ok(())
}

/// Runs `clients` clients, each sending writes to `path` one after another while `more(n)`
/// (`n`: how many it sent); returns every write's latency. Any answer but 201/202 fails.
async fn run_clients(
    bench: &Arc<Bench>,
    texts: &Arc<Vec<String>>,
    clients: usize,
    path: &'static str,
    more: impl Fn(usize) -> bool + Clone + Send + 'static,
) -> anyhow::Result<Vec<Duration>> {
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (bench, texts, more) = (bench.clone(), texts.clone(), more.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            while more(samples.len()) {
                let i = client * 1_000_003 + samples.len();
                let body = json!({"conversation_id": format!("w{}", i % 50), "role": "user",
                                  "content": texts[i % texts.len()]});
                let t = Instant::now();
                let r = (bench.client.post(format!("{}{path}", bench.url)))
                    .bearer_auth(&bench.token)
                    .json(&body)
                    .send()
                    .await?;
                let status = r.status();
                r.bytes().await?;
                anyhow::ensure!(status == 201 || status == 202, "{path}: {status}");
                samples.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(samples)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(all)
}

/// The tenant's messages still waiting for their embedding.
async fn pending(bench: &Bench) -> anyhow::Result<u64> {
    let usage = bench.get("/v1/analytics/usage").await?;
    Ok(usage["pending_embeddings"].as_u64().unwrap_or(0))
}

/// Batched inline ingest with the local model against the model's own throughput.
async fn batched_with_model(texts: &[String]) -> anyhow::Result<()> {
    use server::embed::{local, EmbeddingProvider};
    let batch: Vec<String> = texts.iter().take(2000).cloned().collect();
    let model_dir = std::env::var_os("MEMORY_EMBEDDING_MODEL_DIR").map(std::path::PathBuf::from);
    let own = {
        let model = local::LocalProvider::load(&local::files::model_dir(model_dir.as_deref()))?;
        let t = Instant::now();
        for chunk in batch.chunks(100) {
            model.embed(chunk.to_vec()).await?;
        }
        batch.len() as f64 / t.elapsed().as_secs_f64()
    };
    let bench = bench::start(&[("MEMORY_EMBEDDING_PROVIDER", "local")]).await?;
    let t = Instant::now();
    for (b, chunk) in batch.chunks(100).enumerate() {
        let messages: Vec<_> = chunk
            .iter()
            .map(|text| json!({"conversation_id": format!("m{}", b % 10), "role": "user", "content": text}))
            .collect();
        bench
            .post("/v1/messages/batch", &json!({ "messages": messages }))
            .await?;
    }
    let ingest = batch.len() as f64 / t.elapsed().as_secs_f64();
    println!(
        "batched inline ingest with the local model: {ingest:.0} messages/s, the model alone \
         {own:.0} texts/s: {:.0} % (target ≥ 80 %)",
        100.0 * ingest / own
    );
    Ok(())
}
