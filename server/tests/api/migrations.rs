//! The schema on each backend: pgvector column, HNSW index and change log on PostgreSQL, no FTS5
//! on SQLite, reversible migrations, and the start-up check of the embedding width.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::*;

async fn scalar_i64(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn postgres_gets_a_384_wide_vector_column_with_a_cosine_hnsw_index() {
    let app = spawn_app(Backend::Postgres).await;
    let width = scalar_i64(
        &app.state.services.db,
        "SELECT atttypmod::bigint FROM pg_attribute \
         WHERE attrelid = 'messages'::regclass AND attname = 'embedding'",
    )
    .await;
    assert_eq!(width, 384);
    let hnsw = scalar_i64(
        &app.state.services.db,
        "SELECT count(*) FROM pg_indexes WHERE tablename = 'messages' \
         AND indexdef LIKE '%USING hnsw (embedding vector_cosine_ops)%'",
    )
    .await;
    assert_eq!(hnsw, 1);
    // The column really takes vectors, and cosine distance works on it.
    let db = &app.state.services.db;
    db.execute_unprepared(
        "INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('t', 't', now(), now());
         INSERT INTO conversations (tenant_id, id, created_at, updated_at) VALUES ('t', 'c', now(), now());",
    )
    .await
    .unwrap();
    let v = format!("[{}]", vec!["0.1"; 384].join(","));
    db.execute_unprepared(&format!(
        "INSERT INTO messages (id, tenant_id, conversation_id, role, content, importance_score, \
         embedding, created_at, updated_at) VALUES (gen_random_uuid(), 't', 'c', 'user', \
         'hello pgvector', 0.5, '{v}', now(), now())"
    ))
    .await
    .unwrap();
    let distance_zero = scalar_i64(
        &app.state.services.db,
        &format!("SELECT count(*) FROM messages WHERE embedding <=> '{v}' < 0.0001"),
    )
    .await;
    assert_eq!(distance_zero, 1);
    // The insert is logged, with its transaction, for the instances' in-process text index;
    // the `tsvector` column nothing reads any more is gone.
    let logged = scalar_i64(
        &app.state.services.db,
        "SELECT count(*) FROM change_log l JOIN messages m ON m.id = l.message_id \
         WHERE m.content = 'hello pgvector' AND l.xid > 0",
    )
    .await;
    assert_eq!(logged, 1);
    let tsv = scalar_i64(
        &app.state.services.db,
        "SELECT count(*) FROM pg_attribute \
         WHERE attrelid = 'messages'::regclass AND attname = 'content_tsv' AND NOT attisdropped",
    )
    .await;
    assert_eq!(tsv, 0);
}

#[tokio::test]
async fn sqlite_drops_the_unused_fts_table_and_postgres_analyses_messages_often() {
    // SQLite's lexical search is the in-process BM25 index: the FTS5 table and its triggers,
    // which only slowed writes, are gone (and come back on a rollback, refilled).
    let app = spawn_app(Backend::Sqlite).await;
    let fts = "SELECT count(*) FROM sqlite_master WHERE name LIKE 'messages_fts%'";
    assert_eq!(scalar_i64(&app.state.services.db, fts).await, 0);
    // PostgreSQL re-analyses `messages` every 2000 changed rows, so the planner knows when a
    // tenant has grown big enough for the HNSW index.
    let app = spawn_app(Backend::Postgres).await;
    let options = scalar_i64(
        &app.state.services.db,
        "SELECT count(*) FROM pg_class WHERE relname = 'messages' AND reloptions @> \
         ARRAY['autovacuum_analyze_scale_factor=0', 'autovacuum_analyze_threshold=2000']",
    )
    .await;
    assert_eq!(options, 1);
}

#[tokio::test]
async fn migrations_roll_back_and_reapply_on_both_backends() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        // Migrating by hand is done with the server stopped: its background readers would
        // race the schema changes.
        app.stop().await;
        let db = &app.state.services.db;
        Migrator::down(db, None).await.unwrap();
        let remaining = Migrator::get_applied_migrations(db).await.unwrap();
        assert!(remaining.is_empty(), "{backend:?}");
        Migrator::up(db, None).await.unwrap();
        let applied = Migrator::get_applied_migrations(db).await.unwrap();
        assert_eq!(applied.len(), Migrator::migrations().len(), "{backend:?}");
        if backend == Backend::Postgres {
            assert_eq!(db.get_database_backend(), DbBackend::Postgres);
        }
    }
}

#[tokio::test]
async fn startup_refuses_a_model_whose_width_differs_from_the_stored_vectors() {
    let first = spawn_app(Backend::Postgres).await;
    let name = first.pg_database.clone().unwrap();
    let result = try_spawn_app(
        Backend::Postgres,
        Options {
            existing_pg_database: Some(name),
            vars: vec![("MEMORY_EMBEDDING_DIMENSIONS".into(), "768".into())],
            ..Default::default()
        },
    )
    .await;
    let message = format!("{:#}", result.err().expect("start-up fails"));
    assert!(message.contains("MEMORY_EMBEDDING_DIMENSIONS"), "{message}");
    assert!(message.contains("384"), "{message}");
}

#[tokio::test]
async fn instances_starting_together_on_a_new_database_migrate_it_once() {
    let name = create_pg_database().await;
    let spawn = || {
        try_spawn_app(
            Backend::Postgres,
            Options {
                existing_pg_database: Some(name.clone()),
                ..Default::default()
            },
        )
    };
    let (a, b, c) = tokio::join!(spawn(), spawn(), spawn());
    let (a, b, _c) = (
        a.expect("the first starts"),
        b.expect("the second starts"),
        c.expect("the third starts"),
    );
    let applied = Migrator::get_applied_migrations(&a.state.services.db)
        .await
        .unwrap();
    assert_eq!(applied.len(), Migrator::migrations().len());
    // One schema, one service: an account made on one signs in on the other.
    a.register_and_login("ada", None).await;
    assert!(b.login("ada").await["access_token"].is_string());
}

#[tokio::test]
async fn usernames_differing_only_in_case_are_made_distinct_on_upgrade() {
    for backend in BACKENDS {
        let app = spawn_app(backend).await;
        app.stop().await;
        let db = &app.state.services.db;
        // The schema before usernames ignored case, holding names that differ only in it.
        let all = Migrator::migrations();
        let at = all
            .iter()
            .position(|m| m.name() == "m20261207_000018_usernames_ignore_case")
            .expect("the migration");
        Migrator::down(db, Some((all.len() - at) as u32))
            .await
            .unwrap();
        let id = match backend {
            Backend::Postgres => "gen_random_uuid()",
            Backend::Sqlite => "randomblob(16)",
        };
        let insert = |n: usize, name: &str| {
            let sql = format!(
                "INSERT INTO users (id, email, username, password_hash, is_active, \
                 is_instance_admin, created_at, updated_at) VALUES ({id}, '{n}@example.com', \
                 '{name}', 'x', TRUE, FALSE, '2026-01-0{n}T00:00:00Z', '2026-01-0{n}T00:00:00Z')"
            );
            async move { db.execute_unprepared(&sql).await }
        };
        for (n, name) in ["Alice", "alice", "ALICE", "alice_2"]
            .into_iter()
            .enumerate()
        {
            insert(n + 1, name).await.unwrap();
        }
        Migrator::up(db, None).await.unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT username FROM users ORDER BY created_at",
            ))
            .await
            .unwrap();
        let names: Vec<String> = rows
            .iter()
            .map(|r| r.try_get_by_index(0).unwrap())
            .collect();
        // The oldest keeps the name; later ones take free suffixes, never a name held already.
        assert_eq!(
            names,
            ["Alice", "alice_3", "ALICE_4", "alice_2"],
            "{backend:?}"
        );
        let duplicate = insert(5, "ALICE_2").await;
        let message = duplicate.unwrap_err().to_string();
        assert!(message.contains("username"), "{backend:?}: {message}");
    }
}

/// The tables `docs/operations.md` would distribute by tenant ("Past one database").
const DISTRIBUTED: [&str; 13] = [
    "conversations",
    "messages",
    "embedding_jobs",
    "events",
    "archived_messages",
    "retention_policies",
    "retention_rules",
    "retention_runs",
    "retention_run_items",
    "retention_leases",
    "idempotency_keys",
    "tenant_stats",
    "tenant_daily",
];

#[tokio::test]
async fn every_key_of_a_table_distributable_by_tenant_includes_the_tenant() {
    let app = spawn_app(Backend::Postgres).await;
    let db = &app.state.services.db;
    let tables = format!("ARRAY['{}']", DISTRIBUTED.join("','"));
    // Unique indexes (primary keys and unique constraints among them) and foreign keys between
    // two of these tables that leave `tenant_id` out: what Citus refuses to distribute.
    let offending = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT i.indexrelid::regclass::text FROM pg_index i \
                 WHERE i.indisunique AND i.indrelid::regclass::text = ANY({tables}) \
                 AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid \
                   AND a.attnum = ANY(i.indkey) AND a.attname = 'tenant_id') \
                 UNION ALL \
                 SELECT c.conname::text FROM pg_constraint c WHERE c.contype = 'f' \
                 AND c.conrelid::regclass::text = ANY({tables}) \
                 AND c.confrelid::regclass::text = ANY({tables}) \
                 AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid \
                   AND a.attnum = ANY(c.conkey) AND a.attname = 'tenant_id')"
            ),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect::<Vec<_>>();
    assert!(offending.is_empty(), "{offending:?}");
    // Every one of them exists and has the column (a renamed table would pass the check above).
    let with_tenant = scalar_i64(
        db,
        &format!(
            "SELECT count(DISTINCT attrelid) FROM pg_attribute WHERE attname = 'tenant_id' \
             AND NOT attisdropped AND attrelid::regclass::text = ANY({tables})"
        ),
    )
    .await;
    assert_eq!(with_tenant, DISTRIBUTED.len() as i64);
}
