//! `/audit`: who did what and when in the tenants the signed-in person administers (every
//! tenant, for an instance administrator) — newest first, filtered by action and time, paged.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::conversations::short_time;
use crate::{
    components::{
        feedback::ErrorNote,
        table::ListTable,
        tenant::{encode, use_tenant, with_tenant, TenantField},
    },
    server_fns::tenants::list_audit,
    wire::audit::{AuditEntry, AuditPage, ACTIONS},
};

/// Entries per page.
const PAGE_SIZE: u64 = 50;

/// `/audit`.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let value = |key: &str| query.get(key).filter(|v| !v.is_empty());
    let tenant = use_tenant();
    let (action, cursor) = (value("action"), value("cursor"));
    // A date from the form's date fields: from the start of `since`, up to the end of `until`.
    let since = value("since").map(|d| format!("{d}T00:00:00Z"));
    let until = value("until").map(|d| format!("{d}T23:59:59.999Z"));
    let page = {
        let tenant = tenant.clone();
        let (action, cursor) = (action.clone(), cursor.clone());
        Resource::new(
            || (),
            move |_| {
                list_audit(
                    tenant.clone(),
                    action.clone(),
                    since.clone(),
                    until.clone(),
                    Some(PAGE_SIZE),
                    cursor.clone(),
                )
            },
        )
    };
    let chosen = action.unwrap_or_default();
    let actions = ACTIONS
        .iter()
        .map(|a| view! { <option value=*a></option> })
        .collect_view();
    let filters = (value("since"), value("until"));
    // The next page keeps the filters; `cursor` is the older entries' start.
    let here: Vec<(String, String)> = ["action", "since", "until"]
        .iter()
        .filter_map(|k| value(k).map(|v| ((*k).to_owned(), v)))
        .collect();
    view! {
        <h1>"Audit log"</h1>
        <form method="get" action="/audit" class="filters">
            <TenantField />
            <label>"Action " <input name="action" list="audit-actions" value=chosen placeholder="all" /></label>
            <datalist id="audit-actions">{actions}</datalist>
            <label>"From " <input type="date" name="since" value=filters.0.unwrap_or_default() /></label>
            <label>"To " <input type="date" name="until" value=filters.1.unwrap_or_default() /></label>
            <button type="submit">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading the log…"</p> }>
            {move || Suspend::new({
                let (tenant, here) = (tenant.clone(), here.clone());
                async move {
                    match page.await {
                        Ok(page) => view! { <Entries page tenant here /> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Entries(page: AuditPage, tenant: Option<String>, here: Vec<(String, String)>) -> impl IntoView {
    if page.entries.is_empty() {
        return view! { <p class="muted">"No entries match."</p> }.into_any();
    }
    let older = page.next_cursor.map(|c| {
        let mut query: String = here
            .iter()
            .map(|(k, v)| format!("{k}={}&", encode(v)))
            .collect();
        query.push_str(&format!("cursor={}", encode(&c)));
        with_tenant(&format!("/audit?{query}"), tenant.as_deref())
    });
    let rows = page
        .entries
        .into_iter()
        .map(|e| view! { <Row e /> })
        .collect_view();
    view! {
        <ListTable testid="audit" headers=&["When", "Action", "Who", "Tenant", "Target", "Details"]>{rows}</ListTable>
        <nav class="pager" aria-label="Pages">
            {older.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn Row(e: AuditEntry) -> impl IntoView {
    let details = match &e.details {
        serde_json::Value::Object(map) if map.is_empty() => String::new(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let (action, when) = (e.action.clone(), short_time(Some(&e.at)));
    view! {
        <tr data-action=action>
            <td><time datetime=e.at>{when}</time></td>
            <td><code>{e.action}</code></td>
            <td>{e.actor}</td>
            <td>{e.tenant_id.unwrap_or_else(|| "—".into())}</td>
            <td class="small">{e.target.unwrap_or_default()}</td>
            <td class="small"><code>{details}</code></td>
        </tr>
    }
    .into_any()
}
