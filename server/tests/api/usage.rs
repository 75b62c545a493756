//! A tenant's analytics (`/v1/analytics/usage`, `/trends`, `/top-conversations`,
//! `/embedding-stats`): every figure against counts the test makes itself.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// Stores a message `age` old with importance `importance`; returns its id.
async fn message(
    app: &TestApp,
    token: &str,
    conversation: &str,
    role: &str,
    age: Duration,
    importance: f64,
    defer: bool,
) -> String {
    let body = json!({"conversation_id": conversation, "role": role,
                      "content": format!("{role} said something in {conversation}"),
                      "created_at": (Utc::now() - age).to_rfc3339(),
                      "importance_override": importance});
    let path = if defer {
        "/v1/messages?async=true"
    } else {
        "/v1/messages"
    };
    let r = app.call(Method::POST, path, token, Some(body)).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn ok(app: &TestApp, path: &str, token: &str) -> Value {
    let r = app.call(Method::GET, path, token, None).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn analytics_equal_the_counts_of_what_was_stored() {
    for backend in BACKENDS {
        let app = spawn_app_with(backend, Options::no_workers()).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let t = alice.access_token.as_str();
        let now = Duration::zero();
        let day = Duration::days(1);
        message(&app, t, "a", "user", now, 0.2, false).await;
        message(&app, t, "a", "assistant", now, 0.4, false).await;
        message(&app, t, "a", "user", now, 0.6, true).await;
        message(&app, t, "b", "user", day * 3, 0.8, false).await;
        let archived = message(&app, t, "b", "system", day * 10, 1.0, false).await;
        let cold = message(&app, t, "c", "user", day * 40, 0.0, false).await;
        let empty = json!({"conversation_id": "empty"});
        assert_eq!(
            app.call(Method::POST, "/v1/conversations", t, Some(empty))
                .await
                .status(),
            201
        );
        let archive = |id: String, body: Value| {
            let app = &app;
            async move {
                let path = format!("/v1/messages/{id}/archive");
                assert_eq!(
                    app.call(Method::POST, &path, t, Some(body)).await.status(),
                    200
                );
            }
        };
        archive(archived, json!({})).await;
        archive(cold, json!({"cold_storage": true})).await;
        let r = app
            .call(
                Method::PUT,
                "/v1/conversations/b",
                t,
                Some(json!({"archived": true})),
            )
            .await;
        assert_eq!(r.status(), 200);

        let usage = ok(&app, "/v1/analytics/usage", t).await;
        let average = usage["avg_importance_score"].as_f64().unwrap();
        assert!((average - 0.5).abs() < 1e-9, "{usage}");
        let stored_text: usize = [
            ("user", "a"),
            ("assistant", "a"),
            ("user", "a"),
            ("user", "b"),
            ("system", "b"),
            ("user", "c"),
        ]
        .iter()
        .map(|(role, c)| format!("{role} said something in {c}").len())
        .sum();
        let vector_bytes = 4 * app.state.services.embedder.dimensions() * 4;
        let storage = usage["storage_bytes"].as_u64().unwrap() as usize;
        assert!(
            storage >= stored_text + vector_bytes,
            "{backend:?}: {usage}"
        );
        assert!(
            storage <= stored_text + vector_bytes + 6 * 64,
            "metadata is {{}}: {usage}"
        );
        let mut usage = usage;
        for key in ["avg_importance_score", "storage_bytes"] {
            usage.as_object_mut().unwrap().remove(key);
        }
        assert_eq!(
            usage,
            json!({"tenant_id": "acme", "total_messages": 6, "active_messages": 4,
                   "archived_messages": 2, "cold_messages": 1, "total_conversations": 4,
                   "active_conversations": 3, "archived_conversations": 1,
                   "messages_today": 3, "messages_this_week": 4, "messages_this_month": 5,
                   "total_embeddings": 4, "pending_embeddings": 1, "failed_embeddings": 0,
                   "searches_last_24h": 0, "search_latency_p50_ms": null,
                   "search_latency_p95_ms": null}),
            "{backend:?}"
        );

        let embeddings = ok(&app, "/v1/analytics/embedding-stats", t).await;
        assert_eq!(
            embeddings,
            json!({"total_embeddings": 4, "completed": 4, "pending": 1, "failed": 0, "cold": 1,
                   "avg_processing_time_seconds": null, "success_rate": 100.0}),
            "{backend:?}"
        );
        assert_eq!(ok(&app, "/v1/analytics/embeddings", t).await, embeddings);

        let trends = ok(&app, "/v1/analytics/trends?days=7", t).await;
        let days = trends.as_array().unwrap();
        let dates: Vec<String> = (0..7)
            .rev()
            .map(|d| (Utc::now() - day * d).format("%Y-%m-%d").to_string())
            .collect();
        let listed: Vec<&str> = days.iter().map(|d| d["date"].as_str().unwrap()).collect();
        assert_eq!(listed, dates, "{backend:?}: every day, oldest first");
        assert_eq!(days[6]["count"], 3);
        assert_eq!(
            days[6]["role_breakdown"],
            json!({"user": 2, "assistant": 1})
        );
        assert_eq!(days[3]["count"], 1);
        assert_eq!(days[3]["role_breakdown"], json!({"user": 1}));
        let total: u64 = days.iter().map(|d| d["count"].as_u64().unwrap()).sum();
        assert_eq!(total, 4, "{trends}");
        assert_eq!(days[0]["role_breakdown"], json!({}));

        let top = ok(&app, "/v1/analytics/top-conversations", t).await;
        let ids: Vec<&str> = top
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["conversation_id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["a", "b", "c", "empty"],
            "{backend:?}: without messages last"
        );
        let counts: Vec<&Value> = top
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["message_count"])
            .collect();
        assert_eq!(counts, [&json!(3), &json!(2), &json!(1), &json!(0)]);
        assert!(
            (top[0]["avg_importance"].as_f64().unwrap() - 0.4).abs() < 1e-9,
            "{top}"
        );
        assert_eq!(
            (&top[3]["avg_importance"], &top[3]["last_activity"]),
            (&Value::Null, &Value::Null)
        );
        let two = ok(&app, "/v1/analytics/top-conversations?limit=2", t).await;
        assert_eq!(two.as_array().unwrap().len(), 2);

        for (path, field) in [
            ("/v1/analytics/trends?days=0", "days"),
            ("/v1/analytics/trends?days=366", "days"),
            ("/v1/analytics/top-conversations?limit=0", "limit"),
            ("/v1/analytics/top-conversations?limit=101", "limit"),
        ] {
            let r = app.call(Method::GET, path, t, None).await;
            assert_eq!(r.status(), 422, "{path}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"]["field"], field, "{path}");
        }
        let key: Value = app
            .call(
                Method::POST,
                "/v1/auth/api-keys",
                t,
                Some(json!({"name": "r", "scope": "read"})),
            )
            .await
            .json()
            .await
            .unwrap();
        let read = ok(&app, "/v1/analytics/usage", key["key"].as_str().unwrap()).await;
        assert_eq!(
            read["total_messages"], 6,
            "a read key reads its tenant's analytics"
        );
        let bob = app.register_and_login("bob", Some("bobs")).await;
        let r = app
            .call(
                Method::GET,
                "/v1/analytics/usage?tenant_id=acme",
                &bob.access_token,
                None,
            )
            .await;
        assert_eq!(r.status(), 403);
        let theirs = ok(&app, "/v1/analytics/usage", &bob.access_token).await;
        assert_eq!(theirs["total_messages"], 0);
        assert_eq!(theirs["avg_importance_score"], Value::Null);
    }
}

async fn searches(app: &TestApp, token: &str, n: usize) {
    for i in 0..n {
        let r = app
            .call(
                Method::POST,
                "/v1/memory/search",
                token,
                Some(json!({"query": format!("something {i}"), "top_k": 3})),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
async fn searches_of_the_last_day_are_counted_across_instances_with_their_latency() {
    for backend in BACKENDS {
        let a = spawn_app_with(backend, Options::no_workers()).await;
        let alice = a.register_and_login("alice", Some("acme")).await;
        let bob = a.register_and_login("bob", Some("other")).await;
        let t = alice.access_token.as_str();
        message(&a, t, "a", "user", Duration::zero(), 0.5, false).await;
        let before = ok(&a, "/v1/analytics/usage", t).await;
        assert_eq!(before["searches_last_24h"], 0, "{before}");
        assert!(before["search_latency_p50_ms"].is_null());

        searches(&a, t, 5).await;
        searches(&a, &bob.access_token, 2).await;
        // Not yet flushed: this instance adds what it holds.
        let usage = ok(&a, "/v1/analytics/usage", t).await;
        assert_eq!(usage["searches_last_24h"], 5, "{usage}");
        let (p50, p95) = (
            usage["search_latency_p50_ms"].as_f64().unwrap(),
            usage["search_latency_p95_ms"].as_f64().unwrap(),
        );
        assert!(p50 > 0.0 && p50 <= p95, "{usage}");

        // Flushed once, counted once.
        let flushed = server::service::search_stats::flush(&a.state.services)
            .await
            .unwrap();
        assert_eq!(flushed, 2, "one row per tenant and minute");
        assert_eq!(
            ok(&a, "/v1/analytics/usage", t).await["searches_last_24h"],
            5
        );
        let b_usage = ok(&a, "/v1/analytics/usage", &bob.access_token).await;
        assert_eq!(b_usage["searches_last_24h"], 2, "{b_usage}");

        if backend == Backend::Postgres {
            // Another instance on the same database sees the flushed minutes and adds its own.
            let b = spawn_app_with(
                backend,
                Options {
                    existing_pg_database: a.pg_database.clone(),
                    ..Options::no_workers()
                },
            )
            .await;
            searches(&b, t, 3).await;
            assert_eq!(
                ok(&b, "/v1/analytics/usage", t).await["searches_last_24h"],
                8
            );
            server::service::search_stats::flush(&b.state.services)
                .await
                .unwrap();
            assert_eq!(
                ok(&a, "/v1/analytics/usage", t).await["searches_last_24h"],
                8
            );
        }
    }
}

/// Usage and the last ten days' trends.
async fn figures(app: &TestApp, token: &str) -> (Value, Value) {
    (
        ok(app, "/v1/analytics/usage", token).await,
        ok(app, "/v1/analytics/trends?days=10", token).await,
    )
}

#[tokio::test]
async fn counters_fold_without_changing_a_figure_and_count_rows_stored_before_them() {
    use migration::{Migrator, MigratorTrait};
    for backend in BACKENDS {
        let app = spawn_app_with(backend, Options::no_workers()).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let t = alice.access_token.as_str();
        let day = Duration::days(1);
        for i in 0..6 {
            message(&app, t, "a", "user", day * i, 0.1 * i as f64, i % 2 == 0).await;
        }
        let edited = message(&app, t, "b", "assistant", day * 2, 0.9, false).await;
        let gone = message(&app, t, "b", "system", day * 3, 0.3, false).await;
        let edit = json!({"content": "a longer text than the one it replaces", "archived": true});
        let r = app
            .call(
                Method::PUT,
                &format!("/v1/messages/{edited}"),
                t,
                Some(edit),
            )
            .await;
        assert_eq!(r.status(), 200);
        let r = app
            .call(Method::DELETE, &format!("/v1/messages/{gone}"), t, None)
            .await;
        assert!(r.status().is_success());
        let before = figures(&app, t).await;
        assert_eq!(before.0["total_messages"], 7, "{backend:?}: {}", before.0);
        let db = &app.state.services.db;
        let folded = server::store::analytics::fold_counters(db, Default::default())
            .await
            .unwrap();
        assert_eq!(figures(&app, t).await, before, "{backend:?}: folding");
        message(&app, t, "c", "user", Duration::zero(), 0.5, false).await;
        server::store::analytics::fold_counters(db, folded)
            .await
            .unwrap();
        let after = figures(&app, t).await;
        assert_eq!(after.0["total_messages"], 8, "{backend:?}");
        assert_eq!(
            after.0["messages_today"],
            before.0["messages_today"].as_u64().unwrap() + 1
        );

        // Rows stored before the counters existed are counted when they are created.
        app.stop().await;
        Migrator::down(db, Some(1)).await.unwrap();
        Migrator::up(db, None).await.unwrap();
        let today = chrono::Utc::now().date_naive();
        let f = server::store::analytics::message_figures(db, "acme", today)
            .await
            .unwrap();
        let usage = &after.0;
        assert_eq!(
            f.total,
            usage["total_messages"].as_i64().unwrap(),
            "{backend:?}"
        );
        assert_eq!(f.archived, usage["archived_messages"].as_i64().unwrap());
        assert_eq!(f.vectors, usage["total_embeddings"].as_i64().unwrap());
        assert_eq!(f.pending, usage["pending_embeddings"].as_i64().unwrap());
        let vector_bytes = f.vectors as u64 * app.state.services.embedder.dimensions() as u64 * 4;
        assert_eq!(
            f.text_bytes as u64 + vector_bytes,
            usage["storage_bytes"].as_u64().unwrap()
        );
    }
}
