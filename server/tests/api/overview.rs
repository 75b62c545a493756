//! The overview (`GET /v1/analytics/overview`, and the dashboard's landing page): the same
//! figures as the four analytics it gathers, in one answer, drawn as SVG in the page's HTML.

use chrono::{Duration, Utc};
use reqwest::{header, Method};
use serde_json::{json, Value};

use crate::helpers::*;

async fn ok(app: &TestApp, path: &str, token: &str) -> Value {
    let r = app.call(Method::GET, path, token, None).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_overview_gathers_usage_trends_embeddings_and_top_conversations() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let t = alice.access_token.as_str();
        for (conversation, role, days_ago) in [
            ("trip", "user", 0),
            ("trip", "assistant", 0),
            ("work", "system", 2),
            ("work", "user", 12),
        ] {
            let created = (Utc::now() - Duration::days(days_ago)).to_rfc3339();
            let body = json!({"conversation_id": conversation, "role": role,
                              "content": format!("{role} in {conversation}"), "created_at": created});
            assert_eq!(post_message(&app, t, body).await.status(), 201);
        }
        let overview = ok(&app, "/v1/analytics/overview?days=7", t).await;
        assert_eq!(
            overview["usage"],
            ok(&app, "/v1/analytics/usage", t).await,
            "{backend:?}"
        );
        assert_eq!(
            overview["trends"],
            ok(&app, "/v1/analytics/trends?days=7", t).await
        );
        assert_eq!(
            overview["embeddings"],
            ok(&app, "/v1/analytics/embedding-stats", t).await
        );
        assert_eq!(
            overview["top_conversations"],
            ok(&app, "/v1/analytics/top-conversations", t).await
        );
        let days = overview["trends"].as_array().unwrap();
        assert_eq!(days.len(), 7);
        assert_eq!(
            days[6]["role_breakdown"],
            json!({"assistant": 1, "user": 1})
        );
        assert_eq!(days[4]["role_breakdown"], json!({"system": 1}));
        assert_eq!(overview["usage"]["messages_today"], 2);
        assert_eq!(overview["usage"]["messages_this_week"], 3);
        assert_eq!(overview["usage"]["messages_this_month"], 4);

        let r = app
            .call(Method::GET, "/v1/analytics/overview?days=0", t, None)
            .await;
        assert_eq!(r.status(), 422);
        let (code, _) = error_envelope(r).await;
        assert_eq!(code, "validation_failed");
    }
}

#[tokio::test]
async fn the_landing_page_draws_its_charts_in_the_html() {
    let (app, alice, cookie, _) = alice_with_tea(Backend::Sqlite).await;
    let html = app.page_html("/?days=7", &cookie).await;
    let usage = ok(&app, "/v1/analytics/usage", &alice.access_token).await;
    let active = format!(
        r#"data-testid="usage-active">{}<"#,
        usage["active_messages"]
    );
    assert!(html.contains(&active), "{active} in the page");
    assert!(
        html.contains(r#"<svg viewBox="0 0 640 200" role="img""#),
        "the SVG chart"
    );
    assert!(html.contains("Messages per day by role, last 7 days"));
    assert!(
        html.contains("user: 1, assistant: 0, system: 0"),
        "described in words"
    );
    assert!(
        html.contains(r#"href="/conversations/tea""#),
        "top conversations link"
    );
    // The server function answers the same figures.
    let r = app
        .client
        .get(app.url("/api/overview?days=7"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let overview: Value = r.json().await.unwrap();
    assert_eq!(overview["usage"], usage);
}
