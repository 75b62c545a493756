//! API keys: shown once, listed without the secret, usable in both headers, revocable at once.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn create_key(app: &TestApp, user: &TestUser, body: serde_json::Value) -> serde_json::Value {
    let r = app
        .call(
            Method::POST,
            "/v1/auth/api-keys",
            &user.access_token,
            Some(body),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_key_is_shown_once_and_works_in_either_header_until_revoked() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let created = create_key(&app, &alice, json!({"name": "ingest", "scope": "read"})).await;
        let key = created["key"].as_str().unwrap().to_owned();
        assert!(key.starts_with("mm_"));
        assert_eq!(created["tenant_id"], alice.tenant_id.as_str());
        assert_eq!(created["scope"], "read");

        let listed = app
            .call(Method::GET, "/v1/auth/api-keys", &alice.access_token, None)
            .await
            .text()
            .await
            .unwrap();
        assert!(!listed.contains(&key[10..]), "the secret is never listed");
        let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
        assert_eq!(listed[0]["prefix"], &key[..15]);
        assert!(listed[0].get("key").is_none());

        let via_header = app
            .client
            .get(app.url("/v1/auth/me"))
            .header("x-api-key", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(via_header.status(), 200, "{backend:?}");
        let via_bearer = app.call(Method::GET, "/v1/auth/me", &key, None).await;
        assert_eq!(via_bearer.status(), 200);

        // Last use is recorded beside the request, so it may land just after the answer.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let listed: serde_json::Value = app
                .call(Method::GET, "/v1/auth/api-keys", &alice.access_token, None)
                .await
                .json()
                .await
                .unwrap();
            if listed[0]["last_used_at"].is_string() {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "use is recorded");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }

        let id = created["id"].as_str().unwrap();
        let path = format!("/v1/auth/api-keys/{id}");
        let r = app
            .call(Method::DELETE, &path, &alice.access_token, None)
            .await;
        assert_eq!(r.status(), 204);
        assert_eq!(
            app.call(Method::GET, "/v1/auth/me", &key, None)
                .await
                .status(),
            401
        );
        let again = app
            .call(Method::DELETE, &path, &alice.access_token, None)
            .await;
        assert_eq!(again.status(), 404);
    }
}

#[tokio::test]
async fn keys_cannot_be_guessed_forged_or_used_to_mint_keys() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let key = create_key(&app, &alice, json!({"name": "k"})).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut forged = key.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    assert_eq!(
        app.call(Method::GET, "/v1/auth/me", &forged, None)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.call(Method::GET, "/v1/auth/me", "mm_nonsense", None)
            .await
            .status(),
        401
    );
    let minted = app
        .call(
            Method::POST,
            "/v1/auth/api-keys",
            &key,
            Some(json!({"name": "more"})),
        )
        .await;
    assert_eq!(minted.status(), 403);
}

#[tokio::test]
async fn another_tenants_key_is_invisible_and_cannot_be_revoked() {
    let app = spawn_app(Backend::Postgres).await;
    let alice = app.register_and_login("alice", None).await;
    let bob = app.register_and_login("bob", None).await;
    let alices = create_key(&app, &alice, json!({"name": "alice-key"})).await;
    let bobs: serde_json::Value = app
        .call(Method::GET, "/v1/auth/api-keys", &bob.access_token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bobs, json!([]));
    let path = format!("/v1/auth/api-keys/{}", alices["id"].as_str().unwrap());
    let r = app
        .call(Method::DELETE, &path, &bob.access_token, None)
        .await;
    assert_eq!(r.status(), 404, "a foreign id looks like a missing one");
    let r = app
        .call(
            Method::POST,
            "/v1/auth/api-keys",
            &bob.access_token,
            Some(json!({"name": "sneaky", "tenant_id": "alice"})),
        )
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn expired_keys_stop_working_and_bad_fields_are_422() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    for body in [
        json!({"name": ""}),
        json!({"name": "k", "scope": "admin"}),
        json!({"name": "k", "expires_days": 0}),
    ] {
        let r = app
            .call(
                Method::POST,
                "/v1/auth/api-keys",
                &alice.access_token,
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status(), 422, "{body}");
    }
    let created = create_key(&app, &alice, json!({"name": "k", "expires_days": 1})).await;
    let key = created["key"].as_str().unwrap();
    assert_eq!(
        app.call(Method::GET, "/v1/auth/me", key, None)
            .await
            .status(),
        200
    );
    use sea_orm::ConnectionTrait;
    let db = &app.state.services.db;
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE api_keys SET expires_at = $1",
        [chrono::Utc::now()
            .checked_sub_signed(chrono::Duration::hours(1))
            .unwrap()
            .into()],
    ))
    .await
    .unwrap();
    assert_eq!(
        app.call(Method::GET, "/v1/auth/me", key, None)
            .await
            .status(),
        401
    );
}
