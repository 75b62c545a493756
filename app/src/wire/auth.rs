//! Accounts, sessions, API keys and tenant members (`/v1/auth`, `/v1/tenants`).

use serde::{Deserialize, Serialize};

/// `POST /v1/auth/register`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub full_name: Option<String>,
    /// A new tenant to create and administer; omitted: a personal tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// A user as the API shows it: never any password material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserResponse {
    pub id: String,
    pub email: String,
    pub username: String,
    pub full_name: Option<String>,
    pub is_active: bool,
    pub is_instance_admin: bool,
    pub tenants: Vec<TenantMembership>,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

/// One tenant a user belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantMembership {
    pub tenant_id: String,
    /// `admin`, `member` or `read_only`.
    pub role: String,
}

/// `POST /v1/auth/login`: by email or by username.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[serde(default)]
    pub email: Option<String>,
    /// A username; one holding `@` is read as the email (usernames never hold it).
    #[serde(default)]
    pub username: Option<String>,
    pub password: String,
    /// Longer-lived refresh token (4× the configured lifetime).
    #[serde(default)]
    pub remember_me: bool,
}

/// Answer of login and refresh.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// `POST /v1/auth/refresh`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// `PUT /v1/auth/me`: profile fields only — tenant and role cannot be changed here.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
}

/// `POST /v1/auth/change-password`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// One of the caller's login sessions (`GET /v1/auth/sessions`): a sign-in on some device,
/// live until it is ended or expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    pub id: String,
    /// The session this request came with.
    pub current: bool,
    /// The browser or client that signed in, as it named itself.
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
    pub created_at: String,
    /// Recorded at most once a minute.
    pub last_used_at: String,
    pub expires_at: String,
    /// Signed in with "remember me" (a longer-lived refresh token).
    pub remember_me: bool,
}

/// The answer of `DELETE /v1/auth/sessions`: how many other sessions were ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndedSessions {
    pub ended: u64,
}

/// `POST /v1/auth/api-keys`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    pub name: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// `read` or `write` (default).
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub expires_days: Option<u32>,
}

/// An API key as listed: never the key itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiKeyResponse {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub tenant_id: String,
    pub scope: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// The same as `last_used_at`, under the original API's name.
    #[serde(default)]
    pub last_used: Option<String>,
    /// Neither revoked nor expired (the original API's field).
    #[serde(default)]
    pub is_active: bool,
    pub expires_at: Option<String>,
    /// When it was revoked (listed only with `include_revoked=true`).
    #[serde(default)]
    pub revoked_at: Option<String>,
    /// Only in the answer to its creation, once.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
}

/// `GET /v1/auth/api-keys` options.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct ApiKeyListQuery {
    /// List revoked keys too (newest first, like the rest).
    #[serde(default)]
    pub include_revoked: bool,
}

/// A member of a tenant (`GET /v1/tenants/{tenant_id}/members`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberResponse {
    pub user_id: String,
    pub email: String,
    pub username: String,
    pub role: String,
    pub joined_at: String,
}

/// `POST /v1/tenants/{tenant_id}/members`: adds an existing user by email or username.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    /// Email, username or id of a registered user.
    #[serde(default)]
    pub user: Option<String>,
    /// Or the user's id (as the original API takes it).
    #[serde(default)]
    pub user_id: Option<String>,
    pub role: String,
}

/// `PUT /v1/tenants/{tenant_id}/members/{user_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    pub role: String,
}
