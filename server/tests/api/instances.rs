//! Several `memory-mesh serve` processes on one PostgreSQL database behave as one service: the
//! job queue embeds each message once whichever instance took it, and a killed instance's
//! claimed jobs are taken over by another once their lease ends.

use serde_json::{json, Value};

use crate::helpers::provider::{start_fake, Behaviour, Fake};
use crate::helpers::*;

/// A fake OpenAI-protocol provider and a new PostgreSQL database, and the environment of an
/// instance on that database embedding through that provider (async writes, a 2 s lease).
async fn shared_setup() -> (Fake, Vec<(&'static str, String)>) {
    let (provider, fake) = start_fake().await;
    let database = pg_url(&create_pg_database().await);
    let envs = vec![
        ("MEMORY_DATABASE_URL", database),
        ("MEMORY_EMBEDDING_PROVIDER", "openai".to_owned()),
        ("MEMORY_EMBEDDING_BASE_URL", format!("{provider}/v1")),
        ("MEMORY_EMBEDDING_MODEL", "test-model".to_owned()),
        ("MEMORY_EMBEDDING_API_KEY", "sk-test-secret".to_owned()),
        ("MEMORY_EMBEDDING_MODE", "async".to_owned()),
        ("MEMORY_JOB_WORKERS", "2".to_owned()),
        ("MEMORY_JOB_LEASE_SECONDS", "2".to_owned()),
        ("MEMORY_GLOBAL_RATE_LIMIT", "100000/minute".to_owned()),
        ("MEMORY_TENANT_RATE_LIMIT", "100000/minute".to_owned()),
    ];
    (fake, envs)
}

fn start(dir: &TempDir, envs: &[(&'static str, String)]) -> Logged {
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    start_logged(&dir.path, &envs)
}

/// Writes `count` messages in batches of 10 (async: answered 202), alternating over `urls`;
/// returns their texts.
async fn write_batches(
    client: &reqwest::Client,
    urls: &[&str],
    token: &str,
    count: usize,
) -> Vec<String> {
    let texts: Vec<String> = (0..count).map(|i| format!("memory number {i}")).collect();
    for (n, chunk) in texts.chunks(10).enumerate() {
        let items: Vec<Value> = chunk
            .iter()
            .map(|t| json!({"conversation_id": "c", "role": "user", "content": t}))
            .collect();
        let r = client
            .post(format!("{}/v1/messages/batch", urls[n % urls.len()]))
            .bearer_auth(token)
            .json(&json!({"messages": items}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    }
    texts
}

/// Waits (at most 60 s) until the tenant has `count` embedded messages and none pending.
async fn until_embedded(client: &reqwest::Client, url: &str, token: &str, count: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let stats = get_remote(client, url, "/v1/analytics/embedding-stats", token).await;
        if stats["completed"] == count && stats["pending"] == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not embedded: {stats}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// How many times the fake provider was asked to embed each text.
fn embedded_texts(fake: &Fake) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for (_, body) in fake.seen.lock().unwrap().iter() {
        for text in body["input"].as_array().unwrap() {
            *counts.entry(text.as_str().unwrap().to_owned()).or_insert(0) += 1;
        }
    }
    counts
}

#[tokio::test]
async fn two_processes_embed_every_async_message_exactly_once() {
    let (fake, envs) = shared_setup().await;
    let (dir_a, dir_b) = (TempDir::new(), TempDir::new());
    let (a, b) = (start(&dir_a, &envs), start(&dir_b, &envs));
    let client = http_client();
    let (_, token) = register_remote(&client, &a.url, "ada").await;
    let texts = write_batches(&client, &[&a.url, &b.url], &token, 300).await;
    until_embedded(&client, &b.url, &token, 300).await;
    let counts = embedded_texts(&fake);
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "embedded more than once: {twice:?}");
    assert_eq!(
        counts.keys().cloned().collect::<Vec<_>>().len(),
        texts.len()
    );
    for text in &texts {
        assert_eq!(counts.get(text), Some(&1), "{text}");
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_killed_instances_claimed_jobs_are_embedded_by_another() {
    let (fake, envs) = shared_setup().await;
    let (dir_a, dir_b) = (TempDir::new(), TempDir::new());
    // The provider holds its answer: the first instance's worker claims the jobs and waits.
    *fake.behaviour.lock().unwrap() = Behaviour::Hold;
    let mut a = start(&dir_a, &envs);
    let client = http_client();
    let (_, token) = register_remote(&client, &a.url, "ada").await;
    let texts = write_batches(&client, &[&a.url], &token, 20).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while fake.seen.lock().unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never asked the provider"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Killed mid-batch: its claim is never released, only its lease ends.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    *fake.behaviour.lock().unwrap() = Behaviour::Ok;
    let b = start(&dir_b, &envs);
    until_embedded(&client, &b.url, &token, texts.len() as u64).await;
    let counts = embedded_texts(&fake);
    for text in &texts {
        assert!(counts.get(text).is_some_and(|n| *n >= 1), "{text}");
    }
    b.stop().await;
}
