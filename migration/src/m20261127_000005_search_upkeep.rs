//! Search upkeep on both backends.
//!
//! - PostgreSQL: `messages` is analysed after every 2000 changed rows, whatever the table's
//!   size. The planner chooses between the HNSW index and a tenant's own rows from the
//!   statistics of `tenant_id`; with the default (10 % of the table) a tenant could grow by
//!   millions of rows unnoticed, and each search would sort all of them exactly.
//! - SQLite: the FTS5 table and its triggers go. Lexical search reads the in-process BM25
//!   index (`server/src/store/index`), so they were only slowing every write.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES: &str = r#"
ALTER TABLE messages SET (autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 2000)
"#;

const POSTGRES_DOWN: &str = r#"
ALTER TABLE messages RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)
"#;

const SQLITE: &str = r#"
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts
"#;

/// As migration 2 created them, refilled from the messages.
const SQLITE_DOWN: &str = r#"
CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, message_id UNINDEXED, tenant_id UNINDEXED, tokenize = 'porter unicode61'
);
INSERT INTO messages_fts (content, message_id, tenant_id) SELECT content, id, tenant_id FROM messages;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN INSERT INTO messages_fts (content, message_id, tenant_id) VALUES (new.content, new.id, new.tenant_id); END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN DELETE FROM messages_fts WHERE message_id = old.id; END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN UPDATE messages_fts SET content = new.content WHERE message_id = new.id; END
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
        let sql = if sql::is_postgres(manager) {
            POSTGRES_DOWN
        } else {
            SQLITE_DOWN
        };
        sql::run(manager, sql).await
    }
}
