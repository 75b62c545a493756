//! Shown for dashboard paths that match no route (the server answers them with 404).

use leptos::prelude::*;

/// "Page not found" screen.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. "<a href="/">"Back to the dashboard"</a></p>
        </section>
    }
}
