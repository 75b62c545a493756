//! The dashboard's server functions, called over HTTP as the browser calls them: the same
//! answers, refusals and error envelope as the REST API, by the session cookie from the
//! server's own pages only.

use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// Calls server function `path` (`/api/…`) with `cookie` and, if given, an `Origin`.
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    let r = request.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_server_function_answers_what_rest_answers_for_the_session_cookie() {
    for backend in BACKENDS {
        let (app, alice, cookie, _) = alice_with_tea(backend).await;
        let (status, page) = call(
            &app,
            Method::GET,
            "/api/conversations?page_size=5",
            Some(&cookie),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {page}");
        let rest = app
            .get_json("/v1/conversations?page_size=5", &alice.access_token)
            .await;
        assert_eq!(page, rest, "{backend:?}");
        assert_eq!(page["conversations"][0]["id"], "tea");
    }
}

#[tokio::test]
async fn another_tenant_through_a_server_function_is_refused_as_through_rest() {
    let (app, alice, _, _) = alice_with_tea(Backend::Sqlite).await;
    app.register_and_login("bob", None).await;
    let bob = cookie_login(&app, "bob").await;
    let path = format!("/api/conversations?tenant_id={}", alice.tenant_id);
    let (status, body) = call(&app, Method::GET, &path, Some(&bob), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(!body.to_string().contains("tea"), "{body}");
}

#[tokio::test]
async fn without_a_credential_a_server_function_answers_401_with_the_envelope() {
    let (app, _, _, _) = alice_with_tea(Backend::Sqlite).await;
    let r = app
        .client
        .get(app.url("/api/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    // The envelope names the request, as REST's does.
    assert_eq!(body["error"]["request_id"], id.as_str());
    // So does the refusal of a call from another site.
    let r = app
        .client
        .post(app.url("/api/sign_out"))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], id.as_str());
}

#[tokio::test]
async fn input_a_server_function_cannot_read_is_422_not_500() {
    let (app, _, cookie, _) = alice_with_tea(Backend::Sqlite).await;
    let path = "/api/conversations?page_size=many";
    let (status, body) = call(&app, Method::GET, path, Some(&cookie), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "validation_failed");
    // A value the use case refuses names its field, as through REST.
    let path = "/api/conversations?page_size=1000";
    let (status, body) = call(&app, Method::GET, path, Some(&cookie), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "page_size");
}

#[tokio::test]
async fn a_server_function_call_that_may_change_something_comes_only_from_own_pages() {
    let (app, _, cookie, _) = alice_with_tea(Backend::Sqlite).await;
    for origin in [Some("https://evil.example"), None] {
        let (status, body) = call(
            &app,
            Method::POST,
            "/api/conversations",
            Some(&cookie),
            origin,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?}: {body}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    // A read from another site's page is refused too: the cookie counts only from ours.
    let evil = Some("https://evil.example");
    let (status, _) = call(&app, Method::GET, "/api/conversations", Some(&cookie), evil).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_conversation_and_its_messages_read_as_through_rest() {
    for backend in BACKENDS {
        let (app, alice, cookie, _) = alice_with_tea(backend).await;
        let t = &alice.access_token;
        let (status, one) = call(
            &app,
            Method::GET,
            "/api/conversation?id=tea",
            Some(&cookie),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {one}");
        assert_eq!(one, app.get_json("/v1/conversations/tea", t).await);
        let path = "/api/conversation/messages?id=tea&order=desc&page_size=10";
        let (status, page) = call(&app, Method::GET, path, Some(&cookie), None).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {page}");
        let rest = "/v1/conversations/tea/messages?order=desc&page_size=10";
        assert_eq!(page, app.get_json(rest, t).await, "{backend:?}");
        assert_eq!(page["messages"][0]["content"], "I like green tea");
    }
}

#[tokio::test]
async fn another_tenant_s_conversation_is_not_found_through_a_server_function() {
    let (app, _, _, _) = alice_with_tea(Backend::Sqlite).await;
    app.register_and_login("bob", None).await;
    let bob = cookie_login(&app, "bob").await;
    for path in [
        "/api/conversation?id=tea",
        "/api/conversation/messages?id=tea",
    ] {
        let (status, body) = call(&app, Method::GET, path, Some(&bob), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(!body.to_string().contains("green tea"), "{body}");
    }
}

#[tokio::test]
async fn search_through_a_server_function_finds_what_rest_finds() {
    for backend in BACKENDS {
        let (app, alice, cookie, _) = alice_with_tea(backend).await;
        let own = app.address.clone();
        let request = json!({"query": "green tea", "mode": "lexical", "top_k": 5});
        let r = app
            .client
            .post(app.url("/api/search"))
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, own.as_str())
            .json(&json!({"request": request}))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let found: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{backend:?}: {found}");
        let rest: Value = app
            .call(
                Method::POST,
                "/v1/memory/search",
                &alice.access_token,
                Some(request),
            )
            .await
            .json()
            .await
            .unwrap();
        let ids = |v: &Value| -> Vec<Value> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["message_id"].clone())
                .collect()
        };
        assert_eq!(ids(&found), ids(&rest), "{backend:?}");
        assert_eq!(found["items"][0]["content"], "I like green tea");
    }
}

/// Posts the sign-in form to the server function, from `origin`.
async fn sign_in_form(app: &TestApp, password: &str, origin: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/sign_in"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!(
            "username=alice&password={}",
            password.replace(' ', "+")
        ));
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn signing_in_through_a_server_function_sets_the_session_cookie() {
    let (app, _, _, _) = alice_with_tea(Backend::Sqlite).await;
    let own = app.address.clone();
    let r = sign_in_form(&app, PASSWORD, Some(&own)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    for attribute in ["mm_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    let cookie = set.split(';').next().unwrap();
    let (status, page) = call(&app, Method::GET, "/api/conversations", Some(cookie), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["conversations"][0]["id"], "tea");
}

#[tokio::test]
async fn a_wrong_password_or_a_foreign_page_sets_no_cookie() {
    let (app, _, _, _) = alice_with_tea(Backend::Sqlite).await;
    let own = app.address.clone();
    let r = sign_in_form(&app, "not her password", Some(&own)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get(header::SET_COOKIE).is_none());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Invalid credentials.");
    // A login posted from another site (login CSRF) is refused before it is checked.
    let r = sign_in_form(&app, PASSWORD, Some("https://evil.example")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get(header::SET_COOKIE).is_none());
}
