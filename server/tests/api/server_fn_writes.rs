//! The dashboard's server functions that change something: each makes the REST API's change,
//! under its rules (tenant, role, confirmation), and only from the server's own pages — a rule
//! checked here for every registered server function, so a new one cannot be forgotten.

use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// Posts form `fields` to server function `path` with `cookie`, from `origin`.
pub async fn post_form(
    app: &TestApp,
    path: &str,
    cookie: &str,
    origin: Option<&str>,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let mut request = app
        .client
        .post(app.url(path))
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    let r = request.send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_server_function_that_may_change_something_refuses_other_origins() {
    let (app, alice, cookie, id) = alice_with_tea(Backend::Sqlite).await;
    let paths: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_owned(), method.to_string()))
        .collect();
    let posts: Vec<_> = paths.iter().filter(|(_, m)| m != "GET").collect();
    assert!(posts.len() >= 10, "the writes are registered: {paths:?}");
    // Arguments that would change something were the call let through.
    let fields = [
        ("id", id.as_str()),
        ("conversation_id", "tea"),
        ("role", "user"),
        ("content", "forged"),
        ("title", "forged"),
        ("archived", "true"),
        ("delete_messages", "true"),
        ("name", "forged"),
        ("current_password", PASSWORD),
        ("new_password", "Forged123456"),
        ("email", "forged@example.com"),
        ("dry_run", "false"),
        ("enabled", "true"),
        ("rule_type", "age"),
        ("action", "delete"),
        ("max_age_days", "1"),
        ("importance_threshold", "1"),
        ("min_age_days", "1"),
        ("max_items", "1"),
        ("delete_after_days", "1"),
    ];
    for (path, _) in &posts {
        for origin in [Some("https://evil.example"), None] {
            let (status, body) = post_form(&app, path, &cookie, origin, &fields).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{path} from {origin:?}: {body}"
            );
            assert_eq!(body["error"]["code"], "forbidden", "{path}");
        }
    }
    // Nothing changed, and the session still works.
    let t = &alice.access_token;
    let message = app.get_json(&format!("/v1/messages/{id}"), t).await;
    assert_eq!(message["content"], "I like green tea");
    assert_eq!(message["archived"], false);
    let page = app.get_json("/v1/conversations/tea/messages", t).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    assert_eq!(app.get_json("/v1/auth/api-keys", t).await, json!([]));
    assert_eq!(
        app.get_json("/v1/retention/runs", t).await["runs"],
        json!([])
    );
    assert_eq!(app.get_json("/v1/retention/rules", t).await, json!([]));
    let policy = app.get_json("/v1/retention/policy", t).await;
    assert_eq!(policy["updated_at"], Value::Null, "{policy}");
    assert_eq!(
        app.get_json("/v1/auth/me", t).await["email"],
        "alice@example.com"
    );
    assert_eq!(
        app.get_json("/v1/auth/sessions", t)
            .await
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    app.login("alice").await;
    let reads: Vec<_> = paths.iter().filter(|(_, m)| m == "GET").collect();
    assert!(!reads.is_empty());
}

#[tokio::test]
async fn messages_are_added_edited_archived_and_deleted_as_through_rest() {
    for backend in BACKENDS {
        let (app, alice, cookie, id) = alice_with_tea(backend).await;
        let own = Some(app.address.clone());
        let own = own.as_deref();
        let t = &alice.access_token;
        let fields = [
            ("conversation_id", "tea"),
            ("role", "assistant"),
            ("content", "Sencha, then"),
        ];
        let (status, added) = post_form(&app, "/api/messages/add", &cookie, own, &fields).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {added}");
        let rest = app
            .get_json(
                &format!("/v1/messages/{}", added["id"].as_str().unwrap()),
                t,
            )
            .await;
        assert_eq!(rest, added, "{backend:?}");
        let fields = [("id", id.as_str()), ("content", "I like oolong tea")];
        let (status, edited) = post_form(&app, "/api/messages/edit", &cookie, own, &fields).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {edited}");
        assert_eq!(edited["content"], "I like oolong tea");
        // Embedded again inline (the server's default write mode): found by meaning at once.
        assert_eq!(edited["embedding_status"], "completed", "{backend:?}");
        let fields = [("id", id.as_str()), ("archived", "true")];
        let (status, archived) =
            post_form(&app, "/api/messages/archive", &cookie, own, &fields).await;
        assert_eq!(status, StatusCode::OK, "{archived}");
        assert_eq!(archived["archived"], true);
        let fields = [("id", id.as_str()), ("archived", "false")];
        let (_, restored) = post_form(&app, "/api/messages/archive", &cookie, own, &fields).await;
        assert_eq!(restored["archived"], false);
        let (status, _) =
            post_form(&app, "/api/messages/delete", &cookie, own, &[("id", &id)]).await;
        assert_eq!(status, StatusCode::OK);
        let r = app
            .call(Method::GET, &format!("/v1/messages/{id}"), t, None)
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{backend:?}");
        // A bad role is the API's 422 naming the field.
        let fields = [
            ("conversation_id", "tea"),
            ("role", "robot"),
            ("content", "x"),
        ];
        let (status, e) = post_form(&app, "/api/messages/add", &cookie, own, &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], "role");
    }
}

#[tokio::test]
async fn a_conversation_is_renamed_archived_and_deleted_only_with_its_messages_confirmed() {
    let (app, alice, cookie, _) = alice_with_tea(Backend::Postgres).await;
    let own = Some(app.address.clone());
    let own = own.as_deref();
    let t = &alice.access_token;
    let fields = [("id", "tea"), ("title", "Tea talk")];
    let (status, renamed) =
        post_form(&app, "/api/conversation/rename", &cookie, own, &fields).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(
        app.get_json("/v1/conversations/tea", t).await["title"],
        "Tea talk"
    );
    let fields = [("id", "tea"), ("archived", "true")];
    let (_, archived) = post_form(&app, "/api/conversation/archive", &cookie, own, &fields).await;
    assert_eq!(archived["archived"], true);
    let (status, e) = post_form(
        &app,
        "/api/conversation/delete",
        &cookie,
        own,
        &[("id", "tea")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert_eq!(
        app.get_json("/v1/conversations/tea", t).await["message_count"],
        1
    );
    let fields = [("id", "tea"), ("delete_messages", "true")];
    let (status, _) = post_form(&app, "/api/conversation/delete", &cookie, own, &fields).await;
    assert_eq!(status, StatusCode::OK);
    let r = app
        .call(Method::GET, "/v1/conversations/tea", t, None)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_read_only_member_and_another_tenant_cannot_write_through_server_functions() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", Some("acme")).await;
    app.register_and_login("bob", None).await;
    app.register_and_login("carol", None).await;
    let body = json!({"conversation_id": "tea", "role": "user", "content": "I like green tea"});
    let stored: Value = post_message(&app, &alice.access_token, body)
        .await
        .json()
        .await
        .unwrap();
    let id = stored["id"].as_str().unwrap();
    let r = app
        .call(
            Method::POST,
            "/v1/tenants/acme/members",
            &alice.access_token,
            Some(json!({"user": "bob", "role": "read_only"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let own = Some(app.address.clone());
    let own = own.as_deref();
    let bob = cookie_login(&app, "bob").await;
    let fields = [("id", id), ("content", "forged"), ("tenant_id", "acme")];
    let (status, e) = post_form(&app, "/api/messages/edit", &bob, own, &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    // Carol is no member: alice's message is not found in her own tenant, and acme is refused.
    let carol = cookie_login(&app, "carol").await;
    let (status, _) = post_form(&app, "/api/messages/delete", &carol, own, &[("id", id)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let fields = [("id", id), ("tenant_id", "acme")];
    let (status, _) = post_form(&app, "/api/messages/delete", &carol, own, &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let message = app
        .get_json(&format!("/v1/messages/{id}"), &alice.access_token)
        .await;
    assert_eq!(message["content"], "I like green tea");
    // Nor can she search acme's memory through the dashboard's search.
    let r = app
        .client
        .post(app.url("/api/search"))
        .header(header::COOKIE, &carol)
        .header(header::ORIGIN, own.unwrap())
        .json(&json!({"request": {"query": "green tea", "tenant_id": "acme"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!r.text().await.unwrap().contains("green tea"));
}

#[tokio::test]
async fn registering_signs_in_and_signing_out_ends_the_session() {
    let app = spawn_app(Backend::Sqlite).await;
    let own = app.address.clone();
    let form = "email=dora%40example.com&username=dora&password=SecurePass123";
    let register = |body: &'static str| {
        app.client
            .post(app.url("/api/register"))
            .header(header::ORIGIN, own.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let r = register(form).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let (status, me) = post_form(&app, "/api/sign_out", &cookie, Some(&own), &[]).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let r = app
        .client
        .get(app.url("/api/me"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "the session ended");
    // The same username again is the API's refusal, with no cookie.
    let r = register(form).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.headers().get(header::SET_COOKIE).is_none());
}
