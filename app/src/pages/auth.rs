//! Sign in and register: plain forms that post to their server function, with or without
//! JavaScript. The server sends the browser back here — with the API's refusal in the URL,
//! shown beside the field it concerns, or, signed in now, on through the sign-in gate to
//! where it was going.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_query_map;

use crate::{
    components::{feedback::FormError, tenant::encode},
    server_fns::auth::{Register, SignIn},
};

/// `/sign-in`.
#[component]
pub fn SignInPage() -> impl IntoView {
    let next = use_query_map().read_untracked().get("next");
    let register = match next {
        Some(next) => format!("/register?next={}", encode(&next)),
        None => "/register".to_owned(),
    };
    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <FormError path=SignIn::PATH />
            <form method="post" action=SignIn::url()>
                <label for="username">"Username or email"</label>
                <input id="username" name="username" autocomplete="username" required />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                <label class="inline">
                    <input type="checkbox" name="remember_me" value="true" />
                    " Keep me signed in longer"
                </label>
                <button type="submit">"Sign in"</button>
            </form>
            <p class="muted">"New here? " <a href=register>"Create an account"</a></p>
        </section>
    }
}

/// `/register`.
#[component]
pub fn RegisterPage() -> impl IntoView {
    const FIELDS: &[&str] = &["email", "username", "password", "full_name"];
    let beside = |field: &'static str| view! { <FormError path=Register::PATH field /> };
    view! {
        <section class="card narrow">
            <h1>"Create an account"</h1>
            <p class="muted">"You get your own tenant: a private memory that only you and the members you add can read."</p>
            <FormError path=Register::PATH fields=FIELDS />
            <form method="post" action=Register::url()>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="email" required />
                {beside("email")}
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" required />
                {beside("username")}
                <label for="full_name">"Full name (optional)"</label>
                <input id="full_name" name="full_name" autocomplete="name" />
                {beside("full_name")}
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="new-password" required />
                {beside("password")}
                <button type="submit">"Create account"</button>
            </form>
            <p class="muted">"Have an account? " <a href="/sign-in">"Sign in"</a></p>
        </section>
    }
}
