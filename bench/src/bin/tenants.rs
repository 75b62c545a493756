//! Many tenants on PostgreSQL: the in-process text index reads a tenant's words on its first
//! search and holds at most `MEMORY_TEXT_INDEX_MAX_MB`, so an instance's start-up and memory do
//! not grow with the corpus. Bulk-loads `messages` LoCoMo turns (default 10⁶) spread over
//! `tenants` tenants (default 1000) straight into the database — without vectors (the text index
//! never reads them, and neither HNSW building nor embedding is what is measured here) — then
//! starts the built binary on it and prints: start-up time and RSS, the first (cold) and warm
//! lexical search of a few tenants, and RSS and the index's own figures
//! (`memory_mesh_text_index_*`) after one search of every tenant under a cap of `cap_mb`.
//!
//! Run with: `BENCH_DATABASE_URL=postgres://…/db cargo run --release -p bench --bin tenants --
//! [messages] [tenants] [cap_mb] [locomo-dev.json]` after `scripts/build.sh`; the database must
//! be empty, with `vector` available, or one this bench loaded before (reused as it is).

use std::time::{Duration, Instant};

use anyhow::Context;
use bench::{percentile_ms, Instance};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement, Value};

const USER: &str = "tenants_bench";
const CHUNK: usize = 50_000;

fn arg(i: usize, default: usize) -> anyhow::Result<usize> {
    std::env::args()
        .nth(i)
        .map_or(Ok(default), |a| a.parse().context("a number"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("BENCH_DATABASE_URL").context("set BENCH_DATABASE_URL")?;
    let (messages, tenants, cap_mb) = (arg(1, 1_000_000)?, arg(2, 1000)?, arg(3, 256)?);
    let corpus = std::env::args()
        .nth(4)
        .unwrap_or_else(|| "../shared/data/locomo/locomo-dev.json".into());
    let (texts, questions) = bench::corpus(&corpus)?;
    let binary = bench::built_binary()?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let settings = |cap: usize| {
        vec![
            ("MEMORY_DATABASE_URL".to_owned(), url.clone()),
            ("MEMORY_TEXT_INDEX_MAX_MB".to_owned(), cap.to_string()),
        ]
    };

    // The schema and the one user, through the product; the rest in bulk (once: a database
    // loaded before is reused, to measure other caps on it).
    let client = reqwest::Client::new();
    let db = Database::connect(&url).await?;
    let loaded = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT 1 FROM tenants WHERE id = 'bt0'",
        ))
        .await
        .is_ok_and(|row| row.is_some());
    if loaded {
        println!("reusing the messages loaded before");
    } else {
        {
            let first = Instance::start(&binary, &settings(cap_mb))?;
            bench::register(&client, &first.url, USER).await?;
        }
        let started = Instant::now();
        bulk_load(&db, &texts, messages, tenants).await?;
        println!(
            "{messages} messages over {tenants} tenants loaded in {:.0} s (no vectors)",
            started.elapsed().as_secs_f64()
        );
    }

    let started = Instant::now();
    let instance = Instance::start(&binary, &settings(cap_mb))?;
    let pid = instance.child.id();
    println!(
        "start-up on {messages} messages: {:.2} s, RSS {:.0} MB",
        started.elapsed().as_secs_f64(),
        bench::rss_mb(pid)?
    );
    let token = bench::login(&client, &instance.url, USER).await?;
    let search = |tenant: usize, query: &str| {
        let address = reqwest::Url::parse_with_params(
            &format!("{}/v1/memory/search", instance.url),
            [
                ("tenant_id", format!("bt{tenant}").as_str()),
                ("query", query),
                ("mode", "lexical"),
            ],
        );
        let client = &client;
        let token = &token;
        async move {
            let t = Instant::now();
            let r = client.get(address?).bearer_auth(token).send().await?;
            anyhow::ensure!(r.status().is_success(), "search: {}", r.text().await?);
            Ok::<_, anyhow::Error>(t.elapsed())
        }
    };
    let per_tenant = messages / tenants;
    for tenant in [1, 2, 3] {
        let cold = search(tenant, &questions[tenant]).await?;
        let mut warm = Vec::new();
        for q in questions.iter().skip(10).take(50) {
            warm.push(search(tenant, q).await?);
        }
        warm.sort();
        println!(
            "tenant of {per_tenant} messages: first search {:.1} ms, then p50 {:.1} ms, p99 {:.1} ms",
            ms(cold),
            percentile_ms(&warm, 50.0),
            percentile_ms(&warm, 99.0)
        );
    }
    println!(
        "RSS after 3 tenants searched: {:.0} MB",
        bench::rss_mb(pid)?
    );

    // Every tenant, twice over: under the cap the second pass reads them all again, so memory
    // shows whether it stays put while tenants come and go.
    let gauge = |metrics: &str, name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("memory_mesh_{name} ")))
            .unwrap_or("?")
            .to_owned()
    };
    for pass in 1..=2 {
        let started = Instant::now();
        let mut firsts = Vec::new();
        for tenant in 0..tenants {
            firsts.push(search(tenant, &questions[tenant % questions.len()]).await?);
        }
        firsts.sort();
        let metrics = client
            .get(format!("{}/metrics", instance.url))
            .send()
            .await?
            .text()
            .await?;
        println!(
            "pass {pass} over every tenant: {:.0} s (searches p50 {:.1} ms, p99 {:.1} ms); \
             RSS {:.0} MB; the index holds {} tenants, {:.0} MB estimated (cap {cap_mb} MiB)",
            started.elapsed().as_secs_f64(),
            percentile_ms(&firsts, 50.0),
            percentile_ms(&firsts, 99.0),
            bench::rss_mb(pid)?,
            gauge(&metrics, "text_index_tenants"),
            gauge(&metrics, "text_index_bytes")
                .parse::<f64>()
                .unwrap_or(0.0)
                / 1e6,
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Tenants `bt0`… with the bench user as their admin, one conversation each, and `messages`
/// LoCoMo turns spread evenly over them.
async fn bulk_load(
    db: &DatabaseConnection,
    texts: &[String],
    messages: usize,
    tenants: usize,
) -> anyhow::Result<()> {
    let exec = |sql: String, values: Vec<Value>| async move {
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await
    };
    let t = tenants as i64;
    exec(
        "INSERT INTO tenants (id, name, created_at, updated_at) \
         SELECT 'bt' || g, 'bench tenant ' || g, now(), now() FROM generate_series(0, $1 - 1) g"
            .into(),
        vec![t.into()],
    )
    .await?;
    exec(
        "INSERT INTO memberships (tenant_id, user_id, role, created_at, updated_at) \
         SELECT 'bt' || g, u.id, 'admin', now(), now() FROM generate_series(0, $1 - 1) g, \
         users u WHERE u.username = $2"
            .into(),
        vec![t.into(), USER.into()],
    )
    .await?;
    exec(
        "INSERT INTO conversations (tenant_id, id, created_at, updated_at) \
         SELECT 'bt' || g, 'c', now(), now() FROM generate_series(0, $1 - 1) g"
            .into(),
        vec![t.into()],
    )
    .await?;
    let texts = Value::Array(
        sea_orm::sea_query::ArrayType::String,
        Some(Box::new(
            texts
                .iter()
                .map(|s| Value::String(Some(s.clone())))
                .collect(),
        )),
    );
    for from in (0..messages).step_by(CHUNK) {
        let to = (from + CHUNK).min(messages) as i64;
        exec(
            "INSERT INTO messages (id, tenant_id, conversation_id, role, content, \
             importance_score, created_at, updated_at) \
             SELECT gen_random_uuid(), 'bt' || (g % $3), 'c', 'user', \
             ($4::text[])[1 + g % cardinality($4::text[])], 0.5, now(), now() \
             FROM generate_series($1, $2 - 1) g"
                .into(),
            vec![(from as i64).into(), to.into(), t.into(), texts.clone()],
        )
        .await?;
    }
    // Statistics for the planner after a bulk load (autovacuum may be off).
    exec("ANALYZE".into(), vec![]).await?;
    Ok(())
}
