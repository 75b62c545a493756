//! `audit_log`: who did what to a tenant's access and data, and when — keys created and
//! revoked, members added, changed and removed, tenants created, renamed and deleted, failed
//! logins. Rows are only ever appended (and pruned after the kept period); `tenant_id` is null
//! for what belongs to no tenant (a failed login). `actor` names the user or key that acted.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = r#"
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id varchar(64),
    actor_user_id varchar(36),
    actor text NOT NULL,
    action varchar(64) NOT NULL,
    target text,
    details text NOT NULL,
    at text NOT NULL
);
CREATE INDEX ix_audit_log_tenant ON audit_log (tenant_id, id);
CREATE INDEX ix_audit_log_at ON audit_log (at)
"#;

const POSTGRES: &str = r#"
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    tenant_id varchar(64),
    actor_user_id varchar(36),
    actor text NOT NULL,
    action varchar(64) NOT NULL,
    target text,
    details text NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX ix_audit_log_tenant ON audit_log (tenant_id, id);
CREATE INDEX ix_audit_log_at ON audit_log (at)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = if sql::is_postgres(manager) {
            POSTGRES
        } else {
            SQLITE
        };
        sql::run(manager, sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, "DROP TABLE audit_log").await
    }
}
