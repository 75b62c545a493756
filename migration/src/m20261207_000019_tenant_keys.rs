//! Every key of a table that would be distributed by tenant includes `tenant_id`, so nothing in
//! the schema stops distributing it (Citus requires each primary key, unique constraint and
//! foreign key between distributed tables to include the distribution column;
//! `docs/operations.md`, "Past one database", sorts the tables).
//!
//! On PostgreSQL the keys become `(id, tenant_id)`: the id first, so the key's index still finds a
//! row by its id alone (the job worker, the text index's catch-up) as well as by tenant and id.
//! `embedding_jobs` references its message by `(message_id, tenant_id)`, and
//! `retention_run_items` gains `tenant_id` (filled from its run) to reference its run by both.
//! SQLite, never distributed, keeps its keys; it gains the same `retention_run_items.tenant_id`
//! and a unique `(message_id, tenant_id)` on jobs, so both backends run the same statements.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const BOTH: &str = r#"
ALTER TABLE retention_run_items ADD COLUMN tenant_id varchar(64);
UPDATE retention_run_items SET tenant_id =
    (SELECT r.tenant_id FROM retention_runs r WHERE r.id = retention_run_items.run_id)
"#;

const SQLITE: &str = r#"
CREATE UNIQUE INDEX ux_embedding_jobs_message_tenant ON embedding_jobs (message_id, tenant_id)
"#;

const POSTGRES: &str = r#"
ALTER TABLE embedding_jobs DROP CONSTRAINT embedding_jobs_message_id_fkey;
ALTER TABLE embedding_jobs DROP CONSTRAINT embedding_jobs_message_id_key;
ALTER TABLE messages DROP CONSTRAINT messages_pkey, ADD PRIMARY KEY (id, tenant_id);
ALTER TABLE embedding_jobs DROP CONSTRAINT embedding_jobs_pkey, ADD PRIMARY KEY (id, tenant_id);
ALTER TABLE embedding_jobs ADD CONSTRAINT embedding_jobs_message_tenant_key
    UNIQUE (message_id, tenant_id);
ALTER TABLE embedding_jobs ADD CONSTRAINT embedding_jobs_message_tenant_fkey
    FOREIGN KEY (message_id, tenant_id) REFERENCES messages (id, tenant_id) ON DELETE CASCADE;
ALTER TABLE retention_rules DROP CONSTRAINT retention_rules_pkey, ADD PRIMARY KEY (id, tenant_id);
ALTER TABLE archived_messages DROP CONSTRAINT archived_messages_pkey,
    ADD PRIMARY KEY (id, tenant_id);
ALTER TABLE retention_run_items DROP CONSTRAINT retention_run_items_run_id_fkey;
ALTER TABLE retention_runs DROP CONSTRAINT retention_runs_pkey, ADD PRIMARY KEY (id, tenant_id);
ALTER TABLE retention_run_items ALTER COLUMN tenant_id SET NOT NULL;
ALTER TABLE retention_run_items DROP CONSTRAINT retention_run_items_pkey,
    ADD PRIMARY KEY (run_id, message_id, tenant_id);
ALTER TABLE retention_run_items ADD CONSTRAINT retention_run_items_run_tenant_fkey
    FOREIGN KEY (run_id, tenant_id) REFERENCES retention_runs (id, tenant_id) ON DELETE CASCADE;
ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (seq, tenant_id);
ALTER TABLE tenant_stats DROP CONSTRAINT tenant_stats_pkey, ADD PRIMARY KEY (id, tenant_id);
ALTER TABLE tenant_daily DROP CONSTRAINT tenant_daily_pkey, ADD PRIMARY KEY (id, tenant_id)
"#;

const POSTGRES_DOWN: &str = r#"
ALTER TABLE tenant_daily DROP CONSTRAINT tenant_daily_pkey, ADD PRIMARY KEY (id);
ALTER TABLE tenant_stats DROP CONSTRAINT tenant_stats_pkey, ADD PRIMARY KEY (id);
ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (seq);
ALTER TABLE retention_run_items DROP CONSTRAINT retention_run_items_run_tenant_fkey;
ALTER TABLE retention_run_items DROP CONSTRAINT retention_run_items_pkey,
    ADD PRIMARY KEY (run_id, message_id);
ALTER TABLE retention_runs DROP CONSTRAINT retention_runs_pkey, ADD PRIMARY KEY (id);
ALTER TABLE retention_run_items ADD CONSTRAINT retention_run_items_run_id_fkey
    FOREIGN KEY (run_id) REFERENCES retention_runs (id) ON DELETE CASCADE;
ALTER TABLE archived_messages DROP CONSTRAINT archived_messages_pkey, ADD PRIMARY KEY (id);
ALTER TABLE retention_rules DROP CONSTRAINT retention_rules_pkey, ADD PRIMARY KEY (id);
ALTER TABLE embedding_jobs DROP CONSTRAINT embedding_jobs_message_tenant_fkey;
ALTER TABLE embedding_jobs DROP CONSTRAINT embedding_jobs_message_tenant_key;
ALTER TABLE embedding_jobs DROP CONSTRAINT embedding_jobs_pkey, ADD PRIMARY KEY (id);
ALTER TABLE messages DROP CONSTRAINT messages_pkey, ADD PRIMARY KEY (id);
ALTER TABLE embedding_jobs ADD CONSTRAINT embedding_jobs_message_id_key UNIQUE (message_id);
ALTER TABLE embedding_jobs ADD CONSTRAINT embedding_jobs_message_id_fkey
    FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE;
ALTER TABLE retention_run_items DROP COLUMN tenant_id
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, BOTH).await?;
        if sql::is_postgres(manager) {
            sql::run(manager, POSTGRES).await
        } else {
            sql::run(manager, SQLITE).await
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(manager, POSTGRES_DOWN).await
        } else {
            sql::run(
                manager,
                "DROP INDEX ux_embedding_jobs_message_tenant;\n\
                 ALTER TABLE retention_run_items DROP COLUMN tenant_id",
            )
            .await
        }
    }
}
