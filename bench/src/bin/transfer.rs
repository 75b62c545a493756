//! Export and import at scale: `messages` LoCoMo turns (default 100000, 50 conversations) stored
//! on the embedded default, exported with their vectors over HTTP (`GET /v1/export?vectors=true`),
//! then imported into a new PostgreSQL database with the built binary (`memory-mesh import`,
//! vectors kept), and imported a second time (nothing new). Prints each step's time and rate.
//! The fake embedder stores the turns quickly; with vectors in the file, the import embeds
//! nothing whatever the model (without them it embeds at the model's own rate: `bench --bin
//! embed`).
//!
//! Run with: `cargo run --release -p bench --bin transfer -- [messages] [locomo-dev.json]`
//! after `scripts/build.sh` (the binary: `MEMORY_MESH_BIN`, else target/release/memory-mesh);
//! PostgreSQL at `BENCH_PG_ADMIN_URL` (default postgres://postgres@127.0.0.1:5432/postgres).

use std::{io::Write, path::PathBuf, time::Instant};

use anyhow::Context;
use bench::corpus;
use sea_orm::{ConnectionTrait, Database};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().nth(1).map_or(Ok(100_000), |a| a.parse())?;
    let path = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "../shared/data/locomo/locomo-dev.json".into());
    let (texts, _) = corpus(&path)?;
    let binary = std::env::var("MEMORY_MESH_BIN").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/memory-mesh"),
        PathBuf::from,
    );
    anyhow::ensure!(
        binary.exists(),
        "{} is not built: run scripts/build.sh",
        binary.display()
    );
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
    let name = format!("mm_transfer_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let target_url = format!("{base}/{name}");
    // The target server registers the user who administers the imported tenant.
    let target = bench::start(&[fake[0], ("MEMORY_DATABASE_URL", &target_url)]).await?;
    let me = target.get("/v1/auth/me").await?;
    let user = me["username"]
        .as_str()
        .context("the target's user")?
        .to_owned();
    for attempt in [
        "import into PostgreSQL, vectors kept",
        "the same import again (nothing new)",
    ] {
        let started = Instant::now();
        let out = std::process::Command::new(&binary)
            .arg("import")
            .arg(&file)
            .args(["--admin", &user])
            .env("MEMORY_DATABASE_URL", &target_url)
            .env("MEMORY_DATA_DIR", &dir)
            .env("MEMORY_EMBEDDING_PROVIDER", "fake")
            .output()?;
        let said = String::from_utf8_lossy(&out.stderr);
        anyhow::ensure!(out.status.success(), "import failed: {said}");
        rate(attempt, n, started);
        if let Some(summary) = said.lines().find(|l| l.contains("imported tenant")) {
            println!("  {summary}");
        }
    }
    drop(target);
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn rate(what: &str, n: usize, started: Instant) {
    let s = started.elapsed().as_secs_f64();
    println!("{what}: {s:.1} s, {:.0} messages/s", n as f64 / s);
}
