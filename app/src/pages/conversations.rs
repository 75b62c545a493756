//! `/conversations`: the tenant's conversations, last activity first, paged, found by id or
//! title, with the archived filter and "updated since"; each links to its timeline.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{
        feedback::{EmptyTenant, ErrorNote},
        table::ListTable,
        tenant::{encode, use_tenant, with_tenant, TenantField},
    },
    server_fns::conversations::list_conversations,
    wire::memory::{ConversationPage, ConversationResponse},
};

/// The list's page size.
const PAGE_SIZE: u64 = 25;

/// `/conversations`.
#[component]
pub fn ConversationsPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let tenant = use_tenant();
    let value = |key: &str| query.get(key).filter(|v| !v.is_empty());
    let archived = match value("archived").as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    let page = value("page").and_then(|p| p.parse::<u64>().ok());
    // A date from the form's date field means from the start of that day.
    let since = value("updated_since").map(|d| {
        if d.len() == 10 {
            format!("{d}T00:00:00Z")
        } else {
            d
        }
    });
    let text = value("q");
    let filtering = archived.is_some() || since.is_some() || text.is_some();
    let list = {
        let (tenant, since, text) = (tenant.clone(), since.clone(), text.clone());
        Resource::new(
            || (),
            move |_| {
                list_conversations(
                    tenant.clone(),
                    archived,
                    page,
                    Some(PAGE_SIZE),
                    since.clone(),
                    None,
                    text.clone(),
                )
            },
        )
    };
    let shown = value("archived").unwrap_or_default();
    view! {
        <h1>"Conversations"</h1>
        <form method="get" action="/conversations" class="filters">
            <TenantField />
            <label>"Id or title " <input type="search" name="q" value=value("q").unwrap_or_default() /></label>
            <label>
                "Show "
                <select name="archived">
                    <option value="" selected=shown.is_empty()>"all"</option>
                    <option value="false" selected=shown == "false">"active only"</option>
                    <option value="true" selected=shown == "true">"archived only"</option>
                </select>
            </label>
            <label>"Updated since " <input type="date" name="updated_since" value=value("updated_since").unwrap_or_default() /></label>
            <button type="submit">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading conversations…"</p> }>
            {move || Suspend::new({
                let tenant = tenant.clone();
                async move {
                    match list.await {
                        Ok(page) if page.total == 0 && filtering => view! {
                            <p class="muted">"No conversation matches these filters."</p>
                        }.into_any(),
                        Ok(page) if page.total == 0 => view! { <EmptyTenant /> }.into_any(),
                        Ok(page) => view! { <Listing page tenant /> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Listing(page: ConversationPage, tenant: Option<String>) -> impl IntoView {
    let pages = page.total.div_ceil(page.page_size.max(1));
    let link = |n: u64| with_tenant(&format!("/conversations?page={n}"), tenant.as_deref());
    let previous = (page.page > 1).then(|| link(page.page - 1));
    let next = (page.page < pages).then(|| link(page.page + 1));
    let rows = page
        .conversations
        .into_iter()
        .map(|c| view! { <Row c tenant=tenant.clone() /> })
        .collect_view();
    view! {
        <ListTable headers=&["Conversation", "Messages", "Archived", "Last activity"]>{rows}</ListTable>
        <nav class="pager" aria-label="Pages">
            {previous.map(|href| view! { <a href=href rel="prev">"← Newer"</a> })}
            <span class="muted">{format!("Page {} of {} · {} conversations", page.page, pages.max(1), page.total)}</span>
            {next.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
        </nav>
    }
}

#[component]
fn Row(c: ConversationResponse, tenant: Option<String>) -> impl IntoView {
    let href = with_tenant(
        &format!("/conversations/{}", encode(&c.id)),
        tenant.as_deref(),
    );
    let title = c.title.clone().filter(|t| !t.is_empty());
    view! {
        <tr>
            <td>
                <a href=href>{title.clone().unwrap_or_else(|| c.id.clone())}</a>
                {title.map(|_| view! { <span class="muted small">" " {c.id.clone()}</span> })}
                {c.archived.then(|| view! { " " <span class="tag">"archived"</span> })}
            </td>
            <td>{c.message_count}</td>
            <td>{c.archived_count}</td>
            <td><time datetime=c.last_message_at.clone().unwrap_or_default()>{short_time(c.last_message_at.as_deref())}</time></td>
        </tr>
    }
}

/// An RFC 3339 time as `YYYY-MM-DD HH:MM UTC`, the same wherever it is rendered.
pub fn short_time(rfc3339: Option<&str>) -> String {
    match rfc3339 {
        Some(t) if t.len() >= 16 => format!("{} {} UTC", &t[..10], &t[11..16]),
        Some(t) => t.to_owned(),
        None => "—".to_owned(),
    }
}
