//! Conversations: explicit creation, edits, stats and deep paging.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn create_update_and_stats_on_both_backends() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        let body = json!({"conversation_id": "planning", "title": "Trip", "metadata": {"k": 1}});
        let r = app
            .call(Method::POST, "/v1/conversations", t, Some(body.clone()))
            .await;
        assert_eq!(r.status(), 201, "{backend:?}");
        let r = app
            .call(Method::POST, "/v1/conversations", t, Some(body))
            .await;
        assert_eq!(r.status(), 200, "creating again returns the existing one");
        let r = app
            .call(
                Method::PUT,
                "/v1/conversations/planning",
                t,
                Some(json!({"archived": true, "title": "Trip 2"})),
            )
            .await;
        let c: Value = r.json().await.unwrap();
        assert_eq!(
            (c["archived"].clone(), c["title"].clone()),
            (json!(true), json!("Trip 2"))
        );
        let archived: Value = app
            .call(Method::GET, "/v1/conversations?archived=true", t, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(archived["total"], 1);

        store(&app, t, "planning", "user", "a").await;
        store(&app, t, "planning", "user", "b").await;
        store(&app, t, "planning", "assistant", "c").await;
        let s: Value = app
            .call(Method::GET, "/v1/conversations/planning/stats", t, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(s["total_messages"], 3, "{backend:?}: {s}");
        assert_eq!(s["user_messages"], 2);
        assert_eq!(s["assistant_messages"], 1);
        assert_eq!(s["system_messages"], 0);
        let avg = s["avg_importance"].as_f64().unwrap();
        assert!((avg - (0.54 + 0.54 + 0.50) / 3.0).abs() < 0.01, "{avg}");
        let r = app
            .call(Method::GET, "/v1/conversations/nope/stats", t, None)
            .await;
        assert_eq!(r.status(), 404);
    }
}

#[tokio::test]
async fn cursor_paging_visits_every_conversation_once() {
    let app = spawn_app(Backend::Postgres).await;
    let alice = app.register_and_login("alice", None).await;
    let t = &alice.access_token;
    for i in 0..25 {
        store(&app, t, &format!("c{i:02}"), "user", "hello").await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/conversations?page_size=10&cursor={c}"),
            None => "/v1/conversations?page_size=10".to_owned(),
        };
        let page: Value = app
            .call(Method::GET, &path, t, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], 25);
        for c in page["conversations"].as_array().unwrap() {
            seen.push(c["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (25, 25));
    let r = app
        .call(Method::GET, "/v1/conversations?cursor=garbage", t, None)
        .await;
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn concurrent_first_messages_create_each_conversation_once_and_count_them_all() {
    // Many requests racing to create the same new conversations: none may fail on the
    // conversation's primary key, and every message must be counted.
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let writes = (0..30).map(|i| {
            let body = json!({"conversation_id": format!("race{}", i % 3), "role": "user",
                              "content": format!("racing {i}")});
            app.call(
                Method::POST,
                "/v1/messages?async=true",
                &alice.access_token,
                Some(body),
            )
        });
        let statuses: Vec<u16> = futures::future::join_all(writes)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        assert!(
            statuses.iter().all(|s| *s == 202),
            "{backend:?}: {statuses:?}"
        );
        for c in 0..3 {
            let conversation = app
                .get_json(&format!("/v1/conversations/race{c}"), &alice.access_token)
                .await;
            assert_eq!(conversation["message_count"], 10, "{backend:?}");
        }
    }
}
