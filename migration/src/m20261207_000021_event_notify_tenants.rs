//! The `memory_events` notification names the tenants whose events a statement added (one
//! notification per tenant; PostgreSQL folds repeats within a transaction). Every instance
//! still wakes its event pump on any notification; with read replicas configured it also
//! sends that tenant's reads to the primary for the read-after-write pin, so a change made
//! through one instance is read from the primary by all of them. An instance of the previous
//! release ignores the payload, and this release ignores an empty one, so both run side by
//! side. PostgreSQL only (SQLite has no notifications).

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
DROP TRIGGER events_notify ON events;
CREATE OR REPLACE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('memory_events', t.tenant_id) FROM (SELECT DISTINCT tenant_id FROM added) AS t; RETURN NULL; END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify()
"#;

const DOWN: &str = r#"
DROP TRIGGER events_notify ON events;
CREATE OR REPLACE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('memory_events', ''); RETURN NULL; END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify()
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(manager, UP).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(manager, DOWN).await?;
        }
        Ok(())
    }
}
