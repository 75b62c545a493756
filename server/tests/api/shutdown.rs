//! SIGTERM: the binary stops accepting, closes WebSockets with 1001, and hands a batch that
//! outlasts `MEMORY_SHUTDOWN_TIMEOUT_SECONDS` back to the queue instead of losing it.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::{extract::State, routing::post, Json, Router};
use serde_json::{json, Value};

use crate::feed::connect;
use crate::helpers::*;

/// An OpenAI-style embedding server that holds its answer while `slow` is set.
#[derive(Clone, Default)]
struct Provider {
    slow: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

async fn embeddings(State(p): State<Provider>, Json(body): Json<Value>) -> Json<Value> {
    p.calls.fetch_add(1, Ordering::SeqCst);
    if p.slow.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(120)).await;
    }
    let data: Vec<Value> = body["input"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let mut v = vec![0.0f32; 384];
            v[i % 384] = 1.0;
            json!({"object": "embedding", "index": i, "embedding": v})
        })
        .collect();
    Json(json!({"object": "list", "data": data, "model": body["model"]}))
}

async fn start_provider() -> (String, Provider) {
    let provider = Provider::default();
    let app = Router::new()
        .route("/v1/embeddings", post(embeddings))
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, provider)
}

fn start(dir: &std::path::Path, provider: &str) -> (std::process::Child, String) {
    start_binary(
        dir,
        &[
            ("MEMORY_EMBEDDING_PROVIDER", "openai"),
            ("MEMORY_EMBEDDING_BASE_URL", provider),
            ("MEMORY_EMBEDDING_MODEL", "test-model"),
            ("MEMORY_EMBEDDING_API_KEY", "sk-test-secret"),
            ("MEMORY_EMBEDDING_MODE", "async"),
            ("MEMORY_JOB_WORKERS", "1"),
            ("MEMORY_SHUTDOWN_TIMEOUT_SECONDS", "2"),
        ],
    )
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_requeues_a_batch_that_outlasts_the_grace() {
    let dir = TempDir::new();
    let (provider_url, provider) = start_provider().await;
    let (server, url) = start(&dir.path, &provider_url);
    let client = http_client();
    let (tenant, token) = register_remote(&client, &url, "alice").await;
    let mut feed = connect(&url, &tenant, &token).await;
    feed.sync().await;

    provider.slow.store(true, Ordering::SeqCst);
    let r = client
        .post(format!("{url}/v1/messages"))
        .bearer_auth(&token)
        .json(&json!({"conversation_id": "c", "role": "user", "content": "held by the provider"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(10);
    while provider.calls.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the worker took the job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let signalled = Instant::now();
    let stopped = tokio::spawn(sigterm(server));
    assert_eq!(feed.close_code().await, 1001, "sockets close as going away");
    let status = stopped.await.unwrap();
    let took = signalled.elapsed();
    assert!(status.success(), "a clean exit: {status:?}");
    assert!(
        took < Duration::from_secs(10),
        "the grace bounds the stop ({took:?}), not the provider's 120 s"
    );

    // The job went back to the queue at once: the next instance embeds it well before the
    // interrupted lease (60 s) would have expired.
    provider.slow.store(false, Ordering::SeqCst);
    let (mut server, url) = start(&dir.path, &provider_url);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let message: Value = client
            .get(format!("{url}/v1/conversations/c/messages"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if message["messages"][0]["embedding_status"] == "completed" {
            break;
        }
        assert!(Instant::now() < deadline, "not re-embedded: {message}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
