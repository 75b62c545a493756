//! The dashboard's account and key functions: the same use cases as `/v1/auth`, under the same
//! rules — a key's secret reaches only the page that shows it once, members cannot manage
//! keys, a session is ended only by its owner.

use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::server_fn_writes::post_form;

/// A form post from the server's own page, as a browser without JavaScript sends it: the
/// answer (not followed) and its `Set-Cookie`.
async fn browser_post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let r = client
        .post(app.url(path))
        .header(header::COOKIE, cookie)
        .header(header::ORIGIN, &app.address)
        .header(header::REFERER, app.url("/keys"))
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let location = r.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let set = (r.headers().get(header::SET_COOKIE)).map(|v| v.to_str().unwrap().to_owned());
    (r.status(), location, set)
}

/// Calls a `GET` server function with `cookie`.
async fn read(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, Value, Option<String>) {
    let r = app
        .client
        .get(app.url(path))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    let set = (r.headers().get(header::SET_COOKIE)).map(|v| v.to_str().unwrap().to_owned());
    (r.status(), r.json().await.unwrap_or(Value::Null), set)
}

#[tokio::test]
async fn a_new_key_s_secret_is_shown_once_and_works_until_revoked() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let cookie = cookie_login(&app, "alice").await;
        let fields = [
            ("name", "support bot"),
            ("scope", "read"),
            ("expires_days", "30"),
        ];
        let (status, back, set) = browser_post(&app, "/api/keys/create", &cookie, &fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{backend:?}");
        assert_eq!(
            back,
            format!("{}?__done=%2Fapi%2Fkeys%2Fcreate", app.url("/keys"))
        );
        let set = set.expect("the secret travels to the page in a cookie");
        for attribute in [
            "mm_new_key=mm_",
            "HttpOnly",
            "SameSite=Strict",
            "Max-Age=60",
        ] {
            assert!(set.contains(attribute), "{attribute} in {set}");
        }
        let flash = set.split(';').next().unwrap();
        let both = format!("{cookie}; {flash}");

        // Only a signed-in request of the browser sees it, once; the answer removes it.
        let (status, _, _) = read(&app, "/api/keys/new", flash).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, secret, cleared) = read(&app, "/api/keys/new", &both).await;
        assert_eq!(status, StatusCode::OK, "{secret}");
        let secret = secret.as_str().unwrap().to_owned();
        assert!(cleared.unwrap().starts_with("mm_new_key=;"));
        let keys = app.get_json("/v1/auth/api-keys", &alice.access_token).await;
        assert_eq!(keys[0]["name"], "support bot");
        assert_eq!(keys[0]["scope"], "read");
        assert!(keys[0]["expires_at"].is_string());
        assert!(secret.starts_with(&format!("{}_", keys[0]["prefix"].as_str().unwrap())));
        let (_, listed, _) = read(&app, "/api/keys", &cookie).await;
        assert_eq!(listed, keys, "{backend:?}: the page lists what REST lists");

        let r = app
            .call(Method::GET, "/v1/conversations", &secret, None)
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let id = keys[0]["id"].as_str().unwrap();
        let (status, back, _) =
            browser_post(&app, "/api/keys/revoke", &cookie, &[("id", id)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(back.ends_with("__done=%2Fapi%2Fkeys%2Frevoke"), "{back}");
        let r = app
            .call(Method::GET, "/v1/conversations", &secret, None)
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // Revoked keys stay listed, with when.
        let (_, listed, _) = read(&app, "/api/keys", &cookie).await;
        assert!(listed[0]["revoked_at"].is_string(), "{listed}");
        assert_eq!(listed[0]["is_active"], false);
    }
}

#[tokio::test]
async fn only_tenant_admins_manage_keys_and_only_their_own_tenants_keys() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", Some("acme")).await;
    app.register_and_login("bob", None).await;
    let r = app
        .call(
            Method::POST,
            "/v1/tenants/acme/members",
            &alice.access_token,
            Some(json!({"user": "bob", "role": "member"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let key: Value = app
        .call(
            Method::POST,
            "/v1/auth/api-keys",
            &alice.access_token,
            Some(json!({"name": "acme bot"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let own = Some(app.address.clone());
    let own = own.as_deref();
    let bob = cookie_login(&app, "bob").await;
    let fields = [("name", "sneaky"), ("tenant_id", "acme")];
    let (status, e) = post_form(&app, "/api/keys/create", &bob, own, &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    // Bob administers his own tenant: acme's key is not one of his.
    let id = key["id"].as_str().unwrap();
    let (status, e) = post_form(&app, "/api/keys/revoke", &bob, own, &[("id", id)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");
    let (_, listed, _) = read(&app, "/api/keys", &bob).await;
    assert_eq!(listed, json!([]));
    let secret = key["key"].as_str().unwrap();
    let r = app
        .call(Method::GET, "/v1/conversations", secret, None)
        .await;
    assert_eq!(r.status(), StatusCode::OK, "acme's key still works");
    // A count of days the service refuses is its 422, naming the field.
    let alice_cookie = cookie_login(&app, "alice").await;
    for days in ["0", "many", "99999"] {
        let fields = [("name", "x"), ("expires_days", days)];
        let (status, e) = post_form(&app, "/api/keys/create", &alice_cookie, own, &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{days}: {e}");
        assert_eq!(e["error"]["field"], "expires_days");
    }
}

#[tokio::test]
async fn the_account_s_profile_password_and_sessions_change_as_through_rest() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let bob = app.register_and_login("bob", None).await;
        let cookie = cookie_login(&app, "alice").await;
        let own = Some(app.address.clone());
        let own = own.as_deref();

        let fields = [
            ("full_name", "Alice Liddell"),
            ("email", ""),
            ("username", ""),
        ];
        let (status, me) = post_form(&app, "/api/account/profile", &cookie, own, &fields).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {me}");
        assert_eq!(me["full_name"], "Alice Liddell");
        assert_eq!(
            me["email"], "alice@example.com",
            "an empty field keeps its value"
        );
        let fields = [("email", "not an email")];
        let (status, e) = post_form(&app, "/api/account/profile", &cookie, own, &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["error"]["field"], "email");

        let (status, sessions, _) = read(&app, "/api/account/sessions", &cookie).await;
        assert_eq!(status, StatusCode::OK);
        let sessions = sessions.as_array().unwrap();
        assert_eq!(sessions.len(), 2, "{sessions:?}");
        let other = sessions.iter().find(|s| s["current"] == false).unwrap();
        // Bob's session ids are not Alice's to end.
        let bobs = app.get_json("/v1/auth/sessions", &bob.access_token).await;
        let bobs = bobs[0]["id"].as_str().unwrap();
        let (status, _) = post_form(
            &app,
            "/api/account/sessions/end",
            &cookie,
            own,
            &[("id", bobs)],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let id = other["id"].as_str().unwrap();
        let (status, _) = post_form(
            &app,
            "/api/account/sessions/end",
            &cookie,
            own,
            &[("id", id)],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let r = app
            .call(Method::GET, "/v1/auth/me", &alice.access_token, None)
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{backend:?}");

        let phone = app.login("alice").await;
        let phone = phone["access_token"].as_str().unwrap();
        let fields = [
            ("current_password", "wrong-one-1"),
            ("new_password", "EvenBetter456"),
        ];
        let (status, e) = post_form(&app, "/api/account/password", &cookie, own, &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], "current_password");
        let fields = [
            ("current_password", PASSWORD),
            ("new_password", "EvenBetter456"),
        ];
        let (status, e) = post_form(&app, "/api/account/password", &cookie, own, &fields).await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let r = app.call(Method::GET, "/v1/auth/me", phone, None).await;
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "the other session ended"
        );
        let (status, _, _) = read(&app, "/api/account/sessions", &cookie).await;
        assert_eq!(status, StatusCode::OK, "this one stays");

        app.post_json(
            "/v1/auth/login",
            &json!({"username": "alice", "password": "EvenBetter456"}),
        )
        .await;
        let (status, ended) =
            post_form(&app, "/api/account/sessions/end-others", &cookie, own, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ended, json!({"ended": 1}));
    }
}
