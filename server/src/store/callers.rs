//! Who is calling: everything a request's credential stands for, read in one query.
//!
//! Every authenticated request pays for this before it does its own work, so it is one round
//! trip, not one per table: the session (live, the token's user), the user (active) and the
//! user's tenant memberships come together; an API key comes with its user and its creator's
//! membership in the key's tenant. Each round trip is a wake-up that can wait behind other
//! work on a busy machine.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::StoreError;
use crate::domain::{KeyScope, MemberRole};

/// A tenant the caller belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub tenant_id: String,
    pub role: MemberRole,
}

/// The user behind a live session.
#[derive(Debug, Clone)]
pub struct SessionCaller {
    pub user_id: Uuid,
    pub is_instance_admin: bool,
    /// When the session was last recorded as used.
    pub last_used_at: DateTime<Utc>,
    /// All of the user's memberships, by tenant id.
    pub memberships: Vec<Membership>,
}

/// Session `session_id` if it is live (not revoked, not expired at `now`) and belongs to
/// `user_id`, an active user; `None` otherwise.
pub async fn by_session(
    db: &DatabaseConnection,
    session_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<SessionCaller>, StoreError> {
    let rows = db
        .query_all_raw(crate::store::statement(
            db.get_database_backend(),
            "SELECT u.is_instance_admin, s.last_used_at, m.tenant_id, m.role \
             FROM auth_sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN memberships m ON m.user_id = u.id \
             WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 \
               AND u.is_active \
             ORDER BY m.tenant_id",
            [session_id.into(), user_id.into(), now.into()],
        ))
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(SessionCaller {
        user_id,
        is_instance_admin: first.try_get("", "is_instance_admin")?,
        last_used_at: first.try_get("", "last_used_at")?,
        memberships: rows
            .iter()
            .map(membership)
            .filter_map(Result::transpose)
            .collect::<Result<_, _>>()?,
    }))
}

/// An API key with what it needs to be checked and used.
#[derive(Debug, Clone)]
pub struct KeyCaller {
    pub key_id: Uuid,
    pub key_hash: String,
    pub tenant_id: String,
    pub scope: KeyScope,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub user_id: Uuid,
    pub user_active: bool,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The key creator's membership in the key's tenant, if they still have one.
    pub membership: Option<Membership>,
}

/// The key with `prefix`, whoever's it is; the caller checks its secret and state.
pub async fn by_key_prefix(
    db: &DatabaseConnection,
    prefix: &str,
) -> Result<Option<KeyCaller>, StoreError> {
    let row = db
        .query_one_raw(crate::store::statement(
            db.get_database_backend(),
            "SELECT k.id, k.key_hash, k.tenant_id AS key_tenant, k.scope, k.revoked_at, \
               k.expires_at, k.user_id, u.is_active, k.last_used_at, m.tenant_id, m.role \
             FROM api_keys k JOIN users u ON u.id = k.user_id \
             LEFT JOIN memberships m ON m.user_id = k.user_id AND m.tenant_id = k.tenant_id \
             WHERE k.prefix = $1",
            [prefix.into()],
        ))
        .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(KeyCaller {
        key_id: r.try_get("", "id")?,
        key_hash: r.try_get("", "key_hash")?,
        tenant_id: r.try_get("", "key_tenant")?,
        scope: KeyScope::from_stored(&r.try_get::<String>("", "scope")?),
        revoked_at: r.try_get("", "revoked_at")?,
        expires_at: r.try_get("", "expires_at")?,
        user_id: r.try_get("", "user_id")?,
        user_active: r.try_get("", "is_active")?,
        last_used_at: r.try_get("", "last_used_at")?,
        membership: membership(&r)?,
    }))
}

/// The membership columns of a row, `None` where the outer join found none.
fn membership(r: &sea_orm::QueryResult) -> Result<Option<Membership>, StoreError> {
    let tenant: Option<String> = r.try_get("", "tenant_id")?;
    let role: Option<String> = r.try_get("", "role")?;
    Ok(tenant.zip(role).map(|(tenant_id, role)| Membership {
        tenant_id,
        role: MemberRole::from_stored(&role),
    }))
}
