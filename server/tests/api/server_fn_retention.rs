//! The dashboard's retention functions: the same use cases as `/v1/retention/…` under the same
//! rules — admins change the policy and rules and run for real, every member reads and
//! dry-runs, another tenant sees nothing — with each rule type's conditions made from its form
//! fields.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::{server_fn_writes::post_form, server_fns::call};

async fn read(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, Value) {
    call(app, Method::GET, path, Some(cookie), None).await
}

/// The policy form as the page sends it, with `max_items` and `enabled` chosen.
fn policy_form(max_items: &str, enabled: bool) -> Vec<(&str, &str)> {
    let mut fields = vec![
        ("tenant_id", "acme"),
        ("max_age_days", "365"),
        ("importance_threshold", "0"),
        ("min_age_days", "365"),
        ("max_items", max_items),
        ("delete_after_days", "3650"),
    ];
    if enabled {
        fields.push(("enabled", "true"));
    }
    fields
}

#[tokio::test]
async fn policy_and_rules_are_edited_by_admins_from_their_form_fields() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        app.register_and_login("bob", None).await;
        let add = json!({"user": "bob", "role": "read_only"});
        let t = alice.access_token.as_str();
        let r = (app.call(Method::POST, "/v1/tenants/acme/members", t, Some(add))).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let own = Some(app.address.clone());
        let own = own.as_deref();
        let admin = cookie_login(&app, "alice").await;
        let bob = cookie_login(&app, "bob").await;

        let fields = policy_form("1", true);
        let (status, p) = post_form(&app, "/api/retention/policy/save", &admin, own, &fields).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {p}");
        let rest = app.get_json("/v1/retention/policy?tenant_id=acme", t).await;
        assert_eq!(p, rest);
        assert_eq!(
            (rest["enabled"].clone(), rest["max_items"].clone()),
            (json!(true), json!(1))
        );
        // An empty limit removes it; a bad number is refused naming its field.
        let fields = policy_form("", false);
        let (_, p) = post_form(&app, "/api/retention/policy/save", &admin, own, &fields).await;
        assert_eq!(
            (p["enabled"].clone(), p["max_items"].clone()),
            (json!(false), Value::Null)
        );
        let mut fields = policy_form("", false);
        fields[1] = ("max_age_days", "0");
        let (status, e) = post_form(&app, "/api/retention/policy/save", &admin, own, &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], "max_age_days");
        let (status, _) = post_form(&app, "/api/retention/policy/save", &bob, own, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Each type's fields become its conditions.
        let cases = [
            ("age", vec![("days", "45")], json!({"days": 45})),
            ("conversation_age", vec![("days", "")], json!({})),
            (
                "importance",
                vec![
                    ("importance_threshold", "0.2"),
                    ("min_age_days", "3"),
                    ("days", "9"),
                ],
                json!({"importance_threshold": 0.2, "min_age_days": 3}),
            ),
            (
                "max_items",
                vec![("max_items", "500")],
                json!({"max_items": 500}),
            ),
            (
                "custom",
                vec![
                    ("role", "assistant"),
                    ("conversation_ids", "a, b"),
                    ("metadata", "topic=old"),
                ],
                json!({"filters": {"role": "assistant", "conversation_ids": ["a", "b"], "metadata": {"topic": "old"}}}),
            ),
        ];
        let mut ids = Vec::new();
        for (rule_type, conditions, expected) in cases {
            let mut fields = vec![
                ("tenant_id", "acme"),
                ("name", rule_type),
                ("rule_type", rule_type),
                ("action", "archive"),
                ("priority", "7"),
                ("enabled", "true"),
            ];
            fields.extend(conditions);
            let (status, rule) =
                post_form(&app, "/api/retention/rules/save", &admin, own, &fields).await;
            assert_eq!(status, StatusCode::OK, "{backend:?} {rule_type}: {rule}");
            assert_eq!(rule["conditions"], expected, "{rule_type}");
            assert_eq!(
                (rule["priority"].clone(), rule["enabled"].clone()),
                (json!(7), json!(true))
            );
            ids.push(rule["id"].as_str().unwrap().to_owned());
        }
        let (_, listed) = read(&app, "/api/retention/rules?tenant_id=acme", &bob).await;
        let rest = app.get_json("/v1/retention/rules?tenant_id=acme", t).await;
        assert_eq!(listed, rest);
        assert_eq!(rest.as_array().unwrap().len(), 5);

        // A value of the wrong kind is the service's error about that condition.
        let bad = [
            ("tenant_id", "acme"),
            ("name", "bad"),
            ("rule_type", "age"),
            ("action", "archive"),
            ("days", "soon"),
        ];
        let (status, e) = post_form(&app, "/api/retention/rules/save", &admin, own, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], "conditions.days");

        // Edit (the type stays), disable, delete; a read-only member does none of it.
        let edit = [
            ("tenant_id", "acme"),
            ("id", ids[0].as_str()),
            ("name", "older"),
            ("rule_type", "age"),
            ("action", "move_to_cold_storage"),
            ("days", "60"),
            ("enabled", "true"),
        ];
        let (status, rule) = post_form(&app, "/api/retention/rules/save", &admin, own, &edit).await;
        assert_eq!(status, StatusCode::OK, "{rule}");
        assert_eq!(
            (&rule["name"], &rule["conditions"], &rule["action"]),
            (
                &json!("older"),
                &json!({"days": 60}),
                &json!("move_to_cold_storage")
            )
        );
        let (status, _) = post_form(&app, "/api/retention/rules/save", &bob, own, &edit).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let off = [
            ("tenant_id", "acme"),
            ("id", ids[0].as_str()),
            ("enabled", "false"),
        ];
        let (status, rule) =
            post_form(&app, "/api/retention/rules/enable", &admin, own, &off).await;
        assert_eq!(
            (status, rule["enabled"].clone()),
            (StatusCode::OK, json!(false))
        );
        let gone = [("tenant_id", "acme"), ("id", ids[1].as_str())];
        let (status, _) = post_form(&app, "/api/retention/rules/delete", &bob, own, &gone).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = post_form(&app, "/api/retention/rules/delete", &admin, own, &gone).await;
        assert_eq!(status, StatusCode::OK);
        let rest = app.get_json("/v1/retention/rules?tenant_id=acme", t).await;
        assert_eq!(rest.as_array().unwrap().len(), 4, "{backend:?}");
    }
}

#[tokio::test]
async fn a_dry_run_lists_the_messages_a_real_run_archives_and_a_restore_brings_back() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        app.register_and_login("bob", None).await;
        app.register_and_login("carol", Some("other")).await;
        let t = alice.access_token.as_str();
        let add = json!({"user": "bob", "role": "read_only"});
        app.call(Method::POST, "/v1/tenants/acme/members", t, Some(add))
            .await;
        let first = store(&app, t, "boat", "user", "I adore sailing").await;
        store(&app, t, "garden", "user", "tulips in spring").await;
        let first_id = first["id"].as_str().unwrap();
        let own = Some(app.address.clone());
        let own = own.as_deref();
        let admin = cookie_login(&app, "alice").await;
        let bob = cookie_login(&app, "bob").await;
        let carol = cookie_login(&app, "carol").await;
        let fields = policy_form("1", true);
        post_form(&app, "/api/retention/policy/save", &admin, own, &fields).await;

        // Anyone in the tenant dry-runs; the run lists the message it would archive.
        let dry = [("tenant_id", "acme"), ("dry_run", "true")];
        let (status, run) = post_form(&app, "/api/retention/run", &bob, own, &dry).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {run}");
        assert_eq!(
            (run["dry_run"].clone(), run["messages_archived"].clone()),
            (json!(true), json!(1))
        );
        let run_id = run["run_id"].as_str().unwrap();
        let path = format!("/api/retention/runs/messages?tenant_id=acme&id={run_id}");
        let (status, listed) = read(&app, &path, &bob).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(listed["archive"][0]["id"], first_id, "{listed}");
        assert_eq!(listed["archive"].as_array().unwrap().len(), 1);
        let rest = app
            .get_json(
                &format!("/v1/retention/runs/{run_id}/messages?tenant_id=acme"),
                t,
            )
            .await;
        assert_eq!(listed, rest);
        // Another tenant's member learns nothing of it.
        let (status, _) = read(&app, &path, &carol).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let carol_token = app.login("carol").await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = app
            .call(
                Method::GET,
                &format!("/v1/retention/runs/{run_id}/messages"),
                &carol_token,
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);

        // Only an admin runs for real and restores.
        let real = [("tenant_id", "acme"), ("dry_run", "false")];
        let (status, _) = post_form(&app, "/api/retention/run", &bob, own, &real).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, run) = post_form(&app, "/api/retention/run", &admin, own, &real).await;
        assert_eq!(status, StatusCode::OK, "{run}");
        assert_eq!(run["messages_archived"], 1);
        let real_id = run["run_id"].as_str().unwrap();
        let message = app.get_json(&format!("/v1/messages/{first_id}"), t).await;
        assert_eq!(message["archived"], true);
        let (_, runs) = read(&app, "/api/retention/runs?tenant_id=acme", &bob).await;
        let kinds: Vec<_> = runs["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["dry_run"].clone())
            .collect();
        assert_eq!(kinds, [json!(false), json!(true)], "newest first");
        let restore = [("tenant_id", "acme"), ("id", real_id)];
        let (status, _) = post_form(&app, "/api/retention/runs/restore", &bob, own, &restore).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, back) =
            post_form(&app, "/api/retention/runs/restore", &admin, own, &restore).await;
        assert_eq!(
            (status, back["messages_restored"].clone()),
            (StatusCode::OK, json!(1))
        );
        let message = app.get_json(&format!("/v1/messages/{first_id}"), t).await;
        assert_eq!(message["archived"], false);
    }
}
