//! `spawn_app()` and the `TestApp` handle every test uses; [`binary`]: the real binary as a
//! child process; [`outage`]: a Redis and a PostgreSQL forwarder a test can cut.

use std::sync::Once;

use reqwest::{Client, Method, Response};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{json, Value};
use server::{config::Settings, startup::Application, state::AppState};
use tokio_util::sync::CancellationToken;

/// Which database a test app runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Both backends, for tests that must hold on each.
pub const BACKENDS: [Backend; 2] = [Backend::Postgres, Backend::Sqlite];

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub state: AppState,
    /// The PostgreSQL database created for this app (dropped with it).
    pub pg_database: Option<String>,
    shutdown: CancellationToken,
    /// The server's task, joined by [`TestApp::stop`].
    serving: std::sync::Mutex<Option<tokio::task::JoinHandle<anyhow::Result<()>>>>,
    _data_dir: TempDir,
}

/// Options for [`spawn_app_with`].
#[derive(Default)]
pub struct Options {
    pub redis_url: Option<String>,
    /// Extra `MEMORY_*` settings.
    pub vars: Vec<(String, String)>,
    /// Reuse this PostgreSQL database instead of creating one.
    pub existing_pg_database: Option<String>,
}

impl Options {
    /// No embedding worker runs: async jobs wait until a test runs them.
    pub fn no_workers() -> Self {
        Self {
            vars: vec![("MEMORY_JOB_WORKERS".into(), "0".into())],
            ..Default::default()
        }
    }
}

pub fn admin_database_url() -> String {
    std::env::var("MEMORY_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("MEMORY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// URL of database `name` on the test server.
pub fn pg_url(name: &str) -> String {
    let admin = admin_database_url();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    format!("{base}/{name}")
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Options::default()).await
}

pub async fn try_spawn_app(backend: Backend, options: Options) -> anyhow::Result<TestApp> {
    init_logging();
    let data_dir = TempDir::new();
    let mut pg_database = None;
    let database_url = match backend {
        Backend::Postgres => {
            let name = match options.existing_pg_database {
                Some(name) => name,
                None => create_pg_database().await,
            };
            pg_database = Some(name.clone());
            pg_url(&name)
        }
        Backend::Sqlite => format!("sqlite://{}/test.db", data_dir.path.display()),
    };
    let mut vars: Vec<(String, String)> = vec![
        ("MEMORY_ENVIRONMENT".into(), "test".into()),
        ("MEMORY_PORT".into(), "0".into()),
        (
            "MEMORY_DATA_DIR".into(),
            data_dir.path.display().to_string(),
        ),
        ("MEMORY_DATABASE_URL".into(), database_url),
        ("MEMORY_DATABASE_MAX_CONNECTIONS".into(), "5".into()),
        // One connection at start, not five: each test app has a database of its own, and
        // sqlx takes ~90 ms to open each over TLS, before the app may start.
        ("MEMORY_DATABASE_MIN_CONNECTIONS".into(), "1".into()),
        ("MEMORY_EMBEDDING_PROVIDER".into(), "fake".into()),
        ("MEMORY_SITE_ROOT".into(), site_root()),
    ];
    if let Some(url) = options.redis_url {
        vars.push(("MEMORY_REDIS_URL".into(), url));
        // Tests share one Redis: a prefix per app keeps their counters apart (override it to
        // make two apps share state, as instances of one deployment do).
        let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
        vars.push(("MEMORY_REDIS_PREFIX".into(), prefix));
    }
    for (k, v) in options.vars {
        vars.retain(|(key, _)| key != &k);
        vars.push((k, v));
    }
    let settings = Settings::from_vars(&vars)?;
    let app = Application::build(settings).await?;
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let shutdown = CancellationToken::new();
    let serving = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    Ok(TestApp {
        address,
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        pg_database,
        shutdown,
        serving: std::sync::Mutex::new(Some(serving)),
        _data_dir: data_dir,
    })
}

/// A second instance on `first`'s PostgreSQL database, as a second process behind a load
/// balancer would be.
pub async fn spawn_second_instance(first: &TestApp) -> TestApp {
    spawn_app_with(
        Backend::Postgres,
        Options {
            existing_pg_database: first.pg_database.clone(),
            ..Default::default()
        },
    )
    .await
}

pub async fn spawn_app_with(backend: Backend, options: Options) -> TestApp {
    try_spawn_app(backend, options)
        .await
        .expect("the test app starts")
}

impl TestApp {
    /// Stops the server and its background tasks (as an operator does before migrating by
    /// hand); the database stays, reachable through `state`.
    pub async fn stop(&self) {
        self.shutdown.cancel();
        let serving = self.serving.lock().unwrap().take();
        if let Some(serving) = serving {
            // Joined, not judged: how it ended is the calling test's business.
            let _ = serving.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A dashboard page's HTML as a browser signed in with `cookie` gets it (no JavaScript).
    pub async fn page_html(&self, path: &str, cookie: &str) -> String {
        self.client
            .get(self.url(path))
            .header(reqwest::header::COOKIE, cookie)
            .header(reqwest::header::ACCEPT, "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(name) = self.pg_database.take() {
            drop_pg_database(name);
        }
    }
}

/// Creates an empty database with pgvector installed (as a superuser, as an operator would).
pub async fn create_pg_database() -> String {
    let name = format!("mm_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(admin_database_url())
        .await
        .expect("PostgreSQL is reachable (run scripts/setup-services.sh)");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin.close().await.ok();
    let db = Database::connect(pg_url(&name)).await.unwrap();
    db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS vector")
        .await
        .unwrap();
    db.close().await.ok();
    name
}

/// Drops a test database from a helper thread (Drop cannot be async), ending its connections.
pub fn drop_pg_database(name: String) {
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            if let Ok(admin) = Database::connect(admin_database_url()).await {
                let _ = admin
                    .execute_raw(Statement::from_string(
                        DbBackend::Postgres,
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    ))
                    .await;
                admin.close().await.ok();
            }
        });
    })
    .join();
}

/// The dashboard assets built by scripts/build.sh (SSR works without them).
fn site_root() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    root.display().to_string()
}

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = server::telemetry::init(server::config::LogFormat::Pretty, None);
        }
    });
}

/// A directory removed when dropped.
pub struct TempDir {
    pub path: std::path::PathBuf,
}

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "memory-mesh-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Reads a JSON error envelope and checks its shape, returning `(code, request_id)`.
pub async fn error_envelope(response: Response) -> (String, String) {
    let header_id = response
        .headers()
        .get("x-request-id")
        .expect("every response carries x-request-id")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "error bodies are JSON"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    let error = &body["error"];
    let code = error["code"].as_str().expect("error.code").to_owned();
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(error["request_id"].as_str(), Some(header_id.as_str()));
    (code, header_id)
}

/// A registered user and their tokens.
pub struct TestUser {
    pub id: String,
    pub tenant_id: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub const PASSWORD: &str = "SecurePass123";

impl TestApp {
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Sends `method path` with a bearer token (or API key) and an optional JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        credential: &str,
        body: Option<serde_json::Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(credential);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// GETs `path` with `credential` and parses the JSON answer, whatever its status.
    pub async fn get_json(&self, path: &str, credential: &str) -> serde_json::Value {
        self.call(reqwest::Method::GET, path, credential, None)
            .await
            .json()
            .await
            .unwrap()
    }

    /// Registers `username` (creating `tenant` when given, else a personal tenant) and logs in.
    pub async fn register_and_login(&self, username: &str, tenant: Option<&str>) -> TestUser {
        let email = format!("{username}@example.com");
        let mut body = serde_json::json!({
            "email": email, "username": username, "password": PASSWORD,
        });
        if let Some(t) = tenant {
            body["tenant_id"] = t.into();
        }
        let response = self.post_json("/v1/auth/register", &body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let user: serde_json::Value = response.json().await.unwrap();
        let tokens = self.login(username).await;
        TestUser {
            id: user["id"].as_str().unwrap().to_owned(),
            tenant_id: user["tenants"][0]["tenant_id"].as_str().unwrap().to_owned(),
            access_token: tokens["access_token"].as_str().unwrap().to_owned(),
            refresh_token: tokens["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn login(&self, username: &str) -> serde_json::Value {
        let response = self
            .post_json(
                "/v1/auth/login",
                &serde_json::json!({"username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// POSTs a message with `token`.
pub async fn post_message(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.call(Method::POST, "/v1/messages", token, Some(body))
        .await
}

/// Stores a message inline and returns it (asserting the 201).
pub async fn store(
    app: &TestApp,
    token: &str,
    conversation: &str,
    role: &str,
    content: &str,
) -> Value {
    let r = post_message(
        app,
        token,
        json!({"conversation_id": conversation, "role": role, "content": content}),
    )
    .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// Creates an API key with `body` (`name`, `scope`, …) and returns the key itself.
pub async fn new_api_key(app: &TestApp, token: &str, body: Value) -> String {
    let r = app
        .call(
            reqwest::Method::POST,
            "/v1/auth/api-keys",
            token,
            Some(body),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    created["key"].as_str().unwrap().to_owned()
}

/// Archives message `id` by hand (asserting the 200).
pub async fn archive(app: &TestApp, token: &str, id: &str) {
    let path = format!("/v1/messages/{id}");
    let body = json!({"archived": true});
    let r = app
        .call(reqwest::Method::PUT, &path, token, Some(body))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// The hits of `POST /v1/memory/search` with `body`, best first (asserting the 200).
pub async fn search_hits(app: &TestApp, token: &str, body: Value) -> Vec<Value> {
    let r = app
        .call(
            reqwest::Method::POST,
            "/v1/memory/search",
            token,
            Some(body),
        )
        .await;
    assert_eq!(r.status(), 200);
    let mut r: Value = r.json().await.unwrap();
    match r["items"].take() {
        Value::Array(items) => items,
        other => panic!("search answered items {other}"),
    }
}

/// Stores a user message in conversation `c` with its embedding left to the queue
/// (`?async=true`) and returns it (asserting the 202).
pub async fn store_async(app: &TestApp, token: &str, content: &str) -> Value {
    let body = json!({"conversation_id": "c", "role": "user", "content": content});
    let r = app
        .call(Method::POST, "/v1/messages?async=true", token, Some(body))
        .await;
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// Runs the embedding queue until it is empty.
pub async fn drain(app: &TestApp) {
    while server::jobs::run_once(&app.state.services, &app.state.activity, "test-drain")
        .await
        .unwrap()
        > 0
    {}
}

/// An HTTP client for tests that talk to a server they did not build in-process. reqwest is
/// built without a default TLS provider (see Cargo.toml), so install ring's first.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

mod binary;
mod outage;
pub mod provider;

pub use binary::*;
pub use outage::*;

/// Logs in through `POST /v1/auth/session`; the `Cookie` header value to send back.
pub async fn cookie_login(app: &TestApp, username: &str) -> String {
    let r = app
        .post_json(
            "/v1/auth/session",
            &serde_json::json!({"username": username, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::NO_CONTENT);
    let set = r.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    assert!(r.text().await.unwrap().is_empty(), "no token in the body");
    let pair = set.split(';').next().unwrap().to_owned();
    assert!(pair.starts_with("mm_session=") && pair.len() > 20, "{pair}");
    pair
}

/// An app where alice has stored one message, "I like green tea", in conversation `tea`: the
/// app, alice, her session cookie, and the message's id.
pub async fn alice_with_tea(backend: Backend) -> (TestApp, TestUser, String, String) {
    let app = spawn_app(backend).await;
    let alice = app.register_and_login("alice", None).await;
    let body = serde_json::json!({"conversation_id": "tea", "role": "user", "content": "I like green tea"});
    let r = post_message(&app, &alice.access_token, body).await;
    assert!(r.status().is_success());
    let stored: serde_json::Value = r.json().await.unwrap();
    let cookie = cookie_login(&app, "alice").await;
    (
        app,
        alice,
        cookie,
        stored["id"].as_str().unwrap().to_owned(),
    )
}
