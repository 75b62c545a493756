//! The dashboard is rendered on the server, with the scripts that hydrate it and the data of
//! each page, behind the sign-in gate.

use reqwest::{header, StatusCode};

use crate::helpers::*;

/// Page `path` as a browser without JavaScript gets it: its status, `Location`, and HTML.
async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> (StatusCode, String, String) {
    let mut request = app
        .client
        .get(app.url(path))
        .header(header::ACCEPT, "text/html");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let r = request.send().await.unwrap();
    let location = r
        .headers()
        .get(header::LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status(), location, r.text().await.unwrap())
}

#[tokio::test]
async fn a_signed_out_visit_goes_to_sign_in_and_comes_back_after_it() {
    let app = spawn_app(Backend::Sqlite).await;
    for (path, next) in [
        ("/", "%2F"),
        ("/conversations?page=2", "%2Fconversations%3Fpage%3D2"),
        (
            "/search?q=tea&mode=lexical",
            "%2Fsearch%3Fq%3Dtea%26mode%3Dlexical",
        ),
        ("/live", "%2Flive"),
    ] {
        let (status, location, _) = page(&app, path, None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location, format!("/sign-in?next={next}"), "{path}");
    }
    let (status, _, html) = page(&app, "/sign-in?next=%2Fsearch", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"password\""), "{html}");
    let (status, _, _) = page(&app, "/register", None).await;
    assert_eq!(status, StatusCode::OK);
    // Signed in, the sign-in page sends the browser on — never to another site.
    app.register_and_login("alice", None).await;
    let cookie = cookie_login(&app, "alice").await;
    for (next, to) in [
        ("%2Fsearch%3Fq%3Dtea", "/search?q=tea"),
        ("%2F%2Fevil.example", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
    ] {
        let (status, location, _) =
            page(&app, &format!("/sign-in?next={next}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location, to, "{next}");
    }
}

#[tokio::test]
async fn each_page_holds_its_data_in_the_first_html() {
    for backend in BACKENDS {
        let (app, _, cookie, _) = alice_with_tea(backend).await;
        for (path, expected) in [
            ("/conversations", "href=\"/conversations/tea\""),
            ("/conversations/tea", "I like green tea"),
            ("/search?q=green+tea&mode=lexical", "I like green tea"),
            ("/", "alice"),
        ] {
            let (status, _, html) = page(&app, path, Some(&cookie)).await;
            assert_eq!(status, StatusCode::OK, "{backend:?} {path}");
            assert!(
                html.contains(expected),
                "{backend:?} {path}: {expected} in {html}"
            );
        }
        // The score breakdown is there without JavaScript.
        let (_, _, html) = page(&app, "/search?q=green+tea&mode=lexical", Some(&cookie)).await;
        assert!(html.contains("data-testid=\"score-breakdown\""), "{html}");
        assert!(html.contains("<meter"), "{html}");
        // Another tenant's conversation is the API's "not found", not alice's text.
        app.register_and_login("bob", None).await;
        let bob = cookie_login(&app, "bob").await;
        let (status, _, html) = page(&app, "/conversations/tea", Some(&bob)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("green tea"), "{html}");
    }
}

#[tokio::test]
async fn the_dashboard_is_server_rendered_with_its_hydration_scripts() {
    // A site without content-hashed assets: the plain names.
    let site = TempDir::new();
    let app = spawn_app_with(Backend::Sqlite, site_options(&site)).await;
    app.register_and_login("alice", None).await;
    let cookie = cookie_login(&app, "alice").await;
    let response = app
        .client
        .get(app.url("/"))
        .header("accept", "text/html")
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_owned();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Overview</h1>"), "{html}");
    assert!(html.contains("data-testid=\"check-status\""));
    assert!(html.contains("/pkg/memory-mesh.js"), "loads the WASM glue");
    assert!(
        html.contains("/pkg/memory-mesh_bg.wasm"),
        "preloads the WASM"
    );
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the inline hydration script carries the policy's nonce"
    );
}

#[tokio::test]
async fn browsers_get_the_dashboards_html_404_page() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app
        .client
        .get(app.url("/no/such/page"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.headers().contains_key("content-security-policy"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
}

/// `Leptos.toml` (what the server reads) and Cargo.toml's `[[workspace.metadata.leptos]]` (what
/// cargo-leptos reads) describe the same site.
#[test]
fn leptos_toml_and_cargo_leptos_agree() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |name: &str| {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        leptos::config::get_config_from_str(&text).unwrap()
    };
    let (server, cargo_leptos) = (read("Leptos.toml"), read("Cargo.toml"));
    let keys = |o: &leptos::config::LeptosOptions| {
        (
            o.output_name.to_string(),
            o.site_root.to_string(),
            o.site_pkg_dir.to_string(),
            o.site_addr,
            o.reload_port,
        )
    };
    assert_eq!(keys(&server), keys(&cargo_leptos));
}

#[tokio::test]
async fn pages_go_compressed_to_browsers_that_accept_it() {
    let app = spawn_app(Backend::Sqlite).await;
    for (accepts, encoding) in [
        ("br, gzip", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
    ] {
        let r = app
            .client
            .get(app.url("/sign-in"))
            .header(header::ACCEPT, "text/html")
            .header(header::ACCEPT_ENCODING, accepts)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let got = r
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(got.as_deref(), encoding, "{accepts}");
    }
}

fn site_options(site: &TempDir) -> Options {
    Options {
        vars: vec![("MEMORY_SITE_ROOT".into(), site.path.display().to_string())],
        ..Options::default()
    }
}

#[tokio::test]
async fn content_hashed_assets_are_named_in_pages_and_cached_for_a_year() {
    let site = TempDir::new();
    let pkg = site.path.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let (js, wasm) = ("0123456789abcdef", "fedcba9876543210");
    std::fs::write(pkg.join("hash.txt"), format!("js: {js}\nwasm: {wasm}\n")).unwrap();
    std::fs::write(pkg.join(format!("memory-mesh.{wasm}.wasm")), b"\0asm").unwrap();
    std::fs::write(pkg.join("memory-mesh.css"), b"body {}").unwrap();
    let app = spawn_app_with(Backend::Sqlite, site_options(&site)).await;
    app.register_and_login("alice", None).await;
    let cookie = cookie_login(&app, "alice").await;
    let (status, _, html) = page(&app, "/", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("/pkg/memory-mesh.{js}.js")),
        "{html}"
    );
    assert!(
        html.contains(&format!("/pkg/memory-mesh.{wasm}.wasm")),
        "{html}"
    );
    assert!(html.contains("/pkg/memory-mesh.css"), "{html}");
    let cache = |path: String| {
        let app = &app;
        async move {
            let r = app.client.get(app.url(&path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    let hashed = cache(format!("/pkg/memory-mesh.{wasm}.wasm")).await;
    assert_eq!(hashed, "public, max-age=31536000, immutable");
    // A name that does not change with its content is checked again on each use.
    assert_eq!(cache("/pkg/memory-mesh.css".into()).await, "no-cache");
}

#[tokio::test]
async fn a_browser_keeps_the_tenant_it_switched_to() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", Some("acme")).await;
    app.register_and_login("bob", None).await;
    let r = app
        .call(
            reqwest::Method::POST,
            "/v1/tenants/acme/members",
            &alice.access_token,
            Some(serde_json::json!({"user": "bob", "role": "member"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let bob = cookie_login(&app, "bob").await;
    // Switching to acme (the URL names it) is remembered in the browser...
    let r = app
        .client
        .get(app.url("/conversations?tenant=acme"))
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        set.starts_with("mm_tenant=acme;") && set.contains("HttpOnly"),
        "{set}"
    );
    // ...so a page named without a tenant goes to the same address with it.
    let both = format!("{bob}; mm_tenant=acme");
    for (path, to) in [
        ("/search", "/search?tenant=acme"),
        ("/search?q=tea", "/search?q=tea&tenant=acme"),
    ] {
        let (status, location, _) = page(&app, path, Some(&both)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location, to);
    }
    // A tenant the user does not belong to is neither remembered nor followed.
    app.register_and_login("carol", None).await;
    let carol = format!("{}; mm_tenant=acme", cookie_login(&app, "carol").await);
    let (status, _, _) = page(&app, "/search", Some(&carol)).await;
    assert_eq!(status, StatusCode::OK);
}
