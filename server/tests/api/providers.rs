//! Remote embedding providers against local fake servers that speak each protocol: OpenAI's
//! `/embeddings`, Ollama's `/api/embed`, Gemini's `batchEmbedContents`; errors included.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::provider::*;
use crate::helpers::*;

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
    outage_then_recovery(Behaviour::Down).await;
}

#[tokio::test]
async fn non_finite_vectors_are_refused_and_retried_until_the_provider_is_back() {
    outage_then_recovery(Behaviour::NonFinite).await;
}

/// While the provider answers with `fault`: writes succeed pending, vector search is 503 and
/// hybrid search answers from full text with a notice; once it is back, everything is embedded.
async fn outage_then_recovery(fault: Behaviour) {
    let (url, fake) = start_fake().await;
    *fake.behaviour.lock().unwrap() = fault;
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
    let path = format!("/v1/messages/{}", m["id"].as_str().unwrap());
    let queued = app.get_json(&path, &alice.access_token).await["embedding_job"].clone();
    assert_eq!(queued["state"], "queued", "{queued}");
    assert_eq!(queued["attempts"], 0);
    assert!(queued["next_attempt_at"].is_string() && queued["reason"].is_null());
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
    // The tenant sees why, in the service's words: the provider's (which name its address)
    // stay in the operator's log.
    let waiting = app.get_json(&path, &alice.access_token).await;
    let progress = &waiting["embedding_job"];
    assert_eq!(progress["state"], "retrying", "{waiting}");
    assert_eq!(progress["attempts"], 1);
    assert_eq!(progress["reason"], "provider_unavailable");
    assert!(progress["detail"].as_str().unwrap().contains("tried again"));
    let next: chrono::DateTime<chrono::Utc> = progress["next_attempt_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        next > chrono::Utc::now(),
        "the next attempt waits out a backoff"
    );
    // What the operator's side keeps of the failure is not in the tenant's answer.
    let stored = {
        use sea_orm::ConnectionTrait;
        let db = &app.state.services.db;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT last_error FROM embedding_jobs",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<String>("", "last_error").unwrap()
    };
    assert!(!stored.is_empty());
    assert!(
        !waiting.to_string().contains(&stored),
        "{stored:?} in {waiting}"
    );
    let page = app
        .get_json("/v1/conversations/c/messages", &alice.access_token)
        .await;
    assert_eq!(
        page["messages"][0]["embedding_job"], *progress,
        "the same on a page"
    );
    // And on the dashboard's page of the conversation, without JavaScript.
    let cookie = cookie_login(&app, "alice").await;
    let html = app
        .client
        .get(app.url("/conversations/c"))
        .header("accept", "text/html")
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"embedding-detail\""), "{html}");
    assert!(html.contains("tried again with backoff"), "{html}");

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
    let m: Value = app
        .call(Method::GET, &path, &alice.access_token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["embedding_status"], "completed");
    assert!(m.get("embedding_job").is_none(), "nothing pending: {m}");
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
    // The worker's attempt meets the same answer: a misconfiguration, for an operator to mend.
    let svc = &app.state.services;
    assert_eq!(
        server::jobs::run_once(svc, &app.state.activity, "w")
            .await
            .unwrap(),
        1
    );
    let path = format!("/v1/messages/{}", m["id"].as_str().unwrap());
    let waiting = app.get_json(&path, &alice.access_token).await;
    assert_eq!(waiting["embedding_status"], "pending");
    assert_eq!(waiting["embedding_job"]["state"], "retrying", "{waiting}");
    assert_eq!(waiting["embedding_job"]["reason"], "provider_misconfigured");
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
    assert_eq!(m["embedding_job"]["state"], "refused");
    assert_eq!(m["embedding_job"]["reason"], "input_refused");
    assert!(
        m["embedding_job"]["next_attempt_at"].is_null(),
        "not tried again"
    );
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
