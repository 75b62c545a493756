//! `Idempotency-Key` on the writes that store or change many things: a retry answers what the
//! first attempt answered (status and body) and stores nothing twice, also when the attempts
//! race each other on one instance or on two; the same key with another request is 422.

use futures::future::join_all;
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::*;

/// Sends `method path` with `body` and, when given, an `Idempotency-Key`.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    answer(request.send().await.unwrap()).await
}

async fn answer(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn messages_in(app: &TestApp, token: &str, conversation: &str) -> Vec<Value> {
    let page = app
        .get_json(&format!("/v1/conversations/{conversation}/messages"), token)
        .await;
    page["messages"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_retried_write_answers_as_the_first_and_stores_nothing_twice() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let user = app.register_and_login("ida", None).await;
        let token = &user.access_token;
        let message = json!({"conversation_id": "c", "role": "user", "content": "tea at five"});
        for (path, key, status) in [
            ("/v1/messages", "single-1", 201),
            ("/v1/messages?async=true", "single-async", 202),
        ] {
            let first = send(&app, Method::POST, path, token, Some(key), &message).await;
            assert_eq!(first.0, status, "{backend:?} {path}: {}", first.1);
            let again = send(&app, Method::POST, path, token, Some(key), &message).await;
            assert_eq!(
                again, first,
                "{backend:?} {path}: the retry answers as the first"
            );
        }
        assert_eq!(messages_in(&app, token, "c").await.len(), 2, "{backend:?}");

        let batch = json!({"messages": [
            {"conversation_id": "b", "role": "user", "content": "one"},
            {"conversation_id": "b", "role": "user", "content": ""},
            {"conversation_id": "b", "role": "assistant", "content": "two"},
        ]});
        let path = "/v1/messages/batch";
        let first = send(&app, Method::POST, path, token, Some("batch-1"), &batch).await;
        assert_eq!(first.0, 207, "{backend:?}: {}", first.1);
        let again = send(&app, Method::POST, path, token, Some("batch-1"), &batch).await;
        assert_eq!(
            again, first,
            "{backend:?}: a batch's retry answers as the first"
        );
        let stored = messages_in(&app, token, "b").await;
        assert_eq!(stored.len(), 2, "{backend:?}: {stored:?}");

        let ids: Vec<&str> = stored.iter().map(|m| m["id"].as_str().unwrap()).collect();
        let update =
            json!({"updates": [{"message_id": ids[0], "update": {"content": "one, edited"}}]});
        let path = "/v1/messages/batch/update";
        let first = send(&app, Method::PUT, path, token, Some("update-1"), &update).await;
        assert_eq!(first.0, 200, "{backend:?}: {}", first.1);
        let again = send(&app, Method::PUT, path, token, Some("update-1"), &update).await;
        assert_eq!(again, first, "{backend:?}: same answer, same updated_at");

        let delete = json!({"message_ids": ids});
        let path = "/v1/messages/batch";
        let first = send(&app, Method::DELETE, path, token, Some("delete-1"), &delete).await;
        assert_eq!(
            (first.0, first.1["deleted"].as_array().unwrap().len()),
            (200, 2)
        );
        let again = send(&app, Method::DELETE, path, token, Some("delete-1"), &delete).await;
        assert_eq!(
            again, first,
            "{backend:?}: the retry is not told they are gone"
        );
        // Without a key, the same delete is a new request: nothing is left to delete.
        let fresh = send(&app, Method::DELETE, path, token, None, &delete).await;
        assert_eq!(fresh.0, 207, "{backend:?}: {}", fresh.1);
    }
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_refused() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let user = app.register_and_login("ivo", None).await;
        let token = &user.access_token;
        let first = json!({"conversation_id": "c", "role": "user", "content": "first"});
        let other = json!({"conversation_id": "c", "role": "user", "content": "second"});
        let (status, _) = send(&app, Method::POST, "/v1/messages", token, Some("k"), &first).await;
        assert_eq!(status, 201);
        for (path, body) in [
            ("/v1/messages", &other),
            // The same body with another option is another request too.
            ("/v1/messages?async=true", &first),
        ] {
            let (status, error) = send(&app, Method::POST, path, token, Some("k"), body).await;
            assert_eq!(status, 422, "{backend:?} {path}: {error}");
            assert_eq!(error["error"]["field"], "Idempotency-Key", "{error}");
            assert_eq!(error["error"]["code"], "validation_failed");
        }
        for bad in ["", &"k".repeat(256), "two words"] {
            let (status, error) =
                send(&app, Method::POST, "/v1/messages", token, Some(bad), &first).await;
            assert_eq!(status, 422, "{backend:?} {bad:?}: {error}");
            assert_eq!(error["error"]["field"], "Idempotency-Key");
        }
        assert_eq!(messages_in(&app, token, "c").await.len(), 1, "{backend:?}");

        // Keys are the tenant's own: another tenant's same key is another request.
        let other_user = app.register_and_login("ivy", None).await;
        let (status, _) = send(
            &app,
            Method::POST,
            "/v1/messages",
            &other_user.access_token,
            Some("k"),
            &other,
        )
        .await;
        assert_eq!(status, 201, "{backend:?}");
        assert_eq!(
            messages_in(&app, &other_user.access_token, "c").await.len(),
            1
        );
    }
}

#[tokio::test]
async fn racing_retries_store_once_and_all_answer_alike() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let user = app.register_and_login("ira", None).await;
        let token = &user.access_token;
        let body = json!({"messages": [
            {"conversation_id": "race", "role": "user", "content": "said once"},
            {"conversation_id": "race", "role": "user", "content": "said twice"},
        ]});
        let attempts = (0..8).map(|_| {
            send(
                &app,
                Method::POST,
                "/v1/messages/batch",
                token,
                Some("race-1"),
                &body,
            )
        });
        let answers = join_all(attempts).await;
        assert_eq!(answers[0].0, 201, "{backend:?}: {}", answers[0].1);
        for answer in &answers {
            assert_eq!(
                answer, &answers[0],
                "{backend:?}: every attempt answers the winner's"
            );
        }
        assert_eq!(
            messages_in(&app, token, "race").await.len(),
            2,
            "{backend:?}"
        );
        let conversation = app.get_json("/v1/conversations/race", token).await;
        assert_eq!(
            conversation["message_count"], 2,
            "{backend:?}: {conversation}"
        );
    }
}

#[tokio::test]
async fn a_retry_at_another_instance_answers_as_the_first() {
    let first = spawn_app(Backend::Postgres).await;
    let second = spawn_second_instance(&first).await;
    let user = first.register_and_login("iris", None).await;
    let token = &user.access_token;
    let message = json!({"conversation_id": "two", "role": "user", "content": "once, anywhere"});
    // Sent to both at once, then retried at each.
    let (a, b) = tokio::join!(
        send(
            &first,
            Method::POST,
            "/v1/messages",
            token,
            Some("both"),
            &message
        ),
        send(
            &second,
            Method::POST,
            "/v1/messages",
            token,
            Some("both"),
            &message
        ),
    );
    assert_eq!(a.0, 201, "{}", a.1);
    assert_eq!(
        a, b,
        "the instance that lost the race answers the winner's answer"
    );
    for app in [&first, &second] {
        let again = send(
            app,
            Method::POST,
            "/v1/messages",
            token,
            Some("both"),
            &message,
        )
        .await;
        assert_eq!(again, a);
    }
    assert_eq!(messages_in(&second, token, "two").await.len(), 1);
}

#[tokio::test]
async fn the_api_document_states_the_key_and_the_limits() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc: Value = app.get("/v1/openapi.json").await.json().await.unwrap();
    let description = doc["info"]["description"].as_str().unwrap();
    assert!(
        description.contains("at most 4194304 bytes"),
        "{description}"
    );
    assert!(description.contains("within 15 s"), "{description}");
    for (path, method) in [
        ("/v1/messages", "post"),
        ("/v1/messages/batch", "post"),
        ("/v1/messages/batch", "delete"),
        ("/v1/messages/batch/update", "put"),
        ("/v1/messages/batch/update", "post"),
        ("/v1/messages/batch/delete", "post"),
    ] {
        let params = doc["paths"][path][method]["parameters"].as_array().unwrap();
        let header = params.iter().find(|p| p["name"] == "Idempotency-Key");
        let header = header.unwrap_or_else(|| panic!("{method} {path}: {params:?}"));
        assert_eq!(header["in"], "header");
        assert_eq!(header["schema"]["maxLength"], 255);
    }
}
