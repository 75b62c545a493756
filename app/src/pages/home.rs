//! The dashboard's landing page: what Memory Mesh is, and the live status of this instance.

use leptos::prelude::*;

use crate::components::status::ServiceStatus;

/// Landing page.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <section class="hero">
            <h1>"Memory Mesh"</h1>
            <p>
                "Semantic memory for AI applications: store conversation messages, "
                "and ask what you remember — ranked and explained."
            </p>
        </section>
        <ServiceStatus />
    }
}
