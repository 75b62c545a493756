//! Memberships: who belongs to a tenant and with which role. A tenant always keeps an admin.

use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::membership;
use crate::{
    domain::MemberRole,
    store::{
        entities::{api_keys, memberships, users},
        StoreError,
    },
};

/// Members of a tenant with their user rows, by join date.
pub async fn list_members(
    db: &DatabaseConnection,
    tenant_id: &str,
) -> Result<Vec<(memberships::Model, users::Model)>, StoreError> {
    let members = memberships::Entity::find()
        .filter(memberships::Column::TenantId.eq(tenant_id))
        .order_by_asc(memberships::Column::CreatedAt)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = members.iter().map(|m| m.user_id).collect();
    let users = users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(members
        .into_iter()
        .filter_map(|m| {
            let user = users.iter().find(|u| u.id == m.user_id)?.clone();
            Some((m, user))
        })
        .collect())
}

pub async fn add_member(
    db: &impl ConnectionTrait,
    tenant_id: &str,
    user_id: Uuid,
    role: MemberRole,
) -> Result<memberships::Model, StoreError> {
    if membership(db, tenant_id, user_id).await?.is_some() {
        return Err(StoreError::Conflict(
            "this user is already a member of the tenant".into(),
        ));
    }
    let now = crate::store::now();
    Ok(memberships::ActiveModel {
        tenant_id: Set(tenant_id.to_owned()),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// Changes a member's role (`Some`) or removes them (`None`), refusing to leave the tenant
/// without an administrator. In the caller's write transaction, so two admins demoting each
/// other at once cannot both succeed (and the audit entry commits with the change).
pub async fn change_member(
    txn: &DatabaseTransaction,
    tenant_id: &str,
    user_id: Uuid,
    role: Option<MemberRole>,
) -> Result<(), StoreError> {
    let current = membership(txn, tenant_id, user_id)
        .await?
        .ok_or(StoreError::NotFound { what: "member" })?;
    if current.role == MemberRole::Admin.as_str() && role != Some(MemberRole::Admin) {
        let admins = memberships::Entity::find()
            .filter(memberships::Column::TenantId.eq(tenant_id))
            .filter(memberships::Column::Role.eq(MemberRole::Admin.as_str()))
            .all(txn)
            .await?;
        if admins.len() <= 1 {
            return Err(StoreError::Conflict(
                "a tenant must keep at least one admin".into(),
            ));
        }
    }
    match role {
        Some(role) => {
            let mut active: memberships::ActiveModel = current.into();
            active.role = Set(role.as_str().to_owned());
            active.updated_at = Set(crate::store::now());
            active.update(txn).await?;
        }
        None => {
            memberships::Entity::delete_by_id((tenant_id.to_owned(), user_id))
                .exec(txn)
                .await?;
            // The departing member's keys for this tenant stop working with their membership.
            api_keys::Entity::update_many()
                .col_expr(
                    api_keys::Column::RevokedAt,
                    Expr::value(crate::store::now()),
                )
                .filter(api_keys::Column::TenantId.eq(tenant_id))
                .filter(api_keys::Column::UserId.eq(user_id))
                .filter(api_keys::Column::RevokedAt.is_null())
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}
