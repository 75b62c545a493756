//! API keys of the tenants the signed-in person administers.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use crate::wire::{auth::ApiKeyResponse, error::ErrorBody};

/// The keys, newest first, revoked ones included (never their secrets).
#[server(prefix = "/api", endpoint = "keys", input = GetUrl)]
pub async fn list_api_keys() -> Result<Vec<ApiKeyResponse>, ErrorBody> {
    crate::port::account()?.api_keys(true).await
}

/// Creates a key, as `POST /v1/auth/api-keys` does; the page the browser goes back to shows
/// its secret once ([`new_api_key`]). `expires_days` empty: it never expires.
#[server(prefix = "/api", endpoint = "keys/create")]
pub async fn create_api_key(
    name: String,
    #[server(default)] scope: Option<String>,
    #[server(default)] expires_days: Option<String>,
    #[server(default)] tenant_id: Option<String>,
) -> Result<(), ErrorBody> {
    // A form sends the number as text; what is not a count of days reaches the service as 0,
    // which it refuses with its own bounds.
    let expires_days = expires_days
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.trim().parse::<u32>().unwrap_or(0));
    let key = crate::wire::auth::CreateApiKeyRequest {
        name,
        tenant_id,
        scope,
        expires_days,
    };
    crate::port::account()?.create_api_key(key).await
}

/// The secret of the key this browser just created, this once.
#[server(prefix = "/api", endpoint = "keys/new", input = GetUrl)]
pub async fn new_api_key() -> Result<Option<String>, ErrorBody> {
    crate::port::account()?.new_api_key().await
}

/// Revokes a key at once: requests with it are refused and its live connections close.
#[server(prefix = "/api", endpoint = "keys/revoke")]
pub async fn revoke_api_key(id: String) -> Result<(), ErrorBody> {
    crate::port::account()?.revoke_api_key(id).await
}
