//! Search is never stale: every write path shows in the very next search, on both backends.
//! That is the in-process index catching up from `change_log`, so writes made behind the
//! server's back (another tool, another instance, a transaction committing late) count too.

use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{json, Value};

use crate::helpers::*;

/// Contents found by a vector-only search, best first.
async fn found(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    found_by(app, token, query, "vector").await
}

/// Contents found by a lexical-only search, best first.
async fn found_lexically(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    found_by(app, token, query, "lexical").await
}

async fn found_by(app: &TestApp, token: &str, query: &str, mode: &str) -> Vec<String> {
    let body = json!({"query": query, "mode": mode, "top_k": 10});
    (search_hits(app, token, body).await.iter())
        .map(|i| i["content"].as_str().unwrap().to_owned())
        .collect()
}

/// SQL that writes alice's message `content` into `conversation` behind the server's back.
/// Each open transaction writes its own conversation: a writer holds its conversation's row
/// (its counters) until it commits, as the server's own writes do.
fn insert_message(conversation: &str, content: &str) -> String {
    format!(
        "INSERT INTO messages (id, tenant_id, conversation_id, role, content, importance_score, \
         created_at, updated_at) VALUES (gen_random_uuid(), 'alice', '{conversation}', 'user', \
         '{content}', 0.5, now(), now())"
    )
}

async fn send(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> Value {
    let r = app.call(method, path, token, Some(body)).await;
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap_or(Value::Null)
}

#[tokio::test]
async fn every_write_path_shows_in_the_next_vector_search() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        let first = store(&app, t, "c1", "user", "violin lessons on tuesday").await;
        assert_eq!(
            found(&app, t, "violin lessons").await[0],
            "violin lessons on tuesday"
        );

        let batch = send(
            &app,
            t,
            Method::POST,
            "/v1/messages/batch",
            json!({"messages": [
                {"conversation_id": "c2", "role": "user", "content": "the cat is called Miso"},
                {"conversation_id": "c2", "role": "user", "content": "garden tomatoes ripen in july"},
            ]}),
        )
        .await;
        assert_eq!(
            found(&app, t, "the cat is called Miso").await[0],
            "the cat is called Miso"
        );

        // An edit re-embeds: the old text is no longer what the vector matches.
        let id = first["id"].as_str().unwrap();
        send(
            &app,
            t,
            Method::PUT,
            &format!("/v1/messages/{id}"),
            json!({"content": "cello lessons on friday"}),
        )
        .await;
        let hits = found(&app, t, "cello lessons on friday").await;
        assert_eq!(hits[0], "cello lessons on friday", "{backend:?}");
        assert!(!hits.contains(&"violin lessons on tuesday".to_owned()));

        // Archiving hides a message from search; un-archiving brings it back.
        send(
            &app,
            t,
            Method::PUT,
            &format!("/v1/messages/{id}"),
            json!({"archived": true}),
        )
        .await;
        assert!(!found(&app, t, "cello lessons")
            .await
            .contains(&"cello lessons on friday".to_owned()));
        send(
            &app,
            t,
            Method::PUT,
            &format!("/v1/messages/{id}"),
            json!({"archived": false}),
        )
        .await;
        assert!(found(&app, t, "cello lessons")
            .await
            .contains(&"cello lessons on friday".to_owned()));

        // Deletes: one message, a batch, and a conversation with its messages.
        let r = app
            .call(Method::DELETE, &format!("/v1/messages/{id}"), t, None)
            .await;
        assert!(r.status().is_success());
        assert!(!found(&app, t, "cello")
            .await
            .contains(&"cello lessons on friday".to_owned()));
        let tomato = batch["created"][1]["id"].as_str().unwrap();
        send(
            &app,
            t,
            Method::DELETE,
            "/v1/messages/batch",
            json!({"message_ids": [tomato]}),
        )
        .await;
        assert_eq!(
            found(&app, t, "tomatoes").await,
            ["the cat is called Miso"],
            "{backend:?}"
        );
        let r = app
            .call(
                Method::DELETE,
                "/v1/conversations/c2?delete_messages=true",
                t,
                None,
            )
            .await;
        assert!(r.status().is_success(), "{}", r.status());
        assert!(found(&app, t, "cat").await.is_empty(), "{backend:?}");
    }
}

#[tokio::test]
async fn sqlite_search_sees_rows_changed_behind_the_servers_back_and_survives_restarts() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let t = &alice.access_token;
    store(&app, t, "c", "user", "my passport expires in march").await;
    store(&app, t, "c", "user", "dentist appointment next week").await;
    let index = app.state.services.index.clone();
    index.catch_up(&app.state.services.db).await.unwrap();
    assert_eq!(index.len("alice"), 2);
    let db = &app.state.services.db;
    let sql = |s: &str| Statement::from_string(DbBackend::Sqlite, s.to_owned());

    // Another tool archives a message directly in the file.
    db.execute_raw(sql(
        "UPDATE messages SET archived = TRUE WHERE content LIKE 'dentist%'",
    ))
    .await
    .unwrap();
    assert_eq!(
        found(&app, t, "dentist appointment").await,
        ["my passport expires in march"]
    );
    assert_eq!(index.len("alice"), 1);

    // A log emptied by someone else (the sequence restarts below ours) forces a full reload.
    let reloads = index.reloads();
    db.execute_raw(sql("UPDATE messages SET archived = FALSE"))
        .await
        .unwrap();
    db.execute_raw(sql("DELETE FROM change_log")).await.unwrap();
    db.execute_raw(sql("DELETE FROM sqlite_sequence WHERE name = 'change_log'"))
        .await
        .unwrap();
    let hits = found(&app, t, "dentist appointment").await;
    assert_eq!(hits[0], "dentist appointment next week");
    assert_eq!(index.reloads(), reloads + 1);

    // A new process on the same file loads what is there.
    let url = app.state.services.settings.database.url.expose().to_owned();
    let second = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![("MEMORY_DATABASE_URL".into(), url)],
            ..Default::default()
        },
    )
    .await;
    let tokens = second.login("alice").await;
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        found(&second, token, "passport").await[0],
        "my passport expires in march"
    );
    assert_eq!(second.state.services.index.len("alice"), 2);
}

#[tokio::test]
async fn postgres_search_sees_other_instances_writes_and_rows_committed_out_of_order() {
    // Two instances on one database, each with its own in-process text index.
    let a = spawn_app(Backend::Postgres).await;
    let alice = a.register_and_login("alice", None).await;
    let t = &alice.access_token;
    let b = spawn_second_instance(&a).await;
    let tokens = b.login("alice").await;
    let tb = tokens["access_token"].as_str().unwrap();
    store(&a, t, "c", "user", "the spare key is under the flowerpot").await;
    assert_eq!(
        found_lexically(&b, tb, "spare key").await,
        ["the spare key is under the flowerpot"]
    );

    // A transaction that logs its row first but commits last: a reader that only followed the
    // log's numbering would skip it for good.
    let url = pg_url(a.pg_database.as_deref().unwrap());
    let direct = sea_orm::Database::connect(url).await.unwrap();
    for conversation in ["slow", "older", "newer"] {
        store(&a, t, conversation, "user", "a note").await;
    }
    let slow = sea_orm::TransactionTrait::begin(&direct).await.unwrap();
    slow.execute_unprepared(&insert_message(
        "slow",
        "the lantern batteries are in the garage",
    ))
    .await
    .unwrap();
    store(&a, t, "c", "user", "the lantern is on the top shelf").await;
    assert_eq!(
        found_lexically(&b, tb, "lantern").await,
        ["the lantern is on the top shelf"]
    );
    slow.commit().await.unwrap();
    let mut hits = found_lexically(&b, tb, "lantern").await;
    hits.sort();
    assert_eq!(
        hits,
        [
            "the lantern batteries are in the garage",
            "the lantern is on the top shelf"
        ]
    );

    // The same with the late transaction the newest one: an older transaction logs after it
    // and commits first, and a snapshot does not list a transaction newer than every
    // completed one.
    let older = sea_orm::TransactionTrait::begin(&direct).await.unwrap();
    older
        .execute_unprepared("SELECT pg_current_xact_id()")
        .await
        .unwrap();
    let newer = sea_orm::TransactionTrait::begin(&direct).await.unwrap();
    newer
        .execute_unprepared(&insert_message("newer", "the compass is in the glovebox"))
        .await
        .unwrap();
    older
        .execute_unprepared(&insert_message("older", "the compass needs a new needle"))
        .await
        .unwrap();
    older.commit().await.unwrap();
    assert_eq!(
        found_lexically(&b, tb, "compass").await,
        ["the compass needs a new needle"]
    );
    newer.commit().await.unwrap();
    let mut hits = found_lexically(&b, tb, "compass").await;
    hits.sort();
    assert_eq!(
        hits,
        [
            "the compass is in the glovebox",
            "the compass needs a new needle"
        ]
    );
    assert_eq!(
        b.state.services.index.reloads(),
        1,
        "caught up from the log, not reloaded"
    );

    // Pruning drops only rows older than an hour.
    direct
        .execute_unprepared(
            "INSERT INTO change_log (message_id, logged_at) \
             VALUES (gen_random_uuid(), now() - interval '2 hours')",
        )
        .await
        .unwrap();
    let count = "SELECT count(*) AS n FROM change_log";
    let logged = || async {
        direct
            .query_one_raw(Statement::from_string(DbBackend::Postgres, count))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
    };
    let before = logged().await;
    assert_eq!(
        b.state
            .services
            .index
            .prune_log(&b.state.services.db)
            .await
            .unwrap(),
        1
    );
    assert_eq!(logged().await, before - 1);
    direct.close().await.ok();
}

#[tokio::test]
async fn vector_search_looks_at_the_whole_tenant_not_the_newest_few() {
    // The original only scored the newest 80 messages on SQLite; ours scans them all.
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        store(&app, t, "old", "user", "the wifi password is on the fridge").await;
        let filler: Vec<Value> = (0..300)
            .map(|i| {
                json!({"conversation_id": "noise", "role": "assistant",
                             "content": format!("status report number {i}: nothing new")})
            })
            .collect();
        send(
            &app,
            t,
            Method::POST,
            "/v1/messages/batch",
            json!({"messages": filler}),
        )
        .await;
        let hits = found(&app, t, "wifi password fridge").await;
        assert_eq!(hits[0], "the wifi password is on the fridge", "{backend:?}");
        let r = app
            .call(
                Method::GET,
                "/v1/memory/search?query=wifi%20password&mode=vector&conversation_id=old",
                t,
                None,
            )
            .await;
        let r: Value = r.json().await.unwrap();
        assert_eq!(r["total"], 1, "filters apply to the index scan too");
    }
}

#[tokio::test]
async fn lexical_search_sees_unembedded_messages_edits_and_deletes_at_once() {
    for backend in BACKENDS {
        let app = spawn_app_with(backend, Options::no_workers()).await;
        let alice = app.register_and_login("alice", None).await;
        let t = &alice.access_token;
        // Queued for embedding (no worker runs): words are searchable before the vector exists.
        let r = app
            .call(
                Method::POST,
                "/v1/messages?async=true",
                t,
                Some(json!({"conversation_id": "c", "role": "user",
                            "content": "The plumber arrives on Thursday"})),
            )
            .await;
        assert_eq!(r.status(), 202);
        let id = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            found_lexically(&app, t, "when does the plumber arrive?").await,
            ["The plumber arrives on Thursday"],
            "{backend:?}: stemmed and stop words ignored"
        );
        send(
            &app,
            t,
            Method::PUT,
            &format!("/v1/messages/{id}?async=true"),
            json!({"content": "The electrician arrives on Friday"}),
        )
        .await;
        assert!(
            found_lexically(&app, t, "plumber").await.is_empty(),
            "{backend:?}"
        );
        assert_eq!(found_lexically(&app, t, "electrician").await.len(), 1);
        let r = app
            .call(Method::DELETE, &format!("/v1/messages/{id}"), t, None)
            .await;
        assert!(r.status().is_success());
        assert!(
            found_lexically(&app, t, "electrician").await.is_empty(),
            "{backend:?}"
        );
        // Another tenant's words are never matched.
        let bob = app.register_and_login("bob", None).await;
        store(&app, &bob.access_token, "c", "user", "electrician invoice").await;
        assert!(found_lexically(&app, t, "electrician").await.is_empty());
    }
}
