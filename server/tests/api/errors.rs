//! One error shape everywhere: unknown routes, wrong methods, oversized bodies; request ids.

use crate::helpers::*;

#[tokio::test]
async fn unknown_api_routes_get_the_json_404_envelope() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in ["/v1/nothing-here", "/v1", "/v1/admin/healthz"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let (code, _) = error_envelope(response).await;
        assert_eq!(code, "not_found");
    }
}

#[tokio::test]
async fn unknown_paths_outside_the_api_are_json_for_programs() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let (code, _) = error_envelope(response).await;
    assert_eq!(code, "not_found");
}

#[tokio::test]
async fn a_wrong_method_gets_the_json_405_envelope() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app
        .client
        .delete(app.url("/v1/admin/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let (code, _) = error_envelope(response).await;
    assert_eq!(code, "method_not_allowed");
}

#[tokio::test]
async fn an_oversized_body_gets_the_json_413_envelope() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![("MEMORY_MAX_BODY_BYTES".into(), "2048".into())],
            ..Default::default()
        },
    )
    .await;
    let response = app
        .client
        .post(app.url("/v1/admin/health"))
        .header("content-type", "application/json")
        .body(vec![b' '; 10_000])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let (code, _) = error_envelope(response).await;
    assert_eq!(code, "payload_too_large");
}

#[tokio::test]
async fn a_valid_request_id_is_echoed_and_a_malformed_one_replaced() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app
        .client
        .get(app.url("/v1/nope"))
        .header("x-request-id", "trace-abc.123")
        .send()
        .await
        .unwrap();
    let (_, id) = error_envelope(response).await;
    assert_eq!(id, "trace-abc.123");

    let response = app
        .client
        .get(app.url("/v1/admin/health"))
        .header("x-request-id", "evil\tid with spaces")
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "replaced by a fresh id: {id}"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in ["/v1/admin/health", "/v1/missing", "/"] {
        let response = app.get(path).await;
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
    }
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![(
                "MEMORY_ALLOWED_ORIGINS".into(),
                "https://dash.example".into(),
            )],
            ..Default::default()
        },
    )
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/v1/admin/health"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight("https://dash.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://dash.example"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(!refused
        .headers()
        .contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn hsts_is_sent_behind_a_trusted_proxy_and_not_on_plain_local_http() {
    let local = spawn_app(Backend::Sqlite).await;
    assert!(!local
        .get("/v1/admin/health")
        .await
        .headers()
        .contains_key("strict-transport-security"));
    let proxied = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![("MEMORY_TRUSTED_PROXIES".into(), "10.0.0.1".into())],
            ..Default::default()
        },
    )
    .await;
    let r = proxied.get("/v1/admin/health").await;
    assert_eq!(
        r.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}

#[tokio::test]
async fn a_request_over_the_time_limit_gets_the_504_envelope() {
    // An OpenAI-style provider that holds its answer far past the request's time limit (its
    // client would wait 30 s): the request is slow however fast this machine is.
    let held = axum::Router::new().route(
        "/v1/embeddings",
        axum::routing::post(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(120)).await;
            ""
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let provider = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, held).await });
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![
                ("MEMORY_EMBEDDING_PROVIDER".into(), "openai".into()),
                ("MEMORY_EMBEDDING_BASE_URL".into(), provider),
                ("MEMORY_EMBEDDING_MODEL".into(), "test-model".into()),
                ("MEMORY_EMBEDDING_API_KEY".into(), "sk-test".into()),
                ("MEMORY_REQUEST_TIMEOUT_SECONDS".into(), "1".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    // A vector search waits for its query's embedding (a write would be stored pending after
    // half the time limit instead).
    let r = app
        .call(
            reqwest::Method::GET,
            "/v1/memory/search?query=anything&mode=vector",
            &alice.access_token,
            None,
        )
        .await;
    assert_eq!(r.status(), 504);
    let (code, _) = error_envelope(r).await;
    assert_eq!(code, "timeout");
}
