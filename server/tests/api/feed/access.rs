//! Who may open the feed, how a connection without a header authenticates, what closes it,
//! and how it answers bad frames and narrows itself.

use reqwest::Method;
use serde_json::{json, Value};

use super::*;
use crate::helpers::*;

#[tokio::test]
async fn the_upgrade_refuses_bad_credentials_and_foreign_tenants() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let bob = app.register_and_login("bob", None).await;
    let path = |t: &str| format!("/v1/ws/messages/{t}");
    let bearer = |t: &str| format!("Bearer {t}");
    let bad = bearer("not-a-token");
    assert_eq!(
        try_connect(
            &app.address,
            &path(&alice.tenant_id),
            &[("authorization", &bad)]
        )
        .await
        .err(),
        Some(401)
    );
    let alices = bearer(&alice.access_token);
    for tenant in [bob.tenant_id.as_str(), "no-such-tenant"] {
        assert_eq!(
            try_connect(&app.address, &path(tenant), &[("authorization", &alices)])
                .await
                .err(),
            Some(403),
            "{tenant}"
        );
    }
    // The original's query-string token, and the alias path.
    let via_query = format!(
        "/ws/messages/{}?token={}",
        alice.tenant_id, alice.access_token
    );
    let mut feed = try_connect(&app.address, &via_query, &[]).await.unwrap();
    assert!(feed.sync().await.is_empty());
    // A plain GET is told, as JSON, that this is a WebSocket address.
    let r = app
        .call(
            Method::GET,
            &path(&alice.tenant_id),
            &alice.access_token,
            None,
        )
        .await;
    assert_eq!(r.status(), 400);
    let (code, _) = error_envelope(r).await;
    assert_eq!(code, "bad_request");
}

#[tokio::test]
async fn a_connection_without_credentials_must_authenticate_first() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![("MEMORY_WS_AUTH_TIMEOUT_SECONDS".into(), "1".into())],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let bob = app.register_and_login("bob", None).await;
    let path = format!("/v1/ws/messages/{}", alice.tenant_id);

    let mut feed = try_connect(&app.address, &path, &[]).await.unwrap();
    feed.send(json!({"action": "auth", "token": alice.access_token}))
        .await;
    let ok = feed.frame().await;
    assert_eq!(ok["type"], "authenticated");
    assert_eq!(ok["tenant_id"], alice.tenant_id.as_str());
    store(&app, &alice.access_token, "c", "user", "hello").await;
    assert_eq!(feed.events(1).await[0]["event"], "conversation.created");

    let mut feed = try_connect(&app.address, &path, &[]).await.unwrap();
    feed.send(json!({"action": "ping"})).await;
    assert_eq!(feed.close_code().await, 4401);

    let mut feed = try_connect(&app.address, &path, &[]).await.unwrap();
    feed.send(json!({"action": "auth", "token": "forged"}))
        .await;
    assert_eq!(feed.close_code().await, 4401);

    let mut feed = try_connect(&app.address, &path, &[]).await.unwrap();
    feed.send(json!({"action": "auth", "token": bob.access_token}))
        .await;
    assert_eq!(feed.close_code().await, 4403);

    let mut silent = try_connect(&app.address, &path, &[]).await.unwrap();
    assert_eq!(silent.close_code().await, 4401);
}

/// A periodic re-check far longer than any test: a socket that closes was closed by the
/// revocation the change pushed to it.
pub fn only_pushed_revocations() -> (String, String) {
    ("MEMORY_WS_RECHECK_SECONDS".into(), "3600".into())
}

#[tokio::test]
async fn revoking_the_credential_closes_the_socket() {
    for backend in BACKENDS {
        let app = spawn_app_with(
            backend,
            Options {
                vars: vec![only_pushed_revocations()],
                ..Default::default()
            },
        )
        .await;
        let alice = app.register_and_login("alice", None).await;
        let key = app
            .call(
                Method::POST,
                "/v1/auth/api-keys",
                &alice.access_token,
                Some(json!({"name": "watcher", "scope": "read"})),
            )
            .await;
        assert_eq!(key.status(), 201);
        let key: Value = key.json().await.unwrap();
        let path = format!("/v1/ws/messages/{}", alice.tenant_id);
        let secret = key["key"].as_str().unwrap();
        let mut by_key = try_connect(&app.address, &path, &[("x-api-key", secret)])
            .await
            .unwrap();
        let session = app.login("alice").await;
        let token = session["access_token"].as_str().unwrap();
        let mut by_session = connect(&app.address, &alice.tenant_id, token).await;
        by_key.sync().await;
        by_session.sync().await;

        let revoke = format!("/v1/auth/api-keys/{}", key["id"].as_str().unwrap());
        let r = app
            .call(Method::DELETE, &revoke, &alice.access_token, None)
            .await;
        assert_eq!(r.status(), 204);
        let r = app.call(Method::POST, "/v1/auth/logout", token, None).await;
        assert_eq!(r.status(), 204);
        assert_eq!(by_key.close_code().await, 4401, "{backend:?}");
        assert_eq!(by_session.close_code().await, 4401, "{backend:?}");
    }
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_connection_stays_open() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let mut feed = connect(&app.address, &alice.tenant_id, &alice.access_token).await;
    let cases: [(&str, &str); 6] = [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ("42", "invalid_frame"),
        (r#"{"action": "fly"}"#, "unknown_action"),
        (
            r#"{"action": "subscribe", "events": ["message.exploded"]}"#,
            "validation_failed",
        ),
        (
            r#"{"action": "subscribe", "colour": "red"}"#,
            "validation_failed",
        ),
    ];
    for (frame, code) in cases {
        feed.send_text(frame).await;
        let answer = feed.frame().await;
        assert_eq!(answer["type"], "error", "{frame}");
        assert_eq!(answer["code"], code, "{frame}: {answer}");
        assert!(answer["message"].is_string());
    }
    feed.send_text(r#"{"action": "subscribe", "events": ["message.exploded"]}"#)
        .await;
    assert_eq!(feed.frame().await["field"], "events[0]");
    assert_eq!(feed.sync().await, Vec::<Value>::new());
}

#[tokio::test]
async fn subscribe_narrows_the_feed_to_a_conversation_and_event_names() {
    let app = spawn_app(Backend::Postgres).await;
    let alice = app.register_and_login("alice", None).await;
    let mut feed = connect(&app.address, &alice.tenant_id, &alice.access_token).await;
    feed.send(
        json!({"action": "subscribe", "conversation_id": "b", "events": ["message.created"]}),
    )
    .await;
    let answer = feed.frame().await;
    assert_eq!(answer["type"], "subscribed");
    assert_eq!(answer["conversation_id"], "b");
    assert_eq!(answer["events"], json!(["message.created"]));
    store(&app, &alice.access_token, "a", "user", "elsewhere").await;
    store(&app, &alice.access_token, "b", "user", "here").await;
    let events = feed.events(1).await;
    assert_eq!(events[0]["event"], "message.created");
    assert_eq!(events[0]["data"]["content"], "here");
    assert!(feed.sync().await.is_empty());
}

#[tokio::test]
async fn removing_a_membership_closes_the_member_s_socket_with_4403() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![only_pushed_revocations()],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", Some("acme")).await;
    let bob = app.register_and_login("bob", None).await;
    let r = app
        .call(
            Method::POST,
            "/v1/tenants/acme/members",
            &alice.access_token,
            Some(json!({"user": "bob", "role": "member"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let added: Value = r.json().await.unwrap();
    let mut feed = connect(&app.address, "acme", &bob.access_token).await;
    feed.sync().await;
    let user_id = added["user_id"].as_str().unwrap();
    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/tenants/acme/members/{user_id}"),
            &alice.access_token,
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        feed.close_code().await,
        4403,
        "a valid credential, no longer a member"
    );
}

#[tokio::test]
async fn a_revocation_on_one_instance_closes_the_sockets_on_another() {
    let vars = vec![only_pushed_revocations()];
    let first = spawn_app_with(
        Backend::Postgres,
        Options {
            vars: vars.clone(),
            ..Default::default()
        },
    )
    .await;
    let second = spawn_app_with(
        Backend::Postgres,
        Options {
            existing_pg_database: first.pg_database.clone(),
            vars,
            ..Default::default()
        },
    )
    .await;
    let alice = first.register_and_login("alice", Some("acme")).await;
    let bob = first.register_and_login("bob", None).await;
    let t = &alice.access_token;
    let r = first
        .call(
            Method::POST,
            "/v1/tenants/acme/members",
            t,
            Some(json!({"user": "bob", "role": "member"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let key: Value = first
        .call(
            Method::POST,
            "/v1/auth/api-keys",
            t,
            Some(json!({"name": "watcher", "scope": "read", "tenant_id": "acme"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let session = second.login("alice").await;
    let session_token = session["access_token"].as_str().unwrap();
    // Every socket is on the second instance; every change is made on the first.
    let path = "/v1/ws/messages/acme";
    let secret = key["key"].as_str().unwrap();
    let mut by_key = try_connect(&second.address, path, &[("x-api-key", secret)])
        .await
        .unwrap();
    let mut by_session = connect(&second.address, "acme", session_token).await;
    let mut member = connect(&second.address, "acme", &bob.access_token).await;
    for feed in [&mut by_key, &mut by_session, &mut member] {
        feed.sync().await;
    }
    let changes = [
        (
            Method::DELETE,
            format!("/v1/auth/api-keys/{}", key["id"].as_str().unwrap()),
            t.as_str(),
            &mut by_key,
            4401,
        ),
        (
            Method::POST,
            "/v1/auth/logout".to_owned(),
            session_token,
            &mut by_session,
            4401,
        ),
        (
            Method::DELETE,
            format!("/v1/tenants/acme/members/{}", bob.id),
            t.as_str(),
            &mut member,
            4403,
        ),
    ];
    for (method, path, token, feed, code) in changes {
        let started = std::time::Instant::now();
        let r = first.call(method, &path, token, None).await;
        assert_eq!(r.status(), 204, "{path}");
        assert_eq!(feed.close_code().await, code, "{path}");
        eprintln!(
            "{path}: the other instance's socket closed {code} after {:?}",
            started.elapsed()
        );
    }
}
