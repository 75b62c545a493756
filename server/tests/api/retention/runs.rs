//! Every rule type and action, dry-run parity, the run records, repeat safety and restore.

use reqwest::Method;
use serde_json::{json, Value};

use super::*;

#[tokio::test]
async fn every_rule_type_and_action_runs_as_its_dry_run_said_and_can_be_restored() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let bob = app.register_and_login("bob", Some("bobs")).await;
        let t = alice.access_token.as_str();
        let day = Duration::days(1);
        let mut dormant = Vec::new();
        for i in 0..3 {
            let text = format!("dormant chat {i} about sailing");
            dormant.push(old_message(&app, t, "dormant", &text, day * 100, json!({})).await);
        }
        let low = old_message(
            &app,
            t,
            "main",
            "low note on tulips",
            day * 40,
            json!({"importance_override": 0.1}),
        )
        .await;
        let keep = old_message(
            &app,
            t,
            "main",
            "quarterly budget plan",
            day * 40,
            json!({"importance_override": 0.9, "metadata": {"topic": "keep"}}),
        )
        .await;
        let purge = old_message(
            &app,
            t,
            "main",
            "secret purge me",
            day * 2,
            json!({"role": "system", "metadata": {"topic": "purge"}}),
        )
        .await;
        let mut recent = Vec::new();
        for i in 0..4 {
            let text = format!("recent message {i} about tulips");
            let age = Duration::minutes(50 - i * 10);
            recent.push(old_message(&app, t, "main", &text, age, json!({})).await);
        }
        assert!(found(&app, t, "tulips")
            .await
            .contains(&"low note on tulips".to_owned()));

        let rules = [
            json!({"name": "purge", "rule_type": "custom", "action": "delete", "priority": 10,
                   "conditions": {"filters": {"metadata": {"topic": "purge"}}}}),
            json!({"name": "dormant", "rule_type": "conversation_age", "priority": 20,
                   "action": "move_to_cold_storage", "conditions": {"days": 90}}),
            json!({"name": "unimportant", "rule_type": "importance", "action": "archive",
                   "priority": 30,
                   "conditions": {"importance_threshold": 0.2, "min_age_days": 30}}),
            json!({"name": "old", "rule_type": "age", "action": "archive", "priority": 40,
                   "conditions": {"days": 35}}),
            json!({"name": "cap", "rule_type": "max_items", "action": "archive", "priority": 50,
                   "conditions": {"max_items": 2}}),
        ];
        let mut rule_ids = Vec::new();
        // Created out of order: runs go by priority.
        for r in rules.iter().rev() {
            rule_ids.push(rule(&app, t, r.clone()).await);
        }

        let execute = |dry: bool| {
            let app = &app;
            async move {
                let path = format!("/v1/retention/execute?dry_run={dry}");
                let (status, run) = send(app, Method::POST, &path, t, None).await;
                assert_eq!(status, 200, "{run}");
                run
            }
        };
        let dry = execute(true).await;
        let expected_archive = sorted(vec![
            low.clone(),
            keep.clone(),
            recent[0].clone(),
            recent[1].clone(),
        ]);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(
            (
                &dry["messages_archived"],
                &dry["messages_moved_to_cold"],
                &dry["messages_deleted"]
            ),
            (&json!(4), &json!(3), &json!(1)),
            "{backend:?}: {dry}"
        );
        assert_eq!(sampled(&dry, "archive"), expected_archive, "{backend:?}");
        assert_eq!(sampled(&dry, "cold"), sorted(dormant.clone()));
        assert_eq!(sampled(&dry, "delete"), vec![purge.clone()]);
        assert_eq!(
            dry["rules_applied"],
            json!(["purge", "dormant", "unimportant", "old", "cap"])
        );
        let (status, untouched) =
            send(&app, Method::GET, &format!("/v1/messages/{purge}"), t, None).await;
        assert_eq!(
            (status, &untouched["archived"]),
            (200, &json!(false)),
            "a dry run changes nothing"
        );

        let real = execute(false).await;
        assert_eq!(real["dry_run"], false);
        for field in [
            "messages_archived",
            "messages_moved_to_cold",
            "messages_deleted",
            "sample_ids",
            "rules_applied",
        ] {
            assert_eq!(
                real[field], dry[field],
                "{backend:?}: {field} differs from the dry run"
            );
        }

        let get = |id: String| {
            let app = &app;
            async move { send(app, Method::GET, &format!("/v1/messages/{id}"), t, None).await }
        };
        assert_eq!(get(purge.clone()).await.0, 404);
        let (_, archived) = get(low.clone()).await;
        assert_eq!(
            (&archived["archived"], &archived["cold_storage"]),
            (&json!(true), &json!(false))
        );
        assert_eq!(archived["archive_reason"], "unimportant");
        assert!(archived["archived_at"].is_string(), "{archived}");
        let (_, cold) = get(dormant[0].clone()).await;
        assert_eq!(
            (&cold["archived"], &cold["cold_storage"]),
            (&json!(true), &json!(true))
        );
        assert_eq!(cold["archive_reason"], "dormant");
        assert_eq!(
            cold["embedding_status"], "pending",
            "a cold message has no vector"
        );
        let (_, live) = get(recent[3].clone()).await;
        assert_eq!(live["archived"], false);
        let texts = found(&app, t, "tulips").await;
        assert!(
            !texts.contains(&"low note on tulips".to_owned()),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"recent message 3 about tulips".to_owned()),
            "{texts:?}"
        );
        assert!(
            found(&app, t, "sailing").await.is_empty(),
            "cold messages are out of search"
        );
        let (_, conversation) = send(&app, Method::GET, "/v1/conversations/main", t, None).await;
        // Six left after the delete: two active, four archived.
        assert_eq!(
            (
                &conversation["message_count"],
                &conversation["archived_count"]
            ),
            (&json!(2), &json!(4)),
            "{conversation}"
        );

        // The deleted message's earlier events keep no content; the run has its event.
        let data = column(
            &app,
            "SELECT data FROM events WHERE message_id = $1",
            vec![purge.clone().into()],
        )
        .await;
        assert!(!data.is_empty());
        assert!(data.iter().all(|d| !d.contains("secret purge")), "{data:?}");
        let applied = column(
            &app,
            "SELECT data FROM events WHERE name = 'retention.applied'",
            vec![],
        )
        .await;
        assert_eq!(applied.len(), 1, "{applied:?}");
        assert!(applied[0].contains(real["run_id"].as_str().unwrap()));

        let again = execute(false).await;
        for field in [
            "messages_archived",
            "messages_moved_to_cold",
            "messages_deleted",
        ] {
            assert_eq!(
                again[field], 0,
                "{backend:?}: a repeated run finds nothing: {again}"
            );
        }

        let (_, page) = send(&app, Method::GET, "/v1/retention/runs", t, None).await;
        let listed: Vec<&Value> = page["runs"].as_array().unwrap().iter().collect();
        let ids: Vec<&Value> = listed.iter().map(|r| &r["run_id"]).collect();
        assert_eq!(
            ids,
            [&again["run_id"], &real["run_id"], &dry["run_id"]],
            "newest first"
        );
        assert_eq!(listed[1]["trigger"], "manual");
        assert_eq!(listed[1]["actor"], format!("user:{}", alice.id));
        assert!(listed[1]["finished_at"].is_string());
        let run_path = format!("/v1/retention/runs/{}", real["run_id"].as_str().unwrap());
        let (status, one) = send(&app, Method::GET, &run_path, t, None).await;
        assert_eq!((status, &one), (200, listed[1]));
        assert_eq!(
            send(&app, Method::GET, &run_path, &bob.access_token, None)
                .await
                .0,
            404
        );
        let (_, stored_rules) = send(&app, Method::GET, "/v1/retention/rules", t, None).await;
        let stored_rules = stored_rules.as_array().unwrap();
        assert_eq!(stored_rules.len(), 5);
        assert!(
            stored_rules
                .iter()
                .all(|r| r["last_applied_at"].is_string()),
            "{stored_rules:?}"
        );
        let foreign = format!("/v1/retention/rules/{}", rule_ids[0]);
        assert_eq!(
            send(&app, Method::GET, &foreign, &bob.access_token, None)
                .await
                .0,
            404
        );

        let dry_restore = format!(
            "/v1/retention/runs/{}/restore",
            dry["run_id"].as_str().unwrap()
        );
        assert_eq!(send(&app, Method::POST, &dry_restore, t, None).await.0, 400);
        let (status, restored) =
            send(&app, Method::POST, &format!("{run_path}/restore"), t, None).await;
        assert_eq!(
            (status, &restored["messages_restored"]),
            (200, &json!(7)),
            "{restored}"
        );
        let (_, back) = get(low.clone()).await;
        assert_eq!(
            (&back["archived"], &back["archive_reason"]),
            (&json!(false), &Value::Null)
        );
        let (_, warm) = get(dormant[0].clone()).await;
        assert_eq!(
            (&warm["archived"], &warm["cold_storage"]),
            (&json!(false), &json!(false))
        );
        for id in &dormant {
            embedded(&app, t, id).await;
        }
        assert!(found(&app, t, "tulips")
            .await
            .contains(&"low note on tulips".to_owned()));
        assert_eq!(found(&app, t, "sailing").await.len(), 3);
        let (_, run) = send(&app, Method::GET, &run_path, t, None).await;
        assert_eq!(run["messages_restored"], 7);
        assert!(run["restored_at"].is_string());

        let audit = app.get_json("/v1/audit?tenant_id=acme", t).await;
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for action in [
            "retention.rule_created",
            "retention.executed",
            "retention.restored",
        ] {
            assert!(
                actions.contains(&action),
                "{backend:?}: {action} in {actions:?}"
            );
        }
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "retention.executed")
                .count(),
            2,
            "real runs only"
        );
    }
}

#[tokio::test]
async fn a_deleted_or_cold_message_leaves_the_job_queue() {
    for backend in BACKENDS {
        let app = spawn_app_with(backend, Options::no_workers()).await;
        let alice = app.register_and_login("alice", Some("acme")).await;
        let t = alice.access_token.as_str();
        let queued = |topic: &'static str| {
            let app = &app;
            async move {
                let body = json!({"conversation_id": "c", "role": "user", "content": topic,
                                  "metadata": {"topic": topic}});
                let r = app
                    .call(Method::POST, "/v1/messages?async=true", t, Some(body))
                    .await;
                assert_eq!(r.status(), 202);
                r.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let gone = queued("gone").await;
        let cold = queued("cold").await;
        let stays = queued("stays").await;
        let jobs = || column(&app, "SELECT tenant_id FROM embedding_jobs", vec![]);
        assert_eq!(jobs().await.len(), 3);
        for (topic, action) in [("gone", "delete"), ("cold", "move_to_cold_storage")] {
            rule(
                &app,
                t,
                json!({"name": topic, "rule_type": "custom", "action": action,
                                 "conditions": {"filters": {"metadata": {"topic": topic}}}}),
            )
            .await;
        }
        let (status, run) = send(&app, Method::POST, "/v1/retention/execute", t, None).await;
        assert_eq!(status, 200, "{run}");
        assert_eq!(sampled(&run, "delete"), vec![gone]);
        assert_eq!(sampled(&run, "cold"), vec![cold.clone()]);
        assert_eq!(
            jobs().await.len(),
            1,
            "{backend:?}: only the live message's job is left"
        );
        let (_, left) = send(&app, Method::GET, &format!("/v1/messages/{stays}"), t, None).await;
        assert_eq!(left["embedding_status"], "pending");
        let (status, _) = send(
            &app,
            Method::POST,
            &format!("/v1/messages/{cold}/restore"),
            t,
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            jobs().await.len(),
            2,
            "restoring a cold message queues its embedding"
        );
    }
}
