use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub title: Option<String>,
    pub metadata: Json,
    /// All its messages, whatever their state: kept exact in the same transaction as every
    /// message write.
    pub message_count: i64,
    /// Of those, the archived ones (cold ones included), and the cold ones: kept by triggers
    /// (migration 16) in the writer's transaction.
    pub archived_count: i64,
    pub cold_count: i64,
    pub last_message_at: Option<DateTimeUtc>,
    pub archived: bool,
    /// Who created it (the original API's `user_id`); unknown for conversations created before
    /// it was recorded.
    pub user_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
