//! The local model alone: batch throughput (on every core, and on one core as the job worker
//! embeds beside requests), and the latency of one search query, idle and while batches are
//! being embedded beside it (as when the job worker is busy).
//!
//! Run with: `cargo run --release -p bench --bin embed -- [locomo-dev.json]`. Query latency is
//! printed for both ways a query can be embedded: through the batch session
//! (`embed(vec![query])`, what search did before it had its own session) and through
//! `embed_query` (the query session).

use std::{sync::Arc, time::Instant};

use bench::{corpus, report};
use server::embed::{local, EmbeddingProvider};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/locomo/locomo-dev.json".into());
    let (texts, questions) = corpus(&path)?;
    let model_dir = std::env::var_os("MEMORY_EMBEDDING_MODEL_DIR").map(std::path::PathBuf::from);
    let model = Arc::new(local::LocalProvider::load(&local::files::model_dir(
        model_dir.as_deref(),
    ))?);

    let batch: Vec<String> = texts.iter().take(2000).cloned().collect();
    for all_cores in [true, false] {
        let t = Instant::now();
        if all_cores {
            model.embed(batch.clone()).await?;
        } else {
            // What the job worker does while requests are arriving.
            model.embed_beside_requests(batch.clone()).await?;
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "batch on {}: {:.0} texts/s ({} chat turns in {secs:.1} s)",
            if all_cores { "every core" } else { "one core" },
            batch.len() as f64 / secs,
            batch.len()
        );
    }

    let queries: Vec<String> = questions.iter().take(200).cloned().collect();
    for busy in [false, true] {
        // A background loop embedding batches of 32, like the job worker under load.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let worker = busy.then(|| {
            let (model, stop, chunk) = (model.clone(), stop.clone(), batch[..32].to_vec());
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = model.embed(chunk.clone()).await;
                }
            })
        });
        let state = if busy { "beside batches" } else { "idle" };
        let mut shared = Vec::new();
        let mut own = Vec::new();
        for q in &queries {
            let t = Instant::now();
            model.embed(vec![q.clone()]).await?;
            shared.push(t.elapsed());
            let t = Instant::now();
            model.embed_query(q.clone()).await?;
            own.push(t.elapsed());
        }
        report(&format!("query, batch session, {state}"), &mut shared);
        report(&format!("query, query session, {state}"), &mut own);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(w) = worker {
            w.await?;
        }
    }
    Ok(())
}
