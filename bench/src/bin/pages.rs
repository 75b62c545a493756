//! The dashboard's pages as a browser loads them: each page's server render time and its
//! first-load bytes, for a tenant of `messages` messages (default 10000: LoCoMo turns over 50
//! conversations, embedded inline by the local model).
//!
//! Run with: `cargo run --release -p bench --bin pages -- [messages]` after `scripts/build.sh`
//! (it reads the built assets from `target/site`), SQLite by default or PostgreSQL with
//! `BENCH_DATABASE_URL`. Prints, per page, p50/p95/p99 of 50 renders (`GET` with the bench
//! user's token, `Accept: text/html`, the whole body read) and its first-load bytes: the HTML,
//! the stylesheet, and — on pages with islands — the JavaScript loader and the WASM, each
//! gzip-compressed as served.

use serde_json::json;
use std::time::Instant;

const RENDERS: usize = 50;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().nth(1).map_or(Ok(10_000), |a| a.parse())?;
    let (texts, questions) = bench::corpus("../shared/data/locomo/locomo-dev.json")?;
    let site = std::path::Path::new("target/site/pkg");
    let asset = |name: &str| -> anyhow::Result<u64> {
        Ok(std::fs::metadata(site.join(name))
            .map_err(|e| anyhow::anyhow!("{name}: {e} (run scripts/build.sh first)"))?
            .len())
    };
    let css = gzip_len(&std::fs::read(site.join("memory-mesh.css"))?);
    let (js, wasm) = (
        asset("memory-mesh.js.gz")?,
        asset("memory-mesh_bg.wasm.gz")?,
    );
    println!(
        "assets: WASM {} B raw, {} B gzip; JS loader {} B gzip; stylesheet {} B gzip",
        asset("memory-mesh_bg.wasm")?,
        wasm,
        js,
        css
    );
    let bench = bench::start(&[
        ("MEMORY_SITE_ROOT", "target/site"),
        ("MEMORY_ADMIN_EMAILS", ROOT_EMAIL),
    ])
    .await?;
    let root = instance_admin(&bench).await?;
    let started = Instant::now();
    bench.store_turns(n, &texts, true).await?;
    println!(
        "{n} messages stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The retention page shows its newest run: a dry run that would archive half the tenant
    // (the page lists the first 100 of them).
    let keep = json!({"name": "half", "rule_type": "max_items", "action": "archive",
        "conditions": {"max_items": n / 2}});
    bench.post("/v1/retention/rules", &keep).await?;
    bench
        .post("/v1/retention/execute?dry_run=true", &json!({}))
        .await?;
    let question = questions[0].replace(' ', "+");
    let pages = [
        ("overview", "/".to_owned()),
        ("conversations", "/conversations".to_owned()),
        (
            "conversation (200 messages, 100 shown)",
            "/conversations/c7".to_owned(),
        ),
        ("search", format!("/search?q={question}")),
        (
            "search, two settings compared",
            format!("/search?q={question}&compare=true&b_mode=lexical"),
        ),
        ("live", "/live".to_owned()),
        ("members", "/members".to_owned()),
        ("tenants", "/tenants".to_owned()),
        ("API keys", "/keys".to_owned()),
        ("audit", "/audit".to_owned()),
        (
            "retention (a dry run, 100 messages listed)",
            "/retention".to_owned(),
        ),
        ("account", "/account".to_owned()),
        (
            "instance (an instance administrator)",
            "/instance".to_owned(),
        ),
        ("sign-in (signed out)", "/sign-in".to_owned()),
    ];
    println!("| page | render p50 / p95 / p99 ms | HTML B (gzip) | first load B (gzip) |");
    println!("|---|---|---|---|");
    for (name, path) in pages {
        let signed_in = !path.starts_with("/sign-in");
        let mut samples = Vec::with_capacity(RENDERS);
        let mut html = String::new();
        for _ in 0..RENDERS {
            let started = Instant::now();
            let mut request = bench
                .client
                .get(format!("{}{path}", bench.url))
                .header("accept", "text/html");
            if path == "/instance" {
                request = request.bearer_auth(&root);
            } else if signed_in {
                request = request.bearer_auth(&bench.token);
            }
            let r = request.send().await?;
            anyhow::ensure!(r.status() == 200, "{path}: {}", r.status());
            html = r.text().await?;
            samples.push(started.elapsed());
        }
        samples.sort();
        let page = gzip_len(html.as_bytes());
        let islands = html.contains("<leptos-island");
        let first_load = page + css + if islands { js + wasm } else { 0 };
        println!(
            "| {name} | {:.1} / {:.1} / {:.1} | {page} | {first_load}{} |",
            bench::percentile_ms(&samples, 50.0),
            bench::percentile_ms(&samples, 95.0),
            bench::percentile_ms(&samples, 99.0),
            if islands {
                ""
            } else {
                " (no islands: no script)"
            }
        );
    }
    Ok(())
}

/// The instance administrator's email (`MEMORY_ADMIN_EMAILS`), for `/instance`.
const ROOT_EMAIL: &str = "bench-root@example.com";

/// Registers the instance administrator; their access token.
async fn instance_admin(bench: &bench::Bench) -> anyhow::Result<String> {
    let account = serde_json::json!({
        "email": ROOT_EMAIL, "username": "bench_root", "password": "BenchPass123",
    });
    let url = |path: &str| format!("{}{path}", bench.url);
    let r = bench
        .client
        .post(url("/v1/auth/register"))
        .json(&account)
        .send()
        .await?;
    anyhow::ensure!(r.status() == 201, "register: {}", r.text().await?);
    let login = serde_json::json!({"username": "bench_root", "password": "BenchPass123"});
    let tokens: serde_json::Value = bench
        .client
        .post(url("/v1/auth/login"))
        .json(&login)
        .send()
        .await?
        .json()
        .await?;
    tokens["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no access token: {tokens}"))
}

/// Size of `bytes` gzip-compressed at level 9, as the assets are served (`gzip -9`).
fn gzip_len(bytes: &[u8]) -> u64 {
    use std::io::Write;
    let mut child = std::process::Command::new("gzip")
        .arg("-9c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip is installed");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(bytes)
        .expect("gzip reads");
    child.wait_with_output().expect("gzip runs").stdout.len() as u64
}
