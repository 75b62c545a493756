//! Tenants, users, memberships, login sessions and API keys.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::entities::{api_keys, auth_sessions, memberships, tenants, users};
use super::StoreError;

/// Roles a user can hold in a tenant, from most to least powerful.
pub const ROLES: [&str; 3] = ["admin", "member", "read_only"];

/// What registration needs, already validated.
pub struct NewAccount {
    pub email: String,
    pub username: String,
    pub password_hash: String,
    pub full_name: Option<String>,
    /// `Some`: create this tenant (409 if it exists). `None`: a personal tenant named after the
    /// username (with a suffix if that name is taken).
    pub tenant_id: Option<String>,
    pub is_instance_admin: bool,
}

/// Creates the user, their tenant and their admin membership in one transaction.
pub async fn create_account(
    db: &DatabaseConnection,
    new: NewAccount,
) -> Result<(users::Model, memberships::Model), StoreError> {
    let txn = super::begin_write(db).await?;
    let taken = users::Entity::find()
        .filter(
            users::Column::Email
                .eq(&new.email)
                .or(users::Column::Username.eq(&new.username)),
        )
        .one(&txn)
        .await?;
    if let Some(existing) = taken {
        let what = if existing.email == new.email {
            "email"
        } else {
            "username"
        };
        return Err(StoreError::Conflict(format!(
            "this {what} is already registered"
        )));
    }
    let tenant_id = match new.tenant_id {
        Some(id) => {
            if tenants::Entity::find_by_id(&id).one(&txn).await?.is_some() {
                return Err(StoreError::Conflict(
                    "this tenant already exists; ask its administrator for an invitation".into(),
                ));
            }
            id
        }
        None => free_personal_tenant_id(&txn, &new.username).await?,
    };
    let now = Utc::now();
    tenants::ActiveModel {
        id: Set(tenant_id.clone()),
        name: Set(tenant_id.clone()),
        settings: Set(serde_json::json!({})),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let user = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email),
        username: Set(new.username),
        password_hash: Set(new.password_hash),
        full_name: Set(new.full_name),
        is_active: Set(true),
        is_instance_admin: Set(new.is_instance_admin),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let membership = memberships::ActiveModel {
        tenant_id: Set(tenant_id),
        user_id: Set(user.id),
        role: Set("admin".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok((user, membership))
}

async fn free_personal_tenant_id(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<String, StoreError> {
    let mut candidate = username.to_owned();
    for _ in 0..5 {
        if tenants::Entity::find_by_id(&candidate)
            .one(db)
            .await?
            .is_none()
        {
            return Ok(candidate);
        }
        let suffix = Uuid::new_v4().simple().to_string();
        candidate = format!("{username}-{}", &suffix[..6]);
    }
    Err(StoreError::Conflict(
        "could not find a free personal tenant name".into(),
    ))
}

/// The user with this (lower-cased) email or this username.
pub async fn find_user_by_login(
    db: &DatabaseConnection,
    email: Option<&str>,
    username: Option<&str>,
) -> Result<Option<users::Model>, StoreError> {
    let condition = match (email, username) {
        (Some(e), _) => users::Column::Email.eq(e.to_lowercase()),
        (None, Some(u)) => users::Column::Username.eq(u),
        (None, None) => return Ok(None),
    };
    Ok(users::Entity::find().filter(condition).one(db).await?)
}

pub async fn user_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<users::Model>, StoreError> {
    Ok(users::Entity::find_by_id(id).one(db).await?)
}

pub async fn user_by_email_or_username(
    db: &DatabaseConnection,
    identifier: &str,
) -> Result<Option<users::Model>, StoreError> {
    Ok(users::Entity::find()
        .filter(
            users::Column::Email
                .eq(identifier.to_lowercase())
                .or(users::Column::Username.eq(identifier)),
        )
        .one(db)
        .await?)
}

pub async fn record_login(db: &DatabaseConnection, user_id: Uuid) -> Result<(), StoreError> {
    users::Entity::update_many()
        .col_expr(users::Column::LastLoginAt, Expr::value(Utc::now()))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Grants or revokes instance administration for the user with this email or username; `false`
/// when there is no such user.
pub async fn set_instance_admin(
    db: &DatabaseConnection,
    identifier: &str,
    admin: bool,
) -> Result<bool, StoreError> {
    let Some(user) = user_by_email_or_username(db, identifier).await? else {
        return Ok(false);
    };
    users::Entity::update_many()
        .col_expr(users::Column::IsInstanceAdmin, Expr::value(admin))
        .col_expr(users::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(users::Column::Id.eq(user.id))
        .exec(db)
        .await?;
    Ok(true)
}

/// Updates profile fields; uniqueness conflicts become [`StoreError::Conflict`].
pub async fn update_profile(
    db: &DatabaseConnection,
    user: users::Model,
    email: Option<String>,
    username: Option<String>,
    full_name: Option<Option<String>>,
) -> Result<users::Model, StoreError> {
    for (column, value, what) in [
        (users::Column::Email, &email, "email"),
        (users::Column::Username, &username, "username"),
    ] {
        if let Some(v) = value {
            let other = users::Entity::find()
                .filter(column.eq(v.as_str()))
                .filter(users::Column::Id.ne(user.id))
                .one(db)
                .await?;
            if other.is_some() {
                return Err(StoreError::Conflict(format!(
                    "this {what} is already registered"
                )));
            }
        }
    }
    let mut active: users::ActiveModel = user.into();
    if let Some(e) = email {
        active.email = Set(e);
    }
    if let Some(u) = username {
        active.username = Set(u);
    }
    if let Some(f) = full_name {
        active.full_name = Set(f);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

pub async fn set_password_hash(
    db: &DatabaseConnection,
    user_id: Uuid,
    hash: String,
) -> Result<(), StoreError> {
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(users::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn memberships_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<memberships::Model>, StoreError> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .order_by_asc(memberships::Column::TenantId)
        .all(db)
        .await?)
}

pub async fn membership(
    db: &impl ConnectionTrait,
    tenant_id: &str,
    user_id: Uuid,
) -> Result<Option<memberships::Model>, StoreError> {
    Ok(
        memberships::Entity::find_by_id((tenant_id.to_owned(), user_id))
            .one(db)
            .await?,
    )
}

// --- sessions ----------------------------------------------------------------------------------

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
    db: &DatabaseConnection,
    id: Uuid,
    new: NewSession,
) -> Result<auth_sessions::Model, StoreError> {
    let now = Utc::now();
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
        .filter(auth_sessions::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?)
}

/// Moves the session to the next refresh generation if it is still at `generation`. The
/// condition makes two concurrent refreshes with the same token race safely: one wins, the
/// other is treated as a replay.
pub async fn rotate_session(
    db: &DatabaseConnection,
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
        .col_expr(auth_sessions::Column::LastUsedAt, Expr::value(Utc::now()))
        .filter(auth_sessions::Column::Id.eq(id))
        .filter(auth_sessions::Column::RefreshGeneration.eq(generation))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn revoke_session(db: &DatabaseConnection, id: Uuid) -> Result<(), StoreError> {
    auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(auth_sessions::Column::Id.eq(id))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every session of the user except `keep`.
pub async fn revoke_other_sessions(
    db: &DatabaseConnection,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<u64, StoreError> {
    let mut update = auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(auth_sessions::Column::UserId.eq(user_id))
        .filter(auth_sessions::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(auth_sessions::Column::Id.ne(keep));
    }
    Ok(update.exec(db).await?.rows_affected)
}

// --- API keys ----------------------------------------------------------------------------------

pub async fn insert_api_key(
    db: &DatabaseConnection,
    key: api_keys::Model,
) -> Result<api_keys::Model, StoreError> {
    let active: api_keys::ActiveModel = key.into();
    Ok(active.insert(db).await?)
}

/// Keys of the given tenants that are not revoked, newest first.
pub async fn list_api_keys(
    db: &DatabaseConnection,
    tenant_ids: &[String],
) -> Result<Vec<api_keys::Model>, StoreError> {
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::TenantId.is_in(tenant_ids.iter().cloned()))
        .filter(api_keys::Column::RevokedAt.is_null())
        .order_by_desc(api_keys::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Revokes key `id` if it belongs to one of `tenant_ids`; false when there is no such key there.
pub async fn revoke_api_key(
    db: &DatabaseConnection,
    id: Uuid,
    tenant_ids: &[String],
) -> Result<bool, StoreError> {
    let result = api_keys::Entity::update_many()
        .col_expr(api_keys::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_keys::Column::Id.eq(id))
        .filter(api_keys::Column::TenantId.is_in(tenant_ids.iter().cloned()))
        .filter(api_keys::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records use of a key at most once a minute, so authentication is not a write per request.
pub async fn touch_api_key(db: &DatabaseConnection, id: Uuid) -> Result<(), StoreError> {
    let now = Utc::now();
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

// --- members -----------------------------------------------------------------------------------

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
    db: &DatabaseConnection,
    tenant_id: &str,
    user_id: Uuid,
    role: &str,
) -> Result<memberships::Model, StoreError> {
    if membership(db, tenant_id, user_id).await?.is_some() {
        return Err(StoreError::Conflict(
            "this user is already a member of the tenant".into(),
        ));
    }
    let now = Utc::now();
    Ok(memberships::ActiveModel {
        tenant_id: Set(tenant_id.to_owned()),
        user_id: Set(user_id),
        role: Set(role.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// Changes a member's role (`Some`) or removes them (`None`), refusing to leave the tenant
/// without an administrator. Runs in a transaction so two admins demoting each other at once
/// cannot both succeed.
pub async fn change_member(
    db: &DatabaseConnection,
    tenant_id: &str,
    user_id: Uuid,
    role: Option<&str>,
) -> Result<(), StoreError> {
    let txn = super::begin_write(db).await?;
    let current = membership(&txn, tenant_id, user_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if current.role == "admin" && role != Some("admin") {
        let admins = memberships::Entity::find()
            .filter(memberships::Column::TenantId.eq(tenant_id))
            .filter(memberships::Column::Role.eq("admin"))
            .all(&txn)
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
            active.role = Set(role.to_owned());
            active.updated_at = Set(Utc::now());
            active.update(&txn).await?;
        }
        None => {
            memberships::Entity::delete_by_id((tenant_id.to_owned(), user_id))
                .exec(&txn)
                .await?;
            // The departing member's keys for this tenant stop working with their membership.
            api_keys::Entity::update_many()
                .col_expr(api_keys::Column::RevokedAt, Expr::value(Utc::now()))
                .filter(api_keys::Column::TenantId.eq(tenant_id))
                .filter(api_keys::Column::UserId.eq(user_id))
                .filter(api_keys::Column::RevokedAt.is_null())
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}
