//! Streaming search (`/v1/ws/stream/{tenant_id}`): the same results as REST, per query, several
//! queries on one socket, and errors that name their field.

use reqwest::Method;
use serde_json::{json, Value};

use super::*;
use crate::helpers::*;

/// Frames until `done` or `error` of `query_id`: its results and that last frame.
async fn answer(feed: &mut Feed, query_id: &Value) -> (Vec<Value>, Value) {
    let mut results = Vec::new();
    loop {
        let f = feed.frame().await;
        if f["query_id"] != *query_id {
            continue;
        }
        match f["type"].as_str() {
            Some("result") => results.push(f),
            _ => return (results, f),
        }
    }
}

fn without_clock(hit: &Value) -> Value {
    let mut hit = hit.clone();
    let fields = hit.as_object_mut().unwrap();
    fields.remove("score");
    fields.remove("decay");
    hit
}

async fn seed(app: &TestApp, token: &str) {
    for (conversation, text) in [
        ("trip", "Book the night train to Vienna"),
        ("trip", "The hotel in Vienna is near the opera"),
        ("work", "Standup moved to nine on Mondays"),
        ("work", "The train strike delays the Vienna office visit"),
        ("home", "Water the plants on Friday"),
    ] {
        store(app, token, conversation, "user", text).await;
    }
}

#[tokio::test]
async fn streaming_search_equals_rest_search() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        seed(&app, &alice.access_token).await;
        let body =
            json!({"query": "train to Vienna", "top_k": 3, "mode": "hybrid", "explain": true});
        let rest: Value = app
            .call(
                Method::POST,
                "/v1/memory/search",
                &alice.access_token,
                Some(body.clone()),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(rest["total"], 3, "{rest}");

        let auth = format!("Bearer {}", alice.access_token);
        let path = format!("/v1/ws/stream/{}", alice.tenant_id);
        let mut ws = try_connect(&app.address, &path, &[("authorization", &auth)])
            .await
            .unwrap();
        let mut query = body.clone();
        query["query_id"] = "q1".into();
        let sent = std::time::Instant::now();
        ws.send(query).await;
        let (results, done) = answer(&mut ws, &json!("q1")).await;
        let waited_ms = sent.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(done["type"], "done", "{done}");
        assert_eq!(done["count"], 3);
        // The server's own time for the query: positive, in milliseconds, and within what the
        // client waited for the answer.
        let took_ms = done["took_ms"].as_f64().unwrap();
        assert!(
            took_ms > 0.0 && took_ms <= waited_ms,
            "{took_ms} of {waited_ms} ms"
        );
        let ranks: Vec<u64> = results
            .iter()
            .map(|r| r["rank"].as_u64().unwrap())
            .collect();
        assert_eq!(ranks, [1, 2, 3]);
        // Scores carry a recency decay measured at each request's own moment: compare the rest.
        let streamed: Vec<Value> = results
            .iter()
            .map(|r| without_clock(&r["result"]))
            .collect();
        let rest_items: Vec<Value> = rest["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(without_clock)
            .collect();
        assert_eq!(streamed, rest_items, "{backend:?}");
    }
}

#[tokio::test]
async fn several_queries_share_a_socket_and_bad_ones_name_their_field() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    seed(&app, &alice.access_token).await;
    // The original's clients: the conversation in the URL, a bare {query, top_k}, the token in
    // the query string, the unversioned path.
    let path = format!(
        "/ws/stream/{}?conversation_id=work&token={}",
        alice.tenant_id, alice.access_token
    );
    let mut ws = try_connect(&app.address, &path, &[]).await.unwrap();
    ws.send(json!({"query": "Vienna", "top_k": 5})).await;
    ws.send(json!({"query_id": "bad", "query": "Vienna", "top_k": 999}))
        .await;
    ws.send(json!({"query_id": 7, "query": "plants", "conversation_id": "home"}))
        .await;
    ws.send(json!({"query_id": "odd", "query": "x", "colour": "red"}))
        .await;

    // Queries run concurrently: their frames interleave, told apart by `query_id`.
    let mut frames: Vec<Value> = Vec::new();
    while frames
        .iter()
        .filter(|f| f["type"] == "done" || f["type"] == "error")
        .count()
        < 4
    {
        frames.push(ws.frame().await);
    }
    let of = |id: Value| -> Vec<&Value> { frames.iter().filter(|f| f["query_id"] == id).collect() };

    let work = of(Value::Null);
    assert_eq!(work.last().unwrap()["type"], "done");
    assert!(work.len() > 1, "{work:?}");
    for r in &work[..work.len() - 1] {
        assert_eq!(r["result"]["conversation_id"], "work", "{r}");
    }
    let bad = of(json!("bad"));
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0]["type"], "error");
    assert_eq!(bad[0]["code"], "validation_failed");
    assert_eq!(bad[0]["field"], "top_k");
    let plants = of(json!(7));
    assert_eq!(plants.len(), 2);
    assert_eq!(plants[0]["result"]["content"], "Water the plants on Friday");
    assert_eq!(plants[1]["count"], 1);
    let odd = of(json!("odd"));
    assert_eq!(odd[0]["field"], "colour", "{odd:?}");
    // Still open.
    assert!(ws.sync().await.is_empty());
}
