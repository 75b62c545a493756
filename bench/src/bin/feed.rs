//! The live feed's speed: how long an event takes from the REST acknowledgement of its write to
//! a subscriber, on the writer's instance and (PostgreSQL) on another one, and how fast one
//! tenant's events fan out to many subscribers.
//!
//! Run with: `cargo run --release -p bench --bin feed -- [writes] [subscribers]` (defaults 500
//! and 200). Writes are async acknowledgements (`POST /v1/messages?async=true`, no embedding
//! worker), one after another; latency is the time from a write's 202 to its
//! `message.created` arriving (0 when the event came first). Then `writes` messages in batches
//! of 100 fan out to `subscribers` connections. SQLite by default; with
//! `BENCH_DATABASE_URL=postgres://…` a second instance on the same database subscribes too.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use bench::report;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::{connect_async, tungstenite::Message};

const SETTINGS: [(&str, &str); 3] = [
    ("MEMORY_JOB_WORKERS", "0"),
    ("MEMORY_EMBEDDING_MODE", "async"),
    ("MEMORY_WS_MAX_CONNECTIONS_PER_TENANT", "100000"),
];

/// Subscribes to `tenant` at `base`; every `message.created` is sent on as (content, when).
async fn subscribe(
    base: &str,
    tenant: &str,
    token: &str,
    seen: mpsc::UnboundedSender<(String, Instant)>,
) -> anyhow::Result<()> {
    let url = format!(
        "{}/v1/ws/messages/{tenant}?token={token}",
        base.replacen("http://", "ws://", 1)
    );
    let (mut ws, _) = connect_async(url).await?;
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            let Message::Text(text) = msg else { continue };
            let at = Instant::now();
            let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if frame["event"] == "message.created" {
                let content = frame["data"]["content"].as_str().unwrap_or_default();
                if seen.send((content.to_owned(), at)).is_err() {
                    return;
                }
            }
        }
    });
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let writes: usize = std::env::args().nth(1).map_or(Ok(500), |a| a.parse())?;
    let subscribers: usize = std::env::args().nth(2).map_or(Ok(200), |a| a.parse())?;
    let bench = bench::start(&SETTINGS).await?;
    let me = bench.get("/v1/auth/me").await?;
    let tenant = me["tenants"][0]["tenant_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let other = if std::env::var("BENCH_DATABASE_URL").is_ok() {
        Some(bench::start_instance(&SETTINGS).await?)
    } else {
        None
    };

    // Latency, one write at a time.
    let mut targets = vec![("same instance", bench.url.clone())];
    if let Some((url, _)) = &other {
        targets.push(("another instance", url.clone()));
    }
    for (name, base) in targets {
        let (tx, mut rx) = mpsc::unbounded_channel();
        subscribe(&base, &tenant, &bench.token, tx).await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut latencies = Vec::with_capacity(writes);
        for i in 0..writes {
            let content = format!("latency {name} {i}");
            let body = json!({"conversation_id": "feed", "role": "user", "content": content});
            bench.post("/v1/messages?async=true", &body).await?;
            let acked = Instant::now();
            loop {
                let (seen, at) = rx
                    .recv()
                    .await
                    .ok_or_else(|| anyhow::anyhow!("feed closed"))?;
                if seen == content {
                    latencies.push(at.saturating_duration_since(acked));
                    break;
                }
            }
        }
        report(
            &format!("event latency, {name}, after the 202"),
            &mut latencies,
        );
    }

    // Fan-out: every subscriber receives every event.
    let (tx, mut rx) = mpsc::unbounded_channel();
    for _ in 0..subscribers {
        subscribe(&bench.url, &tenant, &bench.token, tx.clone()).await?;
    }
    drop(tx);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut acked: HashMap<String, Instant> = HashMap::new();
    let start = Instant::now();
    let writer = {
        let (client, url, token) = (bench.client.clone(), bench.url.clone(), bench.token.clone());
        tokio::spawn(async move {
            let mut acks = Vec::new();
            for batch in 0..writes.div_ceil(100) {
                let contents: Vec<String> = (0..100.min(writes - batch * 100))
                    .map(|i| format!("fan-out {batch} {i}"))
                    .collect();
                let messages: Vec<Value> = contents
                    .iter()
                    .map(|c| json!({"conversation_id": "fan", "role": "user", "content": c}))
                    .collect();
                let r = client
                    .post(format!("{url}/v1/messages/batch"))
                    .bearer_auth(&token)
                    .json(&json!({"messages": messages}))
                    .send()
                    .await?;
                anyhow::ensure!(r.status() == 202, "batch: {}", r.status());
                let at = Instant::now();
                acks.extend(contents.into_iter().map(|c| (c, at)));
            }
            Ok::<_, anyhow::Error>(acks)
        })
    };
    let expected = writes * subscribers;
    let mut arrivals: Vec<(String, Instant)> = Vec::with_capacity(expected);
    while arrivals.len() < expected {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(seen)) => arrivals.push(seen),
            _ => anyhow::bail!("only {} of {expected} deliveries", arrivals.len()),
        }
    }
    let elapsed = start.elapsed();
    acked.extend(writer.await??);
    let mut latencies: Vec<Duration> = arrivals
        .iter()
        .filter_map(|(c, at)| acked.get(c).map(|a| at.saturating_duration_since(*a)))
        .collect();
    println!(
        "fan-out: {writes} events to {subscribers} subscribers = {expected} deliveries in {:.2} s \
         ({:.0} deliveries/s)",
        elapsed.as_secs_f64(),
        expected as f64 / elapsed.as_secs_f64()
    );
    report("fan-out latency after the batch's 202", &mut latencies);
    Ok(())
}
