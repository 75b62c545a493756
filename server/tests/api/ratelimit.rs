//! Rate limits per client address, per tenant and across instances sharing Redis.

use reqwest::Method;

use crate::helpers::*;

fn limit_vars(global: &str, tenant: &str) -> Vec<(String, String)> {
    vec![
        ("MEMORY_GLOBAL_RATE_LIMIT".into(), global.into()),
        ("MEMORY_TENANT_RATE_LIMIT".into(), tenant.into()),
    ]
}

#[tokio::test]
async fn the_address_limit_counts_down_then_answers_429_with_retry_after() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: limit_vars("3/minute", "100/minute"),
            ..Default::default()
        },
    )
    .await;
    for remaining in ["2", "1", "0"] {
        let r = app.get("/v1/anything").await;
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["x-ratelimit-limit"], "3");
        assert_eq!(r.headers()["x-ratelimit-remaining"], remaining);
        assert!(
            r.headers()["x-ratelimit-reset"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                > 0
        );
    }
    // A spoofed X-Forwarded-For does not buy a fresh budget: no proxy is trusted.
    let r = app
        .client
        .get(app.url("/v1/anything"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=20).contains(&retry),
        "one slot frees after 20 s: {retry}"
    );
    assert_eq!(
        r.headers()["x-content-type-options"],
        "nosniff",
        "429s are full responses"
    );
    let (code, _) = error_envelope(r).await;
    assert_eq!(code, "rate_limited");
    // Probes are never limited.
    assert_eq!(app.get("/v1/admin/health").await.status(), 200);
    assert_eq!(app.get("/v1/admin/readiness").await.status(), 200);
}

#[tokio::test]
async fn two_instances_sharing_redis_share_one_budget() {
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let mut vars = limit_vars("4/minute", "100/minute");
    vars.push(("MEMORY_REDIS_PREFIX".into(), prefix));
    let spawn = || {
        spawn_app_with(
            Backend::Sqlite,
            Options {
                redis_url: Some(redis_url()),
                vars: vars.clone(),
                ..Default::default()
            },
        )
    };
    let (a, b) = (spawn().await, spawn().await);
    for app in [&a, &b, &a, &b] {
        assert_eq!(app.get("/v1/x").await.status(), 404);
    }
    assert_eq!(a.get("/v1/x").await.status(), 429);
    assert_eq!(b.get("/v1/x").await.status(), 429);
}

#[tokio::test]
async fn when_redis_dies_limits_fall_back_to_memory() {
    let redis = PrivateRedis::start();
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            redis_url: Some(redis.url()),
            vars: limit_vars("2/minute", "100/minute"),
            ..Default::default()
        },
    )
    .await;
    drop(redis);
    assert_eq!(app.get("/v1/x").await.status(), 404);
    assert_eq!(app.get("/v1/x").await.status(), 404);
    assert_eq!(
        app.get("/v1/x").await.status(),
        429,
        "still limited, in memory"
    );
    let body: serde_json::Value = app.get("/v1/admin/readiness").await.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
}

#[tokio::test]
async fn a_tenants_budget_is_its_own() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: limit_vars("1000/minute", "2/minute"),
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", Some("acme")).await;
    let bob = app.register_and_login("bob", Some("bobco")).await;
    let list = |user: &TestUser, tenant: &str| {
        let path = format!("/v1/tenants/{tenant}/members");
        let token = user.access_token.clone();
        let app = &app;
        async move { app.call(Method::GET, &path, &token, None).await.status() }
    };
    assert_eq!(list(&alice, "acme").await, 200);
    assert_eq!(list(&alice, "acme").await, 200);
    assert_eq!(list(&alice, "acme").await, 429);
    assert_eq!(
        list(&bob, "bobco").await,
        200,
        "another tenant is unaffected"
    );
}

#[tokio::test]
async fn two_server_processes_sharing_redis_enforce_one_budget() {
    let pair = SharingRedis::start(&[("MEMORY_GLOBAL_RATE_LIMIT", "6/minute")]);
    let (url_a, url_b) = (&pair.urls[0], &pair.urls[1]);
    let client = http_client();
    let mut statuses = Vec::new();
    for url in [url_a, url_b, url_a, url_b, url_a, url_b, url_a, url_b] {
        let r = client.get(format!("{url}/v1/x")).send().await.unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [404, 404, 404, 404, 404, 404, 429, 429]);
}

#[tokio::test]
async fn two_server_processes_sharing_redis_throttle_an_accounts_logins_together() {
    let pair = SharingRedis::start(&[]);
    let (url_a, url_b) = (&pair.urls[0], &pair.urls[1]);
    let client = http_client();
    let attempt = |url: &String, account: &str| {
        let request = client
            .post(format!("{url}/v1/auth/login"))
            .json(&serde_json::json!({"username": account, "password": "wrong-password-1"}));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Five failures spread over both instances use up the account's one budget…
    let mut statuses = Vec::new();
    for url in [url_a, url_b, url_a, url_b, url_a, url_b, url_a] {
        statuses.push(attempt(url, "Victim").await);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    // …whatever the spelling's case, and another account's is untouched.
    assert_eq!(attempt(url_b, "victim").await, 429);
    assert_eq!(attempt(url_b, "bystander").await, 401);
}

/// Two `serve` processes (embedded default, fake embedder) sharing Redis under one key prefix,
/// as instances of one deployment do; both killed when this drops.
struct SharingRedis {
    children: Vec<std::process::Child>,
    urls: Vec<String>,
    _dirs: Vec<TempDir>,
}

impl SharingRedis {
    fn start(extra: &[(&str, &str)]) -> Self {
        let (redis, prefix) = (
            redis_url(),
            format!("test:{}:", uuid::Uuid::new_v4().simple()),
        );
        let mut envs = vec![
            ("MEMORY_REDIS_URL", redis.as_str()),
            ("MEMORY_REDIS_PREFIX", prefix.as_str()),
            ("MEMORY_EMBEDDING_PROVIDER", "fake"),
        ];
        envs.extend_from_slice(extra);
        let dirs = vec![TempDir::new(), TempDir::new()];
        let (children, urls) = dirs.iter().map(|d| start_binary(&d.path, &envs)).unzip();
        Self {
            children,
            urls,
            _dirs: dirs,
        }
    }
}

impl Drop for SharingRedis {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
