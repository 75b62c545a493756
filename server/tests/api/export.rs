//! `GET /v1/export` and `memory-mesh export`: a tenant's data as JSON lines — everything it
//! stores, as stored, for its admins only; the command line writes the same records.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

fn lines(body: &str) -> Vec<Value> {
    body.lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

fn kinds(records: &[Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_tenant_admin_exports_everything_the_tenant_stores_as_stored() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let carol = app.register_and_login("carol", None).await;
        let t = alice.access_token.as_str();
        store(&app, t, "trip", "user", "Book the train to Porto").await;
        let r = post_message(
            &app,
            t,
            json!({"conversation_id": "trip", "role": "assistant", "content": "Booked for Friday",
                   "metadata": {"topic": "travel"}, "importance_override": 0.9}),
        )
        .await;
        assert!(r.status().is_success());
        let tulips = store(&app, t, "garden", "user", "Tulips bloom in April").await;
        archive(&app, t, tulips["id"].as_str().unwrap()).await;
        store(
            &app,
            &carol.access_token,
            "secret",
            "user",
            "Carol's own note",
        )
        .await;

        let r = app.call(Method::GET, "/v1/export", t, None).await;
        assert_eq!(r.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(r.headers()["content-type"], "application/x-ndjson");
        let records = lines(&r.text().await.unwrap());
        assert_eq!(
            kinds(&records),
            [
                "export",
                "tenant",
                "conversation",
                "conversation",
                "message",
                "message",
                "message",
                "retention_policy",
                "end"
            ],
            "{backend:?}: {records:?}"
        );
        assert_eq!(records[0]["format"], 1);
        assert_eq!(records[0]["tenant_id"], alice.tenant_id);
        assert_eq!(records[1]["id"], alice.tenant_id);
        let messages: Vec<&Value> = records.iter().filter(|r| r["kind"] == "message").collect();
        assert_eq!(
            messages[0]["content"], "Book the train to Porto",
            "oldest first"
        );
        assert_eq!(messages[1]["importance_override"], 0.9);
        assert_eq!(messages[1]["metadata"], json!({"topic": "travel"}));
        assert_eq!(messages[2]["archived"], true);
        assert!(messages.iter().all(|m| m["tenant_id"] == alice.tenant_id));
        assert!(!records.iter().any(|r| r.to_string().contains("Carol")));
        assert_eq!(
            records.last().unwrap(),
            &json!({"kind": "end", "conversations": 2, "messages": 3, "retention_rules": 0})
        );

        // Only the tenant's admins: another user names it in vain, an API key never may.
        let r = app
            .call(
                Method::GET,
                &format!("/v1/export?tenant_id={}", alice.tenant_id),
                &carol.access_token,
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let key = new_api_key(&app, t, json!({"name": "k"})).await;
        let r = app.call(Method::GET, "/v1/export", &key, None).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        // The command line, on the same database, writes the same records.
        let out = TempDir::new();
        let file = out.path.join("alice.jsonl");
        let file_arg = file.to_str().unwrap();
        let output = app.cli(["export", "--tenant", &alice.tenant_id, "--output", file_arg]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stderr)
            .contains("exported 2 conversations, 3 messages"));
        let from_cli = lines(&std::fs::read_to_string(&file).unwrap());
        assert_eq!(kinds(&from_cli), kinds(&records));
        assert_eq!(
            from_cli[2..],
            records[2..],
            "the same data, but for the export's time"
        );
    }
}
