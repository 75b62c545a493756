//! The dashboard's tenant, member and audit functions: the same use cases as `/v1/tenants` and
//! `/v1/audit`, under the same rules — members read, admins change, outsiders are refused.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::{server_fn_writes::post_form, server_fns::call};

/// Calls a `GET` server function with `cookie`.
async fn read(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, Value) {
    call(app, Method::GET, path, Some(cookie), None).await
}

#[tokio::test]
async fn members_are_added_by_email_username_or_id_and_only_admins_change_them() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let bob = app.register_and_login("bob", None).await;
        let carol = app.register_and_login("carol", None).await;
        app.register_and_login("dave", None).await;
        let own = Some(app.address.clone());
        let own = own.as_deref();
        let admin = cookie_login(&app, "alice").await;
        for (user, role) in [("bob@example.com", "read_only"), ("carol", "member")] {
            let fields = [("tenant_id", "acme"), ("user", user), ("role", role)];
            let (status, m) = post_form(&app, "/api/members/add", &admin, own, &fields).await;
            assert_eq!(status, StatusCode::OK, "{backend:?} {user}: {m}");
            assert_eq!(m["role"], role);
        }
        // By id: the user id REST shows.
        let dave: Value = app.login("dave").await;
        let dave_id = app
            .get_json("/v1/auth/me", dave["access_token"].as_str().unwrap())
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let fields = [
            ("tenant_id", "acme"),
            ("user", dave_id.as_str()),
            ("role", "member"),
        ];
        let (status, m) = post_form(&app, "/api/members/add", &admin, own, &fields).await;
        assert_eq!(status, StatusCode::OK, "{m}");
        assert_eq!(m["username"], "dave");
        let fields = [
            ("tenant_id", "acme"),
            ("user", "nobody"),
            ("role", "member"),
        ];
        let (status, _) = post_form(&app, "/api/members/add", &admin, own, &fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A member reads the list, as REST shows it, and changes nothing.
        let bob_cookie = cookie_login(&app, "bob").await;
        let (status, listed) = read(&app, "/api/members?tenant_id=acme", &bob_cookie).await;
        assert_eq!(status, StatusCode::OK);
        let rest = app
            .get_json("/v1/tenants/acme/members", &alice.access_token)
            .await;
        assert_eq!(listed, rest, "{backend:?}");
        assert_eq!(listed.as_array().unwrap().len(), 4);
        let fields = [
            ("tenant_id", "acme"),
            ("user_id", bob.id.as_str()),
            ("role", "admin"),
        ];
        let (status, _) = post_form(&app, "/api/members/role", &bob_cookie, own, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let fields = [("tenant_id", "acme"), ("user_id", carol.id.as_str())];
        let (status, _) = post_form(&app, "/api/members/remove", &bob_cookie, own, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The admin changes a role and removes a member; an outsider reads nothing.
        let fields = [
            ("tenant_id", "acme"),
            ("user_id", bob.id.as_str()),
            ("role", "member"),
        ];
        let (status, _) = post_form(&app, "/api/members/role", &admin, own, &fields).await;
        assert_eq!(status, StatusCode::OK);
        let fields = [("tenant_id", "acme"), ("user_id", carol.id.as_str())];
        let (status, _) = post_form(&app, "/api/members/remove", &admin, own, &fields).await;
        assert_eq!(status, StatusCode::OK);
        let roles: Vec<(String, String)> = app
            .get_json("/v1/tenants/acme/members", &alice.access_token)
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["username"].as_str().unwrap().into(),
                    m["role"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert!(
            roles.contains(&("bob".into(), "member".into())),
            "{roles:?}"
        );
        assert!(!roles.iter().any(|(u, _)| u == "carol"), "{roles:?}");
        let carol_cookie = cookie_login(&app, "carol").await;
        let (status, _) = read(&app, "/api/members?tenant_id=acme", &carol_cookie).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn tenants_are_created_renamed_and_deleted_by_their_admins_only() {
    let app = spawn_app(Backend::Postgres).await;
    let alice = app.register_and_login("alice", None).await;
    app.register_and_login("bob", None).await;
    let own = Some(app.address.clone());
    let own = own.as_deref();
    let admin = cookie_login(&app, "alice").await;
    let fields = [("id", "lab"), ("name", "The Lab")];
    let (status, created) = post_form(&app, "/api/tenants/create", &admin, own, &fields).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["role"], "admin");
    let fields = [("id", "bad id!")];
    let (status, e) = post_form(&app, "/api/tenants/create", &admin, own, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "id");
    let r = app
        .call(
            Method::POST,
            "/v1/tenants/lab/members",
            &alice.access_token,
            Some(json!({"user": "bob", "role": "member"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let bob = cookie_login(&app, "bob").await;
    for (path, fields) in [
        (
            "/api/tenants/rename",
            vec![("id", "lab"), ("name", "Mine now")],
        ),
        ("/api/tenants/delete", vec![("id", "lab")]),
    ] {
        let (status, _) = post_form(&app, path, &bob, own, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let fields = [("id", "lab"), ("name", "Lab two")];
    let (status, renamed) = post_form(&app, "/api/tenants/rename", &admin, own, &fields).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed["name"], "Lab two");
    let (_, listed) = read(&app, "/api/tenants", &admin).await;
    let rest = app.get_json("/v1/tenants", &alice.access_token).await;
    assert_eq!(listed, rest);
    assert_eq!(listed["tenants"].as_array().unwrap().len(), 2);
    let (status, _) = post_form(&app, "/api/tenants/delete", &admin, own, &[("id", "lab")]).await;
    assert_eq!(status, StatusCode::OK);
    let r = app
        .call(Method::GET, "/v1/tenants/lab", &alice.access_token, None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "gone: the same answer as a foreign tenant"
    );
}

#[tokio::test]
async fn the_audit_log_is_read_by_tenant_admins_filtered_by_action_and_time() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        app.register_and_login("bob", None).await;
        let t = &alice.access_token;
        for name in ["one", "two"] {
            let r = app
                .call(
                    Method::POST,
                    "/v1/auth/api-keys",
                    t,
                    Some(json!({"name": name})),
                )
                .await;
            assert_eq!(r.status(), 201);
        }
        let r = app
            .call(
                Method::POST,
                "/v1/tenants/acme/members",
                t,
                Some(json!({"user": "bob", "role": "read_only"})),
            )
            .await;
        assert_eq!(r.status(), 201);
        let admin = cookie_login(&app, "alice").await;
        let (status, page) = read(
            &app,
            "/api/audit?tenant_id=acme&action=api_key.created",
            &admin,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {page}");
        let names: Vec<_> = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["details"]["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["two", "one"], "newest first");
        let rest = app
            .get_json("/v1/audit?tenant_id=acme&action=api_key.created", t)
            .await;
        assert_eq!(page, rest);

        // Paged, and bounded in time.
        let (_, first) = read(&app, "/api/audit?tenant_id=acme&page_size=2", &admin).await;
        assert_eq!(first["entries"].as_array().unwrap().len(), 2);
        let cursor = first["next_cursor"].as_str().unwrap();
        let (_, second) = read(
            &app,
            &format!("/api/audit?tenant_id=acme&page_size=2&cursor={cursor}"),
            &admin,
        )
        .await;
        assert!(!second["entries"].as_array().unwrap().is_empty());
        let (_, future) = read(
            &app,
            "/api/audit?tenant_id=acme&since=2999-01-01T00:00:00Z",
            &admin,
        )
        .await;
        assert_eq!(future["entries"], json!([]), "{backend:?}");
        let (_, past) = read(
            &app,
            "/api/audit?tenant_id=acme&until=2000-01-01T00:00:00Z",
            &admin,
        )
        .await;
        assert_eq!(past["entries"], json!([]));
        let (_, now) = read(
            &app,
            "/api/audit?tenant_id=acme&since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z",
            &admin,
        )
        .await;
        assert_eq!(now["entries"].as_array().unwrap().len(), 4, "{now}");
        let (status, e) = read(&app, "/api/audit?tenant_id=acme&since=yesterday", &admin).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], "since");

        // A read-only member does not read the tenant's log.
        let bob = cookie_login(&app, "bob").await;
        let (status, _) = read(&app, "/api/audit?tenant_id=acme", &bob).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn only_instance_administrators_see_the_instance_s_health_and_every_tenant() {
    for backend in BACKENDS {
        let app = spawn_app_with(
            backend,
            Options {
                vars: vec![("MEMORY_ADMIN_EMAILS".into(), "root@example.com".into())],
                ..Default::default()
            },
        )
        .await;
        let root = app.register_and_login("root", None).await;
        let alice = app.register_and_login("alice", None).await;
        store(&app, &alice.access_token, "c", "user", "hello").await;
        let root_cookie = cookie_login(&app, "root").await;
        let (status, health) = read(&app, "/api/instance/health", &root_cookie).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {health}");
        assert_eq!(health["readiness"]["status"], "ok");
        assert_eq!(health["readiness"]["components"][0]["name"], "database");
        assert_eq!(health["embedding"]["check"]["status"], "ok", "{health}");
        assert!(health["embedding"]["dimensions"].as_u64().unwrap() > 0);
        assert!(health["queue_depth"].is_u64(), "{health}");
        let rest = app.get_json("/v1/admin/instance", &root.access_token).await;
        assert_eq!(rest["readiness"]["status"], "ok");
        let (status, tenants) = read(&app, "/api/instance/tenants", &root_cookie).await;
        assert_eq!(status, StatusCode::OK);
        let alices = tenants
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tenant_id"] == "alice")
            .cloned()
            .unwrap();
        assert_eq!(alices["total_messages"], 1, "{backend:?}");

        let alice_cookie = cookie_login(&app, "alice").await;
        for path in ["/api/instance/health", "/api/instance/tenants"] {
            let (status, _) = read(&app, path, &alice_cookie).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        }
        let r = app
            .call(Method::GET, "/v1/admin/instance", &alice.access_token, None)
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}
