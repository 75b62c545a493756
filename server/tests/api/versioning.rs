//! API versions: `x-api-version` on `/v1`, 400 for an unknown version, deprecation headers on
//! the original API's aliases and the `?token=` query credential.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn versions_are_announced_and_aliases_say_what_replaces_them() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let t = &alice.access_token;

    let r = app.call(Method::GET, "/v1/conversations", t, None).await;
    assert_eq!(r.headers()["x-api-version"], "v1");
    assert!(r.headers().get("deprecation").is_none());
    let r = app.get("/v1/no-such-route").await;
    assert_eq!(
        (r.status().as_u16(), &r.headers()["x-api-version"]),
        (404, &"v1".parse().unwrap())
    );

    for path in ["/v2/messages", "/v2", "/v0/conversations"] {
        let r = app.call(Method::GET, path, t, None).await;
        assert_eq!(r.status(), 400, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unsupported_version");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("v1"), "{message}");
        assert!(body["error"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()));
    }

    // The original's POST aliases work, and say what replaces them.
    let stored = store(&app, t, "c", "user", "an old client's message").await;
    let id = stored["id"].as_str().unwrap();
    let r = app
        .call(
            Method::POST,
            "/v1/messages/batch/update",
            t,
            Some(json!({"updates": [{"message_id": id, "update": {"importance_override": 0.9}}]})),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let h = r.headers();
    assert_eq!(h["deprecation"], "@1764547200");
    assert_eq!(h["sunset"], "Wed, 30 Jun 2027 00:00:00 GMT");
    assert_eq!(
        h["link"],
        "</v1/messages/batch/update>; rel=\"successor-version\""
    );
    let r = app
        .call(
            Method::POST,
            "/v1/messages/batch/delete",
            t,
            Some(json!({"message_ids": [id]})),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        r.headers()["link"],
        "</v1/messages/batch>; rel=\"successor-version\""
    );
    // The current forms carry none of it.
    let r = app
        .call(
            Method::PUT,
            "/v1/messages/batch/update",
            t,
            Some(json!({"updates": []})),
        )
        .await;
    assert!(r.headers().get("deprecation").is_none(), "{}", r.status());

    // `?token=` on a WebSocket upgrade, and the unversioned WebSocket paths.
    let ws = app.address.replacen("http://", "ws://", 1);
    for (url, successor) in [
        (
            format!("{ws}/v1/ws/messages/{}?token={t}", alice.tenant_id),
            format!("/v1/ws/messages/{}", alice.tenant_id),
        ),
        (
            format!("{ws}/ws/stream/{}?token={t}", alice.tenant_id),
            format!("/v1/ws/stream/{}", alice.tenant_id),
        ),
    ] {
        let (_socket, response) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap();
        let h = response.headers();
        assert_eq!(h["deprecation"], "@1764547200", "{url}");
        assert_eq!(
            h["link"].to_str().unwrap(),
            format!("<{successor}>; rel=\"successor-version\"")
        );
    }
}

/// The original API's names that only a handler sees (fields of a body) and its alias routes
/// work, and are announced like every other alias.
#[tokio::test]
async fn the_original_names_work_and_announce_their_successors() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let t = &alice.access_token;
    let announced = |r: &reqwest::Response, successor: &str| {
        assert_eq!(r.headers()["deprecation"], "@1764547200", "{successor}");
        assert_eq!(
            r.headers()["link"],
            format!("<{successor}>; rel=\"successor-version\"").as_str()
        );
    };
    store(&app, t, "c", "user", "a message to find").await;

    let body = json!({"query": "message", "candidate_limit": 200});
    let r = app
        .call(Method::POST, "/v1/memory/search", t, Some(body))
        .await;
    assert_eq!(r.status(), 200, "candidate_limit is accepted and ignored");
    announced(&r, "/v1/memory/search");
    let r = app
        .call(
            Method::GET,
            "/v1/memory/search?query=message&candidate_limit=200",
            t,
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    announced(&r, "/v1/memory/search");
    let r = app
        .call(Method::GET, "/v1/analytics/embeddings", t, None)
        .await;
    assert_eq!(r.status(), 200);
    announced(&r, "/v1/analytics/embedding-stats");

    let run = |actions: Value| {
        let body = json!({"actions": actions, "dry_run": true});
        app.call(Method::POST, "/v1/admin/retention/run", t, Some(body))
    };
    let r = run(json!(["archive"])).await;
    assert_eq!(r.status(), 200);
    announced(&r, "/v1/admin/retention/run");
    let answer: Value = r.json().await.unwrap();
    assert_eq!(
        (&answer["archived"], &answer["deleted"], &answer["dry_run"]),
        (&json!(0), &json!(0), &json!(true)),
        "{answer}"
    );
    assert_eq!(answer["runs"][0]["rules_applied"], json!(["policy"]));
    let r = run(json!([])).await;
    assert_eq!(r.status(), 422);
    let (code, _) = error_envelope(r).await;
    assert_eq!(code, "validation_failed");
    let r = run(json!(["shred"])).await;
    assert_eq!(r.status(), 422);
    let r = app
        .call(
            Method::POST,
            "/v1/admin/retention/run",
            t,
            Some(json!({"dry_run": true})),
        )
        .await;
    assert!(r.headers().get("deprecation").is_none(), "no alias used");

    let rule = json!({"name": "old", "rule_type": "age", "action": "archive",
                      "conditions": {"days": 30}});
    let r = app
        .call(Method::POST, "/v1/retention/rules", t, Some(rule))
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert!(created.get("last_applied").is_some(), "{created}");
    let r = app
        .call(Method::POST, "/v1/retention/execute?dry_run=false", t, None)
        .await;
    assert_eq!(r.status(), 200);
    let path = format!("/v1/retention/rules/{}", created["id"].as_str().unwrap());
    let applied = app.get_json(&path, t).await;
    assert!(applied["last_applied"].is_string(), "{applied}");
    assert_eq!(applied["last_applied"], applied["last_applied_at"]);
}
