//! A fake embedding provider: a local server speaking OpenAI's `/embeddings`, Ollama's
//! `/api/embed` and Gemini's `batchEmbedContents`, told by the test how to answer, and keeping
//! every request it received.

use std::sync::{Arc, Mutex};

use axum::{extract::State, http::HeaderMap, routing::post, Json, Router};
use serde_json::{json, Value};
use server::embed::fake::FakeProvider;

/// How the fake answers its next requests.
#[derive(Clone, Copy, PartialEq)]
pub enum Behaviour {
    Ok,
    /// 429 with `Retry-After: 0` once, then Ok.
    RateLimitOnce,
    Down,
    WrongWidth,
    /// 400: the input is refused (the caller's fault, never retried).
    Refuse,
    /// No answer until the test releases it, then Ok.
    Hold,
    /// Well-formed answers whose first component overflows f32 (1e39): infinity once parsed.
    NonFinite,
}

#[derive(Clone)]
pub struct Fake {
    pub behaviour: Arc<Mutex<Behaviour>>,
    /// Every request's headers and body, in arrival order.
    pub seen: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    pub release: Arc<tokio::sync::Notify>,
}

pub fn vector(text: &str, width: usize) -> Vec<f32> {
    FakeProvider::new(width).embed_one(text)
}

async fn answer(
    fake: &Fake,
    headers: HeaderMap,
    body: Value,
    ok: impl Fn(&Value, usize) -> Value,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    fake.seen.lock().unwrap().push((headers, body.clone()));
    let behaviour = *fake.behaviour.lock().unwrap();
    match behaviour {
        Behaviour::Ok => Json(ok(&body, 384)).into_response(),
        Behaviour::Hold => {
            fake.release.notified().await;
            Json(ok(&body, 384)).into_response()
        }
        Behaviour::WrongWidth => Json(ok(&body, 16)).into_response(),
        Behaviour::NonFinite => {
            let mut answer = ok(&body, 384);
            overflow_first_components(&mut answer);
            Json(answer).into_response()
        }
        Behaviour::Refuse => (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "input refused"})),
        )
            .into_response(),
        Behaviour::Down => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "down"})),
        )
            .into_response(),
        Behaviour::RateLimitOnce => {
            *fake.behaviour.lock().unwrap() = Behaviour::Ok;
            (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "0")],
                Json(json!({"error": "slow down"})),
            )
                .into_response()
        }
    }
}

/// Sets the first component of every vector (an array of numbers) in `v` to 1e39.
fn overflow_first_components(v: &mut Value) {
    match v {
        Value::Array(items) if items.first().is_some_and(Value::is_number) => {
            items[0] = json!(1e39);
        }
        Value::Array(items) => items.iter_mut().for_each(overflow_first_components),
        Value::Object(fields) => fields.values_mut().for_each(overflow_first_components),
        _ => {}
    }
}

pub fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

/// Starts the fake on a random port: its base URL and its handle.
pub async fn start_fake() -> (String, Fake) {
    let fake = Fake {
        behaviour: Arc::new(Mutex::new(Behaviour::Ok)),
        seen: Arc::default(),
        release: Arc::default(),
    };
    let app = Router::new()
        .route(
            "/v1/embeddings",
            post(|State(f): State<Fake>, h: HeaderMap, Json(b): Json<Value>| async move {
                answer(&f, h, b, |b, w| {
                    let data: Vec<Value> = texts(&b["input"])
                        .iter()
                        .enumerate()
                        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector(t, w)}))
                        .rev() // out of order on purpose: clients must use `index`
                        .collect();
                    json!({"object": "list", "data": data, "model": b["model"]})
                })
                .await
            }),
        )
        .route(
            "/api/embed",
            post(|State(f): State<Fake>, h: HeaderMap, Json(b): Json<Value>| async move {
                answer(&f, h, b, |b, w| {
                    let e: Vec<Vec<f32>> = texts(&b["input"]).iter().map(|t| vector(t, w)).collect();
                    json!({"model": b["model"], "embeddings": e})
                })
                .await
            }),
        )
        .route(
            "/v1beta/models/{call}",
            post(|State(f): State<Fake>, h: HeaderMap, Json(b): Json<Value>| async move {
                answer(&f, h, b, |b, w| {
                    let e: Vec<Value> = b["requests"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| json!({"values": vector(r["content"]["parts"][0]["text"].as_str().unwrap(), w)}))
                        .collect();
                    json!({"embeddings": e})
                })
                .await
            }),
        )
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, fake)
}
