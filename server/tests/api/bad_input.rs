//! Hostile and malformed input, the same on both backends: each is a clear 4xx in the JSON error
//! envelope (never a 5xx), and nothing stored is lost or changed by it.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// Sends `body` as raw bytes to `path` with a JSON content type.
async fn post_raw(app: &TestApp, path: &str, token: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.address))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The status and, for a 4xx, the envelope's code and field (fails on a 5xx or a body that is
/// not the envelope).
async fn refused(r: reqwest::Response) -> (u16, String, Value) {
    let status = r.status().as_u16();
    assert!(
        (400..500).contains(&status),
        "a 4xx, not {status}: {}",
        r.text().await.unwrap()
    );
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.expect("a JSON body");
    assert_eq!(body["error"]["request_id"], request_id.as_str());
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned();
    (status, code, body["error"]["field"].clone())
}

#[tokio::test]
async fn malformed_bodies_are_refused_with_the_envelope() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let user = app.register_and_login("ada", None).await;
        let t = &user.access_token;
        let mut invalid_utf8 =
            br#"{"conversation_id": "c", "role": "user", "content": "caf"#.to_vec();
        invalid_utf8.extend_from_slice(&[0xff, 0xfe]);
        invalid_utf8.extend_from_slice(br#""}"#);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let deep_object = format!(
            r#"{{"conversation_id": "c", "role": "user", "content": "x", "metadata": {}1{}}}"#,
            r#"{"a":"#.repeat(10_000),
            "}".repeat(10_000)
        );
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("invalid UTF-8", invalid_utf8),
            ("10 000-deep array", deep.into_bytes()),
            ("10 000-deep metadata", deep_object.into_bytes()),
            ("truncated", br#"{"conversation_id": "c", "role": "us"#.to_vec()),
            ("duplicate keys", br#"{"conversation_id": "c", "role": "user", "role": "assistant", "content": "x"}"#.to_vec()),
            ("a number as a string", br#"{"conversation_id": "c", "role": "user", "content": "x", "importance_override": "0.5"}"#.to_vec()),
            ("a string as a number", br#"{"conversation_id": 7, "role": "user", "content": "x"}"#.to_vec()),
            ("an array for an object", br#"[{"conversation_id": "c", "role": "user", "content": "x"}]"#.to_vec()),
        ];
        for (what, body) in cases {
            let r = post_raw(&app, "/v1/messages", t, body).await;
            let (status, code, _) = refused(r).await;
            assert!(
                status == 400 || status == 422,
                "{backend:?} {what}: {status} {code}"
            );
        }
        let r = post_raw(&app, "/v1/messages", t, br#"{"conversation_id": "c", "role": "user", "content": "x", "importance_override": "0.5"}"#.to_vec()).await;
        let (_, _, field) = refused(r).await;
        assert_eq!(field, "importance_override", "{backend:?}");
        // A 10 MB body is refused before it is read whole.
        let huge = format!(
            r#"{{"conversation_id": "c", "role": "user", "content": "{}"}}"#,
            "a".repeat(10 << 20)
        );
        let (status, code, _) =
            refused(post_raw(&app, "/v1/messages", t, huge.into_bytes()).await).await;
        assert_eq!(
            (status, code.as_str()),
            (413, "payload_too_large"),
            "{backend:?}"
        );
        // Nothing was stored by any of them.
        let page = app.get_json("/v1/conversations/c/messages", t).await;
        assert!(
            page["error"]["code"] == "not_found" || page["messages"] == json!([]),
            "{backend:?}: {page}"
        );
    }
}

#[tokio::test]
async fn control_characters_are_refused_in_ids_and_kept_in_content() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let user = app.register_and_login("ada", None).await;
        let t = &user.access_token;
        for id in ["bell\u{7}", "line\nbreak", "tab\there", "esc\u{1b}[31m"] {
            let r = post_message(
                &app,
                t,
                json!({"conversation_id": id, "role": "user", "content": "x"}),
            )
            .await;
            let (status, _, field) = refused(r).await;
            assert_eq!(
                (status, field),
                (422, json!("conversation_id")),
                "{backend:?} {id:?}"
            );
        }
        let content = "tab\there, a new\nline, a bell \u{7} and an escape \u{1b}[0m";
        let stored = store(&app, t, "c", "user", content).await;
        let read = app
            .get_json(
                &format!("/v1/messages/{}", stored["id"].as_str().unwrap()),
                t,
            )
            .await;
        assert_eq!(read["content"], content, "{backend:?}");
    }
}

#[tokio::test]
async fn query_syntax_in_search_text_and_metadata_keys_is_only_text() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let user = app.register_and_login("ada", None).await;
        let t = &user.access_token;
        store(
            &app,
            t,
            "c",
            "user",
            "Robert'); DROP TABLE messages;-- likes (tea) OR coffee*",
        )
        .await;
        store(&app, t, "c", "user", "plain words about gardening").await;
        for query in [
            "'; DROP TABLE messages; --",
            "tea OR coffee*",
            "\"unbalanced",
            "NEAR(tea coffee)",
            "(a|b)+$ .* [z-a]",
            "tea AND NOT",
            "% _ \\",
            "*",
        ] {
            for mode in ["lexical", "hybrid", "vector"] {
                let body = json!({"query": query, "mode": mode, "top_k": 5});
                let r = app
                    .call(Method::POST, "/v1/memory/search", t, Some(body))
                    .await;
                assert_eq!(r.status(), 200, "{backend:?} {mode} {query:?}");
            }
        }
        // The text matched as words: the message with those words is found.
        let hits = search_hits(
            &app,
            t,
            json!({"query": "DROP TABLE messages", "mode": "lexical"}),
        )
        .await;
        assert!(
            hits[0]["content"].as_str().unwrap().starts_with("Robert"),
            "{backend:?}"
        );
        for key in ["x'y", "a\"b", "a;b", "%", "a.b.c", "key with spaces"] {
            let path = format!("/v1/memory/search?query=tea&metadata.{}=1", urlencode(key));
            let r = app.call(Method::GET, &path, t, None).await;
            let status = r.status().as_u16();
            assert!(
                status == 200 || status == 422,
                "{backend:?} {key:?}: {status}"
            );
            if status == 422 {
                refused(r).await;
            }
        }
        let count = app.get_json("/v1/conversations/c", t).await;
        assert_eq!(count["message_count"], 2, "{backend:?}: nothing changed");
    }
}

#[tokio::test]
async fn integer_parameters_are_taken_at_their_bounds_and_refused_beyond() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let user = app.register_and_login("ada", None).await;
        let t = &user.access_token;
        store(&app, t, "c", "user", "a message").await;
        // (path with the value at its bound, the same beyond it, the field named)
        let cases = [
            (
                "/v1/memory/search?query=x&top_k=100",
                "/v1/memory/search?query=x&top_k=101",
                "top_k",
            ),
            (
                "/v1/memory/search?query=x&top_k=1",
                "/v1/memory/search?query=x&top_k=0",
                "top_k",
            ),
            (
                "/v1/conversations/c/messages?page_size=100",
                "/v1/conversations/c/messages?page_size=101",
                "page_size",
            ),
            (
                "/v1/analytics/trends?days=365",
                "/v1/analytics/trends?days=366",
                "days",
            ),
            (
                "/v1/analytics/trends?days=1",
                "/v1/analytics/trends?days=0",
                "days",
            ),
            (
                "/v1/analytics/top-conversations?limit=100",
                "/v1/analytics/top-conversations?limit=101",
                "limit",
            ),
            (
                "/v1/audit?page_size=500",
                "/v1/audit?page_size=501",
                "page_size",
            ),
        ];
        for (at, beyond, field) in cases {
            let r = app.call(Method::GET, at, t, None).await;
            assert_eq!(r.status(), 200, "{backend:?} {at}");
            let (status, _, named) = refused(app.call(Method::GET, beyond, t, None).await).await;
            assert_eq!((status, named), (422, json!(field)), "{backend:?} {beyond}");
        }
        for junk in ["-1", "99999999999999999999", "1.5", "ten", ""] {
            let path = format!("/v1/memory/search?query=x&top_k={junk}");
            let (status, _, named) = refused(app.call(Method::GET, &path, t, None).await).await;
            assert_eq!(
                (status, named),
                (422, json!("top_k")),
                "{backend:?} top_k={junk:?}"
            );
        }
        for (max_tokens, ok) in [(16, true), (32_000, true), (15, false), (32_001, false)] {
            let body = json!({"query": "a", "max_tokens": max_tokens});
            let r = app
                .call(Method::POST, "/v1/memory/context", t, Some(body))
                .await;
            if ok {
                assert_eq!(r.status(), 200, "{backend:?} max_tokens {max_tokens}");
            } else {
                let (status, _, named) = refused(r).await;
                assert_eq!(
                    (status, named),
                    (422, json!("max_tokens")),
                    "{backend:?} {max_tokens}"
                );
            }
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn usernames_refuse_lookalike_unicode_spellings() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        app.register_and_login("ada", None).await;
        // Fullwidth letters, a Cyrillic "а", a combining accent, a zero-width space: each would
        // let a second account pass for the first.
        for (n, name) in ["ａｄａ", "\u{430}da", "ada\u{301}", "a\u{200b}da"]
            .iter()
            .enumerate()
        {
            let r = app
                .post_json(
                    "/v1/auth/register",
                    &json!({"email": format!("look{n}@example.com"), "username": name,
                            "password": PASSWORD}),
                )
                .await;
            let (status, _, field) = refused(r).await;
            assert_eq!(
                (status, field),
                (422, json!("username")),
                "{backend:?} {name:?}"
            );
        }
    }
}
