//! The dashboard's session cookie on REST and on the feed: accepted from the server's own pages
//! and the configured origins, refused from any other site (cross-site WebSocket hijacking).

use reqwest::{header, Method};
use serde_json::{json, Value};

use super::*;
use crate::helpers::*;

const DASHBOARD: &str = "https://dash.example";

async fn with_cookie(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    origin: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header(header::COOKIE, cookie);
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    if path == "/v1/messages" {
        request = request.json(&json!({"conversation_id": "c", "role": "user", "content": "hi"}));
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_session_cookie_works_from_own_pages_and_nowhere_else() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![
                ("MEMORY_ALLOWED_ORIGINS".into(), DASHBOARD.into()),
                ("MEMORY_WS_RECHECK_SECONDS".into(), "1".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let cookie = cookie_login(&app, "alice").await;
    let own = app.address.clone();

    // REST: reads from anywhere without an Origin (top-level navigation); anything else only
    // from the server's own origin or a listed one.
    let me = with_cookie(&app, Method::GET, "/v1/auth/me", &cookie, None).await;
    assert_eq!(me.status(), 200);
    let path_store = "/v1/messages";
    for (origin, status) in [
        (Some(own.as_str()), 201),
        (Some(DASHBOARD), 201),
        (Some("https://evil.example"), 403),
        (Some("null"), 403),
        (None, 403),
    ] {
        let r = with_cookie(&app, Method::POST, path_store, &cookie, origin).await;
        assert_eq!(r.status(), status, "{origin:?}");
        if status == 403 {
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"]["code"], "forbidden");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains("own pages"), "{message}");
        }
    }

    // The feed: a page on another site cannot open it with the user's cookie.
    let path = format!("/v1/ws/messages/{}", alice.tenant_id);
    for evil in ["https://evil.example", "http://127.0.0.1:1"] {
        let refused = try_connect(
            &app.address,
            &path,
            &[("cookie", &cookie), ("origin", evil)],
        )
        .await;
        assert_eq!(refused.err(), Some(403), "{evil}");
    }
    let mut from_dashboard = try_connect(
        &app.address,
        &path,
        &[("cookie", &cookie), ("origin", DASHBOARD)],
    )
    .await
    .expect("a listed origin may use the cookie");
    let mut from_own = try_connect(
        &app.address,
        &path,
        &[("cookie", &cookie), ("origin", &own)],
    )
    .await
    .expect("the server's own pages may use the cookie");
    from_dashboard.sync().await;
    from_own.sync().await;
    store(&app, &alice.access_token, "c", "user", "seen live").await;
    for feed in [&mut from_dashboard, &mut from_own] {
        let events = feed.events(2).await;
        assert_eq!(names(&events), ["message.created", "message.embedded"]);
        assert_eq!(events[0]["data"]["content"], "seen live");
    }

    // Logging out of the cookie session removes the cookie, and closes its sockets.
    let out = with_cookie(
        &app,
        Method::DELETE,
        "/v1/auth/session",
        &cookie,
        Some(&own),
    )
    .await;
    assert_eq!(out.status(), 204);
    let cleared = out.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("mm_session=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let me = with_cookie(&app, Method::GET, "/v1/auth/me", &cookie, None).await;
    assert_eq!(me.status(), 401);
    assert_eq!(from_own.close_code().await, 4401);
    assert_eq!(from_dashboard.close_code().await, 4401);
}

#[tokio::test]
async fn a_header_credential_needs_no_origin_check() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let r = app
        .client
        .post(app.url("/v1/messages"))
        .bearer_auth(&alice.access_token)
        .header(header::ORIGIN, "https://elsewhere.example")
        .json(&json!({"conversation_id": "c", "role": "user", "content": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let bad = app
        .post_json(
            "/v1/auth/session",
            &json!({"username": "alice", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(bad.status(), 401);
    assert!(bad.headers().get(header::SET_COOKIE).is_none());
}
