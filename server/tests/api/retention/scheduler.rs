//! The scheduler on several instances of one database: each tenant runs on one instance at a
//! time, and every due message is archived exactly once.

use std::time::{Duration as StdDuration, Instant};

use reqwest::Method;
use serde_json::json;

use super::*;

const MESSAGES: usize = 1_000;

#[tokio::test]
async fn two_instances_schedulers_never_run_one_tenant_at_once() {
    let every_second = || Options {
        vars: vec![
            ("MEMORY_RETENTION_SCHEDULE_SECONDS".into(), "1".into()),
            ("MEMORY_TENANT_RATE_LIMIT".into(), "100000/minute".into()),
        ],
        ..Default::default()
    };
    let first = spawn_app_with(Backend::Postgres, every_second()).await;
    let second = spawn_app_with(
        Backend::Postgres,
        Options {
            existing_pg_database: first.pg_database.clone(),
            ..every_second()
        },
    )
    .await;
    let old = (chrono::Utc::now() - Duration::days(400)).to_rfc3339();
    for tenant in ["acme", "beta"] {
        let user = first
            .register_and_login(&format!("{tenant}_admin"), Some(tenant))
            .await;
        let t = user.access_token.as_str();
        for chunk in 0..MESSAGES / 100 {
            let batch: Vec<_> = (0..100)
                .map(|i| {
                    json!({"conversation_id": format!("c{chunk}"), "role": "user",
                                "content": format!("note {chunk}-{i}"), "created_at": old})
                })
                .collect();
            let r = first
                .call(
                    Method::POST,
                    "/v1/messages/batch?async=true",
                    t,
                    Some(json!({"messages": batch})),
                )
                .await;
            assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        }
        let enable = json!({"enabled": true});
        let (status, p) = send(
            &second,
            Method::PUT,
            "/v1/retention/policy",
            t,
            Some(enable),
        )
        .await;
        assert_eq!(status, 200, "{p}");
    }

    let runs = || {
        column(
            &first,
            "SELECT tenant_id || '|' || CAST(EXTRACT(EPOCH FROM started_at) * 1000000 AS bigint) \
             || '|' || CAST(EXTRACT(EPOCH FROM finished_at) * 1000000 AS bigint) \
             || '|' || messages_archived FROM retention_runs \
             WHERE run_trigger = 'scheduled' AND finished_at IS NOT NULL ORDER BY started_at",
            vec![],
        )
    };
    let deadline = Instant::now() + StdDuration::from_secs(60);
    loop {
        let done = runs().await;
        let archived = |tenant: &str| -> usize {
            done.iter()
                .filter(|r| r.starts_with(&format!("{tenant}|")))
                .map(|r| r.rsplit('|').next().unwrap().parse::<usize>().unwrap())
                .sum()
        };
        if archived("acme") == MESSAGES && archived("beta") == MESSAGES && done.len() >= 6 {
            break;
        }
        assert!(Instant::now() < deadline, "scheduled runs so far: {done:?}");
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    let done = runs().await;
    for tenant in ["acme", "beta"] {
        let mut spans: Vec<(i64, i64, usize)> = done
            .iter()
            .filter(|r| r.starts_with(&format!("{tenant}|")))
            .map(|r| {
                let f: Vec<&str> = r.split('|').collect();
                (
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3].parse().unwrap(),
                )
            })
            .collect();
        spans.sort();
        assert!(spans.len() >= 2, "{tenant}: {spans:?}");
        for pair in spans.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "{tenant}: runs overlap: {spans:?}");
        }
        let total: usize = spans.iter().map(|s| s.2).sum();
        assert_eq!(
            total, MESSAGES,
            "{tenant}: each message archived once: {spans:?}"
        );
    }
    second.stop().await;
    first.stop().await;
}
