//! Conversations record who created them (`user_id`, as the original API reports it): the user
//! behind the credential of the request that created the conversation, or of its first message.
//! Conversations created before are unknown (`NULL`).

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            "ALTER TABLE conversations ADD COLUMN user_id {uuid} NULL",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, "ALTER TABLE conversations DROP COLUMN user_id").await
    }
}
