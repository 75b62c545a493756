//! Signing in.

use leptos::prelude::*;

use crate::wire::error::ErrorBody;

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
