//! `/v1/analytics/tenants`: the cross-tenant view, for instance administrators only, and the
//! `memory-mesh admin grant|revoke` command that makes them.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn admin_emails() -> Options {
    Options {
        vars: vec![("MEMORY_ADMIN_EMAILS".into(), "root@example.com".into())],
        ..Default::default()
    }
}

async fn tenants_view(app: &TestApp, credential: &str) -> reqwest::Response {
    app.call(Method::GET, "/v1/analytics/tenants", credential, None)
        .await
}

#[tokio::test]
async fn instance_admins_see_every_tenants_counts_and_nobody_else_does() {
    for backend in BACKENDS {
        let app = spawn_app_with(backend, admin_emails()).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let bob = app.register_and_login("bob", None).await;
        let root = app.register_and_login("root", None).await;
        store(&app, &alice.access_token, "c1", "user", "first").await;
        store(&app, &alice.access_token, "c1", "assistant", "second").await;
        store(&app, &alice.access_token, "c2", "user", "third").await;

        assert_eq!(app.get("/v1/analytics/tenants").await.status(), 401);
        // A tenant admin is not an instance admin, and neither is any API key.
        let (code, _) = error_envelope(tenants_view(&app, &alice.access_token).await).await;
        assert_eq!(code, "forbidden", "{backend:?}");
        let key = app
            .call(
                Method::POST,
                "/v1/auth/api-keys",
                &root.access_token,
                Some(json!({"name": "ops", "scope": "read"})),
            )
            .await;
        assert_eq!(key.status(), 201);
        let key: Value = key.json().await.unwrap();
        let r = tenants_view(&app, key["key"].as_str().unwrap()).await;
        assert_eq!(r.status(), 403, "{backend:?}");

        let r = tenants_view(&app, &root.access_token).await;
        assert_eq!(r.status(), 200, "{backend:?}");
        let rows: Value = r.json().await.unwrap();
        let row = |id: &str| {
            rows.as_array()
                .unwrap()
                .iter()
                .find(|t| t["tenant_id"] == id)
                .unwrap_or_else(|| panic!("{id} listed: {rows}"))
                .clone()
        };
        let acme = row("acme");
        assert_eq!(acme["total_messages"], 3, "{backend:?} {acme}");
        assert_eq!(acme["total_conversations"], 2);
        assert_eq!(acme["members"], 1);
        assert_eq!(acme["pending_embeddings"], 0);
        assert!(acme["last_activity"].as_str().is_some());
        let bobs = row(&bob.tenant_id);
        assert_eq!(bobs["total_messages"], 0);
        assert_eq!(bobs["last_activity"], Value::Null);
        assert_eq!(rows.as_array().unwrap().len(), 3, "acme, bob, root");
    }
}

#[tokio::test]
async fn the_admin_command_grants_and_revokes_instance_administration() {
    let app = spawn_app(Backend::Sqlite).await;
    let carol = app.register_and_login("carol", None).await;
    assert_eq!(tenants_view(&app, &carol.access_token).await.status(), 403);
    let admin = |args: &[&str]| app.cli(["admin"].iter().chain(args));
    let out = admin(&["grant", "carol"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Takes effect on the next request: the flag is read with the session, not from the token.
    assert_eq!(tenants_view(&app, &carol.access_token).await.status(), 200);
    let out = admin(&["revoke", "carol@example.com"]);
    assert!(out.status.success());
    assert_eq!(tenants_view(&app, &carol.access_token).await.status(), 403);
    let out = admin(&["grant", "nobody"]);
    assert!(!out.status.success(), "an unknown user is an error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
}
