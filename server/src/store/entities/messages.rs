use sea_orm::entity::prelude::*;

/// A message without its embedding (whose column type differs per backend: see `store::vectors`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: String,
    pub conversation_id: String,
    pub role: String,
    pub content: String,
    pub metadata: Json,
    pub importance_score: f64,
    pub importance_override: Option<f64>,
    /// `pending`, `completed` or `failed`.
    pub embedding_status: String,
    pub embedding_model: Option<String>,
    pub archived: bool,
    pub archived_at: Option<DateTimeUtc>,
    /// Why it was archived: `manual`, `policy`, or the rule's name.
    pub archive_reason: Option<String>,
    /// In cold storage: archived, without a vector, out of every index.
    pub cold: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
