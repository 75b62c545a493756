//! The embedded mode's vector retriever alone: `SearchIndex::search` (sign-bit scan + f32 re-rank)
//! over one tenant's vectors, without the model, HTTP or the rest of a search.
//!
//! Run with: `cargo run --release -p bench --bin scan -- [rows]` (default 100000). Fills a
//! temporary SQLite database with `rows` random unit vectors (384-d; the scan's cost does not
//! depend on what the vectors mean) or, with `BENCH_REAL=1`, the local model's embeddings of
//! LoCoMo turns (about 190 a second to make) queried with its questions; loads the index from it
//! as the server does, and times 300 searches for the best 100 (the depth a top-10 search asks
//! for), unfiltered and restricted to half the rows (a filtered search). Recall@10 and @100
//! against an exact scan tell what the sign bits lose. Then times the local model's query embedding alone and
//! right after a scan (which streams the bits through the cache the model's weights sit in).
//! Prints p50/p95/p99.

use std::time::Instant;

use bench::{corpus, report};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait, Value};
use server::{
    config::{DatabaseSettings, Redacted},
    embed::{local, EmbeddingProvider},
    store::{self, index::SearchIndex},
};
use uuid::Uuid;

const DIMS: usize = 384;
const SEARCHES: usize = 300;
const RECALL_QUERIES: usize = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: usize = std::env::args().nth(1).map_or(Ok(100_000), |a| a.parse())?;
    let real = std::env::var("BENCH_REAL").is_ok();
    let dir = std::env::temp_dir().join(format!("mm-scan-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = run(rows, real, &dir).await;
    std::fs::remove_dir_all(&dir).ok();
    result
}

async fn run(rows: usize, real: bool, dir: &std::path::Path) -> anyhow::Result<()> {
    let model_dir = std::env::var_os("MEMORY_EMBEDDING_MODEL_DIR").map(std::path::PathBuf::from);
    let model = local::LocalProvider::load(&local::files::model_dir(model_dir.as_deref()))?;
    let (texts, questions) = corpus("../shared/data/locomo/locomo-dev.json")?;
    let started = Instant::now();
    let (vectors, queries) = if real {
        real_vectors(&model, rows, &texts, &questions).await?
    } else {
        let vectors = (0..rows).map(|i| unit(i as u64)).collect();
        let queries = (0..SEARCHES).map(|s| unit(1_000_000 + s as u64)).collect();
        (vectors, queries)
    };
    println!(
        "{rows} {} {DIMS}-d vectors made in {:.1} s",
        if real { "LoCoMo turn" } else { "random" },
        started.elapsed().as_secs_f64()
    );
    let db = store::connect(&DatabaseSettings {
        url: Redacted::new(format!("sqlite://{}/scan.db?mode=rwc", dir.display())),
        max_connections: 2,
        min_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(10),
        hnsw_ef_search: 400,
        read_urls: Vec::new(),
        read_after_write: std::time::Duration::ZERO,
    })
    .await?;
    store::migrate(&db).await?;
    let now = Utc::now();
    let sql =
        |s: &str, values: Vec<Value>| Statement::from_sql_and_values(DbBackend::Sqlite, s, values);
    db.execute_raw(sql(
        "INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('t', 't', $1, $1)",
        vec![now.into()],
    ))
    .await?;
    db.execute_raw(sql(
        "INSERT INTO conversations (tenant_id, id, created_at, updated_at) VALUES ('t', 'c', $1, $1)",
        vec![now.into()],
    ))
    .await?;
    let started = Instant::now();
    let mut ids = Vec::with_capacity(rows);
    for chunk in (0..rows).collect::<Vec<_>>().chunks(5000) {
        let txn = db.begin().await?;
        for &i in chunk {
            let id = Uuid::new_v4();
            ids.push(id);
            let blob: Vec<u8> = vectors[i].iter().flat_map(|x| x.to_le_bytes()).collect();
            txn.execute_raw(sql(
                "INSERT INTO messages (id, tenant_id, conversation_id, role, content, \
                 importance_score, embedding, embedding_status, created_at, updated_at) \
                 VALUES ($1, 't', 'c', 'user', $2, 0.5, $3, 'completed', $4, $4)",
                vec![
                    id.into(),
                    format!("message {i}").into(),
                    blob.into(),
                    now.into(),
                ],
            ))
            .await?;
        }
        txn.commit().await?;
    }
    println!("stored in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let index = SearchIndex::load(&db, DIMS, usize::MAX).await?;
    println!("index loaded in {:.1} s", started.elapsed().as_secs_f64());

    let half: Vec<Uuid> = ids.iter().step_by(2).copied().collect();
    for (what, allowed) in [
        ("all rows", None),
        ("half the rows (filtered)", Some(&half[..])),
    ] {
        let mut latencies = Vec::with_capacity(SEARCHES);
        for query in &queries {
            let t = Instant::now();
            let hits = index.search("t", query, allowed, 100);
            latencies.push(t.elapsed());
            anyhow::ensure!(hits.len() == 100, "the scan found {} rows", hits.len());
        }
        report(
            &format!("vector retriever, top 100 of {what}"),
            &mut latencies,
        );
    }

    // Recall against an exact f32 scan of every vector: the share of the true best k found.
    for k in [10, 100] {
        let mut found = 0;
        for q in queries.iter().take(RECALL_QUERIES) {
            let mut exact: Vec<(f32, usize)> = vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (v.iter().zip(q).map(|(a, b)| a * b).sum(), i))
                .collect();
            exact.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
            let truth: std::collections::HashSet<Uuid> =
                exact[..k].iter().map(|(_, i)| ids[*i]).collect();
            // A top-10 search asks the retriever for 100, as the product does.
            let hits = index.search("t", q, None, 100);
            found += hits[..k]
                .iter()
                .filter(|(id, _)| truth.contains(id))
                .count();
        }
        println!(
            "recall@{k} against an exact scan: {:.3} ({RECALL_QUERIES} queries)",
            found as f64 / (k * RECALL_QUERIES) as f64
        );
    }

    // Does a scan slow the next query's embedding (the scan streams the bits through the
    // cache the model's weights sit in)? Query embeddings alone, then each after a scan.
    for after_scan in [false, true] {
        let mut latencies = Vec::with_capacity(SEARCHES);
        for (s, q) in questions.iter().take(SEARCHES).enumerate() {
            if after_scan {
                index.search("t", &unit(2_000_000 + s as u64), None, 100);
            }
            let t = Instant::now();
            model.embed_query(q.clone()).await?;
            latencies.push(t.elapsed());
        }
        let what = if after_scan {
            "right after a scan"
        } else {
            "alone"
        };
        report(&format!("query embedding, {what}"), &mut latencies);
    }
    Ok(())
}

/// The model's embeddings of `rows` LoCoMo turns (cycled and numbered as the load bench stores
/// them) and of its first questions. Kept in the temporary directory after the first run, since
/// making them takes minutes: `mm-scan-real-{rows}.f32`.
async fn real_vectors(
    model: &local::LocalProvider,
    rows: usize,
    texts: &[String],
    questions: &[String],
) -> anyhow::Result<(Vec<Vec<f32>>, Vec<Vec<f32>>)> {
    let path = std::env::temp_dir().join(format!("mm-scan-real-{rows}.f32"));
    if let Ok(bytes) = std::fs::read(&path) {
        let floats: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        let mut all: Vec<Vec<f32>> = floats.chunks_exact(DIMS).map(<[f32]>::to_vec).collect();
        if all.len() == rows + SEARCHES {
            let queries = all.split_off(rows);
            return Ok((all, queries));
        }
    }
    let mut vectors = Vec::with_capacity(rows + SEARCHES);
    for chunk in (0..rows).collect::<Vec<_>>().chunks(500) {
        let batch = chunk
            .iter()
            .map(|i| format!("{} ({i})", texts[i % texts.len()]))
            .collect();
        vectors.extend(model.embed(batch).await?);
    }
    vectors.extend(model.embed(questions[..SEARCHES].to_vec()).await?);
    let bytes: Vec<u8> = vectors
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    std::fs::write(&path, bytes)?;
    let queries = vectors.split_off(rows);
    Ok((vectors, queries))
}

/// A deterministic pseudo-random unit vector.
fn unit(seed: u64) -> Vec<f32> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut v: Vec<f32> = (0..DIMS)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        })
        .collect();
    let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt();
    v.iter_mut().for_each(|a| *a /= norm);
    v
}
