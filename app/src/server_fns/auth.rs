//! Accounts: register, sign in, sign out, and who is signed in.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use crate::wire::{auth::UserResponse, error::ErrorBody};

/// Signs in with an email or a username and the password, as `POST /v1/auth/session` does: the
/// session cookie is set on the answer. A form post (`PostUrl`), so the sign-in page works
/// without JavaScript.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(
    #[server(default)] email: Option<String>,
    #[server(default)] username: Option<String>,
    password: String,
    #[server(default)] remember_me: bool,
) -> Result<(), ErrorBody> {
    let login = crate::wire::auth::LoginRequest {
        email,
        username,
        password,
        remember_me,
    };
    crate::port::port()?.sign_in(login).await
}

/// Creates an account with its own tenant, as `POST /v1/auth/register` does, and signs it in.
#[server(prefix = "/api", endpoint = "register")]
pub async fn register(
    email: String,
    username: String,
    password: String,
    #[server(default)] full_name: Option<String>,
) -> Result<(), ErrorBody> {
    let port = crate::port::port()?;
    let account = crate::wire::auth::RegisterRequest {
        email,
        username: username.clone(),
        password: password.clone(),
        full_name: full_name.filter(|n| !n.trim().is_empty()),
        tenant_id: None,
    };
    port.register(account).await?;
    let login = crate::wire::auth::LoginRequest {
        email: None,
        username: Some(username),
        password,
        remember_me: false,
    };
    port.sign_in(login).await
}

/// Ends the session and removes its cookie.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ErrorBody> {
    crate::port::port()?.sign_out().await
}

/// The signed-in user and their tenants.
#[server(prefix = "/api", endpoint = "me", input = GetUrl)]
pub async fn me() -> Result<UserResponse, ErrorBody> {
    crate::port::port()?.me().await
}

/// The address clients reach this server at, for the examples a page shows.
#[server(prefix = "/api", endpoint = "address", input = GetUrl)]
pub async fn address() -> Result<String, ErrorBody> {
    crate::port::port()?.address().await
}
