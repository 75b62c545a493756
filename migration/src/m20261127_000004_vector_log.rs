//! SQLite only: a change log of the rows the in-process vector index mirrors.
//!
//! The embedded mode keeps every tenant's vectors and words in memory for fast search. Triggers append the
//! id of every message whose text, vector, visibility or ranking facts may have changed
//! (insert; update of the content, embedding, `archived` or importance; delete, cascades
//! included), so the index catches up before each search
//! from one indexed range read, whatever wrote the row: a request, the job worker, retention or
//! a command-line tool. `AUTOINCREMENT` numbers are never reused and, with SQLite's single
//! writer, commit in order. PostgreSQL searches its HNSW index and needs none of this.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = r#"
CREATE TABLE vector_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id blob NOT NULL);
CREATE TRIGGER vector_log_insert AFTER INSERT ON messages BEGIN INSERT INTO vector_log (message_id) VALUES (new.id); END;
CREATE TRIGGER vector_log_update AFTER UPDATE OF content, embedding, archived, importance_score ON messages BEGIN INSERT INTO vector_log (message_id) VALUES (new.id); END;
CREATE TRIGGER vector_log_delete AFTER DELETE ON messages BEGIN INSERT INTO vector_log (message_id) VALUES (old.id); END
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER vector_log_insert;
DROP TRIGGER vector_log_update;
DROP TRIGGER vector_log_delete;
DROP TABLE vector_log
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            return Ok(());
        }
        sql::run(manager, SQLITE).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            return Ok(());
        }
        sql::run(manager, SQLITE_DOWN).await
    }
}
