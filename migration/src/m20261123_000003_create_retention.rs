//! Retention: per-tenant policy, rule engine rules, and the archive that archived messages move to.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE retention_policies (
    tenant_id varchar(64) PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    max_age_days integer NOT NULL,
    importance_threshold {float} NOT NULL,
    max_items integer,
    delete_after_days integer NOT NULL,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE TABLE retention_rules (
    id {uuid} PRIMARY KEY,
    tenant_id varchar(64) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name varchar(255) NOT NULL,
    description varchar(1000),
    rule_type varchar(32) NOT NULL,
    conditions {json} NOT NULL,
    action varchar(32) NOT NULL,
    priority integer NOT NULL DEFAULT 100,
    enabled {bool} NOT NULL DEFAULT TRUE,
    last_applied_at {ts},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX ix_retention_rules_tenant ON retention_rules (tenant_id, priority);
CREATE TABLE archived_messages (
    id {uuid} PRIMARY KEY,
    tenant_id varchar(64) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    conversation_id varchar(128) NOT NULL,
    role varchar(16) NOT NULL,
    content {text} NOT NULL,
    metadata {json} NOT NULL DEFAULT '{}',
    importance_score {float} NOT NULL,
    created_at {ts} NOT NULL,
    archived_at {ts} NOT NULL,
    archive_reason varchar(255) NOT NULL
);
CREATE INDEX ix_archived_messages_tenant ON archived_messages (tenant_id, archived_at)
"#;

const DOWN: &str =
    "DROP TABLE archived_messages;\nDROP TABLE retention_rules;\nDROP TABLE retention_policies";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DOWN).await
    }
}
