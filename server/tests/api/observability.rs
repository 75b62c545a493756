//! What operators watch: the metrics the shipped Grafana dashboard and alert rules use.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::json;

use crate::feed::connect;
use crate::helpers::*;

/// Every `memory_mesh_…` name in a file.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("memory_mesh_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.insert(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}

/// The sample names an exposition holds (`name{labels} value` or `name value`).
fn exported(exposition: &str) -> BTreeSet<String> {
    exposition
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn every_metric_the_dashboard_and_alerts_name_is_exported_after_traffic() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dashboard = std::fs::read_to_string(format!("{root}/../deploy/grafana/memory-mesh.json"))
        .expect("the Grafana dashboard is shipped");
    serde_json::from_str::<serde_json::Value>(&dashboard).expect("the dashboard is JSON");
    let alerts = std::fs::read_to_string(format!("{root}/../deploy/prometheus/alerts.yml"))
        .expect("the alert rules are shipped");
    let named: BTreeSet<String> = metric_names(&dashboard)
        .into_iter()
        .chain(metric_names(&alerts))
        .collect();
    assert!(
        named.len() >= 20,
        "the dashboard and alerts name the metrics: {named:?}"
    );

    let app = spawn_app_with(Backend::Sqlite, Options::no_workers()).await;
    let alice = app.register_and_login("alice", None).await;
    let token = &alice.access_token;
    let mut feed = connect(&app.address, &alice.tenant_id, token).await;
    feed.sync().await;
    let stored = app
        .call(
            Method::POST,
            "/v1/messages?async=true",
            token,
            Some(json!({"conversation_id": "c", "role": "user", "content": "The cat sleeps"})),
        )
        .await;
    assert_eq!(stored.status(), 202);
    let batch = app
        .call(
            Method::POST,
            "/v1/messages/batch?async=true",
            token,
            Some(
                json!({"messages": [{"conversation_id": "c", "role": "user", "content": "A dog"}]}),
            ),
        )
        .await;
    assert!(batch.status().is_success(), "{}", batch.status());
    feed.events(2).await;
    drain(&app).await;
    let search = app
        .call(
            Method::POST,
            "/v1/memory/search",
            token,
            Some(json!({"query": "cat", "top_k": 3})),
        )
        .await;
    assert_eq!(search.status(), 200);
    let run = app
        .call(
            Method::POST,
            "/v1/retention/execute?dry_run=false",
            token,
            None,
        )
        .await;
    assert_eq!(run.status(), 200);
    assert_eq!(
        app.call(Method::GET, "/v1/conversations", "not-a-token", None)
            .await
            .status(),
        401
    );
    // Failed logins until the throttle refuses: authentication failures and a rate-limit rejection.
    let mut refused = false;
    for _ in 0..8 {
        let login = app
            .post_json(
                "/v1/auth/login",
                &json!({"email": "alice@example.com", "password": "wrong-password-1"}),
            )
            .await;
        refused |= login.status() == 429;
    }
    assert!(refused, "the login throttle refuses in the end");

    // While the feed is open, then after it closed.
    let open = app.get("/metrics").await.text().await.unwrap();
    assert!(
        open.contains(r#"memory_mesh_ws_connections_open{door="feed"} 1"#),
        "{open}"
    );
    drop(feed);
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let text = app.get("/metrics").await.text().await.unwrap();
            if text.contains("memory_mesh_ws_connections_closed_total") {
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the closed connection is counted");
    let have = exported(&closed);
    let missing: Vec<&String> = named.iter().filter(|n| !have.contains(*n)).collect();
    assert!(missing.is_empty(), "not in /metrics: {missing:?}\n{closed}");
    assert!(
        closed.contains(r#"memory_mesh_messages_ingested_total{mode="single"} 1"#)
            && closed.contains(r#"memory_mesh_messages_ingested_total{mode="batch"} 1"#),
        "{closed}"
    );
    assert!(
        closed.contains(r#"memory_mesh_embedding_jobs_total{outcome="embedded"} 2"#),
        "{closed}"
    );
    assert!(
        closed.contains(r#"memory_mesh_ws_connections_open{door="feed"} 0"#),
        "{closed}"
    );
    for id in [&alice.id, &alice.tenant_id] {
        assert!(!closed.contains(id.as_str()), "no label holds an id: {id}");
    }
}

/// A stand-in OpenTelemetry collector: keeps every OTLP/HTTP export body it receives.
async fn start_collector() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>) {
    use axum::{extract::State, routing::post, Router};
    type Bodies = std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>;
    let bodies: Bodies = Default::default();
    let app = Router::new()
        .route(
            "/v1/traces",
            post(
                |State(b): State<Bodies>, body: axum::body::Bytes| async move {
                    b.lock().unwrap().push(body.to_vec());
                    (
                        [("content-type", "application/x-protobuf")],
                        Vec::<u8>::new(),
                    )
                },
            ),
        )
        .with_state(bodies.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, bodies)
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn request_spans_reach_an_otlp_collector_continuing_the_callers_trace() {
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const PARENT: &str = "00f067aa0ba902b7";
    let (collector, bodies) = start_collector().await;
    let dir = TempDir::new();
    let server = start_logged(
        &dir.path,
        &[
            ("MEMORY_EMBEDDING_PROVIDER", "fake"),
            ("MEMORY_OTLP_ENDPOINT", collector.as_str()),
            ("MEMORY_LOG_FORMAT", "json"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let client = http_client();
    let r = client
        .get(format!("{}/v1/no-such-route", server.url))
        .header("traceparent", format!("00-{TRACE}-{PARENT}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let found = bodies
            .lock()
            .unwrap()
            .iter()
            .any(|b| holds(b, &unhex(TRACE)) && holds(b, &unhex(PARENT)));
        if found {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no span of trace {TRACE} with parent {PARENT} reached the collector ({} exports); \
             log: {:#?}",
            bodies.lock().unwrap().len(),
            server.lines.lock().unwrap()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let exported = bodies.lock().unwrap().concat();
    assert!(holds(&exported, b"memory-mesh"), "the service is named");
    assert!(
        holds(&exported, b"/v1/{*rest}"),
        "the route template is an attribute"
    );
    server.stop().await;
}

#[tokio::test]
async fn json_logs_carry_request_and_trace_ids_and_never_a_secret() {
    const JWT_SECRET: &str = "log-test-signing-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    const WRONG: &str = "WrongGuess-0451";
    const NEW_PASSWORD: &str = "Renewed-Secret-7788";
    let dir = TempDir::new();
    let server = start_logged(
        &dir.path,
        &[
            ("MEMORY_EMBEDDING_PROVIDER", "fake"),
            ("MEMORY_LOG_FORMAT", "json"),
            ("MEMORY_JWT_SECRET_KEY", JWT_SECRET),
            ("RUST_LOG", "debug"),
        ],
    );
    let url = server.url.clone();
    let client = http_client();
    let (tenant, access) = register_remote(&client, &url, "alice").await;
    let tokens: serde_json::Value = client
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let rotated: serde_json::Value = client
        .post(format!("{url}/v1/auth/refresh"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rotated_refresh = rotated["refresh_token"].as_str().unwrap().to_owned();
    let key: serde_json::Value = client
        .post(format!("{url}/v1/auth/api-keys"))
        .bearer_auth(&access)
        .json(&json!({"name": "logs", "scope": "write"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_owned();
    let stored = client
        .post(format!("{url}/v1/messages"))
        .header("x-api-key", &key)
        .json(&json!({"conversation_id": "c", "role": "user", "content": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 201);
    let refused = client
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"username": "alice", "password": WRONG}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    // The original clients' `?token=` on a WebSocket upgrade.
    let mut feed = crate::feed::try_connect(
        &url,
        &format!("/v1/ws/messages/{tenant}?token={access}"),
        &[],
    )
    .await
    .expect("the upgrade is accepted");
    feed.sync().await;
    drop(feed);
    let changed = client
        .post(format!("{url}/v1/auth/change-password"))
        .bearer_auth(&access)
        .json(&json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(changed.status().is_success(), "{}", changed.status());
    let lines = server.stop().await;

    assert!(lines.len() > 20, "the log holds the run: {lines:#?}");
    let secrets = [
        PASSWORD,
        WRONG,
        NEW_PASSWORD,
        JWT_SECRET,
        access.as_str(),
        refresh.as_str(),
        rotated_refresh.as_str(),
        key.as_str(),
        &key[key.len() - 16..],
    ];
    let mut answered = 0;
    for line in &lines {
        for secret in secrets {
            assert!(!line.contains(secret), "a secret in the log: {line}");
        }
        if line.starts_with("Memory Mesh is running at") {
            continue;
        }
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        if entry["message"] == "answered" {
            answered += 1;
            let span = &entry["span"];
            assert!(
                span["request_id"].as_str().is_some_and(|id| !id.is_empty()),
                "{line}"
            );
            assert!(
                span["trace_id"]
                    .as_str()
                    .is_some_and(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())),
                "{line}"
            );
        }
    }
    assert!(answered >= 7, "every request logs its answer: {answered}");
}
