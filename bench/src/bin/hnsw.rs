//! PostgreSQL: how many of the exact nearest neighbours pgvector's HNSW search finds, and how
//! fast, at several `hnsw.ef_search` values (`MEMORY_DATABASE_HNSW_EF_SEARCH`, default 400).
//!
//! Run after `load` has filled the database:
//! `BENCH_DATABASE_URL=postgres://…/bench_db cargo run --release -p bench --bin hnsw`.
//! Queries are 200 LoCoMo questions embedded by the local model; the tenant is the one with the
//! most embedded messages. HNSW results come from the product's own retriever
//! (`store::retrievers::Retrievers::nearest`, on a pool opened as the server opens it); exact results from a
//! full scan of the tenant's vectors. Prints recall@10 and recall@100 (the depth a top-10
//! search asks for) and the latency of each, and how long the in-process search index (words
//! only, on PostgreSQL) takes to load and how much memory it adds. Recall counts a result as
//! found when it is as near as the k-th true neighbour (ann-benchmarks' definition:
//! near-duplicate messages are interchangeable), and also, stricter, when it is the very same
//! message.

use std::{collections::HashSet, time::Instant};

use anyhow::Context;
use bench::{corpus, report};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use server::{
    config::{DatabaseSettings, Redacted},
    embed::{local, EmbeddingProvider},
    store::{self, filters, retrievers},
};
use uuid::Uuid;

const QUERIES: usize = 200;
const DEPTHS: [usize; 2] = [10, 100];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("BENCH_DATABASE_URL").context("set BENCH_DATABASE_URL")?;
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/locomo/locomo-dev.json".into());
    let (_, questions) = corpus(&path)?;
    let questions: Vec<String> = (0..QUERIES)
        .map(|i| questions[(i * 7919) % questions.len()].clone())
        .collect();
    let model_dir = std::env::var_os("MEMORY_EMBEDDING_MODEL_DIR").map(std::path::PathBuf::from);
    let model = local::LocalProvider::load(&local::files::model_dir(model_dir.as_deref()))?;
    let vectors = model.embed(questions).await?;

    let settings = |ef: u32| DatabaseSettings {
        url: Redacted::new(url.clone()),
        max_connections: 2,
        min_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(10),
        hnsw_ef_search: ef,
        read_urls: Vec::new(),
        read_after_write: std::time::Duration::ZERO,
    };
    let db = store::connect(&settings(100)).await?;
    let (tenant, size) = biggest_tenant(&db).await?;
    println!("tenant {tenant}: {size} embedded messages; {QUERIES} LoCoMo questions");
    println!(
        "plan of the product's query: {}",
        plan(&db, &tenant, &vectors[0]).await?
    );

    let mut exact = Vec::new();
    let mut latencies = Vec::new();
    for v in &vectors {
        let t = Instant::now();
        exact.push(exact_top(&db, &tenant, v, DEPTHS[1]).await?);
        latencies.push(t.elapsed());
    }
    report("exact scan top-100", &mut latencies);

    let filters = filters::Filters::default();
    // Scope needs the search index (it serves the lexical half); on PostgreSQL it holds no
    // vectors, so `nearest` is pgvector's.
    let (rss, t) = (rss_mb(), Instant::now());
    let index = std::sync::Arc::new(store::index::SearchIndex::load(&db, 384, usize::MAX).await?);
    index.ready(&db, &tenant).await?;
    println!(
        "search index (words only on PostgreSQL): the tenant's read in {:.1} s, resident memory +{:.0} MB",
        t.elapsed().as_secs_f64(),
        rss_mb() - rss
    );
    for ef in [100, 200, 400, 800] {
        let db = store::connect(&settings(ef)).await?;
        for depth in DEPTHS {
            let (mut same_ids, mut as_near) = (0usize, 0usize);
            let mut latencies = Vec::new();
            for (v, truth) in vectors.iter().zip(&exact) {
                let t = Instant::now();
                let hits = retrievers::Retrievers::new(&db, &index, &tenant, &filters)
                    .nearest(v, depth)
                    .await?;
                latencies.push(t.elapsed());
                let truth = &truth[..depth.min(truth.len())];
                let ids: HashSet<Uuid> = truth.iter().map(|(id, _)| *id).collect();
                same_ids += hits.iter().filter(|(id, _)| ids.contains(id)).count();
                // ann-benchmarks' definition: a hit is as near as the k-th true neighbour, so
                // one of several equidistant (near-duplicate) messages counts as found.
                let kth = truth.last().map_or(0.0, |(_, sim)| *sim);
                as_near += hits.iter().filter(|(_, sim)| *sim >= kth - 1e-4).count();
            }
            let total = (depth * vectors.len()) as f64;
            report(
                &format!(
                    "ef_search {ef}: recall@{depth} {:.3} (same ids {:.3}), HNSW top-{depth}",
                    as_near as f64 / total,
                    same_ids as f64 / total
                ),
                &mut latencies,
            );
        }
    }
    Ok(())
}

async fn biggest_tenant(db: &DatabaseConnection) -> anyhow::Result<(String, i64)> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT tenant_id, count(*) AS n FROM messages WHERE embedding IS NOT NULL \
             GROUP BY tenant_id ORDER BY n DESC LIMIT 1",
        ))
        .await?
        .context("no embedded messages: run the load bench first")?;
    Ok((row.try_get("", "tenant_id")?, row.try_get("", "n")?))
}

fn vector(v: &[f32]) -> Value {
    Value::Vector(Some(sea_orm::prelude::PgVector::from(v.to_vec())))
}

/// The true nearest neighbours as `(id, cosine similarity)`: every vector of the tenant
/// compared (the `OFFSET 0` fence keeps the planner from answering the `ORDER BY` from the HNSW
/// index).
async fn exact_top(
    db: &DatabaseConnection,
    tenant: &str,
    v: &[f32],
    k: usize,
) -> anyhow::Result<Vec<(Uuid, f32)>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id, 1 - d AS similarity FROM (SELECT id, embedding <=> $1 AS d FROM messages \
               WHERE tenant_id = $2 AND archived = FALSE AND embedding IS NOT NULL OFFSET 0) s \
             ORDER BY d LIMIT $3",
            [vector(v), tenant.into(), (k as i64).into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "id")?,
                r.try_get::<f64>("", "similarity")? as f32,
            ))
        })
        .collect()
}

/// The scan node PostgreSQL chooses for the retriever's query shape.
async fn plan(db: &DatabaseConnection, tenant: &str, v: &[f32]) -> anyhow::Result<String> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "EXPLAIN SELECT m.id FROM messages m \
             WHERE m.tenant_id = $1 AND m.archived = FALSE AND m.embedding IS NOT NULL \
             ORDER BY m.embedding <=> $2 LIMIT 100",
            [tenant.into(), vector(v)],
        ))
        .await?;
    let lines: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?;
    Ok(lines
        .iter()
        .find(|l| l.contains("Scan"))
        .map_or_else(|| lines.join(" / "), |l| l.trim().to_owned()))
}

/// This process's resident memory, from `/proc/self/status` (Linux), in MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
