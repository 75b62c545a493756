//! The audit log: each listed action is recorded with who did it, tenant admins read their
//! tenants' entries, instance administrators everything (failed logins, deleted tenants).

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn actions(page: &Value) -> Vec<&str> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

/// An app where alice created tenant `acme`, made and revoked a key there, added bob, changed
/// his role and removed him, renamed the tenant, and once typed a wrong password; `root` is an
/// instance administrator.
struct Audited {
    app: TestApp,
    alice: TestUser,
    bob: TestUser,
    root: TestUser,
    /// The key alice created (and revoked), as its creation answered.
    key: Value,
}

async fn audited(backend: Backend) -> Audited {
    let app = spawn_app_with(
        backend,
        Options {
            vars: vec![("MEMORY_ADMIN_EMAILS".into(), "root@example.com".into())],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let bob = app.register_and_login("bob", None).await;
    let root = app.register_and_login("root", None).await;
    let t = alice.access_token.as_str();
    let call = |method: Method, path: String, body: Option<Value>| {
        let app = &app;
        async move { app.call(method, &path, t, body).await.status().as_u16() }
    };
    let acme = Some(json!({"id": "acme"}));
    assert_eq!(call(Method::POST, "/v1/tenants".into(), acme).await, 201);
    let key: Value = app
        .call(
            Method::POST,
            "/v1/auth/api-keys",
            t,
            Some(json!({"name": "ci", "tenant_id": "acme"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let revoke = format!("/v1/auth/api-keys/{}", key["id"].as_str().unwrap());
    assert_eq!(call(Method::DELETE, revoke, None).await, 204);
    let members = "/v1/tenants/acme/members".to_owned();
    let add = Some(json!({"user": "bob", "role": "read_only"}));
    assert_eq!(call(Method::POST, members.clone(), add).await, 201);
    let bob_path = format!("{members}/{}", bob.id);
    let role = Some(json!({"role": "member"}));
    assert_eq!(call(Method::PUT, bob_path.clone(), role).await, 204);
    assert_eq!(call(Method::DELETE, bob_path, None).await, 204);
    let name = Some(json!({"name": "Acme Inc."}));
    assert_eq!(
        call(Method::PUT, "/v1/tenants/acme".into(), name).await,
        200
    );
    let wrong = json!({"username": "alice", "password": "not her password"});
    assert_eq!(app.post_json("/v1/auth/login", &wrong).await.status(), 401);
    Audited {
        app,
        alice,
        bob,
        root,
        key,
    }
}

#[tokio::test]
async fn key_member_and_tenant_changes_are_audited_with_who_did_them() {
    for backend in BACKENDS {
        let Audited {
            app,
            alice,
            bob,
            key,
            ..
        } = audited(backend).await;
        let page = app
            .get_json("/v1/audit?tenant_id=acme", &alice.access_token)
            .await;
        assert_eq!(
            actions(&page),
            [
                "tenant.renamed",
                "member.removed",
                "member.role_changed",
                "member.added",
                "api_key.revoked",
                "api_key.created",
                "tenant.created"
            ],
            "{backend:?}: {page}"
        );
        let entries = page["entries"].as_array().unwrap();
        let alice_actor = format!("user:{}", alice.id);
        for e in entries {
            assert_eq!(e["actor"], alice_actor.as_str(), "{e}");
            assert_eq!(e["tenant_id"], "acme");
        }
        assert_eq!(entries[1]["target"], bob.id.as_str());
        assert_eq!(entries[2]["details"]["role"], "member");
        assert_eq!(entries[4]["target"], key["id"]);
        assert_eq!(entries[5]["details"]["name"], "ci");
        assert!(
            !page.to_string().contains(key["key"].as_str().unwrap()),
            "no secret"
        );
    }
}

#[tokio::test]
async fn the_audit_log_pages_by_cursor_and_filters_by_action_and_tenant() {
    for backend in BACKENDS {
        let Audited { app, alice, .. } = audited(backend).await;
        let t = alice.access_token.as_str();
        let page = app.get_json("/v1/audit?tenant_id=acme", t).await;
        let (mut walked, mut cursor) = (Vec::new(), String::new());
        loop {
            let p = app
                .get_json(&format!("/v1/audit?tenant_id=acme&page_size=3{cursor}"), t)
                .await;
            walked.extend(actions(&p).into_iter().map(str::to_owned));
            match p["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(walked, actions(&page), "{backend:?}");
        let only = app.get_json("/v1/audit?action=member.added", t).await;
        assert_eq!(actions(&only), ["member.added"]);
        // Without a tenant: every tenant alice administers, her own (made when she registered)
        // too; failed logins are not a tenant's.
        let mine = app.get_json("/v1/audit", t).await;
        assert_eq!(actions(&mine).len(), 8, "{mine}");
        let registered = &mine["entries"][7];
        assert_eq!(registered["action"], "tenant.created", "{mine}");
        assert_eq!(registered["details"]["via"], "registration");
        assert_eq!(registered["tenant_id"], registered["target"]);
        assert_ne!(registered["tenant_id"], "acme");
        for (query, field) in [("page_size=0", "page_size"), ("cursor=abc", "cursor")] {
            let r = app
                .call(Method::GET, &format!("/v1/audit?{query}"), t, None)
                .await;
            assert_eq!(r.status(), 422);
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"]["field"], field);
        }
    }
}

#[tokio::test]
async fn only_tenant_admins_and_instance_admins_read_the_audit_log() {
    for backend in BACKENDS {
        let Audited {
            app, alice, bob, ..
        } = audited(backend).await;
        let r = app
            .call(
                Method::GET,
                "/v1/audit?tenant_id=acme",
                &bob.access_token,
                None,
            )
            .await;
        assert_eq!(r.status(), 403, "{backend:?}: a former member");
        let bobs = app.get_json("/v1/audit", &bob.access_token).await;
        assert!(!bobs.to_string().contains("acme"), "{bobs}");
        let key: Value = app
            .call(
                Method::POST,
                "/v1/auth/api-keys",
                &alice.access_token,
                Some(json!({"name": "reader", "tenant_id": "acme", "scope": "read"})),
            )
            .await
            .json()
            .await
            .unwrap();
        let r = app
            .call(Method::GET, "/v1/audit", key["key"].as_str().unwrap(), None)
            .await;
        assert_eq!(r.status(), 403, "{backend:?}: an API key");
    }
}

#[tokio::test]
async fn failed_logins_and_deleted_tenants_are_entries_of_no_tenant_for_instance_admins() {
    for backend in BACKENDS {
        let Audited {
            app, alice, root, ..
        } = audited(backend).await;
        let all = app
            .get_json("/v1/audit?action=login.failed", &root.access_token)
            .await;
        let failed = &all["entries"][0];
        assert_eq!(
            (&failed["target"], &failed["tenant_id"], &failed["actor"]),
            (&json!(alice.id), &Value::Null, &json!("anonymous")),
            "{backend:?}: {all}"
        );
        // Deleting the tenant takes its entries with it and leaves one of no tenant.
        let r = app
            .call(
                Method::DELETE,
                "/v1/tenants/acme",
                &alice.access_token,
                None,
            )
            .await;
        assert_eq!(r.status(), 204);
        let all = app.get_json("/v1/audit", &root.access_token).await;
        assert!(
            !all["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["tenant_id"] == "acme"),
            "{all}"
        );
        let deleted = app
            .get_json("/v1/audit?action=tenant.deleted", &root.access_token)
            .await;
        assert_eq!(deleted["entries"][0]["target"], "acme");
        assert_eq!(deleted["entries"][0]["tenant_id"], Value::Null);
        assert_eq!(deleted["entries"][0]["actor"], format!("user:{}", alice.id));
    }
}
