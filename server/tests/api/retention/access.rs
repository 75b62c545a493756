//! The policy (disabled until enabled, validated), rule validation, who may do what, and one
//! message's archive and restore.

use reqwest::Method;
use serde_json::{json, Value};

use super::*;

async fn key(app: &TestApp, admin: &str, scope: &str) -> String {
    let body = json!({"name": scope, "scope": scope, "tenant_id": "acme"});
    let (status, k) = send(app, Method::POST, "/v1/auth/api-keys", admin, Some(body)).await;
    assert_eq!(status, 201, "{k}");
    k["key"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_policy_does_nothing_until_enabled_and_its_bounds_are_enforced() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let t = alice.access_token.as_str();
        let old = old_message(&app, t, "c", "an old note", Duration::days(400), json!({})).await;
        let (status, policy) = send(&app, Method::GET, "/v1/retention/policy", t, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            policy,
            json!({"tenant_id": "acme", "enabled": false, "max_age_days": 30,
                   "importance_threshold": 0.35, "min_age_days": 1, "max_items": null,
                   "delete_after_days": 90, "updated_at": null}),
            "{backend:?}"
        );
        let (_, run) = send(&app, Method::POST, "/v1/retention/execute", t, None).await;
        assert_eq!(
            (&run["messages_archived"], &run["rules_applied"]),
            (&json!(0), &json!([])),
            "{run}"
        );

        for (body, field) in [
            (json!({"max_age_days": 0}), "max_age_days"),
            (json!({"delete_after_days": 3651}), "delete_after_days"),
            (json!({"importance_threshold": 1.5}), "importance_threshold"),
            (json!({"max_items": 0}), "max_items"),
            (json!({"max_items": "ten"}), "max_items"),
            (json!({"enabled": "yes"}), "enabled"),
            (json!({"colour": 1}), "colour"),
        ] {
            let r = app
                .call(Method::PUT, "/v1/retention/policy", t, Some(body.clone()))
                .await;
            assert_eq!(invalid_field(r, &body).await, field, "{backend:?}: {body}");
        }
        let body = json!({"enabled": true, "max_age_days": 365, "max_items": 10});
        let (status, set) = send(&app, Method::PUT, "/v1/retention/policy", t, Some(body)).await;
        assert_eq!(status, 200, "{set}");
        assert_eq!(
            (&set["enabled"], &set["max_age_days"], &set["max_items"]),
            (&json!(true), &json!(365), &json!(10))
        );
        assert!(set["updated_at"].is_string());
        let (_, read) = send(&app, Method::GET, "/v1/retention/policy", t, None).await;
        assert_eq!(read, set);
        let (_, run) = send(&app, Method::POST, "/v1/retention/execute", t, None).await;
        assert_eq!(run["rules_applied"], json!(["policy"]));
        assert_eq!(
            sampled(&run, "archive"),
            vec![old.clone()],
            "{backend:?}: {run}"
        );
        let (_, archived) = send(&app, Method::GET, &format!("/v1/messages/{old}"), t, None).await;
        assert_eq!(archived["archive_reason"], "policy");
        let audit = app
            .get_json("/v1/audit?action=retention.policy_updated", t)
            .await;
        assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit}");
    }
}

#[tokio::test]
async fn rules_are_checked_per_type_and_scoped_to_the_tenant() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let t = alice.access_token.as_str();
        for (body, field) in [
            (
                json!({"name": "all", "rule_type": "custom", "action": "delete"}),
                "conditions.filters",
            ),
            (
                json!({"name": "all", "rule_type": "custom", "action": "delete", "conditions": {"filters": {}}}),
                "conditions.filters",
            ),
            (
                json!({"name": "x", "rule_type": "age", "action": "archive", "conditions": {"dayz": 3}}),
                "conditions.dayz",
            ),
            (
                json!({"name": "x", "rule_type": "age", "action": "archive", "conditions": {"days": "3"}}),
                "conditions.days",
            ),
            (
                json!({"name": "x", "rule_type": "max_items", "action": "archive", "conditions": {"max_items": 0}}),
                "conditions.max_items",
            ),
            (
                json!({"name": "x", "rule_type": "custom", "action": "archive", "conditions": {"filters": {"role": "robot"}}}),
                "conditions.filters.role",
            ),
            (
                json!({"name": "x", "rule_type": "sometimes", "action": "archive"}),
                "rule_type",
            ),
            (
                json!({"name": "x", "rule_type": "age", "action": "shred"}),
                "action",
            ),
            (
                json!({"name": "", "rule_type": "age", "action": "archive"}),
                "name",
            ),
            (
                json!({"name": "x", "rule_type": "age", "action": "archive", "priority": 0}),
                "priority",
            ),
        ] {
            let r = app
                .call(Method::POST, "/v1/retention/rules", t, Some(body.clone()))
                .await;
            assert_eq!(invalid_field(r, &body).await, field, "{backend:?}: {body}");
        }
        let id = rule(
            &app,
            t,
            json!({"name": "old", "rule_type": "age", "action": "archive",
                                      "conditions": {"days": 30}}),
        )
        .await;
        let path = format!("/v1/retention/rules/{id}");
        let change = json!({"conditions": {"days": 60}, "enabled": false, "priority": 5});
        let (status, changed) = send(&app, Method::PUT, &path, t, Some(change)).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(
            (
                &changed["conditions"],
                &changed["enabled"],
                &changed["priority"]
            ),
            (&json!({"days": 60}), &json!(false), &json!(5))
        );
        let wrong = json!({"conditions": {"max_items": 3}});
        assert_eq!(
            send(&app, Method::PUT, &path, t, Some(wrong)).await.0,
            422,
            "checked against its type"
        );
        let (_, enabled) = send(
            &app,
            Method::GET,
            "/v1/retention/rules?enabled_only=true",
            t,
            None,
        )
        .await;
        assert_eq!(enabled, json!([]));

        let bob = app.register_and_login("bob", Some("bobs")).await;
        let b = bob.access_token.as_str();
        assert_eq!(send(&app, Method::GET, &path, b, None).await.0, 404);
        assert_eq!(
            send(&app, Method::PUT, &path, b, Some(json!({"enabled": true})))
                .await
                .0,
            404
        );
        assert_eq!(send(&app, Method::DELETE, &path, b, None).await.0, 404);
        assert_eq!(
            send(
                &app,
                Method::GET,
                "/v1/retention/rules?tenant_id=acme",
                b,
                None
            )
            .await
            .0,
            403
        );
        assert_eq!(
            send(&app, Method::GET, "/v1/retention/rules/not-a-uuid", t, None)
                .await
                .0,
            404
        );

        assert_eq!(send(&app, Method::DELETE, &path, t, None).await.0, 204);
        assert_eq!(send(&app, Method::GET, &path, t, None).await.0, 404);
        let audit = app.get_json("/v1/audit?tenant_id=acme", t).await;
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            &actions[..3],
            [
                "retention.rule_deleted",
                "retention.rule_updated",
                "retention.rule_created"
            ]
        );
    }
}

#[tokio::test]
async fn admins_change_and_run_members_and_read_keys_dry_run_write_keys_execute() {
    for backend in BACKENDS {
        let app = spawn_app_with(
            backend,
            Options {
                vars: vec![("MEMORY_ADMIN_EMAILS".into(), "root@example.com".into())],
                ..Default::default()
            },
        )
        .await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let carol = app.register_and_login("carol", None).await;
        let root = app.register_and_login("root", None).await;
        let t = alice.access_token.as_str();
        let add = json!({"user": "carol", "role": "member"});
        assert_eq!(
            send(&app, Method::POST, "/v1/tenants/acme/members", t, Some(add))
                .await
                .0,
            201
        );
        let read_key = key(&app, t, "read").await;
        let write_key = key(&app, t, "write").await;
        let member = carol.access_token.as_str();
        let c = "?tenant_id=acme";
        let age = json!({"name": "old", "rule_type": "age", "action": "archive"});
        let status = |method: Method, path: String, who: String, body: Option<Value>| {
            let app = &app;
            async move { send(app, method, &path, &who, body).await.0 }
        };
        for who in [member.to_owned(), read_key.clone(), write_key.clone()] {
            let policy = Some(json!({"enabled": true}));
            assert_eq!(
                status(
                    Method::PUT,
                    format!("/v1/retention/policy{c}"),
                    who.clone(),
                    policy
                )
                .await,
                403
            );
            assert_eq!(
                status(
                    Method::POST,
                    format!("/v1/retention/rules{c}"),
                    who.clone(),
                    Some(age.clone())
                )
                .await,
                403
            );
            assert_eq!(
                status(
                    Method::GET,
                    format!("/v1/retention/policy{c}"),
                    who.clone(),
                    None
                )
                .await,
                200
            );
            assert_eq!(
                status(
                    Method::GET,
                    format!("/v1/retention/rules{c}"),
                    who.clone(),
                    None
                )
                .await,
                200
            );
            assert_eq!(
                status(
                    Method::GET,
                    format!("/v1/retention/runs{c}"),
                    who.clone(),
                    None
                )
                .await,
                200
            );
            let dry = format!("/v1/retention/execute{c}&dry_run=true");
            assert_eq!(status(Method::POST, dry, who.clone(), None).await, 200);
            let admin = Some(json!({"tenant_id": "acme"}));
            assert_eq!(
                status(
                    Method::POST,
                    "/v1/admin/retention/run".into(),
                    who.clone(),
                    admin
                )
                .await,
                403
            );
        }
        let real = format!("/v1/retention/execute{c}");
        assert_eq!(
            status(Method::POST, real.clone(), member.to_owned(), None).await,
            403
        );
        assert_eq!(
            status(Method::POST, real.clone(), read_key.clone(), None).await,
            403
        );
        assert_eq!(
            status(Method::POST, real.clone(), write_key.clone(), None).await,
            200
        );
        assert_eq!(status(Method::POST, real, t.to_owned(), None).await, 200);

        // The admin route runs the policy as set, enabled or not: an administrator asked.
        let old = old_message(&app, t, "c", "very old", Duration::days(400), json!({})).await;
        let (code, runs) = send(
            &app,
            Method::POST,
            "/v1/admin/retention/run",
            t,
            Some(json!({"dry_run": true})),
        )
        .await;
        assert_eq!(code, 200, "{runs}");
        let runs = runs["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1, "alice administers acme alone");
        assert_eq!(
            (&runs[0]["tenant_id"], &runs[0]["trigger"]),
            (&json!("acme"), &json!("admin"))
        );
        assert_eq!(sampled(&runs[0], "archive"), vec![old.clone()]);
        let r = root.access_token.as_str();
        let (code, runs) = send(
            &app,
            Method::POST,
            "/v1/admin/retention/run",
            r,
            Some(json!({"tenant_id": "acme"})),
        )
        .await;
        assert_eq!(
            code, 200,
            "an instance administrator runs any tenant: {runs}"
        );
        assert_eq!(sampled(&runs["runs"][0], "archive"), vec![old.clone()]);
        let none = json!({"tenant_id": "nobody-here"});
        assert_eq!(
            send(&app, Method::POST, "/v1/admin/retention/run", r, Some(none))
                .await
                .0,
            404
        );
        assert_eq!(
            send(
                &app,
                Method::POST,
                "/v1/admin/retention/run",
                member,
                Some(json!({"tenant_id": "acme"}))
            )
            .await
            .0,
            403
        );
        let (_, archived) = send(&app, Method::GET, &format!("/v1/messages/{old}"), t, None).await;
        assert_eq!(archived["archived"], true, "{backend:?}");
    }
}

#[tokio::test]
async fn one_message_is_archived_moved_to_cold_and_restored_by_hand() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let t = alice.access_token.as_str();
        let id = store(&app, t, "c", "user", "a note about gardening").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let archive = format!("/v1/messages/{id}/archive");
        let restore = format!("/v1/messages/{id}/restore");
        let (status, m) = send(&app, Method::POST, &archive, t, None).await;
        assert_eq!(status, 200, "{m}");
        assert_eq!(
            (&m["archived"], &m["archive_reason"], &m["cold_storage"]),
            (&json!(true), &json!("manual"), &json!(false))
        );
        assert!(found(&app, t, "gardening").await.is_empty(), "{backend:?}");
        let (_, m) = send(&app, Method::POST, &restore, t, None).await;
        assert_eq!(
            (&m["archived"], &m["archived_at"]),
            (&json!(false), &Value::Null)
        );
        assert_eq!(
            m["embedding_status"], "completed",
            "an archived message keeps its vector"
        );
        assert_eq!(found(&app, t, "gardening").await.len(), 1);

        let cold = json!({"cold_storage": true, "reason": "tidy"});
        let (_, m) = send(&app, Method::POST, &archive, t, Some(cold)).await;
        assert_eq!(
            (&m["cold_storage"], &m["archive_reason"]),
            (&json!(true), &json!("tidy"))
        );
        let (_, m) = send(&app, Method::POST, &restore, t, None).await;
        assert_eq!(
            (&m["cold_storage"], &m["embedding_status"]),
            (&json!(false), &json!("pending"))
        );
        embedded(&app, t, &id).await;

        let bob = app.register_and_login("bob", Some("bobs")).await;
        assert_eq!(
            send(&app, Method::POST, &archive, &bob.access_token, None)
                .await
                .0,
            404
        );
        let long = json!({"reason": "x".repeat(256)});
        assert_eq!(
            send(&app, Method::POST, &archive, t, Some(long)).await.0,
            422
        );
        let (status, m) = send(
            &app,
            Method::PUT,
            &format!("/v1/messages/{id}"),
            t,
            Some(json!({"archived": true})),
        )
        .await;
        assert_eq!(
            (status, &m["archive_reason"]),
            (200, &json!("manual")),
            "{m}"
        );
    }
}
