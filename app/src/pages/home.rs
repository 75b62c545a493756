//! `/`: the overview, where a signed-in person lands — the tenant's figures (messages,
//! conversations, vectors, embeddings, storage, searches), charts of messages per day by role,
//! embedding status, search latency and the most active conversations (drawn as SVG on the
//! server), and the live status of this instance.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{
        chart::{Bar, HorizontalBars, StackedBars},
        feedback::ErrorNote,
        status::ServiceStatus,
        tenant::{encode, use_tenant, with_tenant},
    },
    server_fns::analytics::get_overview,
    wire::analytics::{Overview, UsageStats},
};

/// The periods the messages chart offers, in days.
const PERIODS: [i64; 3] = [7, 30, 90];

/// The roles, in the order the charts stack them.
const ROLES: [&str; 3] = ["user", "assistant", "system"];

/// `/`.
#[component]
pub fn HomePage() -> impl IntoView {
    let tenant = use_tenant();
    let days = use_query_map()
        .read_untracked()
        .get("days")
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(30);
    let overview = {
        let tenant = tenant.clone();
        Resource::new(|| (), move |_| get_overview(tenant.clone(), Some(days)))
    };
    view! {
        <h1>"Overview"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Counting…"</p> }>
            {move || Suspend::new({
                let tenant = tenant.clone();
                async move {
                    match overview.await {
                        Ok(o) => view! { <Figures o tenant days /> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                }
            })}
        </Suspense>
        <ServiceStatus />
    }
}

#[component]
fn Figures(o: Overview, tenant: Option<String>, days: i64) -> impl IntoView {
    let u = &o.usage;
    let bars = o
        .trends
        .iter()
        .map(|d| Bar {
            // `MM-DD`: the year is in the period.
            label: d.date.get(5..).unwrap_or(&d.date).to_owned(),
            parts: ROLES
                .iter()
                .map(|r| d.role_breakdown.get(*r).copied().unwrap_or(0) as f64)
                .collect(),
        })
        .collect::<Vec<_>>();
    let periods = PERIODS
        .iter()
        .map(|p| {
            let href = with_tenant(&format!("/?days={p}"), tenant.as_deref());
            let here = (*p == days).then_some("page");
            view! { <a href=href aria-current=here>{format!("{p} days")}</a> }
        })
        .collect_view();
    let e = &o.embeddings;
    let embedding = vec![
        ("embedded".to_owned(), e.completed as f64, None),
        ("pending".to_owned(), e.pending as f64, None),
        ("failed".to_owned(), e.failed as f64, None),
        ("cold (no vector)".to_owned(), e.cold as f64, None),
    ];
    let latency = match (u.search_latency_p50_ms, u.search_latency_p95_ms) {
        (Some(p50), Some(p95)) => view! {
            <HorizontalBars title="Search latency, last 24 hours (ms)".to_owned()
                rows=vec![("p50".to_owned(), p50, None), ("p95".to_owned(), p95, None)] />
        }
        .into_any(),
        _ => view! { <p class="muted">"No searches in the last 24 hours."</p> }.into_any(),
    };
    let top = o
        .top_conversations
        .iter()
        .map(|c| {
            let href = with_tenant(
                &format!("/conversations/{}", encode(&c.conversation_id)),
                tenant.as_deref(),
            );
            (
                c.conversation_id.clone(),
                c.message_count as f64,
                Some(href),
            )
        })
        .collect::<Vec<_>>();
    view! {
        <Cards u=u.clone() />
        <section class="card">
            <h2>"Messages per day"</h2>
            <nav class="periods" aria-label="Period">{periods}</nav>
            <StackedBars title=format!("Messages per day by role, last {days} days") series=ROLES.to_vec() bars />
        </section>
        <div class="charts">
            <section class="card">
                <h2>"Embeddings"</h2>
                <HorizontalBars title="Messages by embedding status".to_owned() rows=embedding />
            </section>
            <section class="card">
                <h2>"Search latency"</h2>
                {latency}
            </section>
        </div>
        <section class="card">
            <h2>"Most active conversations"</h2>
            {if top.is_empty() {
                view! { <p class="muted">"No conversations yet."</p> }.into_any()
            } else {
                view! { <HorizontalBars title="Messages per conversation".to_owned() rows=top /> }.into_any()
            }}
        </section>
    }
    .into_any()
}

/// The figures of `GET /v1/analytics/usage`, one card each.
#[component]
fn Cards(u: UsageStats) -> impl IntoView {
    let searches = match (u.search_latency_p50_ms, u.search_latency_p95_ms) {
        (Some(p50), Some(p95)) => format!("p50 {p50:.1} ms · p95 {p95:.1} ms"),
        _ => "no searches".to_owned(),
    };
    view! {
        <dl class="stats overview">
            <div><dt>"Messages"</dt><dd data-testid="usage-active">{u.active_messages}</dd>
                <dd class="small muted">{format!("{} archived · {} cold", u.archived_messages, u.cold_messages)}</dd></div>
            <div><dt>"Conversations"</dt><dd data-testid="usage-conversations">{u.total_conversations}</dd>
                <dd class="small muted">{format!("{} archived", u.archived_conversations)}</dd></div>
            <div><dt>"New messages"</dt><dd data-testid="usage-today">{u.messages_today}</dd>
                <dd class="small muted">{format!("today · {} in 7 days · {} in 30", u.messages_this_week, u.messages_this_month)}</dd></div>
            <div><dt>"Vectors"</dt><dd data-testid="usage-vectors">{u.total_embeddings}</dd></div>
            <div><dt>"Embeddings waiting · failed"</dt><dd data-testid="usage-pending">{format!("{} · {}", u.pending_embeddings, u.failed_embeddings)}</dd></div>
            <div><dt>"Storage"</dt><dd data-testid="usage-storage">{bytes(u.storage_bytes)}</dd></div>
            <div><dt>"Searches, 24 h"</dt><dd data-testid="usage-searches">{u.searches_last_24h}</dd>
                <dd class="small muted">{searches}</dd></div>
        </dl>
    }
    .into_any()
}

/// A byte count with its unit (B, kB, MB, GB; powers of 1000).
fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        _ => {
            let (value, unit) = match n {
                1_000..1_000_000 => (n as f64 / 1e3, "kB"),
                1_000_000..1_000_000_000 => (n as f64 / 1e6, "MB"),
                _ => (n as f64 / 1e9, "GB"),
            };
            format!("{value:.1} {unit}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn storage_reads_in_its_unit() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500), "1.5 kB");
        assert_eq!(bytes(2_340_000), "2.3 MB");
        assert_eq!(bytes(7_000_000_000), "7.0 GB");
    }
}
