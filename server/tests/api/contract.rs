//! The contract under hostile or unusual input and failing dependencies: bounded integers,
//! panics, field names in type errors, NUL characters, the original API's field names, racing
//! registrations, a database or Redis that goes away, instances sharing a database.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn integer_parameters_out_of_range_are_422_naming_the_field_not_a_dropped_connection() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        for page in ["9223372036854775808", "99999999999999999999999", "-1", "0"] {
            let r = app
                .call(
                    Method::GET,
                    &format!("/v1/conversations?page={page}"),
                    &alice.access_token,
                    None,
                )
                .await;
            assert_eq!(r.status(), 422, "{backend:?} page={page}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"]["field"], "page", "{backend:?} {body}");
        }
        let r = app
            .call(
                Method::GET,
                "/v1/conversations?page_size=18446744073709551616",
                &alice.access_token,
                None,
            )
            .await;
        assert_eq!(r.status(), 422, "{backend:?}");
    }
}

#[tokio::test]
async fn a_type_error_in_a_body_names_its_field_by_path() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let t = &alice.access_token;
    let r = post_message(
        &app,
        t,
        json!({"conversation_id": "c", "role": "user", "content": "hi", "importance_override": "high"}),
    )
    .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "importance_override", "{body}");
    let item = json!({"conversation_id": "c", "role": "user", "content": "hi"});
    let mut bad = item.clone();
    bad["importance_override"] = "high".into();
    let r = app
        .call(
            Method::POST,
            "/v1/messages/batch",
            t,
            Some(json!({"messages": [item.clone(), item.clone(), item, bad]})),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["field"], "messages[3].importance_override",
        "{body}"
    );
    let r = post_message(&app, t, json!({"conversation_id": "c", "role": "user"})).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "content", "{body}");
}

#[tokio::test]
async fn nul_characters_are_refused_alike_on_both_backends() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        let r = post_message(
            &app,
            t,
            json!({"conversation_id": "c", "role": "user", "content": "nul\u{0}here"}),
        )
        .await;
        assert_eq!(r.status(), 422, "{backend:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["field"], "content", "{backend:?} {body}");
        let r = post_message(
            &app,
            t,
            json!({"conversation_id": "c", "role": "user", "content": "ok",
                   "metadata": {"tags": ["fine", "not\u{0}fine"]}}),
        )
        .await;
        assert_eq!(r.status(), 422, "{backend:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body["error"]["field"], "metadata.tags[1]",
            "{backend:?} {body}"
        );
        // An escaped backslash before "u0000" is ordinary text.
        let r = post_message(
            &app,
            t,
            json!({"conversation_id": "c", "role": "user", "content": "a literal \\u0000"}),
        )
        .await;
        assert_eq!(r.status(), 201, "{backend:?}");
        for path in ["/v1/conversations/c%00x", "/v1/messages/%00"] {
            let r = app.call(Method::GET, path, t, None).await;
            assert_eq!(r.status(), 404, "{backend:?} {path}");
        }
        let r = app
            .call(
                Method::GET,
                "/v1/memory/search?query=a&metadata.k=x%00",
                t,
                None,
            )
            .await;
        assert_eq!(r.status(), 422, "{backend:?}");
    }
}

#[tokio::test]
async fn a_handler_panic_answers_the_500_envelope_instead_of_dropping_the_connection() {
    use tower::ServiceExt;
    let app = spawn_app(Backend::Sqlite).await;
    // The application's own layers around a route that panics.
    let router = axum::Router::new().route(
        "/v1/boom",
        axum::routing::get(|| async {
            let bug: Vec<u8> = Vec::new();
            bug.first().map(u8::to_string).expect("a bug")
        }),
    );
    let stack = server::api::layers(router, &app.state);
    let request = axum::http::Request::get("/v1/boom")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = stack.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(response.headers().contains_key("x-request-id"));
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "internal_error", "{body}");
    assert!(
        !body.to_string().contains("a bug"),
        "the panic stays in the logs"
    );
}

#[tokio::test]
async fn the_original_apis_field_names_are_accepted_beside_ours() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let bob = app.register_and_login("bob", None).await;
        let t = &alice.access_token;
        let r = post_message(
            &app,
            t,
            json!({"conversation_id": "c", "role": "user", "content": "remember this", "importance": 0.8}),
        )
        .await;
        assert_eq!(r.status(), 201, "{backend:?}");
        let m: Value = r.json().await.unwrap();
        assert_eq!(m["importance_score"], 0.8);
        let c = app.get_json("/v1/conversations/c", t).await;
        assert_eq!(c["user_id"], alice.id.as_str(), "{backend:?} {c}");
        let r = app
            .call(
                Method::GET,
                "/v1/memory/search?query=remember&min_importance=0.9",
                t,
                None,
            )
            .await;
        assert_eq!(r.status(), 200, "{backend:?}");
        assert_eq!(r.json::<Value>().await.unwrap()["total"], 0);
        let r = app
            .call(
                Method::POST,
                "/v1/memory/search",
                t,
                Some(json!({"query": "remember", "min_importance": 0.5})),
            )
            .await;
        assert_eq!(r.json::<Value>().await.unwrap()["total"], 1, "{backend:?}");
        let key: Value = app
            .call(
                Method::POST,
                "/v1/auth/api-keys",
                t,
                Some(json!({"name": "k", "tenant_id": "acme"})),
            )
            .await
            .json()
            .await
            .unwrap();
        app.get_json("/v1/auth/me", key["key"].as_str().unwrap())
            .await;
        let keys = app.get_json("/v1/auth/api-keys", t).await;
        assert_eq!(keys[0]["is_active"], true, "{keys}");
        assert_eq!(keys[0]["last_used"], keys[0]["last_used_at"]);
        let r = app
            .call(
                Method::POST,
                "/v1/tenants/acme/members",
                t,
                Some(json!({"user_id": bob.id, "role": "member"})),
            )
            .await;
        assert_eq!(r.status(), 201, "{backend:?}");
        let r = app
            .call(
                Method::POST,
                "/v1/tenants/acme/members",
                t,
                Some(json!({"user_id": uuid::Uuid::new_v4().to_string(), "role": "member"})),
            )
            .await;
        assert_eq!(r.status(), 404, "{backend:?}");
    }
}

#[tokio::test]
async fn racing_registrations_of_one_account_get_one_201_and_409s() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let attempts = (0..6).map(|i| {
            let app = &app;
            async move {
                // The same username each time; half with the same email too.
                let email = if i % 2 == 0 {
                    "ada@example.com".to_owned()
                } else {
                    format!("ada{i}@example.com")
                };
                app.post_json(
                    "/v1/auth/register",
                    &json!({"email": email, "username": "ada", "password": PASSWORD}),
                )
                .await
                .status()
                .as_u16()
            }
        });
        let mut statuses = futures::future::join_all(attempts).await;
        statuses.sort();
        assert_eq!(statuses, [201, 409, 409, 409, 409, 409], "{backend:?}");
    }
}

#[tokio::test]
async fn while_postgresql_is_down_requests_get_503_naming_the_database() {
    let proxy = TcpProxy::start(postgres_port()).await;
    let name = create_pg_database().await;
    let url = pg_url(&name).replace(
        &format!(":{}/", postgres_port()),
        &format!(":{}/", proxy.port),
    );
    let app = spawn_app_with(
        Backend::Postgres,
        Options {
            existing_pg_database: Some(name),
            vars: vec![
                ("MEMORY_DATABASE_URL".into(), url),
                ("MEMORY_DATABASE_ACQUIRE_TIMEOUT_MS".into(), "1000".into()),
                ("MEMORY_JOB_WORKERS".into(), "0".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    proxy.cut();
    let started = Instant::now();
    let r = app
        .call(Method::GET, "/v1/conversations", &alice.access_token, None)
        .await;
    let waited = started.elapsed();
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("database"),
        "{body}"
    );
    // Bounded by the acquire timeout setting, not sqlx's default of 30 s.
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    let ready = app.get("/v1/admin/readiness").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(
        app.get("/v1/admin/health").await.status(),
        200,
        "alive, not ready"
    );
    // PostgreSQL comes back on the same address: the same process serves again.
    let port = proxy.port;
    drop(proxy);
    let _back = TcpProxy::start_on(port, postgres_port());
    let back_at = Instant::now();
    let deadline = back_at + Duration::from_secs(30);
    while app.get("/v1/admin/readiness").await.status() != 200 {
        assert!(Instant::now() < deadline, "readiness never recovered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "ready again {:?} after PostgreSQL returned",
        back_at.elapsed()
    );
    let r = app
        .call(Method::GET, "/v1/conversations", &alice.access_token, None)
        .await;
    assert_eq!(r.status(), 200, "recovered without a restart");
}

#[tokio::test]
async fn instances_sharing_a_database_without_a_configured_secret_accept_each_others_tokens() {
    let first = spawn_app(Backend::Postgres).await;
    let second = spawn_second_instance(&first).await;
    let alice = first.register_and_login("alice", None).await;
    let r = second
        .call(Method::GET, "/v1/auth/me", &alice.access_token, None)
        .await;
    assert_eq!(r.status(), 200);
    // Second's own data directory holds a different generated secret; the database's wins.
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["username"], "alice");
}

#[tokio::test]
async fn after_a_redis_outage_limits_are_shared_again_and_readiness_recovers() {
    let redis = PrivateRedis::start();
    let url = redis.url();
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            redis_url: Some(url.clone()),
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let port = redis.port();
    drop(redis);
    // Traffic during the outage falls back to memory, without waiting on Redis each time.
    let mut latencies = Vec::with_capacity(20);
    for _ in 0..20 {
        let started = Instant::now();
        let r = app
            .call(Method::GET, "/v1/conversations", &alice.access_token, None)
            .await;
        latencies.push(started.elapsed());
        assert_eq!(r.status(), 200);
    }
    latencies.sort();
    eprintln!(
        "during the Redis outage: p50 {:?}, p99 {:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100]
    );
    let ready: Value = app.get("/v1/admin/readiness").await.json().await.unwrap();
    assert_eq!(ready["status"], "degraded", "{ready}");
    let _back = PrivateRedis::start_on(port);
    let back_at = Instant::now();
    let mut status = Value::Null;
    for _ in 0..40 {
        let r = app
            .call(Method::GET, "/v1/conversations", &alice.access_token, None)
            .await;
        assert_eq!(r.status(), 200);
        let ready: Value = app.get("/v1/admin/readiness").await.json().await.unwrap();
        status = ready["status"].clone();
        if status == "ok" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(status, "ok", "readiness recovers once Redis is back");
    eprintln!("readiness ok {:?} after Redis returned", back_at.elapsed());
}
