//! The feed's limits: a subscriber too slow for its send queue is closed with 4008 and holds
//! nobody else back; past the per-tenant connection limit 4029; a stopping server 1001, a peer
//! silent to pings 1001; client frames share the REST request budget.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::helpers::*;

/// The value of `memory_mesh_ws_connections_closed_total{door="feed",code=…}` (0 when absent).
async fn feed_closed(app: &TestApp, code: &str) -> f64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("memory_mesh_ws_connections_closed_total{"))
        .filter(|l| l.contains(&format!("code=\"{code}\"")) && l.contains("door=\"feed\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn a_subscriber_too_slow_for_its_queue_is_closed_and_others_keep_up() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![
                ("MEMORY_JOB_WORKERS".into(), "0".into()),
                ("MEMORY_WS_SEND_QUEUE".into(), "16".into()),
                ("MEMORY_TENANT_RATE_LIMIT".into(), "100000/minute".into()),
                ("MEMORY_GLOBAL_RATE_LIMIT".into(), "100000/minute".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let token = alice.access_token.clone();
    // The slow peer takes its first answer, then stops reading.
    let mut slow = connect_small(&app.address, &alice.tenant_id, &token, 4096).await;
    slow.sync().await;
    let mut keeping_up = connect(&app.address, &alice.tenant_id, &token).await;
    keeping_up.sync().await;
    const MESSAGES: usize = 150;
    let reader = tokio::spawn(async move { keeping_up.events(MESSAGES + 1).await });

    // About 13 MB of events: more than the slow peer's socket buffers and queue can hold.
    let text = "w".repeat(90_000);
    for i in 0..MESSAGES {
        let r = app
            .call(
                Method::POST,
                "/v1/messages?async=true",
                &token,
                Some(json!({"conversation_id": "bulk", "role": "user",
                            "content": format!("{i} {text}")})),
            )
            .await;
        assert_eq!(r.status(), 202);
    }

    // Every event reached the subscriber that reads, in order.
    let events = reader.await.unwrap();
    assert_eq!(events[0]["event"], "conversation.created");
    for (i, e) in events[1..].iter().enumerate() {
        assert_eq!(e["event"], "message.created");
        let content = e["data"]["content"].as_str().unwrap();
        assert!(
            content.starts_with(&format!("{i} ")),
            "event {i} out of order"
        );
    }
    // The slow one was closed as too slow (its close frame waits for it to read, at most
    // 10 s, before the connection is dropped).
    let mut closed = 0.0;
    for _ in 0..300 {
        closed = feed_closed(&app, "4008").await;
        if closed >= 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(closed, 1.0, "the slow subscriber is closed with 4008, once");
    // Reading now, it finds the end of its connection after what its socket held.
    let mut frames = 0;
    let code = loop {
        match slow.next().await {
            Next::Frame(_) => frames += 1,
            Next::Closed(code, _) => break code,
        }
    };
    assert!(
        frames < MESSAGES,
        "it was cut off, not sent everything ({frames})"
    );
    assert!([4008, 1005, 1006].contains(&code), "closed with {code}");
}

#[tokio::test]
async fn a_tenant_past_its_connection_limit_is_refused_with_4029_until_one_closes() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![("MEMORY_WS_MAX_CONNECTIONS_PER_TENANT".into(), "2".into())],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let bob = app.register_and_login("bob", None).await;
    let open = || connect(&app.address, &alice.tenant_id, &alice.access_token);
    let mut first = open().await;
    first.sync().await;
    let mut second = open().await;
    second.sync().await;
    let mut third = open().await;
    match third.next().await {
        Next::Closed(code, reason) => {
            assert_eq!(code, 4029);
            assert!(reason.contains("limit 2"), "{reason}");
        }
        Next::Frame(f) => panic!("a third connection was served: {f}"),
    }
    // Another tenant has its own budget.
    let mut bobs = connect(&app.address, &bob.tenant_id, &bob.access_token).await;
    bobs.sync().await;
    // Closing one frees its place (once the server has seen it go).
    drop(first);
    let mut admitted = None;
    for _ in 0..50 {
        let mut again = open().await;
        again.send(json!({"action": "ping"})).await;
        match again.next().await {
            Next::Frame(f) if f["type"] == "pong" => {
                admitted = Some(again);
                break;
            }
            Next::Frame(f) => panic!("{f}"),
            Next::Closed(code, _) => assert_eq!(code, 4029),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        admitted.is_some(),
        "a place freed by a closed connection is reused"
    );
    second.sync().await;
}

#[tokio::test]
async fn stopping_the_server_closes_every_connection_with_1001() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let mut feed = connect(&app.address, &alice.tenant_id, &alice.access_token).await;
    feed.sync().await;
    let auth = format!("Bearer {}", alice.access_token);
    let mut stream = try_connect(
        &app.address,
        &format!("/v1/ws/stream/{}", alice.tenant_id),
        &[("authorization", &auth)],
    )
    .await
    .unwrap();
    stream.sync().await;
    // The stop ends when both sockets have closed, so they are read while it runs.
    let ((), feed_code, stream_code) =
        tokio::join!(app.stop(), feed.close_code(), stream.close_code());
    assert_eq!((feed_code, stream_code), (1001, 1001));
}

#[tokio::test]
async fn client_frames_count_against_the_request_budget() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![("MEMORY_TENANT_RATE_LIMIT".into(), "20/minute".into())],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let mut feed = connect(&app.address, &alice.tenant_id, &alice.access_token).await;
    let mut answers = Vec::new();
    for _ in 0..40 {
        feed.send(json!({"action": "ping"})).await;
        answers.push(feed.frame().await);
    }
    let refused: Vec<&Value> = answers.iter().filter(|f| f["type"] == "error").collect();
    assert!(
        answers.iter().any(|f| f["type"] == "pong"),
        "the budget admits some frames"
    );
    assert!(
        !refused.is_empty(),
        "40 frames exceed a budget of 20 a minute"
    );
    for f in &refused {
        assert_eq!(f["code"], "rate_limited", "{f}");
    }
    // Refused frames do not close the connection, and REST shares the budget.
    feed.send(json!({"action": "ping"})).await;
    assert!(matches!(feed.next().await, Next::Frame(_)));
    let r = app
        .call(Method::GET, "/v1/conversations", &alice.access_token, None)
        .await;
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_dropped_and_a_live_one_is_not() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            vars: vec![("MEMORY_WS_PING_SECONDS".into(), "1".into())],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let mut silent = connect(&app.address, &alice.tenant_id, &alice.access_token).await;
    silent.sync().await;
    let mut live = connect(&app.address, &alice.tenant_id, &alice.access_token).await;
    live.sync().await;
    // The live peer reads (its client answers the server's pings); the silent one does not.
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(3500), live.next()).await;
    assert!(quiet.is_err(), "nothing but pings came: {quiet:?}");
    match silent.next().await {
        Next::Closed(code, reason) => {
            assert_eq!(code, 1001);
            assert!(reason.contains("pings"), "{reason}");
        }
        Next::Frame(f) => panic!("{f}"),
    }
    live.send(json!({"action": "ping"})).await;
    assert_eq!(live.frame().await["type"], "pong");
}
