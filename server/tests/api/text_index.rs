//! On PostgreSQL the in-process text index holds the tenants searched lately, under
//! `MEMORY_TEXT_INDEX_MAX_MB`: an instance starts without reading any message, a tenant's
//! first search reads its words, the least recently searched tenant's are dropped when the cap
//! is reached, and a dropped tenant's next search reads them again — with every write made
//! meanwhile.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn lexical(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let body = json!({"query": query, "mode": "lexical", "top_k": 10});
    let mut found: Vec<String> = (search_hits(app, token, body).await.iter())
        .map(|i| i["content"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn tenants_words_are_read_on_first_search_and_dropped_least_recently_searched_first() {
    let app = spawn_app_with(
        Backend::Postgres,
        Options {
            vars: vec![("MEMORY_TEXT_INDEX_MAX_MB".into(), "1".into())],
            ..Default::default()
        },
    )
    .await;
    let index = &app.state.services.index;
    let alice = app.register_and_login("alice", None).await;
    let ta = alice.access_token.as_str();
    store(&app, ta, "c", "user", "the violin case is in the attic").await;
    assert_eq!(index.resident(), (0, 0), "nothing read before a search");
    assert_eq!(
        lexical(&app, ta, "violin").await,
        ["the violin case is in the attic"]
    );
    let (tenants, alice_bytes) = index.resident();
    assert_eq!(tenants, 1);
    assert!(alice_bytes > 0);

    // Bob's words alone exceed the cap: his first search drops alice's.
    let bob = app.register_and_login("bob", None).await;
    let tb = bob.access_token.as_str();
    let messages: Vec<_> = (0..500)
        .map(|i| {
            let words: Vec<String> = (0..20).map(|j| format!("w{i}x{j}")).collect();
            json!({"conversation_id": "notes", "role": "user", "content": words.join(" ")})
        })
        .collect();
    let r = app
        .call(
            Method::POST,
            "/v1/messages/batch",
            tb,
            Some(json!({"messages": messages})),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let found = lexical(&app, tb, "w7x3").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("w7x0 w7x1"), "{found:?}");
    let (tenants, bytes) = index.resident();
    assert_eq!(tenants, 1, "alice's words dropped");
    assert!(bytes > 1 << 20, "bob's alone exceed the cap: {bytes}");

    // Alice writes while her words are not held: her next search reads them again, the new
    // message with them, and drops bob's.
    store(&app, ta, "c", "user", "new violin strings arrive friday").await;
    assert_eq!(
        lexical(&app, ta, "violin").await,
        [
            "new violin strings arrive friday",
            "the violin case is in the attic"
        ]
    );
    let (tenants, bytes) = index.resident();
    assert_eq!(tenants, 1, "bob's words dropped");
    assert!(bytes > alice_bytes && bytes < 1 << 20, "{bytes}");

    // While held, her words are kept current from the change log.
    store(
        &app,
        ta,
        "d",
        "user",
        "the violin teacher moved to tuesdays",
    )
    .await;
    assert_eq!(lexical(&app, ta, "violin").await.len(), 3);

    // Another instance starts without reading any message, and reads alice's on her search.
    let second = spawn_second_instance(&app).await;
    assert_eq!(second.state.services.index.resident(), (0, 0));
    let tokens = second.login("alice").await;
    let t2 = tokens["access_token"].as_str().unwrap();
    assert_eq!(lexical(&second, t2, "violin").await.len(), 3);
    assert_eq!(second.state.services.index.resident().0, 1);
}
