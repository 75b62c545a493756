//! `/instance` (instance administrators): the health of this instance's components — the
//! readiness answer (database, Redis), the embedding model, the job queue — and every tenant's
//! footprint.

use leptos::prelude::*;

use super::conversations::short_time;
use crate::{
    components::{feedback::ErrorNote, table::ListTable},
    server_fns::tenants::{instance_health, instance_tenants},
    wire::admin::{ComponentStatus, InstanceHealth},
};

/// `/instance`.
#[component]
pub fn InstancePage() -> impl IntoView {
    let health = Resource::new(|| (), |_| instance_health());
    let tenants = Resource::new(|| (), |_| instance_tenants());
    view! {
        <h1>"Instance"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Checking the components…"</p> }>
            {move || Suspend::new(async move {
                match health.await {
                    Ok(h) => view! { <Health h /> }.into_any(),
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match tenants.await {
                    Ok(list) => {
                        let rows = list.into_iter().map(|t| view! {
                            <tr data-tenant=t.tenant_id.clone()>
                                <td>{t.tenant_id.clone()} {(t.name != t.tenant_id).then(|| view! { " " <span class="muted small">{t.name.clone()}</span> })}</td>
                                <td class="num">{t.members}</td>
                                <td class="num">{t.total_messages}</td>
                                <td class="num">{t.total_conversations}</td>
                                <td class="num">{t.pending_embeddings}</td>
                                <td>{short_time(t.last_activity.as_deref())}</td>
                            </tr>
                        }).collect_view();
                        view! {
                            <section class="card">
                                <h2>"Tenants"</h2>
                                <ListTable testid="instance-tenants" headers=&["Tenant", "Members", "Messages", "Conversations", "Pending embeddings", "Last activity"]>{rows}</ListTable>
                            </section>
                        }.into_any()
                    }
                    Err(_) => ().into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Health(h: InstanceHealth) -> impl IntoView {
    let mut components = h.readiness.components.clone();
    components.push(h.embedding.check.clone());
    let rows = components
        .into_iter()
        .map(|c| view! { <ComponentRow c /> })
        .collect_view();
    let queue = h
        .queue_depth
        .map_or_else(|| "unknown".to_owned(), |d| d.to_string());
    view! {
        <section class="card">
            <h2>"Components"</h2>
            <p data-testid="readiness">
                "Readiness: " <strong class=format!("status-{}", h.readiness.status)>{h.readiness.status.clone()}</strong>
            </p>
            <ListTable testid="components" headers=&["Component", "State", "Check", "Why it failed"]>{rows}</ListTable>
            <dl class="stats">
                <div><dt>"Embedding model"</dt><dd>{h.embedding.model.clone()}</dd></div>
                <div><dt>"Vector width"</dt><dd>{h.embedding.dimensions}</dd></div>
                <div><dt>"Jobs queued"</dt><dd data-testid="queue-depth">{queue}</dd></div>
            </dl>
        </section>
    }
    .into_any()
}

#[component]
fn ComponentRow(c: ComponentStatus) -> impl IntoView {
    view! {
        <tr data-component=c.name.clone()>
            <td>{c.name.clone()}</td>
            <td class=format!("status-{}", c.status)>{c.status.clone()}</td>
            <td class="num">{format!("{:.1} ms", c.latency_ms)}</td>
            <td>{c.error.unwrap_or_default()}</td>
        </tr>
    }
    .into_any()
}
