//! Retention that can be explained and undone: messages carry when and why they were archived
//! and whether they are in cold storage (no vector, out of every index); a tenant's policy is
//! disabled until enabled and gets a minimum age for its importance test; every run is
//! recorded with what it did to which message (`retention_run_items`, for restore) and what
//! interrupted it, if anything; and
//! `retention_leases` lets one instance at a time run a tenant's retention.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE messages ADD COLUMN archived_at {ts};
ALTER TABLE messages ADD COLUMN archive_reason varchar(255);
ALTER TABLE messages ADD COLUMN cold {bool} NOT NULL DEFAULT FALSE;
ALTER TABLE retention_policies ADD COLUMN enabled {bool} NOT NULL DEFAULT FALSE;
ALTER TABLE retention_policies ADD COLUMN min_age_days integer NOT NULL DEFAULT 1;
CREATE TABLE retention_runs (
    id {uuid} PRIMARY KEY,
    tenant_id varchar(64) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    dry_run {bool} NOT NULL,
    run_trigger varchar(16) NOT NULL,
    actor varchar(128) NOT NULL,
    actor_user_id varchar(36),
    rules_applied {json} NOT NULL,
    messages_archived bigint NOT NULL DEFAULT 0,
    messages_deleted bigint NOT NULL DEFAULT 0,
    messages_moved_to_cold bigint NOT NULL DEFAULT 0,
    sample_ids {json} NOT NULL,
    started_at {ts} NOT NULL,
    finished_at {ts},
    error text,
    restored_at {ts},
    messages_restored bigint NOT NULL DEFAULT 0
);
CREATE INDEX ix_retention_runs_tenant ON retention_runs (tenant_id, started_at);
CREATE TABLE retention_run_items (
    run_id {uuid} NOT NULL REFERENCES retention_runs(id) ON DELETE CASCADE,
    message_id {uuid} NOT NULL,
    action varchar(16) NOT NULL,
    PRIMARY KEY (run_id, message_id)
);
CREATE TABLE retention_leases (
    tenant_id varchar(64) PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    holder varchar(64) NOT NULL,
    expires_at {ts} NOT NULL
);
CREATE INDEX ix_messages_tenant_archived ON messages (tenant_id, archived, created_at)
"#;

const DOWN: &str = r#"
DROP INDEX ix_messages_tenant_archived;
DROP TABLE retention_leases;
DROP TABLE retention_run_items;
DROP TABLE retention_runs;
ALTER TABLE retention_policies DROP COLUMN min_age_days;
ALTER TABLE retention_policies DROP COLUMN enabled;
ALTER TABLE messages DROP COLUMN cold;
ALTER TABLE messages DROP COLUMN archive_reason;
ALTER TABLE messages DROP COLUMN archived_at
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DOWN).await
    }
}
