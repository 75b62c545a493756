//! The signed-in person's account: profile, password and login sessions.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use crate::wire::{
    auth::{EndedSessions, SessionResponse, UserResponse},
    error::ErrorBody,
};

/// Changes the profile's name, email or username, as `PUT /v1/auth/me` does (a field left
/// empty in the form keeps its value).
#[server(prefix = "/api", endpoint = "account/profile")]
pub async fn update_profile(
    #[server(default)] full_name: Option<String>,
    #[server(default)] email: Option<String>,
    #[server(default)] username: Option<String>,
) -> Result<UserResponse, ErrorBody> {
    let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let change = crate::wire::auth::UpdateMeRequest {
        full_name,
        email: given(email),
        username: given(username),
    };
    crate::port::account()?.update_me(change).await
}

/// Changes the password, as `POST /v1/auth/change-password` does: every other session ends.
#[server(prefix = "/api", endpoint = "account/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ErrorBody> {
    let change = crate::wire::auth::ChangePasswordRequest {
        current_password,
        new_password,
    };
    crate::port::account()?.change_password(change).await
}

/// The signed-in person's live sessions, most recently used first.
#[server(prefix = "/api", endpoint = "account/sessions", input = GetUrl)]
pub async fn list_sessions() -> Result<Vec<SessionResponse>, ErrorBody> {
    crate::port::account()?.sessions().await
}

/// Ends one session: that device is signed out, its live feed closes.
#[server(prefix = "/api", endpoint = "account/sessions/end")]
pub async fn end_session(id: String) -> Result<(), ErrorBody> {
    crate::port::account()?.end_session(id).await
}

/// Signs out everywhere else: every session but this one ends.
#[server(prefix = "/api", endpoint = "account/sessions/end-others")]
pub async fn end_other_sessions() -> Result<EndedSessions, ErrorBody> {
    crate::port::account()?.end_other_sessions().await
}
