//! A conversation counts its messages by state: `archived_count` (archived, cold ones
//! included) and `cold_count` beside the exact `message_count` (all of them), kept by triggers
//! in the writer's transaction whatever writes (a request, a retention run, a restore), so a
//! conversation can say how many of its messages are active, archived and cold without
//! counting them. PostgreSQL: per statement, over the transition tables (a retention batch
//! updates each conversation once); SQLite: per row, only when a state changes.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &str = r#"
ALTER TABLE conversations ADD COLUMN archived_count bigint NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN cold_count bigint NOT NULL DEFAULT 0;
UPDATE conversations SET
    archived_count = (SELECT COUNT(*) FROM messages m WHERE m.tenant_id = conversations.tenant_id
        AND m.conversation_id = conversations.id AND m.archived),
    cold_count = (SELECT COUNT(*) FROM messages m WHERE m.tenant_id = conversations.tenant_id
        AND m.conversation_id = conversations.id AND m.cold)
"#;

/// One line per trigger: statements are split on ";\n".
const SQLITE: &str = "CREATE TRIGGER conversation_states_update AFTER UPDATE OF archived, cold ON messages WHEN old.archived IS NOT new.archived OR old.cold IS NOT new.cold BEGIN UPDATE conversations SET archived_count = archived_count + new.archived - old.archived, cold_count = cold_count + new.cold - old.cold WHERE tenant_id = new.tenant_id AND id = new.conversation_id; END;
CREATE TRIGGER conversation_states_insert AFTER INSERT ON messages WHEN new.archived OR new.cold BEGIN UPDATE conversations SET archived_count = archived_count + new.archived, cold_count = cold_count + new.cold WHERE tenant_id = new.tenant_id AND id = new.conversation_id; END;
CREATE TRIGGER conversation_states_delete AFTER DELETE ON messages WHEN old.archived OR old.cold BEGIN UPDATE conversations SET archived_count = archived_count - old.archived, cold_count = cold_count - old.cold WHERE tenant_id = old.tenant_id AND id = old.conversation_id; END";

/// `rows` of messages (a transition table) as signed state counts per conversation.
fn postgres_delta(rows: &str) -> String {
    format!(
        "UPDATE conversations c SET archived_count = c.archived_count + d.a, \
         cold_count = c.cold_count + d.k FROM (SELECT tenant_id, conversation_id, SUM(a) AS a, \
         SUM(k) AS k FROM ({rows}) x GROUP BY tenant_id, conversation_id \
         HAVING SUM(a) <> 0 OR SUM(k) <> 0) d \
         WHERE c.tenant_id = d.tenant_id AND c.id = d.conversation_id"
    )
}

fn postgres_rows(table: &str, sign: i32) -> String {
    format!(
        "SELECT tenant_id, conversation_id, {sign} * archived::int AS a, {sign} * cold::int AS k \
         FROM {table} WHERE archived OR cold"
    )
}

fn postgres() -> String {
    let function = |name: &str, body: String| {
        format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; \
             RETURN NULL; END $$"
        )
    };
    let trigger = |name: &str, event: &str, tables: &str| {
        format!(
            "CREATE TRIGGER {name} AFTER {event} ON messages REFERENCING {tables} \
             FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    };
    [
        function(
            "conversation_states_inserted",
            postgres_delta(&postgres_rows("new_rows", 1)),
        ),
        function(
            "conversation_states_deleted",
            postgres_delta(&postgres_rows("old_rows", -1)),
        ),
        function(
            "conversation_states_updated",
            postgres_delta(&format!(
                "{} UNION ALL {}",
                postgres_rows("new_rows", 1),
                postgres_rows("old_rows", -1)
            )),
        ),
        trigger(
            "conversation_states_inserted",
            "INSERT",
            "NEW TABLE AS new_rows",
        ),
        trigger(
            "conversation_states_deleted",
            "DELETE",
            "OLD TABLE AS old_rows",
        ),
        trigger(
            "conversation_states_updated",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ),
    ]
    .join(";\n")
}

const SQLITE_DOWN: &str = "DROP TRIGGER conversation_states_update;
DROP TRIGGER conversation_states_insert;
DROP TRIGGER conversation_states_delete";

const POSTGRES_DOWN: &str = "DROP TRIGGER conversation_states_updated ON messages;
DROP TRIGGER conversation_states_deleted ON messages;
DROP TRIGGER conversation_states_inserted ON messages;
DROP FUNCTION conversation_states_updated();
DROP FUNCTION conversation_states_deleted();
DROP FUNCTION conversation_states_inserted()";

const COLUMNS_DOWN: &str = "ALTER TABLE conversations DROP COLUMN cold_count;
ALTER TABLE conversations DROP COLUMN archived_count";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, COLUMNS).await?;
        if sql::is_postgres(manager) {
            sql::run(manager, &postgres()).await
        } else {
            sql::run(manager, SQLITE).await
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(manager, POSTGRES_DOWN).await?;
        } else {
            sql::run(manager, SQLITE_DOWN).await?;
        }
        sql::run(manager, COLUMNS_DOWN).await
    }
}
