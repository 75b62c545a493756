//! Top navigation bar.

use leptos::prelude::*;

/// The bar at the top of every page.
#[component]
pub fn Nav() -> impl IntoView {
    view! {
        <header class="nav">
            <a class="brand" href="/">"Memory Mesh"</a>
            <nav>
                <a href="/v1/admin/health">"Health"</a>
                <a href="/metrics">"Metrics"</a>
            </nav>
        </header>
    }
}
