//! The search index's change log gets the name of what it is (`change_log`: it records content,
//! archive and tenant changes, not only vectors), and SQLite's update trigger is made to fire
//! on content edits on every database.
//!
//! Migration 4 once created the SQLite update trigger without `content`; a database migrated
//! then never logged content edits, so the in-process index kept the old words. Recreating the
//! triggers here repairs such databases and is harmless on the others.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = r#"
DROP TRIGGER IF EXISTS vector_log_insert;
DROP TRIGGER IF EXISTS vector_log_update;
DROP TRIGGER IF EXISTS vector_log_delete;
ALTER TABLE vector_log RENAME TO change_log;
CREATE TRIGGER change_log_insert AFTER INSERT ON messages BEGIN INSERT INTO change_log (message_id) VALUES (new.id); END;
CREATE TRIGGER change_log_update AFTER UPDATE OF content, embedding, archived, importance_score ON messages BEGIN INSERT INTO change_log (message_id) VALUES (new.id); END;
CREATE TRIGGER change_log_delete AFTER DELETE ON messages BEGIN INSERT INTO change_log (message_id) VALUES (old.id); END
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER change_log_insert;
DROP TRIGGER change_log_update;
DROP TRIGGER change_log_delete;
ALTER TABLE change_log RENAME TO vector_log;
CREATE TRIGGER vector_log_insert AFTER INSERT ON messages BEGIN INSERT INTO vector_log (message_id) VALUES (new.id); END;
CREATE TRIGGER vector_log_update AFTER UPDATE OF content, embedding, archived, importance_score ON messages BEGIN INSERT INTO vector_log (message_id) VALUES (new.id); END;
CREATE TRIGGER vector_log_delete AFTER DELETE ON messages BEGIN INSERT INTO vector_log (message_id) VALUES (old.id); END
"#;

const POSTGRES: &str = r#"
DROP TRIGGER vector_log_update ON messages;
DROP TRIGGER vector_log_insert_delete ON messages;
DROP FUNCTION vector_log_append();
ALTER TABLE vector_log RENAME TO change_log;
ALTER INDEX ix_vector_log_xid RENAME TO ix_change_log_xid;
ALTER INDEX ix_vector_log_logged_at RENAME TO ix_change_log_logged_at;
ALTER SEQUENCE vector_log_seq_seq RENAME TO change_log_seq_seq;
CREATE FUNCTION change_log_append() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'DELETE' THEN INSERT INTO change_log (message_id) VALUES (OLD.id); ELSE INSERT INTO change_log (message_id) VALUES (NEW.id); END IF; RETURN NULL; END $$;
CREATE TRIGGER change_log_insert_delete AFTER INSERT OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION change_log_append();
CREATE TRIGGER change_log_update AFTER UPDATE OF content, archived, tenant_id ON messages
    FOR EACH ROW EXECUTE FUNCTION change_log_append()
"#;

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER change_log_update ON messages;
DROP TRIGGER change_log_insert_delete ON messages;
DROP FUNCTION change_log_append();
ALTER SEQUENCE change_log_seq_seq RENAME TO vector_log_seq_seq;
ALTER INDEX ix_change_log_logged_at RENAME TO ix_vector_log_logged_at;
ALTER INDEX ix_change_log_xid RENAME TO ix_vector_log_xid;
ALTER TABLE change_log RENAME TO vector_log;
CREATE FUNCTION vector_log_append() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'DELETE' THEN INSERT INTO vector_log (message_id) VALUES (OLD.id); ELSE INSERT INTO vector_log (message_id) VALUES (NEW.id); END IF; RETURN NULL; END $$;
CREATE TRIGGER vector_log_insert_delete AFTER INSERT OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION vector_log_append();
CREATE TRIGGER vector_log_update AFTER UPDATE OF content, archived, tenant_id ON messages
    FOR EACH ROW EXECUTE FUNCTION vector_log_append()
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
