//! `/conversations/{id}`: one conversation — its figures, its timeline (oldest or newest first,
//! archived messages when asked), a form to add a message, and each message's actions (edit,
//! which embeds it again; archive or restore; delete); rename, archive and delete the
//! conversation itself ([`super::conversation_actions`]). Every action is a form posted to a
//! server function, after which the server shows this page again; a read-only member is
//! offered none of them.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{conversation_actions::ConversationActions, conversations::short_time};
use crate::{
    components::{
        feedback::{ErrorNote, FormError},
        tenant::{acting_in, encode, use_tenant, with_tenant, TenantField},
    },
    server_fns::{
        auth::me,
        conversations::{get_conversation, get_conversation_stats, list_messages},
        messages::{AddMessage, ArchiveMessage, DeleteMessage, EditMessage},
    },
    wire::memory::{ConversationStats, MessageResponse},
};

/// `/conversations/{id}`.
#[component]
pub fn ConversationPage() -> impl IntoView {
    let id = use_params_map()
        .read_untracked()
        .get("id")
        .unwrap_or_default();
    let query = use_query_map().get_untracked();
    let tenant = use_tenant();
    let newest_first = query.get("order").as_deref() == Some("desc");
    let with_archived = query.get("archived").as_deref() == Some("true");
    let (i, t) = (id.clone(), tenant.clone());
    let conversation = Resource::new(|| (), move |_| get_conversation(i.clone(), t.clone()));
    let (i, t) = (id.clone(), tenant.clone());
    let stats = Resource::new(|| (), move |_| get_conversation_stats(i.clone(), t.clone()));
    let t = tenant.clone();
    // Whether the person may write here: a read-only member is offered no changes (the
    // service refuses them anyway).
    let writable = Resource::new(
        || (),
        move |_| {
            let t = t.clone();
            async move {
                let user = me().await.ok();
                let role = user
                    .and_then(|u| acting_in(&u, t.as_deref()))
                    .map(|m| m.role);
                role.as_deref() != Some("read_only")
            }
        },
    );
    let (i, t) = (id.clone(), tenant.clone());
    let timeline = Resource::new(
        || (),
        move |_| {
            let order = Some(if newest_first { "desc" } else { "asc" }.to_owned());
            list_messages(i.clone(), t.clone(), order, with_archived, Some(100), None)
        },
    );
    // The same page with one of its two settings flipped.
    let toggle = |key: &str| {
        let mut settings = Vec::new();
        if newest_first ^ (key == "order") {
            settings.push("order=desc");
        }
        if with_archived ^ (key == "archived") {
            settings.push("archived=true");
        }
        let mut path = format!("/conversations/{}", encode(&id));
        if !settings.is_empty() {
            path = format!("{path}?{}", settings.join("&"));
        }
        with_tenant(&path, tenant.as_deref())
    };
    let (heading_id, add_id) = (id.clone(), id.clone());
    view! {
        <p><a href=with_tenant("/conversations", tenant.as_deref())>"← Conversations"</a></p>
        <Suspense fallback=|| view! { <p class="muted">"Loading the conversation…"</p> }>
            {move || Suspend::new({
                let heading_id = heading_id.clone();
                async move {
                    let writable = writable.await;
                    match conversation.await {
                        Ok(c) => view! {
                            <h1>{c.title.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| c.id.clone())}</h1>
                            {writable.then(|| view! { <ConversationActions conversation=c /> })}
                        }.into_any(),
                        // A conversation is created by its first message: a new id starts empty.
                        Err(e) if e.error.code == "not_found" => view! {
                            <h1>{heading_id}</h1>
                            <p class="muted">"This conversation has no messages: the first one you add creates it."</p>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                }
            })}
            {move || Suspend::new(async move { stats.await.ok().map(|s| view! { <StatsCard s /> }) })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new({
                let id = add_id.clone();
                async move { writable.await.then(|| view! { <AddMessageForm id /> }) }
            })}
        </Suspense>
        <div class="filters">
            <a href=toggle("order")>{if newest_first { "Show oldest first" } else { "Show newest first" }}</a>
            <a href=toggle("archived")>{if with_archived { "Hide archived messages" } else { "Show archived messages" }}</a>
        </div>
        <FormError path=EditMessage::PATH />
        <FormError path=ArchiveMessage::PATH />
        <FormError path=DeleteMessage::PATH />
        <Suspense fallback=|| view! { <p class="muted">"Loading messages…"</p> }>
            {move || Suspend::new(async move {
                let writable = writable.await;
                match timeline.await {
                    Ok(page) if page.messages.is_empty() => view! { <p class="muted">"No messages to show."</p> }.into_any(),
                    Ok(page) => view! {
                        <ol class="timeline">
                            {page.messages.into_iter().map(|m| view! { <MessageItem m writable /> }).collect_view()}
                        </ol>
                    }.into_any(),
                    Err(e) if e.error.code == "not_found" => ().into_any(),
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StatsCard(s: ConversationStats) -> impl IntoView {
    let importance = s
        .avg_importance
        .map_or("—".to_owned(), |i| format!("{i:.2}"));
    let first_last = format!(
        "{} · {}",
        short_time(s.first_message_at.as_deref()),
        short_time(s.last_message_at.as_deref())
    );
    view! {
        <dl class="stats">
            <div><dt>"Messages"</dt><dd data-testid="stat-total">{s.total_messages}</dd></div>
            <div><dt>"User · assistant · system"</dt><dd>{format!("{} · {} · {}", s.user_messages, s.assistant_messages, s.system_messages)}</dd></div>
            <div><dt>"Archived · cold"</dt><dd>{format!("{} · {}", s.archived_messages, s.cold_messages)}</dd></div>
            <div><dt>"Average importance"</dt><dd>{importance}</dd></div>
            <div><dt>"First · last"</dt><dd>{first_last}</dd></div>
        </dl>
    }
}

#[component]
fn AddMessageForm(id: String) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Add a message"</h2>
            <FormError path=AddMessage::PATH />
            <form method="post" action=AddMessage::url()>
                <input type="hidden" name="conversation_id" value=id />
                <TenantField />
                <label for="new-role">"Role"</label>
                <select id="new-role" name="role">
                    <option value="user">"user"</option>
                    <option value="assistant">"assistant"</option>
                    <option value="system">"system"</option>
                </select>
                <label for="new-content">"Content"</label>
                <textarea id="new-content" name="content" rows="3" required></textarea>
                <button type="submit">"Add message"</button>
            </form>
        </section>
    }
}

/// What an embedding status means to a reader.
fn status_text(status: &str) -> &str {
    match status {
        "completed" => "embedded",
        "pending" => "waiting to be embedded",
        "failed" => "embedding failed: the model refused this text; it is found by its words only",
        other => other,
    }
}

#[component]
fn MessageItem(m: MessageResponse, writable: bool) -> impl IntoView {
    let metadata =
        (m.metadata.as_object().is_some_and(|o| !o.is_empty())).then(|| m.metadata.to_string());
    let (id, archived) = (m.id.clone(), m.archived);
    // Why a message still waits for its vector (or never gets one), and when it is tried next.
    let waiting = m.embedding_job.as_ref().and_then(|e| {
        let detail = e.detail.clone()?;
        Some(match &e.next_attempt_at {
            Some(at) => format!("{detail} Next attempt {}.", short_time(Some(at))),
            None => detail,
        })
    });
    let (edit_field, anchor, data_id) = (format!("edit-{id}"), format!("m-{id}"), id.clone());
    view! {
        <li class="message" class:archived=archived id=anchor data-testid="message" data-message-id=data_id>
            <header>
                <span class=format!("role role-{}", m.role)>{m.role.clone()}</span>
                <time datetime=m.created_at.clone()>{short_time(Some(&m.created_at))}</time>
                <span class=format!("status status-{}", m.embedding_status) data-testid="embedding-status">
                    {status_text(&m.embedding_status).to_owned()}
                </span>
                <span class="muted">{format!("importance {:.2}", m.importance_score)}</span>
                {archived.then(|| view! { <span class="tag">"archived"</span> })}
            </header>
            <p class="content" data-testid="message-content">{m.content.clone()}</p>
            {waiting.map(|w| view! { <p class="small muted" data-testid="embedding-detail">{w}</p> })}
            {metadata.map(|md| view! { <p class="small muted"><code>{md}</code></p> })}
            {writable.then(|| view! { <div class="actions">
                <details>
                    <summary>"Edit"</summary>
                    <form method="post" action=EditMessage::url()>
                        <input type="hidden" name="id" value=id.clone() />
                        <TenantField />
                        <label for=edit_field.clone()>"New content"</label>
                        <textarea id=edit_field name="content" rows="3" required>{m.content.clone()}</textarea>
                        <button type="submit">"Save and embed again"</button>
                    </form>
                </details>
                <form method="post" action=ArchiveMessage::url()>
                    <input type="hidden" name="id" value=id.clone() />
                    <input type="hidden" name="archived" value=(!archived).to_string() />
                    <TenantField />
                    <button type="submit" class="secondary">{if archived { "Restore" } else { "Archive" }}</button>
                </form>
                <form method="post" action=DeleteMessage::url()>
                    <input type="hidden" name="id" value=id.clone() />
                    <TenantField />
                    <button type="submit" class="danger">"Delete"</button>
                </form>
            </div> })}
        </li>
    }
}
