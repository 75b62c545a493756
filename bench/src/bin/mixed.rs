//! Mixed traffic against the built binary, as separate processes: 70 % searches (hybrid,
//! top 10, queries drawn from a fixed set of 1,000 LoCoMo questions), 20 % async writes (half
//! single messages, half batches of 2 to 10), 10 % reads (a page of a conversation), from N
//! clients at once, beside 50 WebSocket subscribers of the tenant, on 10⁴ stored messages, with
//! the fake embedder (set `MEMORY_EMBEDDING_PROVIDER=local` for the model).
//!
//! Run with: `cargo run --release -p bench --bin mixed -- [seconds] [clients,…]` after
//! `scripts/build.sh` (defaults: 60 s at each of 8,32,64,128 clients). The embedded default
//! (SQLite, one instance) unless `BENCH_DATABASE_URL=postgres://…/db` (an empty database with
//! `vector`) and `BENCH_REDIS_URL=redis://…`: then two instances on them, clients alternating.
//! Prints per level: requests/s, p50/p95/p99 per operation, 5xx, other errors and 429s (apart),
//! events delivered to subscribers, and per server process its CPU and its RSS (first sample,
//! lowest, highest, last). The servers' warnings and errors go to stderr.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use bench::{percentile_ms, Instance};
use futures_util::StreamExt;
use serde_json::{json, Value};

const MESSAGES: usize = 10_000;
const CONVERSATIONS: usize = 50;
const SUBSCRIBERS: usize = 50;

/// CPU seconds (user + system) a process has used, from /proc (Linux; 100 ticks a second).
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    let fields: Vec<&str> = stat[stat.rfind(')').context("stat")? + 2..]
        .split(' ')
        .collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(ticks as f64 / 100.0)
}

/// What the clients saw: latencies per operation and answers by kind.
#[derive(Default)]
struct Tally {
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    ok: u64,
    limited: u64,
    server_errors: u64,
    other_errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (op, mut l) in other.latencies {
            self.latencies.entry(op).or_default().append(&mut l);
        }
        self.ok += other.ok;
        self.limited += other.limited;
        self.server_errors += other.server_errors;
        self.other_errors += other.other_errors;
        self.first_error = self.first_error.take().or(other.first_error);
    }
}

/// xorshift64: a reproducible operation mix per client, with no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

struct Load {
    client: reqwest::Client,
    urls: Vec<String>,
    token: String,
    queries: Vec<String>,
    texts: Vec<String>,
}

/// One client: operations one after another until `until`.
async fn client(load: Arc<Load>, id: usize, until: Instant) -> Tally {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut tally = Tally::default();
    let mut n = 0usize;
    while Instant::now() < until {
        n += 1;
        let base = &load.urls[(id + n) % load.urls.len()];
        let text = |rng: &mut Rng| load.texts[rng.below(load.texts.len())].clone();
        let conversation = |rng: &mut Rng| format!("c{}", rng.below(CONVERSATIONS));
        let roll = rng.below(100);
        let (op, request) = if roll < 70 {
            let query = &load.queries[rng.below(load.queries.len())];
            let body = json!({"query": query, "top_k": 10});
            (
                "search",
                load.client
                    .post(format!("{base}/v1/memory/search"))
                    .json(&body),
            )
        } else if roll < 80 {
            let body = json!({"conversation_id": conversation(&mut rng), "role": "user",
                "content": text(&mut rng)});
            (
                "write",
                load.client
                    .post(format!("{base}/v1/messages?async=true"))
                    .json(&body),
            )
        } else if roll < 90 {
            let size = 2 + rng.below(9);
            let messages: Vec<Value> = (0..size)
                .map(|_| {
                    json!({"conversation_id": conversation(&mut rng), "role": "assistant",
                    "content": text(&mut rng)})
                })
                .collect();
            let body = json!({ "messages": messages });
            let url = format!("{base}/v1/messages/batch?async=true");
            ("write batch", load.client.post(url).json(&body))
        } else {
            let path = format!(
                "/v1/conversations/{}/messages?page_size=20&order=desc",
                conversation(&mut rng)
            );
            ("read", load.client.get(format!("{base}{path}")))
        };
        let started = Instant::now();
        match request.bearer_auth(&load.token).send().await {
            Ok(r) => {
                let status = r.status();
                let body = r.bytes().await;
                let took = started.elapsed();
                match status.as_u16() {
                    200..=299 if body.is_ok() => {
                        tally.ok += 1;
                        tally.latencies.entry(op).or_default().push(took);
                    }
                    429 => tally.limited += 1,
                    500..=599 => {
                        tally.server_errors += 1;
                        tally.first_error.get_or_insert(format!("{op}: {status}"));
                    }
                    _ => {
                        tally.other_errors += 1;
                        tally.first_error.get_or_insert(format!("{op}: {status}"));
                    }
                }
            }
            Err(e) => {
                tally.other_errors += 1;
                tally.first_error.get_or_insert(format!("{op}: {e}"));
            }
        }
    }
    tally
}

/// Opens a subscriber of `tenant` at `base`; counts the events it receives.
async fn subscribe(
    base: &str,
    tenant: &str,
    token: &str,
    events: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    let url = format!(
        "{}/v1/ws/messages/{tenant}",
        base.replacen("http://", "ws://", 1)
    );
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
                if t.contains("\"type\":\"event\"") {
                    events.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let seconds: u64 = std::env::args().nth(1).map_or(Ok(60), |a| a.parse())?;
    let levels: Vec<usize> = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "8,32,64,128".into())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let (texts, questions) = bench::corpus("../shared/data/locomo/locomo-dev.json")?;
    let queries: Vec<String> = (0..1000)
        .map(|i| questions[(i * 7919) % questions.len()].clone())
        .collect();
    let binary = bench::built_binary()?;

    let mut settings = Vec::new();
    let instances = match std::env::var("BENCH_DATABASE_URL") {
        Ok(database) => {
            let redis = std::env::var("BENCH_REDIS_URL")
                .context("BENCH_REDIS_URL with BENCH_DATABASE_URL")?;
            settings.push(("MEMORY_DATABASE_URL".to_owned(), database));
            settings.push(("MEMORY_REDIS_URL".to_owned(), redis));
            let first = Instance::start(&binary, &settings)?; // applies the migrations
            vec![first, Instance::start(&binary, &settings)?]
        }
        Err(_) => vec![Instance::start(&binary, &settings)?],
    };
    let urls: Vec<String> = instances.iter().map(|i| i.url.clone()).collect();
    println!(
        "{} on {}, fake embedder unless MEMORY_EMBEDDING_PROVIDER says otherwise; {MESSAGES} messages, {SUBSCRIBERS} subscribers, {seconds} s per level",
        if urls.len() == 2 { "two instances" } else { "one instance" },
        if urls.len() == 2 { "PostgreSQL + Redis" } else { "SQLite (embedded default)" },
    );

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let (tenant, token) = register(&client, &urls[0]).await?;
    for (b, chunk) in (0..MESSAGES).collect::<Vec<_>>().chunks(500).enumerate() {
        let messages: Vec<Value> = chunk
            .iter()
            .map(|i| {
                json!({"conversation_id": format!("c{}", i % CONVERSATIONS), "role": "user",
                "content": format!("{} ({i})", texts[i % texts.len()])})
            })
            .collect();
        let r = client
            .post(format!("{}/v1/messages/batch", urls[b % urls.len()]))
            .bearer_auth(&token)
            .json(&json!({ "messages": messages }))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "storing: {}", r.status());
    }
    if let Ok(database) = std::env::var("BENCH_DATABASE_URL") {
        // Plans from statistics of an empty table would scan the tenant instead of using HNSW.
        println!("{}", bench::ensure_analyzed(&database).await?);
    }
    let events = Arc::new(AtomicU64::new(0));
    for s in 0..SUBSCRIBERS {
        subscribe(&urls[s % urls.len()], &tenant, &token, events.clone()).await?;
    }

    let load = Arc::new(Load {
        client,
        urls,
        token,
        queries,
        texts,
    });
    for clients in levels {
        run_level(
            &load,
            &instances,
            clients,
            Duration::from_secs(seconds),
            &events,
        )
        .await?;
    }
    Ok(())
}

async fn register(client: &reqwest::Client, url: &str) -> anyhow::Result<(String, String)> {
    let user = format!("mixed_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let tenant = bench::register(client, url, &user).await?;
    Ok((tenant, bench::login(client, url, &user).await?))
}

/// One level: `clients` clients for `length`, sampling each server's RSS every second.
async fn run_level(
    load: &Arc<Load>,
    instances: &[Instance],
    clients: usize,
    length: Duration,
    events: &AtomicU64,
) -> anyhow::Result<()> {
    let pids: Vec<u32> = instances.iter().map(|i| i.child.id()).collect();
    let cpu_before: Vec<f64> = pids
        .iter()
        .map(|&p| cpu_seconds(p))
        .collect::<Result<_, _>>()?;
    let events_before = events.load(Ordering::Relaxed);
    let started = Instant::now();
    let until = started + length;
    let tasks: Vec<_> = (0..clients)
        .map(|id| tokio::spawn(client(load.clone(), id, until)))
        .collect();
    let mut rss: Vec<Vec<f64>> = vec![Vec::new(); pids.len()];
    while Instant::now() < until {
        for (samples, &pid) in rss.iter_mut().zip(&pids) {
            samples.push(bench::rss_mb(pid)?);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut tally = Tally::default();
    for t in tasks {
        tally.merge(t.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let answered = tally.ok + tally.limited + tally.server_errors + tally.other_errors;
    println!(
        "\n{clients} clients: {:.0} requests/s; 5xx {}, other errors {}, 429 {}{}; {:.0} events/s to subscribers",
        answered as f64 / elapsed,
        tally.server_errors,
        tally.other_errors,
        tally.limited,
        tally.first_error.map(|e| format!(" (first: {e})")).unwrap_or_default(),
        (events.load(Ordering::Relaxed) - events_before) as f64 / elapsed,
    );
    for (op, latencies) in &mut tally.latencies {
        latencies.sort();
        println!(
            "  {op:<11} {:>6} ok  p50 {:>6.1} ms  p95 {:>6.1} ms  p99 {:>6.1} ms",
            latencies.len(),
            percentile_ms(latencies, 50.0),
            percentile_ms(latencies, 95.0),
            percentile_ms(latencies, 99.0),
        );
    }
    for (i, (&pid, samples)) in pids.iter().zip(&rss).enumerate() {
        let cpu = (cpu_seconds(pid)? - cpu_before[i]) / elapsed * 100.0;
        let (low, high) = samples
            .iter()
            .fold((f64::MAX, 0f64), |(l, h), &s| (l.min(s), h.max(s)));
        println!(
            "  instance {}: CPU {cpu:.0} % (of one core), RSS {:.0} MB first, {low:.0}–{high:.0} MB, {:.0} MB last",
            i + 1,
            samples.first().copied().unwrap_or_default(),
            samples.last().copied().unwrap_or_default(),
        );
    }
    Ok(())
}
