use sea_orm::entity::prelude::*;

/// A tenant's own retention policy (absent: the server's defaults, disabled).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "retention_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    pub enabled: bool,
    pub max_age_days: i32,
    pub importance_threshold: f64,
    pub min_age_days: i32,
    pub max_items: Option<i32>,
    pub delete_after_days: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
