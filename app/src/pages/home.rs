//! `/`: where a signed-in person lands — the screens at a glance, how to store a first memory,
//! and the live status of this instance.

use leptos::prelude::*;

use crate::components::{
    status::ServiceStatus,
    tenant::{use_tenant, with_tenant},
};

/// The landing page.
#[component]
pub fn HomePage() -> impl IntoView {
    let tenant = use_tenant();
    let link = |path: &str| with_tenant(path, tenant.as_deref());
    view! {
        <section class="hero">
            <h1>"Memory Mesh"</h1>
            <p>
                "Semantic memory for AI applications: store conversation messages, "
                "and ask what you remember — ranked and explained."
            </p>
        </section>
        <div class="tiles">
            <a class="card tile" href=link("/conversations")>
                <h2>"Conversations"</h2>
                <p class="muted">"Read, add, edit, archive and delete what is remembered."</p>
            </a>
            <a class="card tile" href=link("/search")>
                <h2>"Search playground"</h2>
                <p class="muted">"Ask a question and see why each memory ranks where it does."</p>
            </a>
            <a class="card tile" href=link("/live")>
                <h2>"Live"</h2>
                <p class="muted">"Watch changes arrive as they commit."</p>
            </a>
        </div>
        <ServiceStatus />
    }
}
