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

/// Every page of `/v1/conversations/{id}/messages?…` from the first on: the contents, and how
/// many pages it took.
async fn walk_messages(app: &TestApp, token: &str, id: &str, query: &str) -> (Vec<Value>, usize) {
    let (mut all, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let mut path = format!("/v1/conversations/{id}/messages?{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get_json(&path, token).await;
        pages += 1;
        all.extend(page["messages"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return (all, pages),
        }
        assert!(pages < 50, "the walk does not end");
    }
}

#[tokio::test]
async fn a_conversations_messages_are_listed_in_time_order_by_cursor() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        // Imported history, out of order, two messages sharing a time.
        let times = [
            "2026-03-01T10:00:00Z",
            "2026-01-01T10:00:00Z",
            "2026-02-01T10:00:00Z",
            "2026-02-01T10:00:00Z",
            "2026-04-01T10:00:00Z",
            "2026-05-01T10:00:00.000001Z",
            "2026-05-01T10:00:00Z",
        ];
        let messages: Vec<Value> = times
            .iter()
            .enumerate()
            .map(|(i, at)| {
                json!({"conversation_id": "trip", "role": "user",
                       "content": format!("note {i}"), "created_at": at})
            })
            .collect();
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch",
                t,
                Some(json!({"messages": messages})),
            )
            .await;
        assert!(r.status().is_success(), "{}", r.status());
        let created: Value = r.json().await.unwrap();
        store(&app, t, "elsewhere", "user", "not in the trip").await;
        // Expected order, computed here: by time, then by id.
        let mut expected: Vec<(chrono::DateTime<chrono::Utc>, String, String)> = created["created"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let at = chrono::DateTime::parse_from_rfc3339(m["created_at"].as_str().unwrap());
                (
                    at.unwrap().to_utc(),
                    m["id"].as_str().unwrap().to_owned(),
                    m["content"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(expected.len(), 7);
        expected.sort();
        let archived = expected[2].1.clone();
        let r = app
            .call(
                Method::PUT,
                &format!("/v1/messages/{archived}"),
                t,
                Some(json!({"archived": true})),
            )
            .await;
        assert_eq!(r.status(), 200);
        let contents = |list: &[Value]| -> Vec<String> {
            list.iter()
                .map(|m| m["content"].as_str().unwrap().to_owned())
                .collect()
        };

        let every: Vec<String> = expected.iter().map(|e| e.2.clone()).collect();
        let active: Vec<String> = expected
            .iter()
            .filter(|e| e.1 != archived)
            .map(|e| e.2.clone())
            .collect();
        let (asc, pages) = walk_messages(&app, t, "trip", "page_size=2").await;
        assert_eq!(contents(&asc), active, "{backend:?}");
        assert_eq!(pages, 3);
        assert!(asc
            .iter()
            .all(|m| m["archived"] == false && m["conversation_id"] == "trip"));
        let (desc, _) = walk_messages(&app, t, "trip", "page_size=4&order=desc").await;
        let mut reversed = active.clone();
        reversed.reverse();
        assert_eq!(contents(&desc), reversed, "{backend:?}");
        let (with_archived, _) =
            walk_messages(&app, t, "trip", "page_size=3&include_archived=true").await;
        assert_eq!(contents(&with_archived), every, "{backend:?}");
        assert_eq!(with_archived[2]["archived"], true);
        let (one_page, pages) = walk_messages(&app, t, "trip", "").await;
        assert_eq!((one_page.len(), pages), (6, 1));

        // A conversation without messages is an empty page; bad parameters are 422.
        let r = app
            .call(
                Method::POST,
                "/v1/conversations",
                t,
                Some(json!({"conversation_id": "empty"})),
            )
            .await;
        assert_eq!(r.status(), 201);
        let (none, _) = walk_messages(&app, t, "empty", "").await;
        assert!(none.is_empty());
        for (query, field) in [
            ("order=sideways", "order"),
            ("page_size=0", "page_size"),
            ("page_size=101", "page_size"),
            ("cursor=nonsense", "cursor"),
            ("cursor=1764000000000000_not-a-uuid", "cursor"),
        ] {
            let r = app
                .call(
                    Method::GET,
                    &format!("/v1/conversations/trip/messages?{query}"),
                    t,
                    None,
                )
                .await;
            assert_eq!(r.status(), 422, "{query}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"]["field"], field, "{query}: {body}");
        }

        // Another tenant sees no such conversation, and cannot ask for alice's tenant.
        let bob = app.register_and_login("bob", None).await;
        let r = app
            .call(
                Method::GET,
                "/v1/conversations/trip/messages",
                &bob.access_token,
                None,
            )
            .await;
        assert_eq!(r.status(), 404);
        let r = app
            .call(
                Method::GET,
                &format!(
                    "/v1/conversations/trip/messages?tenant_id={}",
                    alice.tenant_id
                ),
                &bob.access_token,
                None,
            )
            .await;
        assert_eq!(r.status(), 403);
        let r = app
            .call(Method::GET, "/v1/conversations/missing/messages", t, None)
            .await;
        assert_eq!(r.status(), 404);
    }
}

/// A conversation's counts say which state they count: active by default (what search finds),
/// archived and cold beside it — kept by every path that changes a state (archive by hand,
/// restore, retention runs, deletes).
#[tokio::test]
async fn every_count_says_which_state_it_counts_on_both_backends() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = alice.access_token.as_str();
        let mut ids = Vec::new();
        for (i, role) in ["user", "assistant", "user", "user", "system"]
            .iter()
            .enumerate()
        {
            let stored = store(&app, t, "c", role, &format!("note {i}")).await;
            ids.push(stored["id"].as_str().unwrap().to_owned());
        }
        let archive = |id: String, body: Value| {
            let app = &app;
            async move {
                let path = format!("/v1/messages/{id}/archive");
                app.call(Method::POST, &path, t, Some(body)).await
            }
        };
        assert_eq!(archive(ids[0].clone(), json!({})).await.status(), 200);
        assert_eq!(archive(ids[1].clone(), json!({})).await.status(), 200);
        assert_eq!(
            archive(ids[2].clone(), json!({"cold_storage": true}))
                .await
                .status(),
            200
        );
        let counts = |c: &Value| {
            (
                c["message_count"].as_i64().unwrap(),
                c["archived_count"].as_i64().unwrap(),
                c["cold_count"].as_i64().unwrap(),
            )
        };
        let one = app.get_json("/v1/conversations/c", t).await;
        assert_eq!(counts(&one), (2, 2, 1), "{backend:?}: {one}");
        let listed = app.get_json("/v1/conversations", t).await;
        assert_eq!(counts(&listed["conversations"][0]), (2, 2, 1), "{listed}");
        let stats = app.get_json("/v1/conversations/c/stats", t).await;
        let by_state = (
            &stats["total_messages"],
            &stats["user_messages"],
            &stats["system_messages"],
            &stats["archived_messages"],
            &stats["cold_messages"],
        );
        assert_eq!(
            by_state,
            (&json!(2), &json!(1), &json!(1), &json!(2), &json!(1)),
            "{backend:?}: {stats}"
        );

        // Restored, deleted while archived: the counts follow.
        let r = app
            .call(
                Method::POST,
                &format!("/v1/messages/{}/restore", ids[2]),
                t,
                None,
            )
            .await;
        assert_eq!(r.status(), 200);
        let r = app
            .call(Method::DELETE, &format!("/v1/messages/{}", ids[0]), t, None)
            .await;
        assert_eq!(r.status(), 204);
        let one = app.get_json("/v1/conversations/c", t).await;
        assert_eq!(counts(&one), (3, 1, 0), "{backend:?}: {one}");

        // A retention run archives through the same columns.
        let rule = json!({"name": "all", "rule_type": "age", "action": "archive",
                          "conditions": {"days": 1}});
        let r = app
            .call(Method::POST, "/v1/retention/rules", t, Some(rule))
            .await;
        assert_eq!(r.status(), 201);
        let old = json!({"conversation_id": "c", "role": "user", "content": "old note",
                         "created_at": "2024-01-01T00:00:00Z"});
        assert_eq!(post_message(&app, t, old).await.status(), 201);
        let r = app
            .call(Method::POST, "/v1/retention/execute?dry_run=false", t, None)
            .await;
        assert_eq!(r.status(), 200);
        let one = app.get_json("/v1/conversations/c", t).await;
        assert_eq!(counts(&one), (3, 2, 0), "{backend:?}: {one}");
    }
}

#[tokio::test]
async fn a_listing_finds_conversations_by_id_or_title_in_any_case() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        for (id, title) in [
            ("trip-lisbon", "Holiday"),
            ("work", "Weekly 50%_plan"),
            ("misc", "Odds"),
        ] {
            let body = json!({"conversation_id": id, "title": title});
            let r = app
                .call(Method::POST, "/v1/conversations", t, Some(body))
                .await;
            assert_eq!(r.status(), 201, "{backend:?}");
        }
        let ids = |page: Value| -> Vec<String> {
            let list = page["conversations"].as_array().unwrap();
            list.iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let find = async |q: &str| app.get_json(&format!("/v1/conversations?q={q}"), t).await;
        assert_eq!(ids(find("LISBON").await), ["trip-lisbon"], "{backend:?}");
        assert_eq!(ids(find("holi").await), ["trip-lisbon"], "{backend:?}");
        // `%` and `_` are text, not patterns.
        assert_eq!(ids(find("50%25_").await), ["work"], "{backend:?}");
        assert_eq!(find("%25").await["total"], 1, "{backend:?}");
        assert_eq!(find("zzz").await["total"], 0);
        let long = "x".repeat(201);
        let r = app
            .call(Method::GET, &format!("/v1/conversations?q={long}"), t, None)
            .await;
        assert_eq!(r.status(), 422);
    }
}
