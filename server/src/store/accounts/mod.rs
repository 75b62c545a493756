//! Accounts: users and their registration (with their first tenant) here; login sessions,
//! API keys and memberships in their own files.
//!
//! - [`sessions`]: refresh-token rotation by generation.
//! - [`api_keys`]: tenant-bound keys, found by prefix.
//! - [`members`]: who belongs to a tenant, with which role.

mod api_keys;
mod members;
mod sessions;

pub use api_keys::*;
pub use members::*;
pub use sessions::*;

use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, SimpleExpr},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::{
    entities::{memberships, tenants, users},
    StoreError,
};

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

/// The user named `username`, whatever its case: "Alice" and "alice" are one name (the
/// `lower(username)` index makes them unique and finds them; usernames are ASCII).
fn username_is(username: &str) -> SimpleExpr {
    Expr::expr(Func::lower(Expr::col(users::Column::Username))).eq(username.to_ascii_lowercase())
}

/// Creates the user, their tenant and their admin membership in `txn`.
pub async fn create_account(
    txn: &DatabaseTransaction,
    new: NewAccount,
) -> Result<(users::Model, memberships::Model), StoreError> {
    let taken = users::Entity::find()
        .filter(
            users::Column::Email
                .eq(&new.email)
                .or(username_is(&new.username)),
        )
        .one(txn)
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
            if tenants::Entity::find_by_id(&id).one(txn).await?.is_some() {
                return Err(StoreError::Conflict(
                    "this tenant already exists; ask its administrator for an invitation".into(),
                ));
            }
            id
        }
        None => free_personal_tenant_id(txn, &new.username).await?,
    };
    let now = crate::store::now();
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
    .insert(txn)
    .await?;
    // The user first: when two registrations race past the check above on PostgreSQL, the
    // loser's insert breaks the email or username index and is answered 409 naming it.
    let membership =
        super::tenants::insert_with_admin(txn, &tenant_id, &tenant_id, user.id, now).await?;
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

/// The user with this email or this username (each whatever its case).
pub async fn find_user_by_login(
    db: &DatabaseConnection,
    email: Option<&str>,
    username: Option<&str>,
) -> Result<Option<users::Model>, StoreError> {
    let condition = match (email, username) {
        (Some(e), _) => users::Column::Email.eq(e.to_lowercase()),
        (None, Some(u)) => username_is(u),
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
                .or(username_is(identifier)),
        )
        .one(db)
        .await?)
}

pub async fn record_login(db: &impl ConnectionTrait, user_id: Uuid) -> Result<(), StoreError> {
    users::Entity::update_many()
        .col_expr(users::Column::LastLoginAt, Expr::value(crate::store::now()))
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
        .col_expr(users::Column::UpdatedAt, Expr::value(crate::store::now()))
        .filter(users::Column::Id.eq(user.id))
        .exec(db)
        .await?;
    Ok(true)
}

/// Updates profile fields; uniqueness conflicts become [`StoreError::Conflict`].
pub async fn update_profile(
    db: &impl ConnectionTrait,
    user: users::Model,
    email: Option<String>,
    username: Option<String>,
    full_name: Option<Option<String>>,
) -> Result<users::Model, StoreError> {
    let checks = [
        email
            .as_deref()
            .map(|e| (users::Column::Email.eq(e), "email")),
        username.as_deref().map(|u| (username_is(u), "username")),
    ];
    for (same, what) in checks.into_iter().flatten() {
        let other = users::Entity::find()
            .filter(same)
            .filter(users::Column::Id.ne(user.id))
            .one(db)
            .await?;
        if other.is_some() {
            return Err(StoreError::Conflict(format!(
                "this {what} is already registered"
            )));
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
    active.updated_at = Set(crate::store::now());
    Ok(active.update(db).await?)
}

pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    hash: String,
) -> Result<(), StoreError> {
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(users::Column::UpdatedAt, Expr::value(crate::store::now()))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Every user, oldest first (an instance export).
pub async fn all_users(db: &impl ConnectionTrait) -> Result<Vec<users::Model>, StoreError> {
    Ok(users::Entity::find()
        .order_by_asc(users::Column::CreatedAt)
        .order_by_asc(users::Column::Id)
        .all(db)
        .await?)
}

/// Every membership of every tenant (an instance export).
pub async fn all_memberships(
    db: &impl ConnectionTrait,
) -> Result<Vec<memberships::Model>, StoreError> {
    Ok(memberships::Entity::find()
        .order_by_asc(memberships::Column::TenantId)
        .order_by_asc(memberships::Column::UserId)
        .all(db)
        .await?)
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
