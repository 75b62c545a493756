//! Tenants (`/v1/tenants`): the spaces memory lives in, and who may act there.

use serde::{Deserialize, Serialize};

/// `POST /v1/tenants`: the caller becomes the new tenant's admin.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTenantRequest {
    /// 1–64 characters: letters, digits, `-`, `_` and `.`; unique on the instance.
    pub id: String,
    /// A display name; omitted: the id.
    #[serde(default)]
    pub name: Option<String>,
}

/// `PUT /v1/tenants/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateTenantRequest {
    /// A display name, 1–255 characters.
    pub name: String,
}

/// A tenant as one of its members (or keys) sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantResponse {
    pub id: String,
    pub name: String,
    /// The caller's role there: `admin`, `member` or `read_only`.
    pub role: String,
    pub members: i64,
    pub conversations: i64,
    pub messages: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /v1/tenants`: the caller's tenants, by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantList {
    pub tenants: Vec<TenantResponse>,
}
