//! Per-tenant counters for analytics, kept by triggers in the same transaction as every change
//! to `messages` (whatever path makes it: ingest, edit, embed, archive, retention, delete).
//!
//! - `tenant_stats`: one row per change (a delta) or per tenant once folded: messages, archived,
//!   cold, vectors, completed / pending / failed embeddings, text bytes, importance sum. A tenant's
//!   figures are the sum of its rows.
//! - `tenant_daily`: messages per tenant, UTC day and role, as deltas too.
//!
//! Deltas rather than one row per tenant updated in place, so concurrent writers of one tenant
//! never wait for each other's counter row; the server folds them once a minute. On
//! PostgreSQL the triggers are per statement (a batch adds one delta per tenant), on SQLite per
//! row. Existing rows are counted into the tables here.
//!
//! `conversations.importance_sum` beside the exact `message_count` gives a conversation's
//! average importance; the triggers update it on the conversation row its writer already holds.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = r#"
CREATE TABLE tenant_stats (
    id {serial},
    tenant_id varchar(64) NOT NULL,
    messages bigint NOT NULL,
    archived bigint NOT NULL,
    cold bigint NOT NULL,
    vectors bigint NOT NULL,
    completed bigint NOT NULL,
    pending bigint NOT NULL,
    failed bigint NOT NULL,
    text_bytes bigint NOT NULL,
    importance_sum {float} NOT NULL
);
CREATE INDEX ix_tenant_stats_tenant ON tenant_stats (tenant_id);
CREATE TABLE tenant_daily (
    id {serial},
    tenant_id varchar(64) NOT NULL,
    day varchar(10) NOT NULL,
    role varchar(20) NOT NULL,
    messages bigint NOT NULL
);
CREATE INDEX ix_tenant_daily_tenant_day ON tenant_daily (tenant_id, day);
ALTER TABLE conversations ADD COLUMN importance_sum {float} NOT NULL DEFAULT 0
"#;

const STATS_COLUMNS: &str =
    "tenant_id, messages, archived, cold, vectors, completed, pending, failed, text_bytes, \
     importance_sum";

/// The counted values of row `r`, in [`STATS_COLUMNS`] order after `tenant_id`.
fn counted(pg: bool, r: &str) -> [String; 9] {
    let flag = |cond: String| format!("CAST(({cond}) AS integer)");
    let bytes = if pg {
        format!("octet_length({r}.content) + octet_length({r}.metadata::text)")
    } else {
        format!("length(CAST({r}.content AS BLOB)) + length(CAST({r}.metadata AS BLOB))")
    };
    [
        "1".to_owned(),
        flag(format!("{r}.archived")),
        flag(format!("{r}.cold")),
        flag(format!("{r}.embedding IS NOT NULL")),
        flag(format!(
            "{r}.embedding_status = 'completed' AND NOT {r}.cold"
        )),
        flag(format!("{r}.embedding_status = 'pending' AND NOT {r}.cold")),
        flag(format!("{r}.embedding_status = 'failed'")),
        bytes,
        format!("{r}.importance_score"),
    ]
}

fn day(pg: bool, r: &str) -> String {
    if pg {
        format!("to_char({r}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
    } else {
        format!("substr({r}.created_at, 1, 10)")
    }
}

/// `SELECT` list of one row's delta, named as the columns: `sign` 1 adds row `r`, -1 takes it
/// away.
fn signed(pg: bool, r: &str, sign: i32) -> String {
    let values: Vec<String> = counted(pg, r)
        .iter()
        .zip(STATS_COLUMNS.split(", ").skip(1))
        .map(|(v, column)| format!("{sign} * ({v}) AS {}", column.trim()))
        .collect();
    format!("{r}.tenant_id AS tenant_id, {}", values.join(", "))
}

/// The sums over the counted columns of a derived table `d`, with a row per tenant.
fn summed() -> String {
    let sums: Vec<String> = STATS_COLUMNS
        .split(", ")
        .skip(1)
        .map(|c| format!("SUM({})", c.trim()))
        .collect();
    sums.join(", ")
}

fn sqlite_triggers() -> String {
    let stats = |r: &str, sign: i32| {
        format!(
            "INSERT INTO tenant_stats ({STATS_COLUMNS}) SELECT {}",
            signed(false, r, sign)
        )
    };
    let daily = |r: &str, sign: i32| {
        format!(
            "INSERT INTO tenant_daily (tenant_id, day, role, messages) VALUES ({r}.tenant_id, {}, \
             {r}.role, {sign})",
            day(false, r)
        )
    };
    let conversation = |r: &str, sign: i32| {
        format!(
            "UPDATE conversations SET importance_sum = importance_sum + {sign} * \
             {r}.importance_score WHERE tenant_id = {r}.tenant_id AND id = {r}.conversation_id"
        )
    };
    // One line per trigger: statements are split on ";\n".
    let changed = "old.archived IS NOT new.archived OR old.cold IS NOT new.cold OR \
        (old.embedding IS NULL) <> (new.embedding IS NULL) OR \
        old.embedding_status IS NOT new.embedding_status OR old.content IS NOT new.content OR \
        old.metadata IS NOT new.metadata OR old.importance_score IS NOT new.importance_score";
    [
        format!(
            "CREATE TRIGGER tenant_stats_insert AFTER INSERT ON messages BEGIN {}; {}; {}; END",
            stats("new", 1),
            daily("new", 1),
            conversation("new", 1)
        ),
        format!(
            "CREATE TRIGGER tenant_stats_delete AFTER DELETE ON messages BEGIN {}; {}; {}; END",
            stats("old", -1),
            daily("old", -1),
            conversation("old", -1)
        ),
        format!(
            "CREATE TRIGGER tenant_stats_update AFTER UPDATE ON messages WHEN {changed} BEGIN \
             {}; {}; {}; {}; END",
            stats("old", -1),
            stats("new", 1),
            conversation("old", -1),
            conversation("new", 1)
        ),
        format!(
            "CREATE TRIGGER tenant_daily_update AFTER UPDATE ON messages WHEN old.created_at IS \
             NOT new.created_at OR old.role IS NOT new.role BEGIN {}; {}; END",
            daily("old", -1),
            daily("new", 1)
        ),
    ]
    .join(";\n")
}

fn postgres_triggers() -> String {
    let stats_from = |rows: &str| {
        format!(
            "INSERT INTO tenant_stats ({STATS_COLUMNS}) SELECT tenant_id, {} FROM ({rows}) d \
             GROUP BY tenant_id",
            summed()
        )
    };
    let one = |table: &str, sign: i32| format!("SELECT {} FROM {table} r", signed(true, "r", sign));
    let daily_from = |table: &str, sign: i32| {
        format!(
            "SELECT r.tenant_id, {} AS day, r.role, {sign} AS messages FROM {table} r",
            day(true, "r")
        )
    };
    let daily_insert = |rows: String| {
        format!(
            "INSERT INTO tenant_daily (tenant_id, day, role, messages) SELECT tenant_id, day, \
             role, SUM(messages) FROM ({rows}) d GROUP BY tenant_id, day, role \
             HAVING SUM(messages) <> 0"
        )
    };
    let update_stats = format!(
        "{} HAVING {}",
        stats_from(&format!(
            "{} UNION ALL {}",
            one("new_rows", 1),
            one("old_rows", -1)
        )),
        STATS_COLUMNS
            .split(", ")
            .skip(1)
            .map(|c| format!("SUM({}) <> 0", c.trim()))
            .collect::<Vec<_>>()
            .join(" OR ")
    );
    let conversation_of = |table: &str, sign: i32| {
        format!(
            "SELECT r.tenant_id, r.conversation_id, {sign} * r.importance_score AS s FROM {table} r"
        )
    };
    let conversations = |rows: String| {
        format!(
            "UPDATE conversations c SET importance_sum = c.importance_sum + d.s FROM \
             (SELECT tenant_id, conversation_id, SUM(s) AS s FROM ({rows}) x \
             GROUP BY tenant_id, conversation_id HAVING SUM(s) <> 0) d \
             WHERE c.tenant_id = d.tenant_id AND c.id = d.conversation_id"
        )
    };
    let function = |name: &str, body: String| {
        format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; \
             RETURN NULL; END $$"
        )
    };
    [
        function(
            "tenant_stats_inserted",
            format!(
                "{}; {}; {}",
                stats_from(&one("new_rows", 1)),
                daily_insert(daily_from("new_rows", 1)),
                conversations(conversation_of("new_rows", 1))
            ),
        ),
        function(
            "tenant_stats_deleted",
            format!(
                "{}; {}; {}",
                stats_from(&one("old_rows", -1)),
                daily_insert(daily_from("old_rows", -1)),
                conversations(conversation_of("old_rows", -1))
            ),
        ),
        function(
            "tenant_stats_updated",
            format!(
                "{update_stats}; {}; {}",
                daily_insert(format!(
                    "{} UNION ALL {}",
                    daily_from("new_rows", 1),
                    daily_from("old_rows", -1)
                )),
                conversations(format!(
                    "{} UNION ALL {}",
                    conversation_of("new_rows", 1),
                    conversation_of("old_rows", -1)
                ))
            ),
        ),
        "CREATE TRIGGER tenant_stats_insert AFTER INSERT ON messages REFERENCING NEW TABLE AS \
         new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenant_stats_inserted()"
            .to_owned(),
        "CREATE TRIGGER tenant_stats_delete AFTER DELETE ON messages REFERENCING OLD TABLE AS \
         old_rows FOR EACH STATEMENT EXECUTE FUNCTION tenant_stats_deleted()"
            .to_owned(),
        "CREATE TRIGGER tenant_stats_update AFTER UPDATE ON messages REFERENCING OLD TABLE AS \
         old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \
         tenant_stats_updated()"
            .to_owned(),
    ]
    .join(";\n")
}

/// Counts the rows already stored.
fn backfill(pg: bool) -> String {
    format!(
        "INSERT INTO tenant_stats ({STATS_COLUMNS}) SELECT tenant_id, {} FROM (SELECT {} FROM \
         messages m) d GROUP BY tenant_id;\n\
         INSERT INTO tenant_daily (tenant_id, day, role, messages) SELECT m.tenant_id, {} AS day, \
         m.role, COUNT(*) FROM messages m GROUP BY 1, 2, 3;\n\
         UPDATE conversations SET importance_sum = COALESCE((SELECT SUM(m.importance_score) \
         FROM messages m WHERE m.tenant_id = conversations.tenant_id \
         AND m.conversation_id = conversations.id), 0)",
        summed(),
        signed(pg, "m", 1),
        day(pg, "m")
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let pg = sql::is_postgres(manager);
        let serial = if pg {
            "bigserial PRIMARY KEY"
        } else {
            "INTEGER PRIMARY KEY AUTOINCREMENT"
        };
        sql::run(manager, &TABLES.replace("{serial}", serial)).await?;
        let triggers = if pg {
            postgres_triggers()
        } else {
            sqlite_triggers()
        };
        sql::run(manager, &triggers).await?;
        sql::run(manager, &backfill(pg)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop_triggers = if sql::is_postgres(manager) {
            "DROP TRIGGER tenant_stats_insert ON messages;\n\
             DROP TRIGGER tenant_stats_delete ON messages;\n\
             DROP TRIGGER tenant_stats_update ON messages;\n\
             DROP FUNCTION tenant_stats_inserted();\n\
             DROP FUNCTION tenant_stats_deleted();\n\
             DROP FUNCTION tenant_stats_updated()"
        } else {
            "DROP TRIGGER tenant_stats_insert;\n\
             DROP TRIGGER tenant_stats_delete;\n\
             DROP TRIGGER tenant_stats_update;\n\
             DROP TRIGGER tenant_daily_update"
        };
        sql::run(manager, drop_triggers).await?;
        sql::run(
            manager,
            "ALTER TABLE conversations DROP COLUMN importance_sum;\n\
             DROP TABLE tenant_daily;\n\
             DROP TABLE tenant_stats",
        )
        .await
    }
}
