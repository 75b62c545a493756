//! The Memory Mesh dashboard, compiled twice: with `ssr` into the server (which renders every page
//! to HTML) and with `hydrate` into the WASM bundle (which makes that HTML interactive).
//!
//! - [`wire`]: the wire types every door of the server speaks (REST, WebSocket, server functions),
//!   and the browser-side client.
//! - [`pages`]: one module per screen.
//! - [`components`]: reusable pieces of UI.
//! - [`server_fns`]: the dashboard's server functions, doors onto the server's use cases through
//!   `port` (server side only), which the server implements.

// Leptos views are nested types; a large page's hydrate build needs more depth than the default.
#![recursion_limit = "256"]

pub mod components;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod port;
pub mod server_fns;
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// Prepares the page's islands for hydration (the WASM entry point calls it). Calling into
/// this crate also links its islands' exported functions into the bundle.
#[cfg(feature = "hydrate")]
pub fn hydrate_islands() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}

/// The HTML document around the app; the server renders it for every dashboard route. The
/// stylesheet's address follows the site's settings (its package directory and output name).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link rel="stylesheet" id="memory-mesh" href=stylesheet />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The dashboard's root component and router. Pages that show data render only once it is
/// loaded (`SsrMode::Async`), so the first HTML holds it — for a browser without JavaScript,
/// and for `curl` with the session cookie.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Memory Mesh" />
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <components::nav::Nav />
            <main class="container" id="main">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("") view=pages::home::HomePage ssr=SsrMode::Async />
                    <Route path=path!("/sign-in") view=pages::auth::SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/register") view=pages::auth::RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/conversations") view=pages::conversations::ConversationsPage ssr=SsrMode::Async />
                    <Route path=path!("/conversations/:id") view=pages::conversation::ConversationPage ssr=SsrMode::Async />
                    <Route path=path!("/search") view=pages::search::SearchPage ssr=SsrMode::Async />
                    <Route path=path!("/live") view=pages::live::LivePage ssr=SsrMode::Async />
                    <Route path=path!("/keys") view=pages::keys::KeysPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=pages::account::AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/members") view=pages::members::MembersPage ssr=SsrMode::Async />
                    <Route path=path!("/retention") view=pages::retention::RetentionPage ssr=SsrMode::Async />
                    <Route path=path!("/audit") view=pages::audit::AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/tenants") view=pages::tenants::TenantsPage ssr=SsrMode::Async />
                    <Route path=path!("/instance") view=pages::instance::InstancePage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
