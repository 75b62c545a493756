//! Tenant membership: admins invite and manage members; nobody learns of foreign tenants.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn an_admin_adds_changes_and_removes_members() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let bob = app.register_and_login("bob", None).await;
        let members = "/v1/tenants/acme/members";
        let r = app
            .call(
                Method::POST,
                members,
                &alice.access_token,
                Some(json!({"user": "bob@example.com", "role": "read_only"})),
            )
            .await;
        assert_eq!(r.status(), 201, "{backend:?}");
        let again = app
            .call(
                Method::POST,
                members,
                &alice.access_token,
                Some(json!({"user": "bob", "role": "member"})),
            )
            .await;
        assert_eq!(again.status(), 409);

        let listed: serde_json::Value = app
            .call(Method::GET, members, &alice.access_token, None)
            .await
            .json()
            .await
            .unwrap();
        let roles: Vec<(&str, &str)> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["username"].as_str().unwrap(), m["role"].as_str().unwrap()))
            .collect();
        assert_eq!(roles, [("alice", "admin"), ("bob", "read_only")]);

        // Bob now sees acme among his tenants and who is in it, but cannot manage it.
        let me: serde_json::Value = app
            .call(Method::GET, "/v1/auth/me", &bob.access_token, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["tenants"].as_array().unwrap().len(), 2);
        assert_eq!(
            app.call(Method::GET, members, &bob.access_token, None)
                .await
                .status(),
            200
        );
        let bob_path = format!("{members}/{}", bob.id);
        let promote = Some(json!({"role": "admin"}));
        let r = app
            .call(Method::PUT, &bob_path, &bob.access_token, promote)
            .await;
        assert_eq!(r.status(), 403, "a read-only member cannot promote himself");

        let r = app
            .call(
                Method::PUT,
                &bob_path,
                &alice.access_token,
                Some(json!({"role": "admin"})),
            )
            .await;
        assert_eq!(r.status(), 204);
        assert_eq!(
            app.call(Method::GET, members, &bob.access_token, None)
                .await
                .status(),
            200
        );
        let r = app
            .call(Method::DELETE, &bob_path, &alice.access_token, None)
            .await;
        assert_eq!(r.status(), 204);
        assert_eq!(
            app.call(Method::GET, members, &bob.access_token, None)
                .await
                .status(),
            403
        );
    }
}

#[tokio::test]
async fn the_last_admin_cannot_leave_or_be_demoted() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", Some("acme")).await;
    let path = format!("/v1/tenants/acme/members/{}", alice.id);
    let r = app
        .call(
            Method::PUT,
            &path,
            &alice.access_token,
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        app.call(Method::DELETE, &path, &alice.access_token, None)
            .await
            .status(),
        409
    );
}

#[tokio::test]
async fn outsiders_get_the_same_403_for_existing_and_missing_tenants() {
    let app = spawn_app(Backend::Postgres).await;
    app.register_and_login("alice", Some("acme")).await;
    let mallory = app.register_and_login("mallory", None).await;
    let existing = app
        .call(
            Method::GET,
            "/v1/tenants/acme/members",
            &mallory.access_token,
            None,
        )
        .await;
    let missing = app
        .call(
            Method::GET,
            "/v1/tenants/ghost/members",
            &mallory.access_token,
            None,
        )
        .await;
    assert_eq!(
        (existing.status().as_u16(), missing.status().as_u16()),
        (403, 403)
    );
    let a: serde_json::Value = existing.json().await.unwrap();
    let b: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(
        a["error"]["message"].as_str().unwrap().replace("acme", "X"),
        b["error"]["message"]
            .as_str()
            .unwrap()
            .replace("ghost", "X"),
    );
}

#[tokio::test]
async fn unknown_or_foreign_member_ids_are_404() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", Some("acme")).await;
    let bob = app.register_and_login("bob", None).await;
    for id in [
        bob.id.as_str(),
        "not-a-uuid",
        "00000000-0000-0000-0000-000000000000",
    ] {
        let path = format!("/v1/tenants/acme/members/{id}");
        let r = app
            .call(Method::DELETE, &path, &alice.access_token, None)
            .await;
        assert_eq!(r.status(), 404, "{id}");
    }
    let r = app
        .call(
            Method::POST,
            "/v1/tenants/acme/members",
            &alice.access_token,
            Some(json!({"user": "nobody", "role": "member"})),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .call(
            Method::POST,
            "/v1/tenants/acme/members",
            &alice.access_token,
            Some(json!({"user": "bob", "role": "owner"})),
        )
        .await;
    assert_eq!(r.status(), 422);
}
