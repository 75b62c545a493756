//! Tenants: the seed README's quick start (register, create a tenant, store into it), listing,
//! renaming, and who may do what.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn a_new_user_creates_a_tenant_and_stores_into_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let token = alice.access_token.as_str();
    let store_into = |tenant: &str| {
        json!({"tenant_id": tenant, "conversation_id": "c1",
        "role": "user", "content": "I prefer tea in the morning"})
    };

    let r = post_message(&app, token, store_into("my-app")).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let listed = app.get_json("/v1/tenants", token).await;
    let rows: Vec<(&str, &str, i64)> = listed["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap(),
                t["role"].as_str().unwrap(),
                t["messages"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [("alice", "admin", 0), ("my-app", "admin", 1)]);

    let renamed = app
        .call(
            Method::PUT,
            "/v1/tenants/my-app",
            token,
            Some(json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    let one = app.get_json("/v1/tenants/my-app", token).await;
    assert_eq!(one["name"], "Renamed");
    assert_eq!(one["conversations"], 1);
    assert_eq!(one["members"], 1);
}

#[tokio::test]
async fn tenant_ids_are_unique_and_only_admins_change_a_tenant() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", Some("acme")).await;
    let bob = app.register_and_login("bob", None).await;
    let create = |id: &str| Some(json!({"id": id}));

    let taken = app
        .call(
            Method::POST,
            "/v1/tenants",
            &bob.access_token,
            create("acme"),
        )
        .await;
    assert_eq!(taken.status(), 409);
    let bad = app
        .call(
            Method::POST,
            "/v1/tenants",
            &bob.access_token,
            create("no spaces"),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["field"], "id");
    let unnamed = app
        .call(
            Method::PUT,
            "/v1/tenants/bob",
            &bob.access_token,
            Some(json!({"name": "  "})),
        )
        .await;
    assert_eq!(unnamed.status(), 422);

    // A foreign tenant and a missing one answer alike.
    for id in ["acme", "nowhere"] {
        for method in [Method::GET, Method::DELETE] {
            let r = app
                .call(
                    method.clone(),
                    &format!("/v1/tenants/{id}"),
                    &bob.access_token,
                    None,
                )
                .await;
            assert_eq!(r.status(), 403, "{method} {id}");
        }
    }

    // A member reads the tenant but neither renames nor deletes it; a key cannot create one.
    let r = app
        .call(
            Method::POST,
            "/v1/tenants/acme/members",
            &alice.access_token,
            Some(json!({"user": "bob", "role": "member"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let bob_token = app.login("bob").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get_json("/v1/tenants/acme", &bob_token).await["role"],
        "member"
    );
    for (method, body) in [
        (Method::PUT, Some(json!({"name": "mine"}))),
        (Method::DELETE, None),
    ] {
        let r = app.call(method, "/v1/tenants/acme", &bob_token, body).await;
        assert_eq!(r.status(), 403);
    }
    let key: Value = app
        .call(
            Method::POST,
            "/v1/auth/api-keys",
            &alice.access_token,
            Some(json!({"name": "app", "scope": "write", "tenant_id": "acme"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap();
    let r = app
        .call(Method::POST, "/v1/tenants", key, create("other"))
        .await;
    assert_eq!(r.status(), 403);
    let by_key = app.get_json("/v1/tenants", key).await;
    assert_eq!(by_key["tenants"].as_array().unwrap().len(), 1);
    assert_eq!(by_key["tenants"][0]["id"], "acme");
}

/// How many rows of tenant `id` each table with a `tenant_id` column holds (tables found from
/// the schema, not from the server's own list), and the `tenants` row itself.
async fn rows_of(app: &TestApp, id: &str) -> Vec<(String, i64)> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = &app.state.services.db;
    let backend = db.get_database_backend();
    let tables_sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND column_name = 'tenant_id'"
        }
        _ => {
            "SELECT m.name AS name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.name = 'tenant_id'"
        }
    };
    let tables = db
        .query_all_raw(Statement::from_string(backend, tables_sql))
        .await
        .unwrap();
    let mut counts = Vec::new();
    let mut names: Vec<String> = tables
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for (table, column) in names
        .iter()
        .map(|t| (t.as_str(), "tenant_id"))
        .chain([("tenants", "id")])
    {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = $1"),
                [id.into()],
            ))
            .await
            .unwrap()
            .unwrap();
        counts.push((table.to_owned(), row.try_get::<i64>("", "n").unwrap()));
    }
    counts
}

#[tokio::test]
async fn deleting_a_tenant_leaves_nothing_of_it_behind() {
    for backend in BACKENDS {
        let app = spawn_app_with(backend, Options::no_workers()).await;
        let alice = app.register_and_login("alice", None).await;
        let bob = app.register_and_login("bob", None).await;
        let t = alice.access_token.as_str();
        let r = app
            .call(
                Method::POST,
                "/v1/tenants",
                t,
                Some(json!({"id": "doomed"})),
            )
            .await;
        assert_eq!(r.status(), 201);
        // Messages embedded inline and queued, a conversation, a key, a member, events.
        let stored = post_message(
            &app,
            t,
            json!({"tenant_id": "doomed", "conversation_id": "c1", "role": "user",
                   "content": "the doomed tenant's secret recipe"}),
        )
        .await;
        assert_eq!(stored.status(), 201);
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch?async=true",
                t,
                Some(json!({"messages": [
                    {"tenant_id": "doomed", "conversation_id": "c2", "role": "user",
                     "content": "queued for embedding"},
                ]})),
            )
            .await;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
        let r = app
            .call(
                Method::POST,
                "/v1/auth/api-keys",
                t,
                Some(json!({"name": "ci", "tenant_id": "doomed"})),
            )
            .await;
        assert_eq!(r.status(), 201);
        let key: Value = r.json().await.unwrap();
        let key = key["key"].as_str().unwrap().to_owned();
        let r = app
            .call(
                Method::POST,
                "/v1/tenants/doomed/members",
                t,
                Some(json!({"user": "bob", "role": "member"})),
            )
            .await;
        assert_eq!(r.status(), 201);
        // Alice's own tenant, which must be untouched.
        let kept = post_message(
            &app,
            t,
            json!({"tenant_id": alice.tenant_id, "conversation_id": "kept", "role": "user",
                   "content": "alice keeps this recipe"}),
        )
        .await;
        assert_eq!(kept.status(), 201);
        let found = |token: String, tenant: String| {
            let app = &app;
            async move {
                let r = app
                    .call(
                        Method::POST,
                        "/v1/memory/search",
                        &token,
                        Some(json!({"tenant_id": tenant, "query": "recipe", "mode": "lexical"})),
                    )
                    .await;
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let (status, before) = found(alice.access_token.clone(), "doomed".into()).await;
        assert_eq!((status, before["total"].as_u64()), (200, Some(1)));
        let before_rows = rows_of(&app, "doomed").await;
        for table in [
            "messages",
            "conversations",
            "embedding_jobs",
            "events",
            "api_keys",
        ] {
            let n = before_rows
                .iter()
                .find(|(name, _)| name == table)
                .unwrap()
                .1;
            assert!(n > 0, "{backend:?}: the test wrote no {table} row");
        }
        let index = &app.state.services.index;
        if index.holds_vectors() {
            assert_eq!(index.len("doomed"), 1, "the embedded message's vector");
        }

        // Members may not delete it; its admin may.
        let path = "/v1/tenants/doomed";
        let r = app
            .call(Method::DELETE, path, &bob.access_token, None)
            .await;
        assert_eq!(r.status(), 403);
        let r = app.call(Method::DELETE, path, t, None).await;
        assert_eq!(r.status(), 204, "{backend:?}");

        let after = rows_of(&app, "doomed").await;
        assert!(
            after.iter().all(|(_, n)| *n == 0) && after.len() == before_rows.len(),
            "{backend:?}: rows left: {after:?}"
        );
        // The search index has caught up by the time anyone searches.
        let (status, _) = found(alice.access_token.clone(), "doomed".into()).await;
        assert_eq!(status, 403);
        let (_, mine) = found(alice.access_token.clone(), alice.tenant_id.clone()).await;
        assert_eq!(
            mine["total"], 1,
            "{backend:?}: alice's own tenant is untouched"
        );
        assert_eq!(app.state.services.index.len("doomed"), 0, "{backend:?}");
        // Its key no longer opens anything; the queue has nothing of it left to run.
        let r = app.call(Method::GET, "/v1/conversations", &key, None).await;
        assert_eq!(r.status(), 401);
        drain(&app).await;
        // The id is free again, and the new tenant starts empty.
        let r = app
            .call(
                Method::POST,
                "/v1/tenants",
                t,
                Some(json!({"id": "doomed"})),
            )
            .await;
        assert_eq!(r.status(), 201);
        let fresh: Value = r.json().await.unwrap();
        assert_eq!(
            (fresh["messages"].as_i64(), fresh["members"].as_i64()),
            (Some(0), Some(1))
        );
        let (_, empty) = found(alice.access_token.clone(), "doomed".into()).await;
        assert_eq!(empty["total"], 0, "{backend:?}");
    }
}

#[tokio::test]
async fn the_readme_quick_start_works_as_written() {
    let app = spawn_app(Backend::Sqlite).await;
    let readme = include_str!("../../../README.md");
    let section = readme.split("## Using it").nth(1).unwrap();
    let script = section.split("```bash\n").nth(1).unwrap();
    let script = script.split("```").next().unwrap();
    let default = "B=http://127.0.0.1:8000";
    assert!(script.starts_with(default), "{script}");
    let script = script.replacen(default, &format!("B={}", app.address), 1);
    // The commands block; the server runs on this test's runtime meanwhile.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each command prints one JSON document.
    let printed: Vec<Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap();
    let [user, stored, search, listing] = printed.as_slice() else {
        panic!("four documents expected: {stdout}");
    };
    assert_eq!(user["username"], "ada", "{user}");
    assert_eq!(stored["tenant_id"], "my-app", "{stored}");
    let hit = &search["items"][0];
    assert_eq!(
        hit["content"], "I need help with Python programming",
        "{search}"
    );
    assert!(hit["explain"].is_object(), "{hit}");
    assert_eq!(hit["message_id"], stored["id"]);
    assert_eq!(listing["messages"][0]["id"], stored["id"], "{listing}");
}

#[tokio::test]
async fn a_write_into_a_tenant_nobody_holds_creates_it_for_the_writer() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        let alice = app.register_and_login("alice", None).await;
        let bob = app.register_and_login("bob", Some("bobco")).await;
        let t = alice.access_token.as_str();
        let message = |tenant: &str| {
            json!({"tenant_id": tenant, "conversation_id": "c", "role": "user",
                   "content": "I prefer tea in the morning"})
        };
        let r = post_message(&app, t, message("my-app")).await;
        assert_eq!(r.status(), 201, "{backend:?}: {}", r.text().await.unwrap());
        let created = app.get_json("/v1/tenants/my-app", t).await;
        assert_eq!(
            (&created["role"], &created["messages"]),
            (&json!("admin"), &json!(1))
        );
        let r = app
            .call(
                Method::POST,
                "/v1/conversations",
                t,
                Some(json!({"tenant_id": "from-conversation", "conversation_id": "c1"})),
            )
            .await;
        assert_eq!(r.status(), 201, "{backend:?}: {}", r.text().await.unwrap());
        let r = app
            .call(
                Method::POST,
                "/v1/messages/batch",
                t,
                Some(json!({"messages": [message("from-batch"), message("my-app")]})),
            )
            .await;
        assert_eq!(r.status(), 201, "{backend:?}: {}", r.text().await.unwrap());
        let audit = app.get_json("/v1/audit?tenant_id=from-batch", t).await;
        let actions: Vec<&Value> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["action"])
            .collect();
        assert_eq!(actions, [&json!("tenant.created")], "{audit}");
        assert_eq!(audit["entries"][0]["details"]["via"], "write");

        // Someone else's tenant stays a 403, and nothing of it changes.
        let r = post_message(&app, t, message("bobco")).await;
        assert_eq!(r.status(), 403);
        let bobs = app.get_json("/v1/tenants/bobco", &bob.access_token).await;
        assert_eq!(bobs["members"], 1);
        // An API key is bound to its tenant: it never creates one.
        let r = app
            .call(
                Method::POST,
                "/v1/auth/api-keys",
                t,
                Some(json!({"name": "k", "tenant_id": "my-app", "scope": "write"})),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let key: Value = r.json().await.unwrap();
        let key = key["key"].as_str().unwrap();
        let r = post_message(&app, key, message("by-key")).await;
        assert_eq!(r.status(), 403);
        let r = post_message(&app, t, message("by-key")).await;
        assert_eq!(r.status(), 201, "the key's attempt created nothing");
    }
}

#[tokio::test]
async fn with_create_on_write_off_an_unknown_tenant_is_a_403_that_says_what_to_do() {
    let options = Options {
        vars: vec![("MEMORY_TENANT_CREATE_ON_WRITE".into(), "false".into())],
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, options).await;
    let alice = app.register_and_login("alice", None).await;
    let body = json!({"tenant_id": "my-app", "conversation_id": "c1", "role": "user",
                      "content": "I prefer tea in the morning"});
    let r = post_message(&app, &alice.access_token, body).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("POST /v1/tenants"), "{message}");
    let r = app
        .call(Method::GET, "/v1/tenants/my-app", &alice.access_token, None)
        .await;
    assert_eq!(r.status(), 403, "nothing was created");
}

/// The original README's quick start, its requests as written there (only the base URL and
/// the access token substituted): register, log in by email, store into `my-app` (which the
/// write creates), search it, check health.
#[tokio::test]
async fn the_original_readme_quick_start_works_as_written() {
    let app = spawn_app(Backend::Sqlite).await;
    let client = http_client();
    let post = |path: &str, body: &'static str| {
        client
            .post(app.url(path))
            .header("Content-Type", "application/json")
            .body(body)
    };
    let r = post(
        "/v1/auth/register",
        r#"{
    "email": "user@example.com",
    "username": "testuser",
    "password": "SecurePass123"
  }"#,
    )
    .send()
    .await
    .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let r = post(
        "/v1/auth/login",
        r#"{
    "email": "user@example.com",
    "password": "SecurePass123"
  }"#,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let login: Value = r.json().await.unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let r = post(
        "/v1/messages",
        r#"{
    "tenant_id": "my-app",
    "conversation_id": "user-123",
    "role": "user",
    "content": "I need help with Python programming"
  }"#,
    )
    .header("Authorization", format!("Bearer {token}"))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = client
        .get(app.url("/v1/memory/search?tenant_id=my-app&query=Python&top_k=5"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let found: Value = r.json().await.unwrap();
    assert_eq!(
        found["items"][0]["content"],
        "I need help with Python programming"
    );
    let r = client
        .get(app.url("/v1/admin/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
