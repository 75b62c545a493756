//! `events`: the durable stream of what changed (the WebSocket feed's source and replay buffer).
//!
//! Each change writes its events in its own transaction, so an acknowledged write always has its
//! events and a rolled-back one never does. `seq` numbers them; subscribers read past the highest
//! `seq` they have seen.
//!
//! - SQLite: one writer at a time, so `seq` (an `AUTOINCREMENT` key, never reused after pruning)
//!   follows commit order.
//! - PostgreSQL: writers commit in any order. A trigger gives each row its transaction (`xid`)
//!   *before* it draws `seq`, so a reader that notes the sequence's position and then the
//!   transactions in progress knows every row numbered up to that position is committed once
//!   those transactions have ended (the reader in the server's `store::events`). A statement
//!   trigger wakes listeners on the `memory_events` channel when the transaction commits.
//!
//! `message_id` is text on both backends, so SQL can put it into a scrubbed event's JSON.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = r#"
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id varchar(64) NOT NULL,
    conversation_id varchar(128),
    message_id varchar(36),
    name varchar(32) NOT NULL,
    data text NOT NULL,
    at text NOT NULL
);
CREATE INDEX ix_events_tenant_seq ON events (tenant_id, seq);
CREATE INDEX ix_events_message ON events (message_id);
CREATE INDEX ix_events_at ON events (at)
"#;

const POSTGRES: &str = r#"
CREATE SEQUENCE events_seq AS bigint CACHE 1;
CREATE TABLE events (
    seq bigint PRIMARY KEY,
    xid bigint NOT NULL,
    tenant_id varchar(64) NOT NULL,
    conversation_id varchar(128),
    message_id varchar(36),
    name varchar(32) NOT NULL,
    data text NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX ix_events_tenant_seq ON events (tenant_id, seq);
CREATE INDEX ix_events_message ON events (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX ix_events_at ON events (at);
CREATE FUNCTION events_number() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.xid := pg_current_xact_id()::text::bigint; NEW.seq := nextval('events_seq'); RETURN NEW; END $$;
CREATE TRIGGER events_number BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_number();
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('memory_events', ''); RETURN NULL; END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify()
"#;

const SQLITE_DOWN: &str = "DROP TABLE events";

const POSTGRES_DOWN: &str = r#"
DROP TABLE events;
DROP FUNCTION events_number();
DROP FUNCTION events_notify();
DROP SEQUENCE events_seq
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
