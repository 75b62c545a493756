//! A user's login sessions: listed with their device, ended one at a time or all but the
//! current one — their tokens stop working and their live sockets close at once.

use std::time::Instant;

use reqwest::Method;
use serde_json::{json, Value};

use crate::feed::{access::only_pushed_revocations, connect};
use crate::helpers::*;

const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// Logs `username` in from a client calling itself `agent`; its tokens.
async fn login_as(app: &TestApp, username: &str, agent: &str) -> Value {
    let r = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("user-agent", agent)
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn token(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

async fn sessions(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app
        .call(Method::GET, "/v1/auth/sessions", token, None)
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn status(app: &TestApp, method: Method, path: &str, token: &str) -> u16 {
    app.call(method, path, token, None).await.status().as_u16()
}

#[tokio::test]
async fn a_user_lists_and_ends_their_own_sessions_only() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let bob = app.register_and_login("bob", None).await;
        let laptop = login_as(&app, "alice", FIREFOX).await;

        let listed = sessions(&app, &alice.access_token).await;
        assert_eq!(listed.len(), 2, "{backend:?}: {listed:?}");
        let current: Vec<_> = listed.iter().filter(|s| s["current"] == true).collect();
        assert_eq!(current.len(), 1);
        let other = listed.iter().find(|s| s["current"] == false).unwrap();
        assert_eq!(other["user_agent"], FIREFOX);
        assert_eq!(other["ip_address"], "127.0.0.1");
        for field in ["created_at", "last_used_at", "expires_at"] {
            assert!(other[field].is_string(), "{field}: {other}");
        }
        let laptop_id = other["id"].as_str().unwrap().to_owned();

        // Bob cannot see or end Alice's sessions: her ids are unknown to him.
        assert!(sessions(&app, &bob.access_token)
            .await
            .iter()
            .all(|s| s["id"] != laptop_id.as_str()));
        let path = format!("/v1/auth/sessions/{laptop_id}");
        assert_eq!(
            status(&app, Method::DELETE, &path, &bob.access_token).await,
            404
        );
        assert_eq!(
            status(&app, Method::GET, "/v1/auth/me", token(&laptop)).await,
            200
        );

        assert_eq!(
            status(&app, Method::DELETE, &path, &alice.access_token).await,
            204
        );
        assert_eq!(
            status(&app, Method::GET, "/v1/auth/me", token(&laptop)).await,
            401
        );
        let refresh = json!({"refresh_token": laptop["refresh_token"]});
        let r = app.post_json("/v1/auth/refresh", &refresh).await;
        assert_eq!(
            r.status(),
            401,
            "an ended session's refresh token is dead too"
        );
        assert_eq!(
            status(&app, Method::DELETE, &path, &alice.access_token).await,
            404
        );
        let garbage = "/v1/auth/sessions/not-a-session";
        assert_eq!(
            status(&app, Method::DELETE, garbage, &alice.access_token).await,
            404
        );
        assert_eq!(sessions(&app, &alice.access_token).await.len(), 1);
        assert_eq!(
            status(&app, Method::GET, "/v1/auth/me", &bob.access_token).await,
            200
        );
    }
}

#[tokio::test]
async fn signing_out_everywhere_else_keeps_only_the_current_session() {
    // An instance administrator, who reads the entries of no tenant (an account's own).
    let app = spawn_app_with(
        Backend::Postgres,
        Options {
            vars: vec![("MEMORY_ADMIN_EMAILS".into(), "alice@example.com".into())],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let phone = login_as(&app, "alice", "curl/8.5.0").await;
    let laptop = login_as(&app, "alice", FIREFOX).await;
    let r = app
        .call(
            Method::DELETE,
            "/v1/auth/sessions",
            &alice.access_token,
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"ended": 2}));
    for other in [&phone, &laptop] {
        assert_eq!(
            status(&app, Method::GET, "/v1/auth/me", token(other)).await,
            401
        );
    }
    assert_eq!(
        status(&app, Method::GET, "/v1/auth/me", &alice.access_token).await,
        200
    );
    let left = sessions(&app, &alice.access_token).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["current"], true);

    let audit: Value = app
        .call(
            Method::GET,
            "/v1/audit?action=account.other_sessions_ended",
            &alice.access_token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        audit["entries"].as_array().map(Vec::len),
        Some(1),
        "{audit}"
    );
}

#[tokio::test]
async fn api_keys_do_not_manage_login_sessions() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let key: Value = app
        .call(
            Method::POST,
            "/v1/auth/api-keys",
            &alice.access_token,
            Some(json!({"name": "bot"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap();
    for (method, path) in [
        (Method::GET, "/v1/auth/sessions"),
        (Method::DELETE, "/v1/auth/sessions"),
    ] {
        let r = app.call(method.clone(), path, key, None).await;
        assert_eq!(r.status(), 403, "{method} {path}");
        let (code, _) = error_envelope(r).await;
        assert_eq!(code, "forbidden");
    }
    assert_eq!(sessions(&app, &alice.access_token).await.len(), 1);
}

/// With the periodic re-check an hour away, only the revocation each change pushes can close
/// the sockets; the delay is printed.
#[tokio::test]
async fn ending_sessions_closes_their_sockets_at_once() {
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
        let tenant = alice.tenant_id.clone();
        let laptop = login_as(&app, "alice", FIREFOX).await;
        let phone = login_as(&app, "alice", "curl/8.5.0").await;
        let mut on_laptop = connect(&app.address, &tenant, token(&laptop)).await;
        let mut on_phone = connect(&app.address, &tenant, token(&phone)).await;
        let mut here = connect(&app.address, &tenant, &alice.access_token).await;
        for feed in [&mut on_laptop, &mut on_phone, &mut here] {
            feed.sync().await;
        }

        let listed = sessions(&app, &alice.access_token).await;
        let laptop_id = listed
            .iter()
            .find(|s| s["user_agent"] == FIREFOX)
            .and_then(|s| s["id"].as_str())
            .unwrap()
            .to_owned();
        let started = Instant::now();
        let path = format!("/v1/auth/sessions/{laptop_id}");
        assert_eq!(
            status(&app, Method::DELETE, &path, &alice.access_token).await,
            204
        );
        assert_eq!(on_laptop.close_code().await, 4401, "{backend:?}");
        eprintln!(
            "{backend:?}: an ended session's socket closed {:?} after the request began",
            started.elapsed()
        );

        let started = Instant::now();
        let r = app
            .call(
                Method::DELETE,
                "/v1/auth/sessions",
                &alice.access_token,
                None,
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(on_phone.close_code().await, 4401, "{backend:?}");
        eprintln!(
            "{backend:?}: signed out elsewhere, that socket closed after {:?}",
            started.elapsed()
        );

        // The current session's socket stays: it still gets events.
        store(&app, &alice.access_token, "c", "user", "still here").await;
        let events = here.events(2).await;
        assert_eq!(events[1]["data"]["content"], "still here", "{backend:?}");
    }
}

#[tokio::test]
async fn changing_the_password_closes_the_other_sessions_sockets() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![only_pushed_revocations()],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let laptop = login_as(&app, "alice", FIREFOX).await;
    let mut on_laptop = connect(&app.address, &alice.tenant_id, token(&laptop)).await;
    on_laptop.sync().await;
    let change = json!({"current_password": PASSWORD, "new_password": "EvenBetter456"});
    let r = app
        .call(
            Method::POST,
            "/v1/auth/change-password",
            &alice.access_token,
            Some(change),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(on_laptop.close_code().await, 4401);
    assert_eq!(
        status(&app, Method::GET, "/v1/auth/me", &alice.access_token).await,
        200
    );
}
