//! Health, readiness and metrics.

use crate::helpers::*;

#[tokio::test]
async fn health_answers_ok_on_both_backends() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let response = app.get("/v1/admin/health").await;
        assert_eq!(response.status(), 200, "{backend:?}");
        assert!(response.headers().contains_key("x-request-id"));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["environment"], "test");
        assert!(body["uptime_seconds"].is_u64());
    }
}

#[tokio::test]
async fn readiness_reports_database_and_redis_when_both_answer() {
    let app = spawn_app_with(
        Backend::Postgres,
        Options {
            redis_url: Some(redis_url()),
            ..Default::default()
        },
    )
    .await;
    let response = app.get("/v1/admin/readiness").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let names: Vec<&str> = body["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["database", "redis"]);
}

#[tokio::test]
async fn readiness_on_sqlite_without_redis_checks_only_the_database() {
    let app = spawn_app(Backend::Sqlite).await;
    let body: serde_json::Value = app.get("/v1/admin/readiness").await.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["components"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn readiness_is_503_naming_the_database_when_it_disappears() {
    let app = spawn_app(Backend::Postgres).await;
    drop_pg_database(app.pg_database.clone().unwrap());
    let response = app.get("/v1/admin/readiness").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "down");
    assert_eq!(body["components"][0]["name"], "database");
    assert_eq!(body["components"][0]["status"], "down");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/v1/admin/health").await.status(), 200);
}

#[tokio::test]
async fn readiness_is_degraded_naming_redis_when_it_stops() {
    let redis = PrivateRedis::start();
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            redis_url: Some(redis.url()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(app.get("/v1/admin/readiness").await.status(), 200);
    drop(redis);
    // Still ready: without Redis, rate limits fall back to this instance's memory.
    let response = app.get("/v1/admin/readiness").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    let redis_status = body["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "redis")
        .unwrap();
    assert_eq!(redis_status["status"], "down");
    assert_eq!(
        body["components"][0]["status"], "ok",
        "the database still answers"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = spawn_app(Backend::Sqlite).await;
    app.get("/v1/admin/health").await;
    app.get("/v1/no-such-thing").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"memory_mesh_http_requests_total{method="GET",route="/v1/admin/health",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains("memory_mesh_http_request_duration_seconds_bucket"));
    assert!(
        !text.contains("no-such-thing"),
        "raw paths never become labels"
    );
}

#[tokio::test]
async fn private_metrics_are_for_instance_admins_only() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![
                ("MEMORY_METRICS_PUBLIC".into(), "false".into()),
                ("MEMORY_ADMIN_EMAILS".into(), "root@example.com".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let user = app.register_and_login("someone", None).await;
    let root = app.register_and_login("root", None).await;
    let r = app
        .call(reqwest::Method::GET, "/metrics", &user.access_token, None)
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .call(reqwest::Method::GET, "/metrics", &root.access_token, None)
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("memory_mesh_build_info"));
}
