//! Secrets the server generates for itself, shared by every instance on the database: today the
//! JWT signing key when `MEMORY_JWT_SECRET_KEY` is not set (outside production), so that
//! instances sharing a database accept each other's tokens.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            "CREATE TABLE server_secrets (name {text} PRIMARY KEY, value {text} NOT NULL, \
             created_at {ts} NOT NULL)",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, "DROP TABLE server_secrets").await
    }
}
