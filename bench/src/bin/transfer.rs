//! Export and import at scale: `messages` LoCoMo turns (default 100000, 50 conversations) stored
//! on the embedded default, exported with their vectors over HTTP (`GET /v1/export?vectors=true`),
//! then imported into a new PostgreSQL database with the built binary (`memory-mesh import`,
//! vectors kept), imported there a second time (nothing new), and imported without vectors into
//! another (`--no-embed`: the write path without pgvector's index, the embeddings left to the job
//! workers). Prints each step's time and rate. The fake embedder stores the turns quickly; with
//! vectors in the file an import embeds nothing whatever the model (without them it embeds at the
//! model's own rate: `bench --bin embed`).
//!
//! Run with: `cargo run --release -p bench --bin transfer -- [messages] [locomo-dev.json]`
//! after `scripts/build.sh` (the binary: `MEMORY_MESH_BIN`, else target/release/memory-mesh);
//! PostgreSQL at `BENCH_PG_ADMIN_URL` (default postgres://postgres@127.0.0.1:5432/postgres).

use std::{io::Write, time::Instant};

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (n, texts, _) = bench::messages_and_corpus(100_000)?;
    let binary = bench::built_binary()?;
    let fake = [("MEMORY_EMBEDDING_PROVIDER", "fake")];
    let source = bench::start(&fake).await?;
    let started = Instant::now();
    source.store_turns(n, &texts, true).await?;
    println!(
        "{n} messages stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let dir = std::env::temp_dir().join(format!("mm-transfer-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("export.jsonl");
    let started = Instant::now();
    let mut response = source
        .client
        .get(format!("{}/v1/export?vectors=true", source.url))
        .bearer_auth(&source.token)
        .send()
        .await?
        .error_for_status()?;
    // Written by a thread of its own: the server runs on this runtime.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(64);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        for chunk in rx {
            out.write_all(&chunk)?;
        }
        out.flush()
    });
    while let Some(chunk) = response.chunk().await? {
        tx.send(chunk.to_vec())?;
    }
    drop(tx);
    writer.join().expect("the writer thread")?;
    rate("export over HTTP, with vectors", n, started);
    println!(
        "  file: {:.0} MB",
        std::fs::metadata(&file)?.len() as f64 / 1e6
    );

    let admin_url = std::env::var("BENCH_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin = Database::connect(&admin_url).await?;
    let (url, user, names) = target(&admin, &admin_url).await?;
    let mut databases = vec![names];
    for what in [
        "import into PostgreSQL, vectors kept",
        "the same import again (nothing new)",
    ] {
        import(&binary, &file, &url, &user, &dir, &[], what, n)?;
    }
    // The same messages without their vectors, left to the job workers (`--no-embed`): the
    // write path alone, without pgvector's index.
    let plain = dir.join("plain.jsonl");
    let (from, to) = (file.clone(), plain.clone());
    tokio::task::spawn_blocking(move || strip_vectors(&from, &to)).await??;
    let (url, user, names) = target(&admin, &admin_url).await?;
    databases.push(names);
    let what = "import into PostgreSQL without vectors, --no-embed";
    import(&binary, &plain, &url, &user, &dir, &["--no-embed"], what, n)?;
    drop(databases);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// A new PostgreSQL database with a server on it (no job workers) whose user administers the
/// imports: the database's URL, the user, and what to drop at the end.
async fn target(
    admin: &sea_orm::DatabaseConnection,
    admin_url: &str,
) -> anyhow::Result<(String, String, Target)> {
    let name = format!("mm_transfer_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    let url = format!("{base}/{name}");
    let server = bench::start(&[
        ("MEMORY_EMBEDDING_PROVIDER", "fake"),
        ("MEMORY_JOB_WORKERS", "0"),
        ("MEMORY_DATABASE_URL", &url),
    ])
    .await?;
    let me = server.get("/v1/auth/me").await?;
    let user = me["username"].as_str().context("the user")?.to_owned();
    let target = Target {
        _server: server,
        admin_url: admin_url.to_owned(),
        name,
    };
    Ok((url, user, target))
}

/// A target's server, stopped, and its database, dropped, when it is.
struct Target {
    _server: bench::Bench,
    admin_url: String,
    name: String,
}

impl Drop for Target {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::process::Command::new("psql")
            .arg(url)
            .args([
                "-qc",
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            ])
            .status();
    }
}

/// Runs `memory-mesh import` and prints its time and rate, and its summary.
#[allow(clippy::too_many_arguments)]
fn import(
    binary: &std::path::Path,
    file: &std::path::Path,
    url: &str,
    user: &str,
    dir: &std::path::Path,
    extra: &[&str],
    what: &str,
    n: usize,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let out = std::process::Command::new(binary)
        .arg("import")
        .arg(file)
        .args(["--admin", user])
        .args(extra)
        .env("MEMORY_DATABASE_URL", url)
        .env("MEMORY_DATA_DIR", dir)
        .env("MEMORY_EMBEDDING_PROVIDER", "fake")
        .output()?;
    let said = String::from_utf8_lossy(&out.stderr);
    anyhow::ensure!(out.status.success(), "import failed: {said}");
    rate(what, n, started);
    for line in said
        .lines()
        .filter(|l| l.contains("imported") || l.contains("wait"))
    {
        println!("  {line}");
    }
    Ok(())
}

/// Copies an export without its messages' vectors.
fn strip_vectors(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    use std::io::BufRead;
    let mut out = std::io::BufWriter::new(std::fs::File::create(to)?);
    for line in std::io::BufReader::new(std::fs::File::open(from)?).lines() {
        let mut record: serde_json::Value = serde_json::from_str(&line?)?;
        if let Some(fields) = record.as_object_mut() {
            fields.remove("embedding");
        }
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    Ok(out.flush()?)
}

fn rate(what: &str, n: usize, started: Instant) {
    let s = started.elapsed().as_secs_f64();
    println!("{what}: {s:.1} s, {:.0} messages/s", n as f64 / s);
}
