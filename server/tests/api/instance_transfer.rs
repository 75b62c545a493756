//! `memory-mesh export --instance` and its import: a whole installation moved from the embedded
//! default to PostgreSQL — its users sign in with their passwords, its API keys still work,
//! its members still see their tenants, every tenant's data as it was — and a second import
//! stores nothing twice.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn ok(out: &std::process::Output) -> String {
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{said}");
    said
}

/// A tenant's export records, but for the header.
async fn tenant_records(app: &TestApp, token: &str, tenant: &str) -> Vec<Value> {
    let r = app
        .call(
            Method::GET,
            &format!("/v1/export?tenant_id={tenant}"),
            token,
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    (text.lines().skip(1))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn a_whole_instance_moves_to_postgres_with_its_accounts_and_keys() {
    let src = spawn_app(Backend::Sqlite).await;
    let alice = src.register_and_login("alice", None).await;
    let carol = src.register_and_login("carol", None).await;
    let t = alice.access_token.as_str();
    store(&src, t, "trip", "user", "Book the train to Porto").await;
    store(
        &src,
        &carol.access_token,
        "notes",
        "user",
        "Carol's own note",
    )
    .await;
    let r = src
        .call(
            Method::POST,
            &format!("/v1/tenants/{}/members", alice.tenant_id),
            t,
            Some(json!({"user": "carol", "role": "read_only"})),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let key = new_api_key(&src, t, json!({"name": "app", "scope": "read"})).await;
    let dir = TempDir::new();
    let file = dir.path.join("instance.jsonl");
    let file = file.to_str().unwrap();
    let said = ok(&src.cli(["export", "--instance", "--vectors", "--output", file]));
    assert!(
        said.contains("exported 2 users, 2 tenants, 3 memberships, 1 API keys"),
        "{said}"
    );
    let text = std::fs::read_to_string(file).unwrap();
    assert!(!text.contains(&key), "a key's hash travels, never the key");

    let dst = spawn_app(Backend::Postgres).await;
    let said = ok(&dst.cli(["import", file]));
    assert!(
        said.contains(
            "imported the instance: 2 of 2 users, 2 of 2 tenants, 3 of 3 memberships, \
             1 of 1 API keys were new here"
        ),
        "{said}"
    );
    // Their passwords sign them in; the key works; the member sees the tenant.
    let alice_there = dst.login("alice").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let carol_there = dst.login("carol").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (user, here, there) in [
        (&alice, t, &alice_there),
        (&carol, &*carol.access_token, &carol_there),
    ] {
        assert_eq!(
            tenant_records(&dst, there, &user.tenant_id).await,
            tenant_records(&src, here, &user.tenant_id).await,
            "{}'s tenant as it was",
            user.tenant_id
        );
    }
    let r = dst.call(Method::GET, "/v1/conversations", &key, None).await;
    assert_eq!(r.status(), 200, "the API key works on the new database");
    let r = dst
        .call(
            Method::GET,
            &format!("/v1/conversations?tenant_id={}", alice.tenant_id),
            &carol_there,
            None,
        )
        .await;
    assert_eq!(r.status(), 200, "carol is still a member of alice's tenant");

    let said = ok(&dst.cli(["import", file]));
    assert!(
        said.contains("0 of 2 users, 0 of 2 tenants, 0 of 3 memberships, 0 of 1 API keys"),
        "{said}"
    );
}
