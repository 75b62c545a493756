//! Batch routes: partial success (207), one transaction, aliases, isolation.

use reqwest::Method;
use serde_json::{json, Value};

use crate::{helpers::*, messages::store};

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
                    {"conversation_id": "b", "role": "user", "content": "x", "tenant_id": "bob"},
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
        assert_eq!(errors, [(1, "validation_failed"), (3, "forbidden")]);
        assert_eq!(body["errors"][0]["field"], "role");
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
        assert!(body["created"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["embedding_status"] == "completed"));
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
        let c: Value = app
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
