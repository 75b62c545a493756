use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub tenant_id: String,
    pub name: String,
    /// The public part of the key, unique: requests find their key by it in one index lookup.
    pub prefix: String,
    /// SHA-256 (hex) of the secret part. The secret is 256 random bits, so a fast hash is as
    /// strong as a slow one here and keeps authentication O(1).
    pub key_hash: String,
    /// `read` or `write`.
    pub scope: String,
    pub last_used_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
