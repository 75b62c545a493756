//! Messages and conversations through the public API, on both backends.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn a_stored_message_comes_back_embedded_with_its_importance() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let r = post_message(
            &app,
            &alice.access_token,
            json!({"conversation_id": "c1", "role": "user", "content": "  I love sourdough  ",
                   "metadata": {"topic": "baking"}}),
        )
        .await;
        assert_eq!(r.status(), 201, "{backend:?}");
        let m: Value = r.json().await.unwrap();
        assert_eq!(m["content"], "I love sourdough", "content is trimmed");
        assert_eq!(m["tenant_id"], "alice", "tenant from the credential");
        assert_eq!(m["embedding_status"], "completed");
        assert_eq!(m["metadata"], json!({"topic": "baking"}));
        assert!((m["importance_score"].as_f64().unwrap() - 0.54).abs() < 0.01);
        let id = m["id"].as_str().unwrap();
        let got = app
            .get_json(&format!("/v1/messages/{id}"), &alice.access_token)
            .await;
        assert_eq!(got, m);
    }
}

#[tokio::test]
async fn invalid_messages_are_422_naming_the_field() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let ok = json!({"conversation_id": "c1", "role": "user", "content": "hi"});
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    for (field, value) in [
        ("conversation_id", json!("bad id!")),
        ("conversation_id", json!("x".repeat(129))),
        ("role", json!("robot")),
        ("content", json!("   ")),
        ("content", json!("x".repeat(100_001))),
        ("metadata", json!({"a": {"b": {"c": {"d": 1}}}})),
        ("metadata", json!("not an object")),
        ("importance_override", json!(1.5)),
        ("created_at", json!(future)),
        ("created_at", json!("yesterday")),
        ("tenant_id", json!("bad tenant!")),
    ] {
        let mut body = ok.clone();
        body[field] = value;
        let r = post_message(&app, &alice.access_token, body).await;
        assert_eq!(r.status(), 422, "{field}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], field, "{e}");
    }
}

#[tokio::test]
async fn conversations_are_created_by_messages_and_counted_exactly() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        let old = json!({"conversation_id": "trip", "role": "user", "content": "Booked Lisbon",
                         "created_at": "2024-05-01T10:00:00Z"});
        assert_eq!(post_message(&app, t, old).await.status(), 201);
        let newest = store(&app, t, "trip", "assistant", "Enjoy Lisbon!").await;
        store(&app, t, "other", "user", "unrelated").await;

        let c: Value = app
            .call(Method::GET, "/v1/conversations/trip", t, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(c["message_count"], 2, "{backend:?}");
        assert_eq!(c["last_message_at"], newest["created_at"]);

        let id = newest["id"].as_str().unwrap();
        let r = app
            .call(Method::DELETE, &format!("/v1/messages/{id}"), t, None)
            .await;
        assert_eq!(r.status(), 204);
        let c: Value = app
            .call(Method::GET, "/v1/conversations/trip", t, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(c["message_count"], 1);
        assert!(c["last_message_at"]
            .as_str()
            .unwrap()
            .starts_with("2024-05-01T10:00:00"));

        let page: Value = app
            .call(Method::GET, "/v1/conversations?page_size=1", t, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], 2);
        assert_eq!(page["conversations"].as_array().unwrap().len(), 1);

        let r = app
            .call(Method::DELETE, "/v1/conversations/trip", t, None)
            .await;
        assert_eq!(r.status(), 409, "it still has messages");
        let r = app
            .call(
                Method::DELETE,
                "/v1/conversations/trip?delete_messages=true",
                t,
                None,
            )
            .await;
        assert_eq!(r.status(), 204);
        let r = app
            .call(Method::GET, "/v1/conversations/trip", t, None)
            .await;
        assert_eq!(r.status(), 404);
    }
}

#[tokio::test]
async fn the_same_conversation_id_in_two_tenants_is_two_conversations() {
    let app = spawn_app(Backend::Postgres).await;
    let alice = app.register_and_login("alice", None).await;
    let bob = app.register_and_login("bob", None).await;
    store(
        &app,
        &alice.access_token,
        "shared-name",
        "user",
        "alice's secret plan",
    )
    .await;
    store(&app, &bob.access_token, "shared-name", "user", "bob's note").await;
    let c: Value = app
        .call(
            Method::GET,
            "/v1/conversations/shared-name",
            &bob.access_token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["message_count"], 1);
    assert_eq!(c["tenant_id"], "bob");
}

#[tokio::test]
async fn editing_content_re_embeds_and_an_override_is_kept() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        let m = store(&app, t, "c", "user", "my cat is called Felix").await;
        store(&app, t, "c", "user", "the weather is grey today").await;
        let path = format!("/v1/messages/{}", m["id"].as_str().unwrap());
        let r = app
            .call(
                Method::PUT,
                &path,
                t,
                Some(json!({"importance_override": 0.95})),
            )
            .await;
        assert_eq!(r.status(), 200);
        let r = app
            .call(
                Method::PUT,
                &path,
                t,
                Some(json!({"content": "my dog is called Rex", "metadata": null})),
            )
            .await;
        assert_eq!(r.status(), 200, "{backend:?}");
        let edited: Value = r.json().await.unwrap();
        assert_eq!(
            edited["importance_score"], 0.95,
            "the override survives the edit"
        );
        assert_eq!(edited["metadata"], json!({}));
        // The old words no longer find it through its vector; the new ones do.
        let app = &app;
        let search = |q: &str| {
            let path = format!("/v1/memory/search?query={q}&mode=vector&top_k=1");
            async move {
                let r: Value = app
                    .call(Method::GET, &path, t, None)
                    .await
                    .json()
                    .await
                    .unwrap();
                r["items"][0]["content"].as_str().unwrap().to_owned()
            }
        };
        assert_eq!(search("dog%20Rex").await, "my dog is called Rex");
        assert_ne!(search("cat%20Felix").await, "my cat is called Felix");
    }
}

#[tokio::test]
async fn another_tenants_message_is_a_404_like_a_missing_one() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let bob = app.register_and_login("bob", None).await;
    let m = store(&app, &alice.access_token, "c", "user", "alice only").await;
    let path = format!("/v1/messages/{}", m["id"].as_str().unwrap());
    for method in [Method::GET, Method::DELETE] {
        let r = app
            .call(method.clone(), &path, &bob.access_token, None)
            .await;
        assert_eq!(r.status(), 404, "{method}");
    }
    let r = app
        .call(
            Method::PUT,
            &path,
            &bob.access_token,
            Some(json!({"content": "hijacked"})),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .call(
            Method::GET,
            &format!("{path}?tenant_id=alice"),
            &bob.access_token,
            None,
        )
        .await;
    assert_eq!(r.status(), 403, "naming a tenant you are not in");
    let r = app
        .call(
            Method::GET,
            "/v1/messages/not-a-uuid",
            &alice.access_token,
            None,
        )
        .await;
    assert_eq!(r.status(), 404);
}
