//! Every committed change reaches subscribers in order, survives restarts for replay, crosses
//! instances, stays inside its tenant, and loses a deleted message's content.

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use super::*;
use crate::helpers::*;

#[tokio::test]
async fn a_subscriber_receives_every_event_of_a_scripted_sequence_in_order() {
    for backend in BACKENDS {
        let app = spawn_app_with(backend, Options::no_workers()).await;
        let alice = app.register_and_login("alice", None).await;
        let bob = app.register_and_login("bob", None).await;
        let mut feed = connect(&app.address, &alice.tenant_id, &alice.access_token).await;
        feed.sync().await;

        let first = store(&app, &alice.access_token, "trip", "user", "Book the train").await;
        // Another tenant's writes never show up.
        store(&app, &bob.access_token, "trip", "user", "Bob's own plans").await;
        let batch = app
            .call(
                Method::POST,
                "/v1/messages/batch?async=true",
                &alice.access_token,
                Some(json!({"messages": [
                    {"conversation_id": "trip", "role": "assistant", "content": "Which day?"},
                    {"conversation_id": "work", "role": "user", "content": "Standup at nine"},
                ]})),
            )
            .await;
        assert_eq!(batch.status(), 202, "{}", batch.text().await.unwrap());
        let batch: Value = batch.json().await.unwrap();
        let second = batch["created"][0]["id"].as_str().unwrap().to_owned();
        drain(&app).await;
        let id = first["id"].as_str().unwrap();
        let r = app
            .call(
                Method::PUT,
                &format!("/v1/messages/{id}"),
                &alice.access_token,
                Some(json!({"content": "Book the night train"})),
            )
            .await;
        assert_eq!(r.status(), 200);
        // Read before the delete: afterwards its earlier events carry no content any more.
        let events = feed.events(10).await;
        let r = app
            .call(
                Method::DELETE,
                &format!("/v1/messages/{second}"),
                &alice.access_token,
                None,
            )
            .await;
        assert_eq!(r.status(), 204);

        assert_eq!(
            names(&events),
            [
                "conversation.created",
                "message.created",
                "message.embedded",
                "conversation.created",
                "message.created",
                "message.created",
                "message.embedded",
                "message.embedded",
                "message.updated",
                "message.embedded",
            ],
            "{backend:?}: {events:#?}"
        );
        let deleted = feed.events(1).await;
        assert_eq!(deleted[0]["event"], "message.deleted");
        assert_eq!(deleted[0]["data"]["id"], second.as_str());
        assert!(deleted[0]["data"]["content"].is_null());
        // Nothing else came: no event of Bob's.
        assert!(feed.sync().await.is_empty());

        let ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
        assert!(events
            .iter()
            .all(|e| e["tenant_id"] == alice.tenant_id.as_str()));
        assert_eq!(events[1]["data"]["content"], "Book the train");
        assert_eq!(events[1]["data"]["id"], id);
        assert_eq!(events[1]["conversation_id"], "trip");
        assert_eq!(events[2]["data"]["embedding_status"], "completed");
        assert_eq!(events[3]["data"]["id"], "work");
        assert_eq!(events[3]["data"]["message_count"], 1);
        assert_eq!(
            events[4]["data"]["content"], "Which day?",
            "{backend:?} {events:#?}"
        );
        assert_eq!(events[5]["conversation_id"], "work");
        assert_eq!(events[8]["data"]["content"], "Book the night train");
        assert!(events[0]["at"].as_str().unwrap().contains('T'));
    }
}

#[tokio::test]
async fn resume_replays_exactly_the_missed_events() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let mut feed = connect(&app.address, &alice.tenant_id, &alice.access_token).await;
        feed.sync().await;
        store(&app, &alice.access_token, "c", "user", "one").await;
        let seen = feed.events(3).await;
        let last = seen[2]["id"].as_str().unwrap().to_owned();
        drop(feed);
        for text in ["two", "three"] {
            store(&app, &alice.access_token, "c", "user", text).await;
        }

        let path = format!("/v1/ws/messages/{}?last_event_id={last}", alice.tenant_id);
        let auth = format!("Bearer {}", alice.access_token);
        let mut feed = try_connect(&app.address, &path, &[("authorization", &auth)])
            .await
            .unwrap();
        let missed = feed.events(4).await;
        assert_eq!(
            names(&missed),
            [
                "message.created",
                "message.embedded",
                "message.created",
                "message.embedded"
            ]
        );
        assert_eq!(missed[0]["data"]["content"], "two");
        assert_eq!(missed[2]["data"]["content"], "three");
        let resumed = feed.frame().await;
        assert_eq!(resumed["type"], "resumed", "{resumed}");
        assert_eq!(resumed["replayed"], 4);
        // Live again afterwards, without repeats.
        store(&app, &alice.access_token, "c", "user", "four").await;
        let live = feed.events(2).await;
        assert_eq!(live[0]["data"]["content"], "four");
        assert_eq!(live[1]["event"], "message.embedded");

        // The same with the action, from the first event: everything after it.
        feed.send(json!({"action": "resume", "last_event_id": seen[0]["id"]}))
            .await;
        let again = feed.events(8).await;
        assert_eq!(again[0]["id"], seen[1]["id"]);
        assert_eq!(again[7]["data"]["content"], "four");
        assert_eq!(feed.frame().await["replayed"], 8);

        for unknown in ["00000000ffffffff", "not-an-id"] {
            feed.send(json!({"action": "resume", "last_event_id": unknown}))
                .await;
            let answer = feed.frame().await;
            assert_eq!(answer["type"], "error");
            assert_eq!(answer["code"], "resume_unavailable");
        }
    }
}

#[tokio::test]
async fn a_deleted_messages_content_is_gone_from_replay() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let mut feed = connect(&app.address, &alice.tenant_id, &alice.access_token).await;
        feed.sync().await;
        store(&app, &alice.access_token, "c", "user", "keep me").await;
        let secret = store(&app, &alice.access_token, "c", "user", "my PIN is 4321").await;
        let events = feed.events(5).await;
        let id = secret["id"].as_str().unwrap();
        let r = app
            .call(
                Method::DELETE,
                &format!("/v1/messages/{id}"),
                &alice.access_token,
                None,
            )
            .await;
        assert_eq!(r.status(), 204);
        feed.events(1).await;

        feed.send(json!({"action": "resume", "last_event_id": events[0]["id"]}))
            .await;
        let replay = feed.events(5).await;
        assert_eq!(
            names(&replay),
            [
                "message.created",
                "message.embedded",
                "message.created",
                "message.embedded",
                "message.deleted"
            ]
        );
        assert_eq!(replay[0]["data"]["content"], "keep me");
        for e in &replay[2..] {
            assert_eq!(e["data"]["id"], id, "{e}");
            assert!(e["data"]["content"].is_null(), "{e}");
            assert!(e["data"]["metadata"].is_null(), "{e}");
        }
        assert!(!replay.iter().any(|e| e.to_string().contains("4321")));
    }
}

#[tokio::test]
async fn events_of_acknowledged_writes_are_replayed_after_kill_9() {
    let dir = TempDir::new();
    let envs = [
        ("MEMORY_EMBEDDING_PROVIDER", "fake"),
        ("MEMORY_EMBEDDING_MODE", "async"),
        ("MEMORY_JOB_WORKERS", "0"),
    ];
    let (mut server, url) = start_binary(&dir.path, &envs);
    let client = http_client();
    let (tenant, token) = register_remote(&client, &url, "alice").await;
    let post = |content: String| {
        client
            .post(format!("{url}/v1/messages"))
            .bearer_auth(&token)
            .json(&json!({"conversation_id": "c", "role": "user", "content": content}))
            .send()
    };
    let mut feed = connect(&url, &tenant, &token).await;
    feed.sync().await;
    assert_eq!(post("first".into()).await.unwrap().status(), 202);
    let first = feed.events(2).await;
    let after = first[1]["id"].as_str().unwrap().to_owned();
    for i in 0..5 {
        assert_eq!(post(format!("durable {i}")).await.unwrap().status(), 202);
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();

    let (mut server, url) = start_binary(&dir.path, &envs);
    let path = format!("/v1/ws/messages/{tenant}?last_event_id={after}");
    let auth = format!("Bearer {token}");
    let mut feed = try_connect(&url, &path, &[("authorization", &auth)])
        .await
        .unwrap();
    let replayed = feed.events(5).await;
    let contents: Vec<&str> = replayed
        .iter()
        .map(|e| e["data"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        [
            "durable 0",
            "durable 1",
            "durable 2",
            "durable 3",
            "durable 4"
        ]
    );
    assert_eq!(feed.frame().await["replayed"], 5);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test]
async fn a_subscriber_on_one_instance_receives_events_caused_through_another() {
    for with_redis in [false, true] {
        let redis_url = with_redis.then(redis_url);
        let first = spawn_app_with(
            Backend::Postgres,
            Options {
                redis_url: redis_url.clone(),
                ..Default::default()
            },
        )
        .await;
        let second = spawn_app_with(
            Backend::Postgres,
            Options {
                redis_url,
                existing_pg_database: first.pg_database.clone(),
                ..Default::default()
            },
        )
        .await;
        let alice = first.register_and_login("alice", None).await;
        let mut on_second = connect(&second.address, &alice.tenant_id, &alice.access_token).await;
        on_second.sync().await;
        for text in ["through the first", "and again"] {
            store(&first, &alice.access_token, "c", "user", text).await;
        }
        let events = on_second.events(5).await;
        assert_eq!(names(&events)[0], "conversation.created");
        assert_eq!(events[1]["data"]["content"], "through the first");
        assert_eq!(events[3]["data"]["content"], "and again");
        // And the other way round, on the writer's own instance too.
        let mut on_first = connect(&first.address, &alice.tenant_id, &alice.access_token).await;
        on_first.sync().await;
        store(
            &second,
            &alice.access_token,
            "c",
            "user",
            "through the second",
        )
        .await;
        // A new subscriber may still get events committed just before it connected (its
        // instance had not published them yet): wait for the new one.
        for feed in [&mut on_first, &mut on_second] {
            loop {
                let e = feed.events(1).await;
                if e[0]["data"]["content"] == "through the second" {
                    break;
                }
            }
        }
    }
}

#[tokio::test]
async fn an_event_of_the_newest_transaction_is_not_read_past_before_it_commits() {
    // A write transaction whose id is above every completed one (a lone writer, or one on
    // another instance) is missing from a PostgreSQL snapshot's list of transactions in
    // progress; the feed must still wait for it rather than read past its event.
    let app = spawn_app(Backend::Postgres).await;
    let alice = app.register_and_login("alice", None).await;
    let mut feed = connect(&app.address, &alice.tenant_id, &alice.access_token).await;
    feed.sync().await;

    let url = pg_url(app.pg_database.as_deref().unwrap());
    let direct = sea_orm::Database::connect(url).await.unwrap();
    let slow = sea_orm::TransactionTrait::begin(&direct).await.unwrap();
    slow.execute_unprepared(&format!(
        "INSERT INTO events (tenant_id, conversation_id, name, data, at) VALUES \
         ('{}', 'late', 'conversation.updated', '{{\"id\":\"late\"}}', now())",
        alice.tenant_id
    ))
    .await
    .unwrap();
    // The pump reads the table while that transaction is open (and is held back by it).
    server::service::watchers::caught_up(&app.state.services)
        .await
        .unwrap();
    slow.commit().await.unwrap();
    store(&app, &alice.access_token, "trip", "user", "Pack the tent").await;

    let events = feed.events(2).await;
    assert_eq!(
        names(&events),
        ["conversation.updated", "conversation.created"],
        "{events:#?}"
    );
    assert_eq!(events[0]["conversation_id"], "late");
    direct.close().await.ok();
}
