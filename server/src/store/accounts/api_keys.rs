//! API keys: bound to one tenant, found by their public prefix, stored as a SHA-256 hash.

use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::store::{entities::api_keys, StoreError};

pub async fn insert_api_key(
    db: &impl ConnectionTrait,
    key: api_keys::Model,
) -> Result<api_keys::Model, StoreError> {
    let active: api_keys::ActiveModel = key.into();
    Ok(active.insert(db).await?)
}

/// Every key of every tenant, revoked ones too (an instance export).
pub async fn all_api_keys(db: &impl ConnectionTrait) -> Result<Vec<api_keys::Model>, StoreError> {
    Ok(api_keys::Entity::find()
        .order_by_asc(api_keys::Column::CreatedAt)
        .order_by_asc(api_keys::Column::Id)
        .all(db)
        .await?)
}

/// Keys of the given tenants (not revoked ones unless `with_revoked`), newest first.
pub async fn list_api_keys(
    db: &DatabaseConnection,
    tenant_ids: &[String],
    with_revoked: bool,
) -> Result<Vec<api_keys::Model>, StoreError> {
    let mut query = api_keys::Entity::find()
        .filter(api_keys::Column::TenantId.is_in(tenant_ids.iter().cloned()));
    if !with_revoked {
        query = query.filter(api_keys::Column::RevokedAt.is_null());
    }
    Ok(query
        .order_by_desc(api_keys::Column::CreatedAt)
        .order_by_desc(api_keys::Column::Id)
        .all(db)
        .await?)
}

/// Revokes key `id` if it belongs to one of `tenant_ids`; its tenant and its creator, or `None`
/// when there is no such unrevoked key there.
pub async fn revoke_api_key(
    db: &impl ConnectionTrait,
    id: Uuid,
    tenant_ids: &[String],
) -> Result<Option<(String, Uuid)>, StoreError> {
    let Some(key) = api_keys::Entity::find_by_id(id)
        .filter(api_keys::Column::TenantId.is_in(tenant_ids.iter().cloned()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let result = api_keys::Entity::update_many()
        .col_expr(
            api_keys::Column::RevokedAt,
            Expr::value(crate::store::now()),
        )
        .filter(api_keys::Column::Id.eq(id))
        .filter(api_keys::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok((result.rows_affected == 1).then_some((key.tenant_id, key.user_id)))
}

/// Records use of a key at most once a minute, so authentication is not a write per request.
pub async fn touch_api_key(db: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    let now = crate::store::now();
    api_keys::Entity::update_many()
        .col_expr(api_keys::Column::LastUsedAt, Expr::value(now))
        .filter(api_keys::Column::Id.eq(id))
        .filter(
            api_keys::Column::LastUsedAt
                .is_null()
                .or(api_keys::Column::LastUsedAt.lt(now - chrono::Duration::seconds(60))),
        )
        .exec(db)
        .await?;
    Ok(())
}
