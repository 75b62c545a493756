//! Search: ranking, filters, modes and explanations, on both backends.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

async fn seed(app: &TestApp, token: &str) {
    for (conversation, role, content, created_at, metadata) in [
        (
            "travel",
            "user",
            "I am flying to Lisbon in May for a conference",
            "2024-04-01T09:00:00Z",
            json!({"topic": "travel"}),
        ),
        (
            "travel",
            "assistant",
            "Lisbon in May is warm; pack light clothes",
            "2024-04-01T09:01:00Z",
            json!({"topic": "travel"}),
        ),
        (
            "food",
            "user",
            "My favourite dish is mushroom risotto",
            "2024-04-02T12:00:00Z",
            json!({"topic": "food"}),
        ),
        (
            "food",
            "user",
            "I am allergic to peanuts",
            "2024-04-03T12:00:00Z",
            json!({"topic": "health", "severity": 3}),
        ),
        (
            "work",
            "system",
            "The user works as a nurse in Porto",
            "2024-04-04T08:00:00Z",
            json!({}),
        ),
    ] {
        let r = post_message(
            app,
            token,
            json!({"conversation_id": conversation, "role": role, "content": content,
                   "created_at": created_at, "metadata": metadata}),
        )
        .await;
        assert_eq!(r.status(), 201);
    }
}

async fn search(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app
        .call(
            Method::GET,
            &format!("/v1/memory/search?{query}"),
            token,
            None,
        )
        .await;
    assert_eq!(r.status(), 200, "{query}: {}", r.text().await.unwrap());
    r.json().await.unwrap()
}

fn contents(result: &Value) -> Vec<String> {
    result["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["content"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_ranks_the_relevant_message_first_in_every_mode() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        seed(&app, &alice.access_token).await;
        for mode in ["vector", "lexical", "hybrid"] {
            let r = search(
                &app,
                &alice.access_token,
                &format!("query=peanuts%20allergy&mode={mode}"),
            )
            .await;
            assert_eq!(
                contents(&r)[0],
                "I am allergic to peanuts",
                "{backend:?} {mode}"
            );
            assert_eq!(
                r["total"].as_u64().unwrap() as usize,
                contents(&r).len(),
                "total counts the items returned"
            );
        }
    }
}

#[tokio::test]
async fn filters_narrow_results_on_both_backends() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        seed(&app, t).await;
        let r = search(&app, t, "query=Lisbon&conversation_id=food&top_k=10").await;
        let conversations: Vec<&Value> = r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| &i["conversation_id"])
            .collect();
        assert!(
            !conversations.is_empty(),
            "{backend:?}: the food messages match"
        );
        assert_eq!(
            conversations,
            vec!["food"; conversations.len()],
            "{backend:?}"
        );
        let r = search(&app, t, "query=Lisbon&role=assistant&top_k=10").await;
        assert_eq!(contents(&r), ["Lisbon in May is warm; pack light clothes"]);
        let r = search(&app, t, "query=user&metadata.topic=health&top_k=10").await;
        assert_eq!(contents(&r), ["I am allergic to peanuts"], "{backend:?}");
        let r = search(&app, t, "query=user&metadata.severity=3&top_k=10").await;
        assert_eq!(
            contents(&r),
            ["I am allergic to peanuts"],
            "a number in the URL matches the stored number"
        );
        let r = search(
            &app,
            t,
            "query=food&start=2024-04-02T00:00:00Z&end=2024-04-02T23:59:59Z&top_k=10",
        )
        .await;
        assert_eq!(contents(&r), ["My favourite dish is mushroom risotto"]);
        let r = search(&app, t, "query=anything&importance_min=0.99&top_k=10").await;
        assert_eq!(r["total"], 0);
    }
}

#[tokio::test]
async fn explain_shows_every_component_and_the_weights() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    seed(&app, &alice.access_token).await;
    let r = app
        .call(
            Method::POST,
            "/v1/memory/search",
            &alice.access_token,
            Some(json!({"query": "risotto mushroom", "explain": true, "top_k": 3})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r: Value = r.json().await.unwrap();
    let top = &r["items"][0];
    assert_eq!(top["content"], "My favourite dish is mushroom risotto");
    let e = &top["explain"];
    assert_eq!(e["mode"], "hybrid");
    assert_eq!(e["fusion"], "score");
    assert_eq!(e["vector_rank"], 1);
    assert_eq!(e["lexical_rank"], 1);
    assert_eq!(
        e["weights"],
        json!({"relevance": 0.6, "importance": 0.3, "recency": 0.1, "half_life_hours": 168.0})
    );
    let expected = (0.6 * e["relevance"].as_f64().unwrap()
        + 0.3 * top["importance"].as_f64().unwrap()
        + 0.1 * top["decay"].as_f64().unwrap())
        / 1.0;
    assert!((top["score"].as_f64().unwrap() - expected).abs() < 1e-9);
    let scores: Vec<f64> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
}

#[tokio::test]
async fn hybrid_finds_rare_words_that_vector_search_ranks_lower() {
    let app = spawn_app(Backend::Postgres).await;
    let alice = app.register_and_login("alice", None).await;
    let t = &alice.access_token;
    seed(&app, t).await;
    let lexical = search(&app, t, "query=Porto&mode=lexical&top_k=1").await;
    assert_eq!(contents(&lexical), ["The user works as a nurse in Porto"]);
    let hybrid = search(&app, t, "query=Porto&mode=hybrid&top_k=1").await;
    assert_eq!(contents(&hybrid), ["The user works as a nurse in Porto"]);
}

#[tokio::test]
async fn a_hit_only_the_lexical_retriever_found_is_ranked_with_its_own_similarity() {
    // 60 messages share the query's common words (so the vector retriever's 50 are all theirs);
    // only the target has the query's rare word (so BM25 ranks it first). Its similarity is
    // computed from its stored vector — on PostgreSQL read while the query is being embedded —
    // and must equal what a vector search deep enough to reach it reports.
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let t = &app.register_and_login("alice", None).await.access_token;
        let mut messages: Vec<Value> = (0..60)
            .map(|i| {
                json!({"conversation_id": "weather", "role": "user",
                            "content": format!("weather today sunny and warm, day {i}")})
            })
            .collect();
        messages.push(json!({"conversation_id": "trips", "role": "user",
                             "content": "Notes on the spice market trip to Zanzibar"}));
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch",
                t,
                Some(json!({ "messages": messages })),
            )
            .await;
        assert_eq!(r.status(), 201, "{backend:?}");
        let query = "query=weather%20today%20sunny%20warm%20zanzibar";
        // top_k 5: each retriever looks 50 deep.
        let hybrid = search(&app, t, &format!("{query}&top_k=5&explain=true")).await;
        let top = hybrid["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["content"] == "Notes on the spice market trip to Zanzibar")
            .expect("the lexical retriever's best is among the results");
        assert_eq!(top["explain"]["lexical_rank"], 1, "{backend:?}");
        assert!(
            top["explain"]["vector_rank"].is_null(),
            "{backend:?}: the vector retriever's 50 should be the weather messages"
        );
        let deep = search(&app, t, &format!("{query}&mode=vector&top_k=100")).await;
        let same = deep["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["message_id"] == top["message_id"])
            .expect("a vector search over every message finds it");
        let (a, b) = (
            top["similarity"].as_f64().expect("a similarity"),
            same["similarity"].as_f64().unwrap(),
        );
        assert!((a - b).abs() < 1e-5, "{backend:?}: {a} vs {b}");
    }
}

#[tokio::test]
async fn search_never_crosses_tenants_and_rejects_bad_parameters() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let bob = app.register_and_login("bob", None).await;
    seed(&app, &alice.access_token).await;
    let r = search(&app, &bob.access_token, "query=peanuts&top_k=100").await;
    assert_eq!(r["total"], 0);
    let r = app
        .call(
            Method::GET,
            "/v1/memory/search?query=peanuts&tenant_id=alice",
            &bob.access_token,
            None,
        )
        .await;
    assert_eq!(r.status(), 403);
    for (query, field) in [
        ("query=", "query"),
        ("top_k=5", "query"),
        ("query=x&top_k=0", "top_k"),
        ("query=x&top_k=101", "top_k"),
        ("query=x&mode=magic", "mode"),
        ("query=x&importance_min=2", "importance_min"),
        ("query=x&start=tuesday", "start"),
        ("query=x&role=robot", "role"),
    ] {
        let r = app
            .call(
                Method::GET,
                &format!("/v1/memory/search?{query}"),
                &alice.access_token,
                None,
            )
            .await;
        assert_eq!(r.status(), 422, "{query}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], field, "{query}: {e}");
    }
}

#[tokio::test]
async fn configured_weights_change_importance_and_ranking() {
    // Rank by importance alone, and score importance by role alone.
    let vars = [
        ("MEMORY_RANKING_SIMILARITY_WEIGHT", "0"),
        ("MEMORY_RANKING_IMPORTANCE_WEIGHT", "1"),
        ("MEMORY_RANKING_RECENCY_WEIGHT", "0"),
        ("MEMORY_RANKING_HALF_LIFE_HOURS", "24"),
        ("MEMORY_IMPORTANCE_RECENCY_WEIGHT", "0"),
        ("MEMORY_IMPORTANCE_ROLE_WEIGHT", "1"),
        ("MEMORY_IMPORTANCE_EXPLICIT_WEIGHT", "0"),
    ];
    let options = Options {
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Options::default()
    };
    let app = spawn_app_with(Backend::Sqlite, options).await;
    let alice = app.register_and_login("alice", None).await;
    seed(&app, &alice.access_token).await;
    let r = search(
        &app,
        &alice.access_token,
        "query=peanuts%20allergy&top_k=5&explain=true",
    )
    .await;
    let top = &r["items"][0];
    // The system message is the least relevant to peanuts but the most important by role (0.9).
    assert_eq!(top["content"], "The user works as a nurse in Porto");
    assert!(
        (top["importance"].as_f64().unwrap() - 0.9).abs() < 1e-9,
        "{top}"
    );
    assert!((top["score"].as_f64().unwrap() - 0.9).abs() < 1e-9, "{top}");
    assert_eq!(
        top["explain"]["weights"],
        json!({"relevance": 0.0, "importance": 1.0, "recency": 0.0, "half_life_hours": 24.0})
    );
}

#[tokio::test]
async fn results_carry_each_message_whole_short_or_long_in_every_mode() {
    // Ranking reads only facts; the winners' rows are read afterwards. A result must equal the
    // stored message, short or long (a shortcut that carried candidates' text would have to
    // cap it).
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        let long = format!(
            "zeppelin airship notes: {}",
            "hydrogen lift gas envelope ".repeat(300)
        );
        for (content, metadata) in [
            (
                "a zeppelin over the lake".to_owned(),
                json!({"kind": "short", "n": 1}),
            ),
            (long.clone(), json!({"kind": "long", "tags": ["a", "b"]})),
        ] {
            let r = post_message(
                &app,
                t,
                json!({"conversation_id": "air", "role": "user", "content": content,
                       "metadata": metadata}),
            )
            .await;
            assert_eq!(r.status(), 201);
        }
        for mode in ["vector", "lexical", "hybrid"] {
            let result = search(&app, t, &format!("query=zeppelin&top_k=5&mode={mode}")).await;
            let items = result["items"].as_array().unwrap();
            assert_eq!(items.len(), 2, "{backend:?} {mode}");
            for item in items {
                let id = item["message_id"].as_str().unwrap();
                let stored = app.get_json(&format!("/v1/messages/{id}"), t).await;
                for field in [
                    "content",
                    "metadata",
                    "role",
                    "conversation_id",
                    "created_at",
                ] {
                    assert_eq!(item[field], stored[field], "{backend:?} {mode} {field}");
                }
            }
            // Stored trimmed, as every message is.
            let long = long.trim_end().to_owned();
            assert!(contents(&result).contains(&long), "{backend:?} {mode}");
        }
    }
}

#[tokio::test]
async fn archived_messages_are_found_only_when_asked_and_cold_ones_never() {
    for backend in BACKENDS {
        let app = spawn_app_with(backend, Options::no_workers()).await;
        let alice = app.register_and_login("alice", None).await;
        let t = alice.access_token.as_str();
        let live = store(&app, t, "c", "user", "the violin is in the attic").await;
        let archived = store(&app, t, "c", "user", "the violin bow is in the car").await;
        let cold = store(&app, t, "c", "user", "the violin strings are in the drawer").await;
        for (message, body) in [
            (&archived, json!({"reason": "old"})),
            (&cold, json!({"cold_storage": true})),
        ] {
            let id = message["id"].as_str().unwrap();
            let r = app
                .call(
                    Method::POST,
                    &format!("/v1/messages/{id}/archive"),
                    t,
                    Some(body),
                )
                .await;
            assert_eq!(r.status(), 200, "{backend:?}");
        }
        let id = |m: &Value| m["id"].as_str().unwrap().to_owned();
        for mode in ["vector", "lexical", "hybrid"] {
            for filtered in [false, true] {
                let found = |include: bool| {
                    let mut body = json!({"query": "violin", "top_k": 10, "mode": mode,
                                          "include_archived": include});
                    if filtered {
                        body["conversation_id"] = "c".into();
                    }
                    async {
                        let r = app
                            .call(Method::POST, "/v1/memory/search", t, Some(body))
                            .await;
                        assert_eq!(r.status(), 200);
                        let page: Value = r.json().await.unwrap();
                        let mut hits: Vec<(String, bool)> = page["items"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|h| {
                                let flag = h.get("archived").is_some_and(|a| a == true);
                                (h["message_id"].as_str().unwrap().to_owned(), flag)
                            })
                            .collect();
                        hits.sort();
                        hits
                    }
                };
                let what = format!("{backend:?} {mode} filtered={filtered}");
                assert_eq!(found(false).await, [(id(&live), false)], "{what}");
                let mut both = vec![(id(&live), false), (id(&archived), true)];
                both.sort();
                assert_eq!(found(true).await, both, "{what}");
            }
        }
        let r = app
            .call(
                Method::GET,
                "/v1/memory/search?query=violin&include_archived=maybe",
                t,
                None,
            )
            .await;
        assert_eq!(r.status(), 422);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["field"], "include_archived");
        let r = app
            .call(
                Method::GET,
                "/v1/memory/search?query=violin&include_archived=true&mode=lexical",
                t,
                None,
            )
            .await;
        assert_eq!(r.json::<Value>().await.unwrap()["total"], 2, "{backend:?}");
    }
}

#[tokio::test]
async fn a_search_may_weigh_its_own_ranking_within_bounds() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        seed(&app, t).await;
        let query = "query=peanuts%20allergy&top_k=5&explain=true";
        let default = search(&app, t, query).await;
        assert_eq!(default["items"][0]["content"], "I am allergic to peanuts");
        // Recency alone: the newest message leads, and its score is its decay (a half-life of
        // about eleven years keeps the seed's days apart).
        let recent = format!("{query}&weight_relevance=0&weight_importance=0&weight_recency=1");
        let get = search(&app, t, &format!("{recent}&half_life_hours=100000")).await;
        let top = &get["items"][0];
        assert_eq!(
            top["content"], "The user works as a nurse in Porto",
            "{backend:?}"
        );
        assert_eq!(
            top["explain"]["weights"],
            json!({"relevance": 0.0, "importance": 0.0, "recency": 1.0, "half_life_hours": 100000.0})
        );
        let decay = top["decay"].as_f64().unwrap();
        assert!(
            (top["score"].as_f64().unwrap() - decay).abs() < 1e-9,
            "{top}"
        );
        // The JSON form reads the same fields.
        let body = json!({"query": "peanuts allergy", "top_k": 5, "explain": true,
                          "weight_relevance": 0, "weight_importance": 0, "weight_recency": 1,
                          "half_life_hours": 100000});
        let r = app
            .call(Method::POST, "/v1/memory/search", t, Some(body))
            .await;
        assert_eq!(r.status(), 200);
        let post: Value = r.json().await.unwrap();
        // The same items and order; scores agree up to the time that passed between the two
        // requests (recency is computed from each request's own clock).
        assert!(
            same_up_to_elapsed_time(&post["items"], &get["items"]),
            "{backend:?}: {post} vs {get}"
        );
        for (bad, field) in [
            (
                "weight_relevance=0&weight_importance=0&weight_recency=0",
                "weight_relevance",
            ),
            ("weight_importance=-1", "weight_importance"),
            ("weight_recency=1001", "weight_recency"),
            ("half_life_hours=0", "half_life_hours"),
        ] {
            let r = app
                .call(
                    Method::GET,
                    &format!("/v1/memory/search?query=x&{bad}"),
                    t,
                    None,
                )
                .await;
            assert_eq!(r.status(), 422, "{bad}");
            let e: Value = r.json().await.unwrap();
            assert_eq!(e["error"]["field"], field, "{bad}: {e}");
        }
    }
}

/// Whether two answers are equal, numbers within 1e-6 (the decay of a half-life of 100 000 hours
/// moves by about 1e-9 per second).
fn same_up_to_elapsed_time(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-6
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_up_to_elapsed_time(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_up_to_elapsed_time(v, w)))
        }
        _ => a == b,
    }
}
