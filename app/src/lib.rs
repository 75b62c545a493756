//! The Memory Mesh dashboard, compiled twice: with `ssr` into the server (which renders every page
//! to HTML) and with `hydrate` into the WASM bundle (which makes that HTML interactive).
//!
//! - [`wire`]: the wire types every door of the server speaks (REST, WebSocket, server functions),
//!   and the browser-side client.
//! - [`pages`]: one module per screen.
//! - [`components`]: reusable pieces of UI.
//! - [`server_fns`]: the dashboard's server functions, doors onto the server's use cases through
//!   `port` (server side only), which the server implements.

pub mod components;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod port;
pub mod server_fns;
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    StaticSegment,
};

/// The HTML document around the app; the server renders it for every dashboard route.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The dashboard's root component and router.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="memory-mesh" href="/pkg/memory-mesh.css" />
        <Title text="Memory Mesh" />
        <Router>
            <components::nav::Nav />
            <main class="container">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=StaticSegment("") view=pages::home::HomePage />
                </Routes>
            </main>
        </Router>
    }
}
