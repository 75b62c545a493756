//! Login sessions: one row per login, its refresh token rotated by generation, so a replayed
//! old token is recognised (and revokes the session).

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::store::{entities::auth_sessions, StoreError};

/// A new login session.
pub struct NewSession {
    pub user_id: Uuid,
    pub refresh_hash: String,
    pub remember_me: bool,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub expires_at: DateTime<Utc>,
}

pub async fn create_session(
    db: &impl ConnectionTrait,
    id: Uuid,
    new: NewSession,
) -> Result<auth_sessions::Model, StoreError> {
    let now = crate::store::now();
    Ok(auth_sessions::ActiveModel {
        id: Set(id),
        user_id: Set(new.user_id),
        refresh_generation: Set(0),
        refresh_hash: Set(new.refresh_hash),
        remember_me: Set(new.remember_me),
        ip_address: Set(new.ip_address),
        user_agent: Set(new.user_agent.map(|u| u.chars().take(512).collect())),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?)
}

/// The session if it exists, is not revoked and has not expired.
pub async fn active_session(
    db: &DatabaseConnection,
    id: Uuid,
) -> Result<Option<auth_sessions::Model>, StoreError> {
    Ok(auth_sessions::Entity::find_by_id(id)
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .filter(auth_sessions::Column::ExpiresAt.gt(crate::store::now()))
        .one(db)
        .await?)
}

/// Moves the session to the next refresh generation if it is still at `generation`. The
/// condition makes two concurrent refreshes with the same token race safely: one wins, the
/// other is treated as a replay.
pub async fn rotate_session(
    db: &impl ConnectionTrait,
    id: Uuid,
    generation: i32,
    new_hash: String,
) -> Result<bool, StoreError> {
    let result = auth_sessions::Entity::update_many()
        .col_expr(
            auth_sessions::Column::RefreshGeneration,
            Expr::value(generation + 1),
        )
        .col_expr(auth_sessions::Column::RefreshHash, Expr::value(new_hash))
        .col_expr(
            auth_sessions::Column::LastUsedAt,
            Expr::value(crate::store::now()),
        )
        .filter(auth_sessions::Column::Id.eq(id))
        .filter(auth_sessions::Column::RefreshGeneration.eq(generation))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn revoke_session(db: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    auth_sessions::Entity::update_many()
        .col_expr(
            auth_sessions::Column::RevokedAt,
            Expr::value(crate::store::now()),
        )
        .filter(auth_sessions::Column::Id.eq(id))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every session of the user except `keep`.
pub async fn revoke_other_sessions(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<u64, StoreError> {
    let mut update = auth_sessions::Entity::update_many()
        .col_expr(
            auth_sessions::Column::RevokedAt,
            Expr::value(crate::store::now()),
        )
        .filter(auth_sessions::Column::UserId.eq(user_id))
        .filter(auth_sessions::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(auth_sessions::Column::Id.ne(keep));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// The user's sessions still in use (not revoked, not expired), most recently used first.
pub async fn live_sessions(
    db: &DatabaseConnection,
    user_id: Uuid,
) -> Result<Vec<auth_sessions::Model>, StoreError> {
    Ok(auth_sessions::Entity::find()
        .filter(auth_sessions::Column::UserId.eq(user_id))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .filter(auth_sessions::Column::ExpiresAt.gt(crate::store::now()))
        .order_by_desc(auth_sessions::Column::LastUsedAt)
        .order_by_desc(auth_sessions::Column::Id)
        .all(db)
        .await?)
}

/// Revokes session `id` if it is a live session of `user_id`; whether it was.
pub async fn revoke_user_session(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, StoreError> {
    let result = auth_sessions::Entity::update_many()
        .col_expr(
            auth_sessions::Column::RevokedAt,
            Expr::value(crate::store::now()),
        )
        .filter(auth_sessions::Column::Id.eq(id))
        .filter(auth_sessions::Column::UserId.eq(user_id))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .filter(auth_sessions::Column::ExpiresAt.gt(crate::store::now()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records that session `id` was used now (callers skip it when its last use is recent, so
/// authentication is not a write per request).
pub async fn touch_session(db: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    auth_sessions::Entity::update_many()
        .col_expr(
            auth_sessions::Column::LastUsedAt,
            Expr::value(crate::store::now()),
        )
        .filter(auth_sessions::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
