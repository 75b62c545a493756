//! Conversations, messages (with their embedding and lexical index) and the durable embedding queue.
//!
//! Backend-specific parts:
//! - PostgreSQL: `messages.embedding` is a pgvector column of fixed width with an HNSW (cosine)
//!   index, and `messages.content_tsv` a generated `tsvector` with a GIN index.
//! - SQLite: the embedding is a little-endian f32 blob searched by the server's in-process index,
//!   and `messages_fts` an FTS5 table kept in step by triggers. It stores its own copy of the text
//!   rather than pointing at `messages.rowid`, which SQLite may renumber on VACUUM for tables
//!   without an integer primary key.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = r#"
CREATE TABLE conversations (
    tenant_id varchar(64) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id varchar(128) NOT NULL,
    title varchar(512),
    metadata {json} NOT NULL DEFAULT '{}',
    message_count bigint NOT NULL DEFAULT 0,
    last_message_at {ts},
    archived {bool} NOT NULL DEFAULT FALSE,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ix_conversations_tenant_updated ON conversations (tenant_id, updated_at);
CREATE TABLE messages (
    id {uuid} PRIMARY KEY,
    tenant_id varchar(64) NOT NULL,
    conversation_id varchar(128) NOT NULL,
    role varchar(16) NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content {text} NOT NULL,
    metadata {json} NOT NULL DEFAULT '{}',
    importance_score {float} NOT NULL,
    importance_override {float},
    embedding {vector},
    embedding_status varchar(16) NOT NULL DEFAULT 'pending'
        CHECK (embedding_status IN ('pending', 'completed', 'failed')),
    embedding_model varchar(128),
    archived {bool} NOT NULL DEFAULT FALSE,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    FOREIGN KEY (tenant_id, conversation_id)
        REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_messages_conversation ON messages (tenant_id, conversation_id, created_at);
CREATE INDEX ix_messages_tenant_created ON messages (tenant_id, created_at);
CREATE TABLE embedding_jobs (
    id {uuid} PRIMARY KEY,
    message_id {uuid} NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
    tenant_id varchar(64) NOT NULL,
    status varchar(16) NOT NULL CHECK (status IN ('pending', 'running', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    run_at {ts} NOT NULL,
    locked_until {ts},
    locked_by varchar(64),
    last_error {text},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX ix_embedding_jobs_due ON embedding_jobs (status, run_at)
"#;

const POSTGRES: &str = r#"
CREATE INDEX ix_messages_embedding_hnsw ON messages
    USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
ALTER TABLE messages ADD COLUMN content_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('english', content)) STORED;
CREATE INDEX ix_messages_content_tsv ON messages USING gin (content_tsv)
"#;

const SQLITE: &str = r#"
CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, message_id UNINDEXED, tenant_id UNINDEXED, tokenize = 'porter unicode61'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN INSERT INTO messages_fts (content, message_id, tenant_id) VALUES (new.content, new.id, new.tenant_id); END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN DELETE FROM messages_fts WHERE message_id = old.id; END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN UPDATE messages_fts SET content = new.content WHERE message_id = new.id; END
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            // Needs a superuser the first time; `IF NOT EXISTS` makes it a no-op for an ordinary
            // owner once an administrator has created it (README, Production).
            sql::run(manager, "CREATE EXTENSION IF NOT EXISTS vector").await?;
        }
        sql::run(manager, TABLES).await?;
        let specific = if sql::is_postgres(manager) {
            POSTGRES
        } else {
            SQLITE
        };
        sql::run(manager, specific).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Messages first: dropping it drops the triggers that reference messages_fts.
        sql::run(
            manager,
            "DROP TABLE embedding_jobs;\nDROP TABLE messages;\nDROP TABLE conversations",
        )
        .await?;
        if !sql::is_postgres(manager) {
            sql::run(manager, "DROP TABLE messages_fts").await?;
        }
        Ok(())
    }
}
