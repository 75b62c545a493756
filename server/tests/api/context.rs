//! `POST /v1/memory/context`: the memories a prompt needs, within its token budget — memories
//! with the turns beside them, the current conversation's latest turns last, nothing twice,
//! another tenant's memories never.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn context(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let r = app
        .call(Method::POST, "/v1/memory/context", token, Some(body))
        .await;
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

fn ids(c: &Value) -> Vec<(String, String)> {
    in_conversation(c, None)
}

/// `(content, source)` of the context's messages, only `conversation`'s when given.
fn in_conversation(c: &Value, conversation: Option<&str>) -> Vec<(String, String)> {
    c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| conversation.is_none_or(|id| m["conversation_id"] == id))
        .map(|m| {
            (
                m["content"].as_str().unwrap().to_owned(),
                m["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn memories_come_with_their_neighbours_before_the_latest_turns_within_the_budget() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let carol = app.register_and_login("carol", None).await;
        let t = alice.access_token.as_str();
        store(&app, t, "boat", "user", "My sailing boat is called Swift").await;
        store(
            &app,
            t,
            "boat",
            "assistant",
            "Swift is a fine name for a boat",
        )
        .await;
        store(&app, t, "boat", "user", "Swift needs varnish every May").await;
        store(&app, t, "garden", "user", "Tulips bloom in April").await;
        store(&app, t, "now", "user", "Remind me what it needs").await;
        store(&app, t, "now", "assistant", "Let me look").await;

        let body = json!({"query": "varnish every May", "conversation_id": "now", "top_k": 1});
        let (status, c) = context(&app, t, body).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {c}");
        let found = ids(&c);
        let sources: Vec<&str> = found.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(sources, ["neighbour", "memory", "recent", "recent"], "{c}");
        assert_eq!(found[1].0, "Swift needs varnish every May");
        assert_eq!(found[0].0, "Swift is a fine name for a boat");
        let text = c["text"].as_str().unwrap();
        assert!(
            text.starts_with("Memories:\n\nConversation boat:\n["),
            "{text}"
        );
        assert!(
            text.ends_with("assistant: Let me look")
                && text.contains("Recent turns of conversation now:"),
            "{text}"
        );
        let tokens = c["tokens"].as_u64().unwrap();
        assert!(tokens > 0 && tokens <= 1000, "{c}");
        if c["token_counter"] == "chars/4" {
            assert_eq!(tokens, text.chars().count().div_ceil(4) as u64);
        } else {
            assert_eq!(c["token_counter"], "tokenizer");
        }

        // A small budget keeps what fits and says what it left out.
        let body = json!({"query": "boat", "top_k": 10, "max_tokens": 30, "neighbours": 0});
        let (status, small) = context(&app, t, body).await;
        assert_eq!(status, StatusCode::OK);
        assert!(small["tokens"].as_u64().unwrap() <= 30, "{small}");
        let kept = small["messages"].as_array().unwrap().len();
        let dropped = small["dropped"].as_array().unwrap().len();
        assert!(kept >= 1 && dropped >= 1, "{small}");

        // Another tenant's memories and conversations are not there.
        let body = json!({"query": "boat varnish", "conversation_id": "boat"});
        let (status, other) = context(&app, &carol.access_token, body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(other["messages"], json!([]), "{other}");
        assert_eq!(other["text"], "");
    }
}

#[tokio::test]
async fn bad_requests_name_their_field_and_tokens_fall_back_to_characters() {
    let dir = std::env::temp_dir().join("mm-context-no-model");
    let vars = vec![(
        "MEMORY_EMBEDDING_MODEL_DIR".to_owned(),
        dir.display().to_string(),
    )];
    let options = Options {
        vars,
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, options).await;
    let alice = app.register_and_login("alice", None).await;
    let t = alice.access_token.as_str();
    for (body, field) in [
        (json!({}), "query"),
        (json!({"query": "x", "max_tokens": 5}), "max_tokens"),
        (json!({"query": "x", "recent_turns": 3}), "recent_turns"),
        (json!({"query": "x", "neighbours": 9}), "neighbours"),
        (json!({"query": "x", "top_k": 0}), "top_k"),
        (
            json!({"conversation_id": "no spaces allowed"}),
            "conversation_id",
        ),
    ] {
        let (status, e) = context(&app, t, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_eq!(e["error"]["field"], field, "{body}");
    }
    store(&app, t, "now", "user", "Hello there, general").await;
    let (status, c) = context(&app, t, json!({"conversation_id": "now"})).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["token_counter"], "chars/4");
    let text = c["text"].as_str().unwrap();
    assert_eq!(
        c["tokens"].as_u64().unwrap(),
        text.chars().count().div_ceil(4) as u64
    );
    assert_eq!(
        ids(&c),
        [("Hello there, general".to_owned(), "recent".to_owned())]
    );
}

#[tokio::test]
async fn the_search_playground_shows_the_context_rest_gives() {
    let (app, alice, cookie, _) = alice_with_tea(Backend::Sqlite).await;
    let request = json!({"query": "green tea", "max_tokens": 200});
    let r = app
        .client
        .post(app.url("/api/context"))
        .header(reqwest::header::COOKIE, &cookie)
        .header(reqwest::header::ORIGIN, app.address.as_str())
        .json(&json!({"request": request}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let from_dashboard: Value = r.json().await.unwrap();
    let (_, rest) = context(&app, &alice.access_token, request).await;
    assert_eq!(from_dashboard, rest);
    let text = rest["text"].as_str().unwrap();
    assert!(text.ends_with("user: I like green tea"), "{text}");

    // The page renders it (HTML-escaped) with its budget, without JavaScript.
    let page = app
        .page_html("/search?q=green+tea&context=true&max_tokens=200", &cookie)
        .await;
    assert!(page.contains("Context for a prompt"), "{page}");
    assert!(page.contains("user: I like green tea"));
    assert!(page.contains(&format!("{} of 200 tokens", rest["tokens"])));
}

#[tokio::test]
async fn neighbours_are_the_nearest_live_turns_on_each_side_whoever_else_was_found() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = alice.access_token.as_str();
        let mut ids = Vec::new();
        for content in [
            "We met at the harbour",
            "The ferry was late again",
            "I lost my umbrella there",
            "Then it rained all afternoon",
            "The lighthouse keeper's cat is named Pixel",
            "We took the last bus home",
            "Tomorrow is market day",
        ] {
            let m = store(&app, t, "walk", "user", content).await;
            ids.push(m["id"].as_str().unwrap().to_owned());
        }
        store(
            &app,
            t,
            "other",
            "user",
            "Pixel the cat sleeps in the lamp room",
        )
        .await;
        // An archived turn is never a neighbour: the next live one takes its place.
        let r = app
            .call(
                Method::PUT,
                &format!("/v1/messages/{}", ids[3]),
                t,
                Some(json!({"archived": true})),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);

        let body = json!({"query": "lighthouse keeper cat Pixel", "top_k": 2, "neighbours": 2});
        let (status, c) = context(&app, t, body).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {c}");
        let walk = in_conversation(&c, Some("walk"));
        let expected = [
            ("The ferry was late again", "neighbour"),
            ("I lost my umbrella there", "neighbour"),
            ("The lighthouse keeper's cat is named Pixel", "memory"),
            ("We took the last bus home", "neighbour"),
            ("Tomorrow is market day", "neighbour"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        assert_eq!(walk, expected, "{backend:?}: {c}");
        // The other conversation's memory stands alone (it has no other turns).
        assert_eq!(
            in_conversation(&c, Some("other")),
            [(
                "Pixel the cat sleeps in the lamp room".to_owned(),
                "memory".to_owned()
            )],
            "{c}"
        );
    }
}
