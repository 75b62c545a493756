//! Retention: policies and rules, dry and real runs, their records and restore, who may do
//! what, and the scheduler across instances.

mod access;
mod runs;
mod scheduler;

pub use chrono::Duration;
use chrono::Utc;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// Stores a message `age` old (inline), with `extra` fields merged into the body; returns its
/// id.
pub async fn old_message(
    app: &TestApp,
    token: &str,
    conversation: &str,
    content: &str,
    age: Duration,
    extra: Value,
) -> String {
    let mut body = json!({
        "conversation_id": conversation, "role": "user", "content": content,
        "created_at": (Utc::now() - age).to_rfc3339(),
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = post_message(app, token, body).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `method path` with `token`; the status and the JSON answer (Null if none).
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let r = app.call(method, path, token, body).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn rule(app: &TestApp, token: &str, body: Value) -> String {
    let (status, r) = send(app, Method::POST, "/v1/retention/rules", token, Some(body)).await;
    assert_eq!(status, 201, "{r}");
    r["id"].as_str().unwrap().to_owned()
}

/// The ids of `run.sample_ids[action]`, sorted.
pub fn sampled(run: &Value, action: &str) -> Vec<String> {
    let mut ids: Vec<String> = run["sample_ids"][action]
        .as_array()
        .unwrap_or_else(|| panic!("no sample_ids.{action} in {run}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// Texts the lexical search finds for `query`.
pub async fn found(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (status, r) = send(
        app,
        Method::GET,
        &format!("/v1/memory/search?query={query}&mode=lexical"),
        token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{r}");
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["content"].as_str().unwrap().to_owned())
        .collect()
}

/// `SELECT` one column of text rows.
pub async fn column(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.state.services.db;
    db.query_all_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index::<String>(0).unwrap())
    .collect()
}

/// The field a 422 names (`error.field`), asserting the status.
pub async fn invalid_field(r: reqwest::Response, what: &Value) -> String {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 422, "{what}: {body}");
    body["error"]["field"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits (up to 30 s) until message `id`'s embedding is stored, the job workers running.
pub async fn embedded(app: &TestApp, token: &str, id: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        drain(app).await;
        let (_, m) = send(app, Method::GET, &format!("/v1/messages/{id}"), token, None).await;
        if m["embedding_status"] == "completed" {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "never embedded: {m}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
