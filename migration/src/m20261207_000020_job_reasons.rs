//! `embedding_jobs.reason`: why a job's last attempt failed, as a stable code a tenant may see
//! (`provider_unavailable`, `provider_misconfigured`, `input_refused`). `last_error` keeps the
//! provider's own words for operators; it can name hosts and configuration, so it is never
//! shown to tenants. Nullable and without a default, so adding it rewrites nothing and the
//! previous release runs beside it.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            "ALTER TABLE embedding_jobs ADD COLUMN reason {text}",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, "ALTER TABLE embedding_jobs DROP COLUMN reason").await
    }
}
