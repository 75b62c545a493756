//! Metadata filters answer alike on both backends and in both places that use them (search and
//! retention's custom rules): JSON-typed equality, and the GET form's text matching the literal
//! it spells or the same string.

use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    helpers::*,
    retention::{old_message, rule, sampled, send, Duration},
};

/// The messages every case filters: a name each, and its metadata.
fn corpus() -> Vec<(&'static str, Value)> {
    vec![
        ("a", json!({"flag": true, "n": 1, "s": "1", "x": null})),
        ("b", json!({"flag": false, "n": 1.0, "s": "true"})),
        ("c", json!({"flag": "true", "n": 2.5, "s": "blue"})),
        ("d", json!({})),
        ("e", json!({"flag": 1, "n": "1", "x": "null"})),
    ]
}

/// An app whose user has stored the corpus (two days old, so retention's age conditions are
/// not what decides): the app, the user's token, and the (name, id) pairs.
async fn seeded(backend: Backend) -> (TestApp, String, Vec<(&'static str, String)>) {
    let app = spawn_app(backend).await;
    let alice = app.register_and_login("alice", None).await;
    let mut ids = Vec::new();
    for (name, metadata) in corpus() {
        let content = format!("note {name} about metadata");
        let extra = json!({"metadata": metadata});
        let id = old_message(
            &app,
            &alice.access_token,
            "m",
            &content,
            Duration::days(2),
            extra,
        )
        .await;
        ids.push((name, id));
    }
    (app, alice.access_token, ids)
}

fn names(ids: &[(&'static str, String)], found: &[String]) -> Vec<&'static str> {
    let mut names: Vec<&str> = ids
        .iter()
        .filter(|(_, id)| found.contains(id))
        .map(|(name, _)| *name)
        .collect();
    names.sort();
    names
}

fn hit_ids(r: &Value) -> Vec<String> {
    r["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {r}"))
        .iter()
        .map(|i| i["message_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Typed filters (a JSON body, a stored rule) and the messages they match.
fn typed_cases() -> Vec<(Value, Vec<&'static str>)> {
    vec![
        (json!({"flag": true}), vec!["a"]),
        (json!({"flag": false}), vec!["b"]),
        (json!({"flag": "true"}), vec!["c"]),
        (json!({"flag": 1}), vec!["e"]),
        (json!({"n": 1}), vec!["a", "b"]),
        (json!({"n": 1.0}), vec!["a", "b"]),
        (json!({"n": 2.5}), vec!["c"]),
        (json!({"n": "1"}), vec!["e"]),
        (json!({"s": "1"}), vec!["a"]),
        (json!({"s": "blue"}), vec!["c"]),
        (json!({"x": null}), vec!["a"]),
        (json!({"x": "null"}), vec!["e"]),
        (json!({"s": "1", "n": 1}), vec!["a"]),
        (json!({"missing": null}), vec![]),
    ]
}

#[tokio::test]
async fn a_json_filter_matches_by_type_and_numbers_by_value_on_both_backends() {
    for backend in BACKENDS {
        let (app, token, ids) = seeded(backend).await;
        let t = token.as_str();
        for (filter, expected) in typed_cases() {
            for mode in ["lexical", "vector", "hybrid"] {
                let body = json!({"query": "note about metadata", "top_k": 10, "mode": mode,
                                  "metadata": filter});
                let (status, r) =
                    send(&app, Method::POST, "/v1/memory/search", t, Some(body)).await;
                assert_eq!(status, 200, "{r}");
                assert_eq!(
                    names(&ids, &hit_ids(&r)),
                    expected,
                    "{backend:?} {mode}: POST metadata {filter}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_url_filter_matches_the_literal_it_spells_or_the_same_string_on_both_backends() {
    let cases = [
        ("flag=true", vec!["a", "c"]),
        ("flag=false", vec!["b"]),
        ("n=1", vec!["a", "b", "e"]),
        ("n=1.0", vec!["a", "b"]),
        ("n=2.5", vec!["c"]),
        ("s=blue", vec!["c"]),
        ("x=null", vec!["a", "e"]),
        ("s=%221%22", vec!["a"]),
        ("missing=1", vec![]),
    ];
    for backend in BACKENDS {
        let (app, token, ids) = seeded(backend).await;
        let t = token.as_str();
        for (filter, expected) in &cases {
            let path = format!(
                "/v1/memory/search?query=note%20about%20metadata&top_k=10&mode=lexical&metadata.{filter}"
            );
            let (status, r) = send(&app, Method::GET, &path, t, None).await;
            assert_eq!(status, 200, "{r}");
            assert_eq!(
                names(&ids, &hit_ids(&r)),
                *expected,
                "{backend:?}: GET metadata.{filter}"
            );
        }
    }
}

#[tokio::test]
async fn a_retention_rule_s_metadata_condition_matches_as_search_does_on_both_backends() {
    for backend in BACKENDS {
        let (app, token, ids) = seeded(backend).await;
        let t = token.as_str();
        for (filter, expected) in typed_cases() {
            let id = rule(
                &app,
                t,
                json!({"name": "by metadata", "rule_type": "custom", "action": "archive",
                       "conditions": {"filters": {"metadata": filter}}}),
            )
            .await;
            let (status, dry) = send(
                &app,
                Method::POST,
                "/v1/retention/execute?dry_run=true",
                t,
                None,
            )
            .await;
            assert_eq!(status, 200, "{dry}");
            let archived = if dry["messages_archived"] == 0 {
                Vec::new()
            } else {
                sampled(&dry, "archive")
            };
            assert_eq!(
                names(&ids, &archived),
                expected,
                "{backend:?}: rule on metadata {filter}"
            );
            let path = format!("/v1/retention/rules/{id}");
            let (status, _) = send(&app, Method::DELETE, &path, t, None).await;
            assert_eq!(status, 204);
        }
    }
}

#[tokio::test]
async fn a_filter_on_an_object_or_an_unusable_key_is_a_422_naming_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let t = alice.access_token.as_str();
    for filter in [json!({"k": {"a": 1}}), json!({"k": [1]}), json!({"a b": 1})] {
        let body = json!({"query": "note", "metadata": filter});
        let (status, r) = send(&app, Method::POST, "/v1/memory/search", t, Some(body)).await;
        assert_eq!(
            (status, &r["error"]["field"]),
            (422, &json!("metadata")),
            "{r}"
        );
        let body = json!({"name": "x", "rule_type": "custom", "action": "archive",
                          "conditions": {"filters": {"metadata": filter}}});
        let (status, r) = send(&app, Method::POST, "/v1/retention/rules", t, Some(body)).await;
        assert_eq!(status, 422, "{r}");
        let key = filter.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(
            r["error"]["field"],
            json!(format!("conditions.filters.metadata.{key}"))
        );
    }
}
