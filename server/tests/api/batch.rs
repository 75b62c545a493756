//! Batch routes: partial success (207), one transaction, aliases, isolation.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn a_batch_stores_valid_items_and_reports_invalid_ones_by_index() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch",
                t,
                Some(json!({"messages": [
                    {"conversation_id": "b", "role": "user", "content": "first"},
                    {"conversation_id": "b", "role": "robot", "content": "bad role"},
                    {"conversation_id": "b", "role": "assistant", "content": "third"},
                    {"conversation_id": "b", "role": "user", "content": "x", "tenant_id": "b@d"},
                ]})),
            )
            .await;
        assert_eq!(r.status(), 207, "{backend:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["created"].as_array().unwrap().len(), 2);
        let errors: Vec<(u64, &str)> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["index"].as_u64().unwrap(), e["code"].as_str().unwrap()))
            .collect();
        assert_eq!(errors, [(1, "validation_failed"), (3, "validation_failed")]);
        assert_eq!(body["errors"][0]["field"], "role");
        assert_eq!(body["errors"][1]["field"], "tenant_id");
        let c: Value = app
            .call(Method::GET, "/v1/conversations/b", t, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(c["message_count"], 2);

        let all_good: Vec<Value> = (0..50)
            .map(|i| json!({"conversation_id": "bulk", "role": "user", "content": format!("note {i}")}))
            .collect();
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch",
                t,
                Some(json!({"messages": all_good})),
            )
            .await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        let statuses: Vec<&Value> = body["created"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| &m["embedding_status"])
            .collect();
        assert_eq!(statuses, vec!["completed"; 50]);
    }
}

#[tokio::test]
async fn a_batch_the_caller_may_not_write_is_refused_whole_and_writes_nothing() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let bob = app.register_and_login("bob", Some("bobco")).await;
        let t = &alice.access_token;
        let item =
            |content: &str| json!({"conversation_id": "w", "role": "user", "content": content});
        // One item in a tenant of someone else's refuses everything, even a tenant another
        // item would have created.
        let mut foreign = item("elsewhere");
        foreign["tenant_id"] = "bobco".into();
        let mut fresh = item("new");
        fresh["tenant_id"] = "nowhere".into();
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch",
                t,
                Some(json!({"messages": [item("mine"), fresh, foreign]})),
            )
            .await;
        assert_eq!(r.status(), 403, "{backend:?}");
        let (code, _) = error_envelope(r).await;
        assert_eq!(code, "forbidden");
        let r = app.call(Method::GET, "/v1/tenants/nowhere", t, None).await;
        assert_eq!(
            r.status(),
            403,
            "{backend:?}: the refused batch created no tenant"
        );
        // A read-only member and a read-scope key may not write at all.
        let r = app
            .call(
                Method::POST,
                "/v1/tenants/acme/members",
                t,
                Some(json!({"user": "bob", "role": "read_only"})),
            )
            .await;
        assert_eq!(r.status(), 201);
        let mut readonly = item("from a reader");
        readonly["tenant_id"] = "acme".into();
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch",
                &bob.access_token,
                Some(json!({"messages": [readonly]})),
            )
            .await;
        assert_eq!(r.status(), 403, "{backend:?}");
        let key: Value = app
            .call(
                Method::POST,
                "/v1/auth/api-keys",
                t,
                Some(json!({"name": "reader", "scope": "read", "tenant_id": "acme"})),
            )
            .await
            .json()
            .await
            .unwrap();
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch",
                key["key"].as_str().unwrap(),
                Some(json!({"messages": [item("from a key")]})),
            )
            .await;
        assert_eq!(r.status(), 403, "{backend:?}");
        let c = app.get_json("/v1/conversations/w", t).await;
        assert_eq!(c["error"]["code"], "not_found", "nothing was written: {c}");
    }
}

#[tokio::test]
async fn a_full_async_batch_keeps_every_conversation_exact_and_queues_every_job() {
    // 1000 messages: more than one INSERT's worth, over an existing conversation and a new
    // one, with imported times out of order.
    let base = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
    let at = |minutes: i64| (base + chrono::Duration::minutes(minutes)).to_rfc3339();
    for backend in BACKENDS {
        let app = spawn_app_with(backend, Options::no_workers()).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        let newest_in_a = at(300_000);
        let r = app
            .call(
                Method::POST,
                "/v1/messages?async=true",
                t,
                Some(
                    json!({"conversation_id": "a", "role": "user", "content": "already here",
                            "created_at": newest_in_a}),
                ),
            )
            .await;
        assert_eq!(r.status(), 202);
        let minutes = |i: i64| (i * 7919) % 1000;
        let items: Vec<Value> = (0..1000)
            .map(|i| {
                json!({"conversation_id": if i % 2 == 0 { "a" } else { "b" }, "role": "user",
                       "content": format!("imported note {i}"), "created_at": at(minutes(i))})
            })
            .collect();
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch?async=true",
                t,
                Some(json!({"messages": items})),
            )
            .await;
        assert_eq!(r.status(), 202, "{backend:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["created"].as_array().unwrap().len(), 1000);

        let conversation = |id: &'static str| {
            let app = &app;
            async move {
                let c: Value = app
                    .call(Method::GET, &format!("/v1/conversations/{id}"), t, None)
                    .await
                    .json()
                    .await
                    .unwrap();
                let last =
                    chrono::DateTime::parse_from_rfc3339(c["last_message_at"].as_str().unwrap())
                        .unwrap();
                (c["message_count"].as_i64().unwrap(), last)
            }
        };
        let newest_in_b = (0..1000).filter(|i| i % 2 == 1).map(minutes).max().unwrap();
        assert_eq!(
            conversation("a").await,
            (
                501,
                chrono::DateTime::parse_from_rfc3339(&newest_in_a).unwrap()
            ),
            "{backend:?}: the older imports leave the newest message in place"
        );
        assert_eq!(
            conversation("b").await,
            (
                500,
                chrono::DateTime::parse_from_rfc3339(&at(newest_in_b)).unwrap()
            ),
            "{backend:?}: the newest import, not the last one sent"
        );
        assert_eq!(
            server::store::jobs::outstanding(&app.state.services.db)
                .await
                .unwrap(),
            1001,
            "{backend:?}: a job for every message"
        );
    }
}

#[tokio::test]
async fn batch_size_limits_are_422() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let too_many: Vec<Value> = (0..1001)
        .map(|_| json!({"conversation_id": "c", "role": "user", "content": "x"}))
        .collect();
    for body in [json!({"messages": []}), json!({"messages": too_many})] {
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch",
                &alice.access_token,
                Some(body),
            )
            .await;
        assert_eq!(r.status(), 422);
    }
}

#[tokio::test]
async fn batch_update_and_delete_report_foreign_ids_as_missing() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let bob = app.register_and_login("bob", None).await;
        let a = store(&app, &alice.access_token, "c", "user", "alice one").await;
        let a2 = store(&app, &alice.access_token, "c", "user", "alice two").await;
        let b = store(&app, &bob.access_token, "c", "user", "bob's").await;
        let (a, a2, b) = (&a["id"], &a2["id"], &b["id"]);

        for path in ["/v1/messages/batch/update"] {
            for method in [Method::PUT, Method::POST] {
                let r = app
                    .call(
                        method,
                        path,
                        &alice.access_token,
                        Some(json!({"updates": [
                            {"message_id": a, "update": {"importance_override": 0.9}},
                            {"message_id": b, "update": {"content": "hijack"}},
                        ]})),
                    )
                    .await;
                assert_eq!(r.status(), 207, "{backend:?}");
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["updated"][0]["importance_score"], 0.9);
                assert_eq!(body["errors"][0]["code"], "not_found");
            }
        }
        let bob_msg: Value = app
            .call(
                Method::GET,
                &format!("/v1/messages/{}", b.as_str().unwrap()),
                &bob.access_token,
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(bob_msg["content"], "bob's");

        let r = app
            .call(
                Method::DELETE,
                "/v1/messages/batch",
                &alice.access_token,
                Some(json!({"message_ids": [a, b, "nonsense"]})),
            )
            .await;
        assert_eq!(r.status(), 207);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["deleted"], json!([a]));
        assert_eq!(body["errors"].as_array().unwrap().len(), 2);
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch/delete",
                &alice.access_token,
                Some(json!({"message_ids": [a2]})),
            )
            .await;
        assert_eq!(r.status(), 200);
        let c = app
            .get_json("/v1/conversations/c", &alice.access_token)
            .await;
        assert_eq!(c["message_count"], 0);
        let c: Value = app
            .call(Method::GET, "/v1/conversations/c", &bob.access_token, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            c["message_count"], 1,
            "bob's message survived alice's batch"
        );
    }
}
