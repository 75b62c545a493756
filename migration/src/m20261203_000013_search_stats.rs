//! `search_stats`: how many searches each tenant ran and how long they took, per minute and
//! instance. Each instance aggregates in memory and appends one row per tenant it served once a
//! minute (no write per search); analytics sum the last 24 hours' rows. `latency_buckets` is a
//! JSON array of counts per latency bucket (the bounds live in the server).

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = r#"
CREATE TABLE search_stats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id varchar(64) NOT NULL,
    instance varchar(64) NOT NULL,
    minute text NOT NULL,
    searches bigint NOT NULL,
    latency_buckets text NOT NULL
);
CREATE INDEX ix_search_stats_tenant_minute ON search_stats (tenant_id, minute);
CREATE INDEX ix_search_stats_minute ON search_stats (minute)
"#;

const POSTGRES: &str = r#"
CREATE TABLE search_stats (
    id bigserial PRIMARY KEY,
    tenant_id varchar(64) NOT NULL,
    instance varchar(64) NOT NULL,
    minute timestamptz NOT NULL,
    searches bigint NOT NULL,
    latency_buckets text NOT NULL
);
CREATE INDEX ix_search_stats_tenant_minute ON search_stats (tenant_id, minute);
CREATE INDEX ix_search_stats_minute ON search_stats (minute)
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
        sql::run(manager, "DROP TABLE search_stats").await
    }
}
