//! What a number of messages costs an operator: `messages` LoCoMo turns (default 100000, 50
//! conversations, 384-number vectors from the fake embedder) stored through the API, then the
//! database's size on disk, and the built binary started on that database: its start-up time
//! (on SQLite the indexes are loaded at start-up; on PostgreSQL a tenant's words on its first search) and its resident memory idle and after a lexical
//! and a vector search. SQLite by default; `BENCH_DATABASE_URL=postgres://…/db` (an empty
//! database with `vector`) for PostgreSQL, where the table, its indexes and the HNSW index are
//! listed apart.
//!
//! Run with: `cargo run --release -p bench --bin sizing -- [messages] [locomo-dev.json]` after
//! `scripts/build.sh` (the binary: `MEMORY_MESH_BIN`, else target/release/memory-mesh).

use std::time::Instant;

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database, Statement};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (n, texts, _) = bench::messages_and_corpus(100_000)?;
    let binary = bench::built_binary()?;
    let postgres = std::env::var("BENCH_DATABASE_URL").ok();

    let fake = [("MEMORY_EMBEDDING_PROVIDER", "fake")];
    let source = bench::start(&fake).await?;
    let started = Instant::now();
    source.store_turns(n, &texts, true).await?;
    println!(
        "{n} messages stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let database = match &postgres {
        Some(url) => url.clone(),
        None => format!("sqlite://{}/memory-mesh.db", source.data_dir().display()),
    };
    let user = source.user.clone();
    drop(source);

    match &postgres {
        Some(url) => postgres_sizes(url, n).await?,
        None => sqlite_sizes(&database, n).await?,
    }

    // The binary on that database: start-up (on SQLite the indexes load every message) and
    // RSS.
    let started = Instant::now();
    let instance = bench::Instance::start(
        &binary,
        &[("MEMORY_DATABASE_URL".to_owned(), database.clone())],
    )?;
    let (child, served) = (&instance.child, &instance.url);
    let startup = started.elapsed();
    let idle = bench::rss_mb(child.id())?;
    let client = reqwest::Client::new();
    let token = bench::login(&client, served, &user).await?;
    for mode in ["lexical", "vector"] {
        let r = client
            .get(format!(
                "{served}/v1/memory/search?query=what%20did%20she%20paint&mode={mode}"
            ))
            .bearer_auth(&token)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "{mode} search: {}", r.status());
    }
    let searched = bench::rss_mb(child.id())?;
    drop(instance);
    println!(
        "binary on {n} messages: start-up {:.2} s, RSS {idle:.0} MB idle, {searched:.0} MB after a lexical and a vector search",
        startup.as_secs_f64()
    );
    Ok(())
}

async fn sqlite_sizes(database: &str, n: usize) -> anyhow::Result<()> {
    let db = Database::connect(database).await?;
    db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await?;
    db.close().await?;
    let file = database.trim_start_matches("sqlite://");
    let bytes = std::fs::metadata(file)?.len();
    println!(
        "SQLite file: {:.0} MB ({:.2} kB per message)",
        bytes as f64 / 1e6,
        bytes as f64 / n as f64 / 1e3
    );
    Ok(())
}

async fn postgres_sizes(url: &str, n: usize) -> anyhow::Result<()> {
    let db = Database::connect(url).await?;
    let size = |sql: &'static str| {
        let db = &db;
        async move {
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await?
                .context("a size")?;
            anyhow::Ok(row.try_get_by_index::<i64>(0)?)
        }
    };
    let database = size("SELECT pg_database_size(current_database())").await?;
    let table = size("SELECT pg_table_size('messages')").await?;
    let indexes = size("SELECT pg_indexes_size('messages')").await?;
    let hnsw = size(
        "SELECT COALESCE(sum(pg_relation_size(indexrelid)), 0)::bigint FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam \
         WHERE a.amname = 'hnsw'",
    )
    .await?;
    let mb = |b: i64| b as f64 / 1e6;
    let per = |b: i64| b as f64 / n as f64 / 1e3;
    println!(
        "PostgreSQL database: {:.0} MB ({:.2} kB per message); messages table {:.0} MB ({:.2} kB), its indexes {:.0} MB ({:.2} kB), of which HNSW {:.0} MB ({:.2} kB)",
        mb(database), per(database), mb(table), per(table), mb(indexes), per(indexes), mb(hnsw), per(hnsw)
    );
    db.close().await?;
    Ok(())
}
