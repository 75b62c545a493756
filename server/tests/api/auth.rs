//! Registration, login, tokens and their misuse.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn register_creates_a_user_with_a_personal_tenant_and_no_password_material() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let response = app
            .post_json(
                "/v1/auth/register",
                &json!({"email": "Alice@Example.com", "username": "alice", "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), 201, "{backend:?}");
        let text = response.text().await.unwrap();
        assert!(!text.to_lowercase().contains("password"), "{text}");
        assert!(!text.contains("argon2"), "{text}");
        let user: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(user["email"], "alice@example.com");
        assert_eq!(
            user["tenants"],
            json!([{"tenant_id": "alice", "role": "admin"}])
        );
    }
}

#[tokio::test]
async fn register_rejects_bad_fields_with_422_naming_them() {
    let app = spawn_app(Backend::Sqlite).await;
    let ok = json!({"email": "a@example.com", "username": "alice", "password": PASSWORD});
    for (field, value) in [
        ("email", json!("not-an-email")),
        ("username", json!("al")),
        ("username", json!("bad name")),
        ("password", json!("short1")),
        ("password", json!("nodigitshere")),
        ("tenant_id", json!("bad tenant!")),
    ] {
        let mut body = ok.clone();
        body[field] = value.clone();
        let response = app.post_json("/v1/auth/register", &body).await;
        assert_eq!(response.status(), 422, "{field}={value}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["field"], field, "{body}");
        assert_eq!(body["error"]["code"], "validation_failed");
    }
    let mut missing = ok.clone();
    missing.as_object_mut().unwrap().remove("password");
    let body: serde_json::Value = app
        .post_json("/v1/auth/register", &missing)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"]["field"], "password", "{body}");
    let response = app
        .client
        .post(app.url("/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn duplicates_and_existing_tenants_are_conflicts() {
    let app = spawn_app(Backend::Postgres).await;
    app.register_and_login("alice", Some("acme")).await;
    for body in [
        json!({"email": "ALICE@example.com", "username": "alice2", "password": PASSWORD}),
        json!({"email": "other@example.com", "username": "alice", "password": PASSWORD}),
        // Joining an existing tenant takes an invitation, not a registration.
        json!({"email": "bob@example.com", "username": "bob", "password": PASSWORD, "tenant_id": "acme"}),
    ] {
        let response = app.post_json("/v1/auth/register", &body).await;
        assert_eq!(response.status(), 409, "{body}");
        let (code, _) = error_envelope(response).await;
        assert_eq!(code, "conflict");
    }
    // A personal tenant whose name is taken gets a suffix instead of failing.
    let response = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": "acme@example.com", "username": "acme", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let user: serde_json::Value = response.json().await.unwrap();
    let tenant = user["tenants"][0]["tenant_id"].as_str().unwrap();
    assert!(tenant.starts_with("acme-"), "{tenant}");
}

#[tokio::test]
async fn usernames_are_one_name_whatever_their_case_on_both_backends() {
    for backend in BACKENDS {
        let app = &spawn_app(backend).await;
        let register = |email: &str, username: &str| {
            let body = json!({"email": email, "username": username, "password": PASSWORD});
            async move { app.post_json("/v1/auth/register", &body).await }
        };
        assert_eq!(register("alice@example.com", "Alice").await.status(), 201);
        // A look-alike of a colleague's name is taken, in any case.
        let response = register("other@example.com", "aLICE").await;
        assert_eq!(response.status(), 409, "{backend:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "conflict");
        assert_eq!(
            body["error"]["message"],
            "this username is already registered"
        );
        // She signs in with any spelling, and is shown as she wrote her name.
        let tokens = app
            .post_json(
                "/v1/auth/login",
                &json!({"username": "ALICE", "password": PASSWORD}),
            )
            .await;
        assert_eq!(tokens.status(), 200, "{backend:?}");
        let tokens: serde_json::Value = tokens.json().await.unwrap();
        let alice = tokens["access_token"].as_str().unwrap();
        let me: serde_json::Value = app
            .call(Method::GET, "/v1/auth/me", alice, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["username"], "Alice");
        let tenant = me["tenants"][0]["tenant_id"].as_str().unwrap().to_owned();
        // Another user cannot take her name in another case; she can respell her own.
        let bob = app.register_and_login("bob", None).await;
        let rename = |token: &str, name: &str| {
            let (token, body) = (token.to_owned(), json!({ "username": name }));
            async move {
                app.call(Method::PUT, "/v1/auth/me", &token, Some(body))
                    .await
            }
        };
        assert_eq!(rename(&bob.access_token, "ALICE").await.status(), 409);
        assert_eq!(rename(alice, "alice").await.status(), 200);
        // Members are found by name whatever its case too.
        let added = app
            .call(
                Method::POST,
                &format!("/v1/tenants/{tenant}/members"),
                alice,
                Some(json!({"user": "BOB", "role": "member"})),
            )
            .await;
        assert_eq!(added.status(), 201, "{backend:?}");
    }
}

#[tokio::test]
async fn login_works_by_email_or_username_and_fails_alike_for_unknown_users() {
    let app = spawn_app(Backend::Sqlite).await;
    let user = app.register_and_login("alice", None).await;
    let tokens: serde_json::Value = app
        .post_json(
            "/v1/auth/login",
            &json!({"email": "ALICE@example.com", "password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 1800);
    let me: serde_json::Value = app
        .call(
            Method::GET,
            "/v1/auth/me",
            tokens["access_token"].as_str().unwrap(),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], user.id.as_str());
    assert!(me["last_login_at"].is_string());

    let wrong = app
        .post_json(
            "/v1/auth/login",
            &json!({"username": "alice", "password": "WrongPass123"}),
        )
        .await;
    let unknown = app
        .post_json(
            "/v1/auth/login",
            &json!({"username": "nobody", "password": "WrongPass123"}),
        )
        .await;
    assert_eq!(
        (wrong.status().as_u16(), unknown.status().as_u16()),
        (401, 401)
    );
    let wrong: serde_json::Value = wrong.json().await.unwrap();
    let unknown: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(wrong["error"]["message"], unknown["error"]["message"]);
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_account_for_a_while() {
    let app = spawn_app(Backend::Sqlite).await;
    app.register_and_login("alice", None).await;
    for _ in 0..5 {
        let r = app
            .post_json(
                "/v1/auth/login",
                &json!({"username": "alice", "password": "Guess12345"}),
            )
            .await;
        assert_eq!(r.status(), 401);
    }
    // Even the right password is refused while locked.
    let r = app
        .post_json(
            "/v1/auth/login",
            &json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 429);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    let (code, _) = error_envelope(r).await;
    assert_eq!(code, "rate_limited");
}

#[tokio::test]
async fn protected_routes_need_credentials() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.get("/v1/auth/me").await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (code, _) = error_envelope(response).await;
    assert_eq!(code, "unauthorized");
}

fn forge(header: serde_json::Value, claims: serde_json::Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[tokio::test]
async fn tampered_unsigned_foreign_expired_and_refresh_tokens_are_not_access_tokens() {
    let app = spawn_app(Backend::Sqlite).await;
    let user = app.register_and_login("alice", None).await;
    let ok = app
        .call(Method::GET, "/v1/auth/me", &user.access_token, None)
        .await;
    assert_eq!(ok.status(), 200);

    let parts: Vec<&str> = user.access_token.split('.').collect();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let mut tampered_claims = claims.clone();
    tampered_claims["sub"] = json!(uuid::Uuid::new_v4());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(tampered_claims.to_string()),
        parts[2]
    );
    let unsigned = forge(json!({"alg": "none", "typ": "JWT"}), claims.clone(), "");
    let secret = jsonwebtoken::EncodingKey::from_secret(b"someone-elses-secret-key-0123456789");
    let foreign = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &secret).unwrap();
    let our_key = {
        use secrecy::ExposeSecret;
        app.state
            .services
            .settings
            .auth
            .jwt_secret
            .expose_secret()
            .as_bytes()
            .to_vec()
    };
    let mut expired_claims = claims.clone();
    expired_claims["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &expired_claims,
        &jsonwebtoken::EncodingKey::from_secret(&our_key),
    )
    .unwrap();
    let mut refresh_typed = claims.clone();
    refresh_typed["typ"] = json!("refresh");
    let wrong_type = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &refresh_typed,
        &jsonwebtoken::EncodingKey::from_secret(&our_key),
    )
    .unwrap();
    for (what, token) in [
        ("tampered", tampered),
        ("alg none", unsigned),
        ("wrong key", foreign),
        ("expired", expired),
        ("typ refresh", wrong_type),
        ("refresh token", user.refresh_token.clone()),
        ("garbage", "x.y.z".to_owned()),
    ] {
        let response = app.call(Method::GET, "/v1/auth/me", &token, None).await;
        assert_eq!(response.status(), 401, "{what}");
    }
}

#[tokio::test]
async fn refresh_rotates_and_a_replayed_token_revokes_the_session() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let user = app.register_and_login("alice", None).await;
        let refresh = |token: String| {
            let app = &app;
            async move {
                app.post_json("/v1/auth/refresh", &json!({"refresh_token": token}))
                    .await
            }
        };
        let first = refresh(user.refresh_token.clone()).await;
        assert_eq!(first.status(), 200, "{backend:?}");
        let rotated: serde_json::Value = first.json().await.unwrap();
        let new_refresh = rotated["refresh_token"].as_str().unwrap().to_owned();
        let new_access = rotated["access_token"].as_str().unwrap().to_owned();
        assert_ne!(new_refresh, user.refresh_token);
        assert_eq!(
            app.call(Method::GET, "/v1/auth/me", &new_access, None)
                .await
                .status(),
            200
        );

        // The old refresh token again: a replay. The whole session dies.
        assert_eq!(refresh(user.refresh_token.clone()).await.status(), 401);
        assert_eq!(refresh(new_refresh).await.status(), 401, "{backend:?}");
        assert_eq!(
            app.call(Method::GET, "/v1/auth/me", &new_access, None)
                .await
                .status(),
            401
        );
    }
}

#[tokio::test]
async fn logout_stops_the_sessions_tokens_at_once() {
    let app = spawn_app(Backend::Postgres).await;
    let user = app.register_and_login("alice", None).await;
    let other = app.login("alice").await;
    let r = app
        .call(Method::POST, "/v1/auth/logout", &user.access_token, None)
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.call(Method::GET, "/v1/auth/me", &user.access_token, None)
            .await
            .status(),
        401
    );
    let r = app
        .post_json(
            "/v1/auth/refresh",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_eq!(r.status(), 401);
    // Another session of the same user is unaffected.
    let other_access = other["access_token"].as_str().unwrap();
    assert_eq!(
        app.call(Method::GET, "/v1/auth/me", other_access, None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn changing_the_password_revokes_every_other_session() {
    let app = spawn_app(Backend::Sqlite).await;
    let user = app.register_and_login("alice", None).await;
    let other = app.login("alice").await;
    let other_access = other["access_token"].as_str().unwrap();
    let wrong = app
        .call(
            Method::POST,
            "/v1/auth/change-password",
            &user.access_token,
            Some(json!({"current_password": "NotMyPass1", "new_password": "NewSecret456"})),
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let r = app
        .call(
            Method::POST,
            "/v1/auth/change-password",
            &user.access_token,
            Some(json!({"current_password": PASSWORD, "new_password": "NewSecret456"})),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.call(Method::GET, "/v1/auth/me", &user.access_token, None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.call(Method::GET, "/v1/auth/me", other_access, None)
            .await
            .status(),
        401
    );
    let old = app
        .post_json(
            "/v1/auth/login",
            &json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(old.status(), 401);
    let new = app
        .post_json(
            "/v1/auth/login",
            &json!({"username": "alice", "password": "NewSecret456"}),
        )
        .await;
    assert_eq!(new.status(), 200);
}

#[tokio::test]
async fn a_user_can_edit_their_profile_but_not_their_tenant_or_role() {
    let app = spawn_app(Backend::Sqlite).await;
    let user = app.register_and_login("alice", None).await;
    app.register_and_login("bob", None).await;
    let put = |body: serde_json::Value| {
        app.call(Method::PUT, "/v1/auth/me", &user.access_token, Some(body))
    };
    let r = put(json!({"full_name": "Alice Liddell"})).await;
    assert_eq!(r.status(), 200);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["full_name"], "Alice Liddell");
    for forbidden in [json!({"tenant_id": "bob"}), json!({"role": "admin"})] {
        assert_eq!(put(forbidden).await.status(), 422);
    }
    assert_eq!(put(json!({"username": "bob"})).await.status(), 409);
    let me: serde_json::Value = app
        .call(Method::GET, "/v1/auth/me", &user.access_token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["tenants"],
        json!([{"tenant_id": "alice", "role": "admin"}])
    );
}
