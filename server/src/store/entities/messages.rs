use sea_orm::entity::prelude::*;

/// A message's columns as its entity reads them (without the vector).
pub const COLUMNS: &str = "messages.id, messages.tenant_id, messages.conversation_id, \
    messages.role, messages.content, messages.metadata, messages.importance_score, \
    messages.importance_override, messages.embedding_status, messages.embedding_model, \
    messages.archived, messages.archived_at, messages.archive_reason, messages.cold, \
    messages.created_at, messages.updated_at";

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
