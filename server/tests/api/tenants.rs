//! Tenants: the seed README's quick start (register, create a tenant, store into it), listing,
//! renaming, and who may do what.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn a_new_user_creates_a_tenant_and_stores_into_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let token = alice.access_token.as_str();
    let store_into = |tenant: &str| {
        json!({"tenant_id": tenant, "conversation_id": "c1",
        "role": "user", "content": "I prefer tea in the morning"})
    };

    // Storing into a tenant that does not exist is a 403 that says what to do.
    let r = post_message(&app, token, store_into("my-app")).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("POST /v1/tenants"), "{message}");

    let r = app
        .call(
            Method::POST,
            "/v1/tenants",
            token,
            Some(json!({"id": "my-app", "name": "My app"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["id"], "my-app");
    assert_eq!(created["name"], "My app");
    assert_eq!(created["role"], "admin");
    assert_eq!(created["messages"], 0);

    let r = post_message(&app, token, store_into("my-app")).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let listed = app.get_json("/v1/tenants", token).await;
    let rows: Vec<(&str, &str, i64)> = listed["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap(),
                t["role"].as_str().unwrap(),
                t["messages"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [("alice", "admin", 0), ("my-app", "admin", 1)]);

    let renamed = app
        .call(
            Method::PUT,
            "/v1/tenants/my-app",
            token,
            Some(json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    let one = app.get_json("/v1/tenants/my-app", token).await;
    assert_eq!(one["name"], "Renamed");
    assert_eq!(one["conversations"], 1);
    assert_eq!(one["members"], 1);
}

#[tokio::test]
async fn tenant_ids_are_unique_and_only_admins_change_a_tenant() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", Some("acme")).await;
    let bob = app.register_and_login("bob", None).await;
    let create = |id: &str| Some(json!({"id": id}));

    let taken = app
        .call(
            Method::POST,
            "/v1/tenants",
            &bob.access_token,
            create("acme"),
        )
        .await;
    assert_eq!(taken.status(), 409);
    let bad = app
        .call(
            Method::POST,
            "/v1/tenants",
            &bob.access_token,
            create("no spaces"),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["field"], "id");
    let unnamed = app
        .call(
            Method::PUT,
            "/v1/tenants/bob",
            &bob.access_token,
            Some(json!({"name": "  "})),
        )
        .await;
    assert_eq!(unnamed.status(), 422);

    // A foreign tenant and a missing one answer alike.
    for id in ["acme", "nowhere"] {
        for method in [Method::GET, Method::DELETE] {
            let r = app
                .call(
                    method.clone(),
                    &format!("/v1/tenants/{id}"),
                    &bob.access_token,
                    None,
                )
                .await;
            assert_eq!(r.status(), 403, "{method} {id}");
        }
    }

    // A member reads the tenant but neither renames nor deletes it; a key cannot create one.
    let r = app
        .call(
            Method::POST,
            "/v1/tenants/acme/members",
            &alice.access_token,
            Some(json!({"user": "bob", "role": "member"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let bob_token = app.login("bob").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get_json("/v1/tenants/acme", &bob_token).await["role"],
        "member"
    );
    for (method, body) in [
        (Method::PUT, Some(json!({"name": "mine"}))),
        (Method::DELETE, None),
    ] {
        let r = app.call(method, "/v1/tenants/acme", &bob_token, body).await;
        assert_eq!(r.status(), 403);
    }
    let key: Value = app
        .call(
            Method::POST,
            "/v1/auth/api-keys",
            &alice.access_token,
            Some(json!({"name": "app", "scope": "write", "tenant_id": "acme"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap();
    let r = app
        .call(Method::POST, "/v1/tenants", key, create("other"))
        .await;
    assert_eq!(r.status(), 403);
    let by_key = app.get_json("/v1/tenants", key).await;
    assert_eq!(by_key["tenants"].as_array().unwrap().len(), 1);
    assert_eq!(by_key["tenants"][0]["id"], "acme");
}
