//! `idempotency_keys`: the first answer to each write a client sent with an `Idempotency-Key`,
//! kept 24 hours per tenant and key, so a retry gets that answer again and stores nothing twice.
//! The row is written in the same transaction as the write it answers: the primary key makes a
//! racing retry (on this instance or another) roll its own write back and read the winner's.
//! `fingerprint` is a SHA-256 of the operation and its request, which tells a retry from a
//! different request reusing the key.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = r#"
CREATE TABLE idempotency_keys (
    tenant_id varchar(64) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    idempotency_key varchar(255) NOT NULL,
    fingerprint varchar(64) NOT NULL,
    response {text} NOT NULL,
    created_at {ts} NOT NULL,
    PRIMARY KEY (tenant_id, idempotency_key)
);
CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, TABLE).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, "DROP TABLE idempotency_keys").await
    }
}
