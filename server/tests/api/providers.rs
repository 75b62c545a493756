//! Remote embedding providers against local fake servers that speak each protocol: OpenAI's
//! `/embeddings`, Ollama's `/api/embed`, Gemini's `batchEmbedContents`; errors included.

use std::sync::{Arc, Mutex};

use axum::{extract::State, http::HeaderMap, routing::post, Json, Router};
use reqwest::Method;
use serde_json::{json, Value};
use server::embed::fake::FakeProvider;

use crate::helpers::*;

/// How the fake answers its next requests.
#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    Ok,
    /// 429 with `Retry-After: 0` once, then Ok.
    RateLimitOnce,
    Down,
    WrongWidth,
    /// 400: the input is refused (the caller's fault, never retried).
    Refuse,
    /// No answer until the test releases it, then Ok.
    Hold,
}

#[derive(Clone)]
struct Fake {
    behaviour: Arc<Mutex<Behaviour>>,
    seen: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    release: Arc<tokio::sync::Notify>,
}

fn vector(text: &str, width: usize) -> Vec<f32> {
    FakeProvider::new(width).embed_one(text)
}

async fn answer(
    fake: &Fake,
    headers: HeaderMap,
    body: Value,
    ok: impl Fn(&Value, usize) -> Value,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    fake.seen.lock().unwrap().push((headers, body.clone()));
    let behaviour = *fake.behaviour.lock().unwrap();
    match behaviour {
        Behaviour::Ok => Json(ok(&body, 384)).into_response(),
        Behaviour::Hold => {
            fake.release.notified().await;
            Json(ok(&body, 384)).into_response()
        }
        Behaviour::WrongWidth => Json(ok(&body, 16)).into_response(),
        Behaviour::Refuse => (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "input refused"})),
        )
            .into_response(),
        Behaviour::Down => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "down"})),
        )
            .into_response(),
        Behaviour::RateLimitOnce => {
            *fake.behaviour.lock().unwrap() = Behaviour::Ok;
            (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "0")],
                Json(json!({"error": "slow down"})),
            )
                .into_response()
        }
    }
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

async fn start_fake() -> (String, Fake) {
    let fake = Fake {
        behaviour: Arc::new(Mutex::new(Behaviour::Ok)),
        seen: Arc::default(),
        release: Arc::default(),
    };
    let app = Router::new()
        .route(
            "/v1/embeddings",
            post(|State(f): State<Fake>, h: HeaderMap, Json(b): Json<Value>| async move {
                answer(&f, h, b, |b, w| {
                    let data: Vec<Value> = texts(&b["input"])
                        .iter()
                        .enumerate()
                        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector(t, w)}))
                        .rev() // out of order on purpose: clients must use `index`
                        .collect();
                    json!({"object": "list", "data": data, "model": b["model"]})
                })
                .await
            }),
        )
        .route(
            "/api/embed",
            post(|State(f): State<Fake>, h: HeaderMap, Json(b): Json<Value>| async move {
                answer(&f, h, b, |b, w| {
                    let e: Vec<Vec<f32>> = texts(&b["input"]).iter().map(|t| vector(t, w)).collect();
                    json!({"model": b["model"], "embeddings": e})
                })
                .await
            }),
        )
        .route(
            "/v1beta/models/{call}",
            post(|State(f): State<Fake>, h: HeaderMap, Json(b): Json<Value>| async move {
                answer(&f, h, b, |b, w| {
                    let e: Vec<Value> = b["requests"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| json!({"values": vector(r["content"]["parts"][0]["text"].as_str().unwrap(), w)}))
                        .collect();
                    json!({"embeddings": e})
                })
                .await
            }),
        )
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, fake)
}

async fn app_with(provider: &str, base_url: String) -> TestApp {
    app_with_vars(provider, base_url, &[]).await
}

/// The app on `provider` at `base_url`, with `extra` settings and no job worker.
async fn app_with_vars(provider: &str, base_url: String, extra: &[(&str, &str)]) -> TestApp {
    let mut vars: Vec<(String, String)> = vec![
        ("MEMORY_EMBEDDING_PROVIDER".into(), provider.into()),
        ("MEMORY_EMBEDDING_BASE_URL".into(), base_url),
        ("MEMORY_EMBEDDING_MODEL".into(), "test-model".into()),
        ("MEMORY_EMBEDDING_API_KEY".into(), "sk-test-secret".into()),
        ("MEMORY_JOB_WORKERS".into(), "0".into()),
    ];
    vars.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    spawn_app_with(
        Backend::Sqlite,
        Options {
            vars,
            ..Default::default()
        },
    )
    .await
}

async fn write(app: &TestApp, token: &str, content: &str) -> (u16, Value) {
    let r = post_message(
        app,
        token,
        json!({"conversation_id": "c", "role": "user", "content": content}),
    )
    .await;
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn each_protocol_embeds_through_its_fake_server() {
    for (provider, base) in [("openai", "/v1"), ("ollama", ""), ("gemini", "")] {
        let (url, fake) = start_fake().await;
        let app = app_with(provider, format!("{url}{base}")).await;
        let alice = app.register_and_login("alice", None).await;
        let (status, m) = write(&app, &alice.access_token, "remote embeddings work").await;
        assert_eq!(status, 201, "{provider}: {m}");
        assert_eq!(m["embedding_status"], "completed");
        let r = app
            .get_json(
                "/v1/memory/search?query=remote%20embeddings&mode=vector",
                &alice.access_token,
            )
            .await;
        assert_eq!(
            r["items"][0]["content"], "remote embeddings work",
            "{provider}"
        );
        let seen = fake.seen.lock().unwrap();
        let (headers, body) = &seen[0];
        match provider {
            "openai" => {
                assert_eq!(headers["authorization"], "Bearer sk-test-secret");
                assert_eq!(body["model"], "test-model");
            }
            "gemini" => {
                assert_eq!(headers["x-goog-api-key"], "sk-test-secret");
                assert_eq!(body["requests"][0]["model"], "models/test-model");
            }
            _ => assert_eq!(body["model"], "test-model"),
        }
    }
}

#[tokio::test]
async fn a_repeated_search_query_is_embedded_once() {
    let (url, fake) = start_fake().await;
    let app = app_with("openai", format!("{url}/v1")).await;
    let alice = app.register_and_login("alice", None).await;
    write(&app, &alice.access_token, "remote embeddings work").await;
    let search = |query: &'static str| {
        let (app, token) = (&app, alice.access_token.clone());
        async move {
            let path = format!("/v1/memory/search?query={query}&mode=vector");
            let r = app.call(Method::GET, &path, &token, None).await;
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let first = search("remote%20embeddings").await;
    let again = search("remote%20embeddings").await;
    assert_eq!(first["items"], again["items"], "same vector, same answer");
    let queries = || {
        let seen = fake.seen.lock().unwrap();
        seen.iter()
            .filter(|(_, b)| b["input"] == json!(["remote embeddings"]))
            .count()
    };
    assert_eq!(queries(), 1, "the second search did not call the provider");
    search("something%20else").await;
    assert_eq!(
        fake.seen.lock().unwrap().len(),
        3,
        "message, first query, new query"
    );
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let (url, fake) = start_fake().await;
    *fake.behaviour.lock().unwrap() = Behaviour::RateLimitOnce;
    let app = app_with("openai", format!("{url}/v1")).await;
    let alice = app.register_and_login("alice", None).await;
    let (status, _) = write(&app, &alice.access_token, "after a pause").await;
    assert_eq!(status, 201);
    assert_eq!(fake.seen.lock().unwrap().len(), 2, "one 429, one success");
}

#[tokio::test]
async fn an_outage_leaves_messages_pending_until_the_provider_is_back() {
    let (url, fake) = start_fake().await;
    *fake.behaviour.lock().unwrap() = Behaviour::Down;
    let app = app_with("openai", format!("{url}/v1")).await;
    let alice = app.register_and_login("alice", None).await;
    let (status, m) = write(&app, &alice.access_token, "written during an outage").await;
    assert_eq!(status, 202, "stored, embedding deferred: {m}");
    assert_eq!(m["embedding_status"], "pending");
    // No substitute vector was stored; and a query cannot be embedded either: 503, not a guess.
    let r = app
        .call(
            Method::GET,
            "/v1/memory/search?query=outage&mode=vector",
            &alice.access_token,
            None,
        )
        .await;
    assert_eq!(r.status(), 503);
    let (code, _) = error_envelope(r).await;
    assert_eq!(code, "unavailable");
    // Hybrid search still answers from full-text search, and says so.
    let r: Value = app
        .call(
            Method::GET,
            "/v1/memory/search?query=outage",
            &alice.access_token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["items"][0]["content"], "written during an outage");
    assert!(r["notice"].as_str().unwrap().contains("full-text"));
    // Still down: the job fails and is rescheduled, not dropped.
    assert_eq!(
        server::jobs::run_once(&app.state.services, &app.state.activity, "w")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        server::store::jobs::outstanding(&app.state.services.db)
            .await
            .unwrap(),
        1
    );

    *fake.behaviour.lock().unwrap() = Behaviour::Ok;
    // Make the rescheduled job due now instead of waiting out its backoff.
    use sea_orm::ConnectionTrait;
    app.state
        .services
        .db
        .execute_unprepared("UPDATE embedding_jobs SET run_at = '2000-01-01T00:00:00Z'")
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    while server::store::jobs::outstanding(&app.state.services.db)
        .await
        .unwrap()
        > 0
    {
        // The circuit may be open for a while after the failures; keep trying until it closes.
        let _ = server::jobs::run_once(&app.state.services, &app.state.activity, "w")
            .await
            .unwrap();
        assert!(std::time::Instant::now() < deadline, "never embedded");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        app.state
            .services
            .db
            .execute_unprepared("UPDATE embedding_jobs SET run_at = '2000-01-01T00:00:00Z'")
            .await
            .unwrap();
    }
    let path = format!("/v1/messages/{}", m["id"].as_str().unwrap());
    let m: Value = app
        .call(Method::GET, &path, &alice.access_token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["embedding_status"], "completed");
}

#[tokio::test]
async fn vectors_of_the_wrong_width_are_refused_not_stored() {
    let (url, fake) = start_fake().await;
    *fake.behaviour.lock().unwrap() = Behaviour::WrongWidth;
    let app = app_with("ollama", url).await;
    let alice = app.register_and_login("alice", None).await;
    let (status, m) = write(&app, &alice.access_token, "bad width").await;
    assert_eq!(status, 202, "{m}");
    assert_eq!(m["embedding_status"], "pending");
}

#[tokio::test]
async fn a_text_the_model_refuses_fails_its_job_and_says_so_to_subscribers() {
    let (url, fake) = start_fake().await;
    let app = app_with("openai", format!("{url}/v1")).await;
    let alice = app.register_and_login("alice", None).await;
    let stored = store_async(&app, &alice.access_token, "unsayable").await;
    let id = stored["id"].as_str().unwrap().to_owned();
    *fake.behaviour.lock().unwrap() = Behaviour::Refuse;
    let svc = &app.state.services;
    assert_eq!(
        server::jobs::run_once(svc, &app.state.activity, "w")
            .await
            .unwrap(),
        1
    );
    let m = app
        .get_json(&format!("/v1/messages/{id}"), &alice.access_token)
        .await;
    assert_eq!(m["embedding_status"], "failed", "{m}");
    assert_eq!(
        server::store::jobs::outstanding(&svc.db).await.unwrap(),
        0,
        "not retried"
    );
    let latest = server::store::events::latest(&svc.db).await.unwrap();
    let events = server::store::events::between(&svc.db, Some(&alice.tenant_id), 0, latest)
        .await
        .unwrap();
    let failed: Vec<_> = events
        .iter()
        .filter(|e| e.name == "message.embedding_failed")
        .collect();
    assert_eq!(failed.len(), 1, "one event for the one message");
    let data: Value = serde_json::from_str(&failed[0].data).unwrap();
    assert_eq!(
        (data["id"].as_str(), data["embedding_status"].as_str()),
        (Some(id.as_str()), Some("failed"))
    );
}

/// A batch the provider cannot embed within half the request timeout is stored and answered
/// 202 with its messages pending — not lost to a 504 the client could only repeat — and the
/// job queue embeds it once the provider answers.
#[tokio::test]
async fn an_inline_batch_past_its_embedding_time_is_stored_pending() {
    let (url, fake) = start_fake().await;
    *fake.behaviour.lock().unwrap() = Behaviour::Hold;
    let timeout = [("MEMORY_REQUEST_TIMEOUT_SECONDS", "2")];
    let app = app_with_vars("openai", format!("{url}/v1"), &timeout).await;
    let alice = app.register_and_login("alice", None).await;
    let messages: Vec<Value> = (0..3)
        .map(|i| json!({"conversation_id": "big", "role": "user", "content": format!("turn {i}")}))
        .collect();
    let r = app
        .call(
            Method::POST,
            "/v1/messages/batch",
            &alice.access_token,
            Some(json!({ "messages": messages })),
        )
        .await;
    assert_eq!(r.status(), 202);
    let answer: Value = r.json().await.unwrap();
    let created = answer["created"].as_array().unwrap();
    assert_eq!(created.len(), 3, "{answer}");
    assert!(
        created.iter().all(|m| m["embedding_status"] == "pending"),
        "{answer}"
    );

    *fake.behaviour.lock().unwrap() = Behaviour::Ok;
    fake.release.notify_waiters();
    let (services, activity) = (&app.state.services, &app.state.activity);
    assert_eq!(
        server::jobs::run_once(services, activity, "w")
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        server::store::jobs::outstanding(&services.db)
            .await
            .unwrap(),
        0
    );
    let path = format!("/v1/messages/{}", created[0]["id"].as_str().unwrap());
    let m = app.get_json(&path, &alice.access_token).await;
    assert_eq!(m["embedding_status"], "completed", "{m}");
}
