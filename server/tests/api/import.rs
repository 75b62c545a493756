//! `memory-mesh import`: an export read back — from the embedded default into PostgreSQL, the
//! documented way up — with the same records, counts and search answers; a second import
//! stores nothing twice; messages without a usable vector (none, another model's, the wrong
//! width) are embedded again; a file that is damaged or cut short is refused with the line
//! that is wrong.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// An export's body.
async fn export_text(app: &TestApp, token: &str, query: &str) -> String {
    let r = app
        .call(Method::GET, &format!("/v1/export?{query}"), token, None)
        .await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// The records of an export, but for the header (its time and the server it came from).
async fn export(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    (export_text(app, token, query).await.lines().skip(1))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Asserts two exports hold the same records, naming the first that differs (its vector, long
/// and rarely the difference, shown by its length and whether it matches).
fn assert_same(there: &[Value], here: &[Value], what: &str) {
    let brief = |record: &Value, other: &Value| {
        let mut record = record.clone();
        if let Some(v) = record.get_mut("embedding") {
            let same = Some(&*v) == other.get("embedding");
            *v = json!(format!(
                "{} numbers, same: {same}",
                v.as_array().map_or(0, Vec::len)
            ));
        }
        record
    };
    for (a, b) in there.iter().zip(here) {
        assert!(
            a == b,
            "{what}: {} differs\n{}\n{}",
            a["kind"],
            brief(a, b),
            brief(b, a)
        );
    }
    assert_eq!(there.len(), here.len(), "{what}: as many records");
}

fn write(dir: &TempDir, name: &str, records: &[Value]) -> String {
    let path = dir.path.join(name);
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Runs `import file --admin keeper` on `app`'s database; its status and stderr.
fn import(app: &TestApp, file: &str) -> (bool, String) {
    let out = app.cli(["import", file, "--admin", "keeper"]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The ids a search answers, best first, with their scores.
async fn search(app: &TestApp, token: &str, tenant: &str, query: &str) -> Vec<(String, f64)> {
    let body = json!({"query": query, "tenant_id": tenant, "top_k": 10});
    (search_hits(app, token, body).await.iter())
        .map(|i| {
            let id = i["message_id"].as_str().unwrap().to_owned();
            (id, i["score"].as_f64().unwrap())
        })
        .collect()
}

/// A tenant on the embedded default with every kind of record: two conversations, a message
/// with metadata and importance set by hand, an archived one, one in cold storage, a policy
/// of its own and the rule that moved the cold one.
async fn source() -> (TestApp, TestUser) {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.register_and_login("alice", None).await;
    let t = alice.access_token.as_str();
    store(
        &app,
        t,
        "trip",
        "user",
        "Book the train to Porto for the conference",
    )
    .await;
    let r = post_message(
        &app,
        t,
        json!({"conversation_id": "trip", "role": "assistant", "content": "Booked the Porto train for Friday",
               "metadata": {"topic": "travel"}, "importance_override": 0.9}),
    )
    .await;
    assert!(r.status().is_success());
    store(
        &app,
        t,
        "garden",
        "user",
        "Tulips bloom in April in the garden",
    )
    .await;
    let shed = store(&app, t, "garden", "user", "The garden shed needs paint").await;
    archive(&app, t, shed["id"].as_str().unwrap()).await;
    let r = post_message(
        &app,
        t,
        json!({"conversation_id": "garden", "role": "user", "content": "Old seed catalogue notes",
               "metadata": {"topic": "cold"}}),
    )
    .await;
    assert!(r.status().is_success());
    for (method, path, body) in [
        (
            Method::POST,
            "/v1/retention/rules",
            json!({"name": "cold", "rule_type": "custom", "action": "move_to_cold_storage",
                   "conditions": {"filters": {"metadata": {"topic": "cold"}}}}),
        ),
        (Method::POST, "/v1/retention/execute", Value::Null),
        (
            Method::PUT,
            "/v1/retention/policy",
            json!({"max_age_days": 400}),
        ),
    ] {
        let body = (!body.is_null()).then_some(body);
        let r = app.call(method, path, t, body).await;
        assert!(
            r.status().is_success(),
            "{path}: {}",
            r.text().await.unwrap()
        );
    }
    (app, alice)
}

#[tokio::test]
async fn an_export_of_the_embedded_default_imports_into_postgres_as_it_was() {
    let (src, alice) = source().await;
    let t = alice.access_token.as_str();
    let tenant = alice.tenant_id.as_str();
    let with_vectors = export(&src, t, "vectors=true").await;
    let messages: Vec<&Value> = (with_vectors.iter())
        .filter(|r| r["kind"] == "message")
        .collect();
    assert_eq!(messages.len(), 5);
    let cold: Vec<&&Value> = messages
        .iter()
        .filter(|m| m["cold_storage"] == true)
        .collect();
    assert_eq!(cold.len(), 1, "the rule moved one message to cold storage");
    assert!(
        cold[0].get("embedding").is_none(),
        "cold messages have no vector"
    );
    assert_eq!(
        (messages.iter())
            .filter(|m| m["embedding"].as_array().is_some_and(|v| !v.is_empty()))
            .count(),
        4
    );
    let dir = TempDir::new();
    let file = dir.path.join("alice.jsonl");
    let text = src
        .call(Method::GET, "/v1/export?vectors=true", t, None)
        .await;
    std::fs::write(&file, text.text().await.unwrap()).unwrap();
    let file = file.to_str().unwrap();

    let dst = spawn_app(Backend::Postgres).await;
    // A tenant new here needs an administrator; nothing is written without one.
    let out = dst.cli(["import", file]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("admin must be named"));
    // The user who administers it here has a tenant of their own.
    let keeper = dst.register_and_login("keeper", None).await;
    let (ok, said) = import(&dst, file);
    assert!(ok, "{said}");
    assert!(
        said.contains(&format!(
            "imported tenant {tenant} (created): 2 of 2 conversations, 5 of 5 messages, \
             1 of 1 retention rules were new here"
        )),
        "{said}"
    );
    let t2 = keeper.access_token.as_str();
    let query = format!("vectors=true&tenant_id={tenant}");
    assert_same(
        &export(&dst, t2, &query).await,
        &with_vectors,
        "every record as it was: ids, times, counts, archive state, vectors, policy and rule",
    );
    for q in ["Porto train", "garden tulips", "paint"] {
        let (here, there) = (
            search(&src, t, tenant, q).await,
            search(&dst, t2, tenant, q).await,
        );
        let ids = |r: &[(String, f64)]| r.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
        assert!(!here.is_empty(), "{q}");
        assert_eq!(
            ids(&here),
            ids(&there),
            "{q}: the same answers in the same order"
        );
        for ((_, a), (_, b)) in here.iter().zip(&there) {
            assert!((a - b).abs() < 1e-4, "{q}: scores {a} and {b}");
        }
    }

    // Twice: nothing new, nothing changed.
    let (ok, said) = import(&dst, file);
    assert!(ok, "{said}");
    assert!(
        said.contains("0 of 2 conversations, 0 of 5 messages, 0 of 1 retention rules"),
        "{said}"
    );
    assert_same(
        &export(&dst, t2, &query).await,
        &with_vectors,
        "imported twice",
    );
}

#[tokio::test]
async fn messages_without_a_usable_vector_are_embedded_again_on_import() {
    let (src, alice) = source().await;
    let t = alice.access_token.as_str();
    let with_vectors = export_text(&src, t, "vectors=true").await;
    let mut records: Vec<Value> = (with_vectors.lines())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // One message exported without its vector, one with another model's, one with a vector
    // of the wrong width: none of those may be stored as it came.
    let live: Vec<usize> = (0..records.len())
        .filter(|&i| records[i]["kind"] == "message" && records[i]["cold_storage"] == false)
        .collect();
    assert_eq!(live.len(), 4);
    records[live[0]]
        .as_object_mut()
        .unwrap()
        .remove("embedding");
    records[live[1]]["embedding_model"] = json!("another-model");
    records[live[1]]["embedding"] = json!(vec![0.5; 384]);
    records[live[2]]["embedding"] = json!([0.6, 0.8]);
    let dir = TempDir::new();
    let file = write(&dir, "mixed.jsonl", &records);
    // No job workers: the command itself embeds what it queued.
    let dst = spawn_app_with(Backend::Postgres, Options::no_workers()).await;
    let keeper = dst.register_and_login("keeper", None).await;
    let (ok, said) = import(&dst, &file);
    assert!(ok, "{said}");
    assert!(!said.contains("wait for their embedding"), "{said}");
    let query = format!("vectors=true&tenant_id={}", alice.tenant_id);
    let there = export(&dst, &keeper.access_token, &query).await;
    assert_same(
        &there,
        &export(&src, t, "vectors=true").await,
        "every vector as this server's model computes it (cold storage stays without)",
    );
}

#[tokio::test]
async fn a_damaged_or_truncated_file_is_refused_naming_the_line() {
    let (src, alice) = source().await;
    let t = alice.access_token.as_str();
    let text = export_text(&src, t, "").await;
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let dst = spawn_app(Backend::Sqlite).await;
    dst.register_and_login("keeper", None).await;
    let dir = TempDir::new();

    let mut damaged = records.clone();
    let line = damaged.iter().position(|r| r["kind"] == "message").unwrap();
    damaged[line]["content"] = json!("   ");
    let (ok, said) = import(&dst, &write(&dir, "damaged.jsonl", &damaged));
    assert!(!ok);
    assert!(
        said.contains(&format!("line {}: content must not be empty", line + 1)),
        "{said}"
    );

    let mut foreign = records.clone();
    foreign[line]["tenant_id"] = json!("someone-else");
    let (ok, said) = import(&dst, &write(&dir, "foreign.jsonl", &foreign));
    assert!(!ok);
    assert!(said.contains("tenant_id must be the header's"), "{said}");

    // Cut short: what was read is kept, and the whole file completes it.
    let cut = &records[..records.len() - 1];
    let (ok, said) = import(&dst, &write(&dir, "cut.jsonl", cut));
    assert!(!ok);
    assert!(said.contains("cut short"), "{said}");
    let (ok, said) = import(&dst, &write(&dir, "whole.jsonl", &records));
    assert!(ok, "{said}");
    assert!(said.contains("0 of 5 messages"), "{said}");
}
