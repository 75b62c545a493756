use sea_orm::entity::prelude::*;

/// A retention run, dry or real (what it did to which message: `retention_run_items`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "retention_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: String,
    pub dry_run: bool,
    /// `manual`, `admin` or `scheduled`.
    pub run_trigger: String,
    pub actor: String,
    pub actor_user_id: Option<String>,
    /// The steps' names, in order.
    pub rules_applied: Json,
    /// `[{rule_id, name, reason}]`: enabled rules the run could not run.
    pub rules_skipped: Json,
    pub messages_archived: i64,
    pub messages_deleted: i64,
    pub messages_moved_to_cold: i64,
    /// `{archive, delete, cold}`: the first ids of each.
    pub sample_ids: Json,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// What interrupted the run (its counts are what it did until then).
    pub error: Option<String>,
    pub restored_at: Option<DateTimeUtc>,
    pub messages_restored: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
