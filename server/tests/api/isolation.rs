//! The isolation matrix: two tenants, users of every role and keys of every scope, against every
//! data route with every foreign combination. Foreign ids are 404 like missing ones, naming a
//! foreign tenant is 403, no answer ever contains the other tenant's content, roles and scopes
//! hold, and nothing answers without credentials.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const SECRET: &str = "globex-launch-codes";

struct World {
    app: TestApp,
    /// (name, credential, may write) for tenant acme.
    acme: Vec<(&'static str, String, bool)>,
    globex_message: String,
    globex_key_id: String,
    globex_admin_id: String,
    acme_message: String,
}

async fn world(backend: Backend) -> World {
    let app = spawn_app(backend).await;
    let alice = app.register_and_login("alice", Some("acme")).await;
    let bob = app.register_and_login("bob", None).await;
    let carol = app.register_and_login("carol", None).await;
    let mallory = app.register_and_login("mallory", Some("globex")).await;
    for (user, role) in [("bob", "member"), ("carol", "read_only")] {
        let r = app
            .call(
                Method::POST,
                "/v1/tenants/acme/members",
                &alice.access_token,
                Some(json!({"user": user, "role": role})),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let key = |token: String, scope: &'static str, tenant: &'static str| {
        let app = &app;
        async move {
            let r: Value = app
                .call(
                    Method::POST,
                    "/v1/auth/api-keys",
                    &token,
                    Some(json!({"name": scope, "scope": scope, "tenant_id": tenant})),
                )
                .await
                .json()
                .await
                .unwrap();
            r
        }
    };
    let write_key = key(alice.access_token.clone(), "write", "acme").await;
    let read_key = key(alice.access_token.clone(), "read", "acme").await;
    let globex_key = key(mallory.access_token.clone(), "write", "globex").await;
    let globex_message = store(&app, &mallory.access_token, "plans", "user", SECRET).await;
    let acme_message = store(&app, &alice.access_token, "acme-conv", "user", "acme notes").await;
    // bob and carol belong to two tenants (their own and acme): they must name acme.
    World {
        acme: vec![
            ("admin", alice.access_token.clone(), true),
            ("member", bob.access_token.clone(), true),
            ("read_only", carol.access_token.clone(), false),
            (
                "write key",
                write_key["key"].as_str().unwrap().to_owned(),
                true,
            ),
            (
                "read key",
                read_key["key"].as_str().unwrap().to_owned(),
                false,
            ),
        ],
        globex_message: globex_message["id"].as_str().unwrap().to_owned(),
        globex_key_id: globex_key["id"].as_str().unwrap().to_owned(),
        globex_admin_id: mallory.id.clone(),
        acme_message: acme_message["id"].as_str().unwrap().to_owned(),
        app,
    }
}

async fn call(
    w: &World,
    method: Method,
    path: &str,
    cred: &str,
    body: Option<Value>,
) -> (u16, String) {
    let r = w.app.call(method, path, cred, body).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn no_credential_of_one_tenant_reaches_the_other() {
    for backend in BACKENDS {
        let w = world(backend).await;
        let gm = &w.globex_message;
        for (who, cred, _) in &w.acme {
            // Foreign ids: 404, exactly like ids that do not exist.
            for (method, path, body) in [
                (
                    Method::GET,
                    format!("/v1/messages/{gm}?tenant_id=acme"),
                    None,
                ),
                (
                    Method::PUT,
                    format!("/v1/messages/{gm}?tenant_id=acme"),
                    Some(json!({"content": "x"})),
                ),
                (
                    Method::DELETE,
                    format!("/v1/messages/{gm}?tenant_id=acme"),
                    None,
                ),
                (
                    Method::GET,
                    "/v1/conversations/plans?tenant_id=acme".to_owned(),
                    None,
                ),
                (
                    Method::DELETE,
                    "/v1/conversations/plans?tenant_id=acme&delete_messages=true".to_owned(),
                    None,
                ),
            ] {
                let (status, text) = call(&w, method.clone(), &path, cred, body).await;
                let expected = if *who == "read_only" || *who == "read key" {
                    // Writes are refused before the id is even looked at.
                    if method == Method::GET {
                        404
                    } else {
                        403
                    }
                } else {
                    404
                };
                assert_eq!(
                    status, expected,
                    "{backend:?} {who} {method} {path}: {text}"
                );
                assert!(!text.contains(SECRET));
            }
            // Naming the foreign tenant: 403, whatever the route.
            for (method, path, body) in [
                (
                    Method::GET,
                    "/v1/conversations?tenant_id=globex".to_owned(),
                    None,
                ),
                (
                    Method::GET,
                    "/v1/memory/search?tenant_id=globex&query=launch".to_owned(),
                    None,
                ),
                (
                    Method::POST,
                    "/v1/messages".to_owned(),
                    Some(
                        json!({"tenant_id": "globex", "conversation_id": "c", "role": "user", "content": "x"}),
                    ),
                ),
                (
                    Method::GET,
                    format!("/v1/messages/{gm}?tenant_id=globex"),
                    None,
                ),
                (Method::GET, "/v1/tenants/globex/members".to_owned(), None),
            ] {
                let (status, text) = call(&w, method.clone(), &path, cred, body).await;
                assert_eq!(status, 403, "{backend:?} {who} {method} {path}: {text}");
                assert!(!text.contains(SECRET));
            }
            // Lists and search of its own tenant never show the other's content.
            for path in [
                "/v1/memory/search?tenant_id=acme&query=globex%20launch%20codes&top_k=100",
                "/v1/memory/search?tenant_id=acme&query=launch&mode=lexical&top_k=100",
                "/v1/conversations?tenant_id=acme&page_size=100",
            ] {
                let (status, text) = call(&w, Method::GET, path, cred, None).await;
                assert_eq!(status, 200, "{backend:?} {who} {path}: {text}");
                assert!(
                    !text.contains(SECRET) && !text.contains("plans"),
                    "{who} {path}: {text}"
                );
            }
        }
    }
}

#[tokio::test]
async fn roles_and_scopes_decide_who_may_write_and_administer() {
    let w = world(Backend::Sqlite).await;
    let am = &w.acme_message;
    for (who, cred, may_write) in &w.acme {
        let (status, _) = call(
            &w,
            Method::GET,
            &format!("/v1/messages/{am}?tenant_id=acme"),
            cred,
            None,
        )
        .await;
        assert_eq!(status, 200, "{who} reads");
        let body = json!({"tenant_id": "acme", "conversation_id": "c", "role": "user", "content": "by me"});
        let (status, text) = call(&w, Method::POST, "/v1/messages", cred, Some(body)).await;
        assert_eq!(
            status,
            if *may_write { 201 } else { 403 },
            "{who} writes: {text}"
        );
        // Every member reads who is in the tenant; keys, which act for applications, do not.
        let (status, _) = call(&w, Method::GET, "/v1/tenants/acme/members", cred, None).await;
        let person = !who.ends_with("key");
        assert_eq!(
            status,
            if person { 200 } else { 403 },
            "{who} lists members"
        );
        let rename = Some(json!({"name": "Acme"}));
        let (status, _) = call(&w, Method::PUT, "/v1/tenants/acme", cred, rename).await;
        assert_eq!(
            status,
            if *who == "admin" { 200 } else { 403 },
            "{who} administers"
        );
    }
    // Foreign key and member ids are 404 for acme's admin.
    let admin = &w.acme[0].1;
    let (status, _) = call(
        &w,
        Method::DELETE,
        &format!("/v1/auth/api-keys/{}", w.globex_key_id),
        admin,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let path = format!("/v1/tenants/acme/members/{}", w.globex_admin_id);
    let (status, _) = call(&w, Method::DELETE, &path, admin, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn every_data_route_needs_credentials() {
    let w = world(Backend::Sqlite).await;
    let id = &w.acme_message;
    for (method, path) in [
        (Method::POST, "/v1/messages".to_owned()),
        (Method::GET, format!("/v1/messages/{id}")),
        (Method::PUT, format!("/v1/messages/{id}")),
        (Method::DELETE, format!("/v1/messages/{id}")),
        (Method::POST, "/v1/messages/batch".to_owned()),
        (Method::PUT, "/v1/messages/batch/update".to_owned()),
        (Method::DELETE, "/v1/messages/batch".to_owned()),
        (Method::GET, "/v1/conversations".to_owned()),
        (Method::GET, "/v1/conversations/acme-conv".to_owned()),
        (Method::DELETE, "/v1/conversations/acme-conv".to_owned()),
        (Method::GET, "/v1/memory/search?query=x".to_owned()),
        (Method::POST, "/v1/memory/search".to_owned()),
        (Method::GET, "/v1/auth/me".to_owned()),
        (Method::GET, "/v1/auth/api-keys".to_owned()),
        (Method::GET, "/v1/tenants/acme/members".to_owned()),
    ] {
        let r = w
            .app
            .client
            .request(method.clone(), w.app.url(&path))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
    }
}
