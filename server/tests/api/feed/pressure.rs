//! Back-pressure: a subscriber that reads too slowly for its send queue is closed with 4008
//! ("too slow"), and the other subscribers of the tenant are not held back by it.

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
