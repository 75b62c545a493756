//! Async embedding: 202 at once, a durable job embeds; leases, reclaim, and survival of kill -9.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use server::store::jobs;

use crate::helpers::*;

/// An app without job workers, Alice's access token, and the id of her one message (embedded
/// inline).
async fn app_with_message(backend: Backend, content: &str) -> (TestApp, String, String) {
    let app = spawn_app_with(backend, Options::no_workers()).await;
    let alice = app.register_and_login("alice", None).await;
    let r = post_message(
        &app,
        &alice.access_token,
        json!({"conversation_id": "c", "role": "user", "content": content}),
    )
    .await;
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (app, alice.access_token, id)
}

async fn top_hit(app: &TestApp, token: &str, query: &str) -> Option<String> {
    top_item(app, token, query).await["content"]
        .as_str()
        .map(str::to_owned)
}

/// Completes `job` as `worker` would, with the vector of `text` (which may not be the job's).
async fn complete_with_vector_of(app: &TestApp, worker: &str, job: &jobs::Claimed, text: &str) {
    let vector = app
        .state
        .services
        .embedder
        .embed(vec![text.into()])
        .await
        .unwrap();
    server::service::messages::store_embeddings(
        &app.state.services,
        worker,
        &[(job.clone(), vector[0].clone())],
    )
    .await
    .unwrap();
}

/// The best vector match for `query` (`Null` when there is none).
async fn top_item(app: &TestApp, token: &str, query: &str) -> Value {
    let r: Value = app
        .call(
            Method::POST,
            "/v1/memory/search",
            token,
            Some(json!({"query": query, "mode": "vector", "top_k": 1})),
        )
        .await
        .json()
        .await
        .unwrap();
    r["items"][0].clone()
}

#[tokio::test]
async fn an_async_write_is_acknowledged_at_once_and_embedded_by_a_job() {
    for backend in BACKENDS {
        let app = spawn_app_with(backend, Options::no_workers()).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        let r = app
            .call(
                Method::POST,
                "/v1/messages?async=true",
                t,
                Some(json!({"conversation_id": "c", "role": "user", "content": "quantum chromodynamics",
                            "importance_override": 0.8})),
            )
            .await;
        assert_eq!(r.status(), 202, "{backend:?}");
        let m: Value = r.json().await.unwrap();
        assert_eq!(m["embedding_status"], "pending");
        assert_eq!(
            m["importance_score"], 0.8,
            "the override holds in async mode too"
        );
        assert_eq!(
            top_hit(&app, t, "quantum chromodynamics").await,
            None,
            "no vector yet"
        );
        assert_eq!(jobs::outstanding(&app.state.services.db).await.unwrap(), 1);

        drain(&app).await;
        let path = format!("/v1/messages/{}", m["id"].as_str().unwrap());
        let m: Value = app
            .call(Method::GET, &path, t, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(m["embedding_status"], "completed");
        assert_eq!(
            top_hit(&app, t, "quantum chromodynamics").await.as_deref(),
            Some("quantum chromodynamics")
        );
        assert_eq!(jobs::outstanding(&app.state.services.db).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn the_background_worker_embeds_async_batches() {
    let app = spawn_app_with(
        Backend::Postgres,
        Options {
            vars: vec![("MEMORY_EMBEDDING_MODE".into(), "async".into())],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let messages: Vec<Value> = (0..40)
        .map(|i| json!({"conversation_id": "c", "role": "user", "content": format!("fact number {i}")}))
        .collect();
    let r = app
        .call(
            Method::POST,
            "/v1/messages/batch",
            &alice.access_token,
            Some(json!({"messages": messages})),
        )
        .await;
    assert_eq!(r.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    while jobs::outstanding(&app.state.services.db).await.unwrap() > 0 {
        assert!(Instant::now() < deadline, "the worker did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page: Value = app
        .call(
            Method::GET,
            "/v1/conversations/c",
            &alice.access_token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["message_count"], 40);
}

#[tokio::test]
async fn an_edit_queued_for_embedding_never_leaves_a_stale_vector() {
    for backend in BACKENDS {
        let (app, t, id) = app_with_message(backend, "zebra crossing").await;
        let t = &t;
        let path = format!("/v1/messages/{id}?async=true");
        let r = app
            .call(
                Method::PUT,
                &path,
                t,
                Some(json!({"content": "yellow submarine"})),
            )
            .await;
        let edited: Value = r.json().await.unwrap();
        assert_eq!(edited["embedding_status"], "pending", "{backend:?}");
        assert_eq!(
            top_hit(&app, t, "zebra crossing").await,
            None,
            "old vector dropped"
        );
        drain(&app).await;
        assert_eq!(
            top_hit(&app, t, "yellow submarine").await.as_deref(),
            Some("yellow submarine")
        );
    }
}

#[tokio::test]
async fn a_completion_for_text_edited_meanwhile_stores_nothing_and_keeps_the_new_job() {
    for backend in BACKENDS {
        let (app, t, id) = app_with_message(backend, "zebra crossing").await;
        let t = &t;
        // The inline write embedded it; an async edit queues a job, which a worker claims.
        let path = format!("/v1/messages/{id}?async=true");
        let r = app
            .call(Method::PUT, &path, t, Some(json!({"content": "old text"})))
            .await;
        assert!(r.status().is_success(), "{backend:?}");
        let claimed = jobs::claim(
            &app.state.services.db,
            "slow",
            10,
            chrono::Duration::seconds(60),
        )
        .await
        .unwrap();
        assert_eq!(claimed.len(), 1, "{backend:?}");
        // The text changes again while that worker is still embedding the old one.
        let r = app
            .call(
                Method::PUT,
                &path,
                t,
                Some(json!({"content": "yellow submarine"})),
            )
            .await;
        assert!(r.status().is_success(), "{backend:?}");
        complete_with_vector_of(&app, "slow", &claimed[0], "old text").await;
        // Neither the old text's vector was stored nor the new text's job removed.
        let m = app.get_json(&format!("/v1/messages/{id}"), t).await;
        assert_eq!(m["embedding_status"], "pending", "{backend:?}");
        assert_eq!(jobs::outstanding(&app.state.services.db).await.unwrap(), 1);
        assert_eq!(top_hit(&app, t, "old text").await, None, "{backend:?}");
        drain(&app).await;
        let m = app.get_json(&format!("/v1/messages/{id}"), t).await;
        assert_eq!(m["embedding_status"], "completed", "{backend:?}");
        assert_eq!(
            top_hit(&app, t, "yellow submarine").await.as_deref(),
            Some("yellow submarine")
        );
    }
}

/// An app without workers, Alice's token, and one job claimed by `dead-worker` whose lease is
/// already over.
async fn app_with_expired_claim(backend: Backend) -> (TestApp, String, jobs::Claimed) {
    let app = spawn_app_with(backend, Options::no_workers()).await;
    let alice = app.register_and_login("alice", None).await;
    store_async(&app, &alice.access_token, "orphaned").await;
    let db = &app.state.services.db;
    let mut claimed = jobs::claim(db, "dead-worker", 10, chrono::Duration::seconds(-1))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    (app, alice.access_token, claimed.remove(0))
}

#[tokio::test]
async fn a_job_whose_worker_died_is_reclaimed_after_its_lease() {
    for backend in BACKENDS {
        let (app, token, claimed) = app_with_expired_claim(backend).await;
        // Its owner sees it waiting for another attempt, not held by the dead worker.
        let path = format!("/v1/messages/{}", claimed.message_id);
        let waiting = app.get_json(&path, &token).await;
        assert_eq!(waiting["embedding_job"]["state"], "retrying", "{waiting}");
        assert_eq!(waiting["embedding_job"]["attempts"], 1, "{backend:?}");
        let svc = &app.state.services;
        let ran = server::jobs::run_once(svc, &app.state.activity, "worker-b").await;
        assert_eq!(
            ran.unwrap(),
            1,
            "{backend:?}: the expired claim is taken over"
        );
        assert_eq!(jobs::outstanding(&svc.db).await.unwrap(), 0, "{backend:?}");
        let hit = top_item(&app, &token, "orphaned").await;
        assert_eq!(hit["content"], "orphaned", "{backend:?}");
    }
}

#[tokio::test]
async fn a_late_completion_by_a_worker_that_lost_its_lease_stores_nothing() {
    for backend in BACKENDS {
        let (app, token, late) = app_with_expired_claim(backend).await;
        let db = &app.state.services.db;
        let lease = chrono::Duration::seconds(60);
        let taken_over = jobs::claim(db, "worker-b", 10, lease).await.unwrap();
        assert_eq!(taken_over.len(), 1, "{backend:?}");
        // The dead worker comes back while worker B holds the job, with a vector that is not
        // the text's: it must neither store it nor remove B's job.
        complete_with_vector_of(&app, "dead-worker", &late, "zebra crossing").await;
        assert_eq!(jobs::outstanding(db).await.unwrap(), 1, "{backend:?}");
        let m = app
            .get_json(&format!("/v1/messages/{}", late.message_id), &token)
            .await;
        assert_eq!(m["embedding_status"], "pending", "{backend:?}");
        complete_with_vector_of(&app, "worker-b", &taken_over[0], "orphaned").await;
        let hit = top_item(&app, &token, "orphaned").await;
        assert_eq!(hit["content"], "orphaned", "{backend:?}");
        let similarity = hit["similarity"].as_f64().unwrap();
        assert!(
            similarity > 0.99,
            "{backend:?}: B's vector is stored ({similarity})"
        );
    }
}

#[tokio::test]
async fn concurrent_workers_on_postgres_never_claim_the_same_job() {
    let app = spawn_app_with(Backend::Postgres, Options::no_workers()).await;
    let alice = app.register_and_login("alice", None).await;
    let messages: Vec<Value> = (0..60)
        .map(|i| json!({"conversation_id": "c", "role": "user", "content": format!("m{i}")}))
        .collect();
    let r = app
        .call(
            Method::POST,
            "/v1/messages/batch?async=true",
            &alice.access_token,
            Some(json!({"messages": messages})),
        )
        .await;
    assert_eq!(r.status(), 202);
    let lease = chrono::Duration::seconds(60);
    let (a, b) = tokio::join!(
        jobs::claim(&app.state.services.db, "a", 40, lease),
        jobs::claim(&app.state.services.db, "b", 40, lease)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 60);
    assert!(a.iter().all(|x| b.iter().all(|y| x.job_id != y.job_id)));
}

fn start_binary(dir: &std::path::Path, workers: &str) -> (std::process::Child, String) {
    let envs = [
        ("MEMORY_EMBEDDING_PROVIDER", "fake"),
        ("MEMORY_EMBEDDING_MODE", "async"),
        ("MEMORY_JOB_WORKERS", workers),
    ];
    crate::helpers::start_binary(dir, &envs)
}

#[tokio::test]
async fn acknowledged_writes_and_their_jobs_survive_kill_9() {
    let dir = TempDir::new();
    let (mut server, url) = start_binary(&dir.path, "0");
    let client = http_client();
    let (_, token) = register_remote(&client, &url, "alice").await;
    for i in 0..20 {
        let r = client
            .post(format!("{url}/v1/messages"))
            .bearer_auth(&token)
            .json(
                &json!({"conversation_id": "c", "role": "user", "content": format!("durable {i}")}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();

    let (mut server, url) = start_binary(&dir.path, "1");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page: Value = client
            .post(format!("{url}/v1/memory/search"))
            .bearer_auth(&token)
            .json(&json!({"query": "durable", "mode": "vector", "top_k": 100}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if page["total"] == 20 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not all embedded after restart: {page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let c: Value = client
        .get(format!("{url}/v1/conversations/c"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(c["message_count"], 20);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test]
async fn concurrent_writes_beside_a_busy_worker_never_fail_on_sqlite() {
    // Regression: deferred SQLite transactions that read before writing failed at once with
    // "database is locked" (500) when the worker committed in between.
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![("MEMORY_EMBEDDING_MODE".into(), "async".into())],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let writes = (0..40).map(|i| {
        let body = json!({"conversation_id": format!("c{}", i % 3), "role": "user",
                          "content": format!("concurrent {i}")});
        app.call(
            Method::POST,
            "/v1/messages",
            &alice.access_token,
            Some(body),
        )
    });
    let statuses: Vec<u16> = futures::future::join_all(writes)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
}
