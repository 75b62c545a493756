//! A retention run records the enabled rules it could not run and why (`rules_skipped`, a JSON
//! array of `{rule_id, name, reason}`): a stored rule whose conditions the current rules refuse
//! is skipped by every run, and saying so in the run is how its tenant learns of it.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            "ALTER TABLE retention_runs ADD COLUMN rules_skipped {json} NOT NULL DEFAULT '[]'",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            "ALTER TABLE retention_runs DROP COLUMN rules_skipped",
        )
        .await
    }
}
