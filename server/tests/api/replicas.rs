//! Read replicas (`MEMORY_DATABASE_READ_URLS`), with a read-only role on the same server as the
//! replica: a tenant's searches and listings read from it once it is current, a tenant that
//! just wrote reads the primary (read-your-writes), writes never touch it, and an unreachable
//! replica leaves every read on the primary.

use std::time::Duration;

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{json, Value};

use crate::helpers::*;

/// `memory_mesh_db_reads_total{pool="…"}` on `app`'s /metrics.
async fn reads(app: &TestApp, pool: &str) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    let prefix = format!("memory_mesh_db_reads_total{{pool=\"{pool}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in /metrics"))
}

fn search(text: &str) -> serde_json::Value {
    json!({"query": text, "top_k": 5, "mode": "lexical"})
}

/// A migrated database, with a read-only role on it standing in for its replica.
struct Primary {
    /// The stopped instance that made the database (which lives as long as it does).
    _made: TestApp,
    name: String,
    admin: sea_orm::DatabaseConnection,
    role: String,
    replica_url: reqwest::Url,
}

impl Primary {
    async fn new() -> Self {
        let first = spawn_app(Backend::Postgres).await;
        let name = first.pg_database.clone().unwrap();
        first.stop().await;
        let role = format!(
            "mm_replica_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let admin = Database::connect(pg_url(&name)).await.unwrap();
        admin
            .execute_unprepared(&format!(
                "CREATE ROLE {role} LOGIN PASSWORD 'replica-pass';
                 ALTER ROLE {role} SET default_transaction_read_only = on;
                 GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"
            ))
            .await
            .unwrap();
        let mut replica_url = reqwest::Url::parse(&pg_url(&name)).unwrap();
        replica_url.set_username(&role).unwrap();
        replica_url.set_password(Some("replica-pass")).unwrap();
        Self {
            _made: first,
            name,
            admin,
            role,
            replica_url,
        }
    }

    /// An instance on this database reading from the replica, with a read-after-write pin of
    /// `pin_ms`.
    async fn instance(&self, pin_ms: u64) -> TestApp {
        spawn_app_with(
            Backend::Postgres,
            Options {
                existing_pg_database: Some(self.name.clone()),
                vars: vec![
                    (
                        "MEMORY_DATABASE_READ_URLS".into(),
                        self.replica_url.to_string(),
                    ),
                    (
                        "MEMORY_DATABASE_READ_AFTER_WRITE_MS".into(),
                        pin_ms.to_string(),
                    ),
                    // The tests search until a condition holds: not a client to throttle.
                    ("MEMORY_TENANT_RATE_LIMIT".into(), "100000/minute".into()),
                    ("MEMORY_GLOBAL_RATE_LIMIT".into(), "100000/minute".into()),
                ],
                ..Default::default()
            },
        )
        .await
    }

    async fn drop_role(&self) {
        let role = &self.role;
        self.admin
            .execute_unprepared(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
            .await
            .ok();
    }
}

/// Searches as `token` on `app` until one is read from the replica; returns its hits.
async fn until_served_by_the_replica(app: &TestApp, token: &str, text: &str) -> Vec<Value> {
    let before = reads(app, "replica").await;
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let hits = search_hits(app, token, search(text)).await;
            if reads(app, "replica").await > before {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the replica serves reads once current")
}

#[tokio::test]
async fn searches_and_listings_read_a_current_replica_and_a_tenant_reads_its_writes() {
    let primary = Primary::new().await;
    let (admin, role, replica_url) = (&primary.admin, &primary.role, &primary.replica_url);
    let app = primary.instance(400).await;

    let alice = app.register_and_login("alice", None).await;
    let token = alice.access_token.as_str();
    let first_id = store(&app, token, "trip", "user", "We fly to Lisbon in May.").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Right after her write her search reads the primary, and finds it.
    let hits = search_hits(&app, token, search("Lisbon")).await;
    assert_eq!(hits[0]["message_id"], first_id.as_str());
    assert_eq!(reads(&app, "replica").await, 0);
    assert!(reads(&app, "primary").await >= 1);

    // Once her pin ends and the replica is current, her searches read the replica.
    let served = until_served_by_the_replica(&app, token, "Lisbon").await;
    assert_eq!(served[0]["message_id"], first_id.as_str());
    let before = reads(&app, "replica").await;
    let listed: serde_json::Value = app
        .call(Method::GET, "/v1/conversations/trip/messages", token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["messages"][0]["id"], first_id.as_str());
    let conversations = app
        .call(Method::GET, "/v1/conversations", token, None)
        .await;
    assert_eq!(conversations.status(), 200);
    assert_eq!(reads(&app, "replica").await, before + 2);
    // The replica's role really served them: its connections are open on the server.
    let replica_connections = admin
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT count(*) AS n FROM pg_stat_activity WHERE usename = '{role}'"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert!(replica_connections >= 1);

    // A write goes to the primary (the role could not take it), and her next search reads
    // the primary again, so it finds what she just wrote.
    let refused = Database::connect(replica_url.as_str())
        .await
        .unwrap()
        .execute_unprepared("DELETE FROM messages")
        .await;
    assert!(refused.is_err(), "the replica's role writes nothing");
    let second_id = store(
        &app,
        token,
        "trip",
        "user",
        "Lisbon hotel booked near Alfama.",
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let replica_reads = reads(&app, "replica").await;
    let hits = search_hits(&app, token, search("Alfama")).await;
    assert_eq!(hits[0]["message_id"], second_id.as_str());
    assert_eq!(
        reads(&app, "replica").await,
        replica_reads,
        "pinned: the primary"
    );

    app.stop().await;
    primary.drop_role().await;
}

#[tokio::test]
async fn a_write_through_one_instance_sends_the_tenants_reads_on_another_to_the_primary() {
    let primary = Primary::new().await;
    // A pin long beside the probes' timeout, so a slow probe does not send reads to the
    // primary by itself.
    let (one, two) = (primary.instance(3000).await, primary.instance(3000).await);
    let alice = one.register_and_login("alice", None).await;
    let token = alice.access_token.as_str();
    store(&one, token, "trip", "user", "We fly to Lisbon in May.").await;
    // The second instance took no write of hers: it reads her memories from the replica.
    until_served_by_the_replica(&two, token, "Lisbon").await;

    let written = store(&one, token, "trip", "user", "Lisbon hotel near Alfama.").await;
    // The commit's notification reaches the second instance, whose reads of her tenant go to
    // the primary from then on (for the pin).
    let primary_reads = reads(&two, "primary").await;
    let hits = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let hits = search_hits(&two, token, search("Alfama")).await;
            if reads(&two, "primary").await > primary_reads {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the other instance's write pins her reads to the primary");
    assert_eq!(hits[0]["message_id"], written["id"]);
    one.stop().await;
    two.stop().await;
    primary.drop_role().await;
}

#[tokio::test]
async fn an_unreachable_replica_leaves_every_read_on_the_primary() {
    let unreachable = reqwest::Url::parse(&pg_url("nowhere")).map(|mut u| {
        u.set_port(Some(1)).unwrap();
        u.to_string()
    });
    let app = spawn_app_with(
        Backend::Postgres,
        Options {
            vars: vec![
                ("MEMORY_DATABASE_READ_URLS".into(), unreachable.unwrap()),
                ("MEMORY_DATABASE_READ_AFTER_WRITE_MS".into(), "100".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    let alice = app.register_and_login("alice", None).await;
    let token = alice.access_token.as_str();
    store(&app, token, "c", "user", "Reads survive a dead replica.").await;
    // Searches spaced past the pin (and over several probes) still answer, from the primary.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(search_hits(&app, token, search("replica")).await.len(), 1);
    }
    assert_eq!(reads(&app, "replica").await, 0);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("memory_mesh_db_replicas_current 0"),
        "{metrics}"
    );
}
