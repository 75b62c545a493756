//! PostgreSQL: the change log the in-process BM25 index reads, and the end of `tsvector` search.
//!
//! Lexical search on PostgreSQL moves into the same in-process BM25 index the embedded mode
//! uses (`server/src/store/index`): `ts_rank_cd` ranked every message that shared a word with
//! the query, ~5.6 µs each, so a question with a speaker's name took ~100 ms at 100k messages.
//! Every server instance keeps the index; triggers log each message whose text or visibility
//! may have changed, and each instance catches up before every search.
//!
//! Unlike SQLite's, PostgreSQL's writers commit in any order, so a sequence number alone cannot
//! say what is new: a row can appear behind one already read. Each row also records its
//! transaction id (`xid`); a reader remembers the highest `seq` it read and the transactions
//! still in progress in that read's snapshot, and next reads rows past that `seq` or written by
//! those transactions (see `MemoryIndex::catch_up`). `logged_at` lets old rows be pruned.
//!
//! The generated `content_tsv` column and its GIN index go: nothing reads them any more, and
//! they cost every write a `to_tsvector` and a GIN update. Rollback rebuilds them.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES: &str = r#"
CREATE TABLE vector_log (
    seq bigserial PRIMARY KEY,
    xid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    message_id uuid NOT NULL,
    logged_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ix_vector_log_xid ON vector_log (xid);
CREATE INDEX ix_vector_log_logged_at ON vector_log (logged_at);
CREATE FUNCTION vector_log_append() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'DELETE' THEN INSERT INTO vector_log (message_id) VALUES (OLD.id); ELSE INSERT INTO vector_log (message_id) VALUES (NEW.id); END IF; RETURN NULL; END $$;
CREATE TRIGGER vector_log_insert_delete AFTER INSERT OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION vector_log_append();
CREATE TRIGGER vector_log_update AFTER UPDATE OF content, archived, tenant_id ON messages
    FOR EACH ROW EXECUTE FUNCTION vector_log_append();
ALTER TABLE messages DROP COLUMN content_tsv
"#;

/// Migration 2's `tsvector` column and index, rebuilt from the content.
const POSTGRES_DOWN: &str = r#"
DROP TRIGGER vector_log_update ON messages;
DROP TRIGGER vector_log_insert_delete ON messages;
DROP FUNCTION vector_log_append();
DROP TABLE vector_log;
ALTER TABLE messages ADD COLUMN content_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('english', content)) STORED;
CREATE INDEX ix_messages_content_tsv ON messages USING gin (content_tsv)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !sql::is_postgres(manager) {
            return Ok(());
        }
        sql::run(manager, POSTGRES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !sql::is_postgres(manager) {
            return Ok(());
        }
        sql::run(manager, POSTGRES_DOWN).await
    }
}
