//! Runs: a dry run (anyone) and what it found — counts and the messages, linked — a real run
//! behind a confirmation that repeats those counts (admins), a run's restore, and the history
//! with who ran what, when.

use leptos::{prelude::*, server_fn::ServerFn};

use super::actor_name;
use crate::{
    components::{
        feedback::{FormDone, FormError},
        table::ListTable,
        tenant::{encode, use_tenant, with_tenant},
    },
    pages::conversations::short_time,
    server_fns::retention::{RestoreRetentionRun, RunRetention},
    wire::{
        auth::MemberResponse,
        memory::MessageResponse,
        retention::{RetentionRun, RetentionRunPage, RunMessages},
    },
};

/// The counts of a run, in words (`dry`: what it would do).
fn counts(run: &RetentionRun) -> String {
    let (a, d, c) = (
        run.messages_archived,
        run.messages_deleted,
        run.messages_moved_to_cold,
    );
    if run.dry_run {
        format!("would archive {a}, delete {d} and move {c} to cold storage")
    } else {
        format!("archived {a}, deleted {d} and moved {c} to cold storage")
    }
}

/// `/retention`'s run section: start a dry run, and the run shown in full.
#[component]
pub fn RunSection(
    shown: Option<(RetentionRun, RunMessages)>,
    tenant: String,
    admin: bool,
    members: Vec<MemberResponse>,
) -> impl IntoView {
    let details = shown.map(|(run, messages)| {
        view! { <RunDetails run messages tenant=tenant.clone() admin members /> }
    });
    view! {
        <section class="card" id="run" data-testid="run">
            <h2>"Run"</h2>
            <p class="muted">
                "A dry run changes nothing: it records what a real run would do now — the enabled "
                "rules, then the policy if it is enabled."
            </p>
            <FormDone path=RunRetention::PATH message="The run is recorded; it is shown below." />
            <FormError path=RunRetention::PATH />
            <FormDone path=RestoreRetentionRun::PATH message="Restored: the run's archived messages are back in search." />
            <FormError path=RestoreRetentionRun::PATH />
            <form method="post" action=RunRetention::url()>
                <input type="hidden" name="tenant_id" value=tenant />
                <input type="hidden" name="dry_run" value="true" />
                <button type="submit">"Dry run"</button>
            </form>
            {details}
        </section>
    }
    .into_any()
}

#[component]
fn RunDetails(
    run: RetentionRun,
    messages: RunMessages,
    tenant: String,
    admin: bool,
    members: Vec<MemberResponse>,
) -> impl IntoView {
    let who = actor_name(&run.actor, &members);
    let when = short_time(Some(&run.started_at));
    let kind = if run.dry_run { "Dry run" } else { "Run" };
    let summary = counts(&run);
    let applied = if run.rules_applied.is_empty() {
        "nothing: no rule is enabled and the policy is disabled".to_owned()
    } else {
        run.rules_applied.join(", ")
    };
    let skipped = run
        .rules_skipped
        .iter()
        .map(|s| view! { <li>{format!("{}: {}", s.name, s.reason)}</li> })
        .collect_view();
    let real_run = (admin && run.dry_run && run.finished_at.is_some()).then(|| {
        let repeat = format!(
            "The dry run of {when} found that a real run {}. A real run acts on what matches \
             when it runs; deleted messages cannot be restored.",
            summary
        );
        view! {
            <details class="confirm" data-testid="run-for-real">
                <summary>"Run for real…"</summary>
                <form method="post" action=RunRetention::url()>
                    <input type="hidden" name="tenant_id" value=tenant.clone() />
                    <input type="hidden" name="dry_run" value="false" />
                    <p>{repeat}</p>
                    <button type="submit" class="danger">"Run retention now"</button>
                </form>
            </details>
        }
    });
    let back = run.messages_archived + run.messages_moved_to_cold;
    let restore = (admin && !run.dry_run && back > 0 && run.restored_at.is_none()).then(|| {
        view! {
            <details class="confirm" data-testid="restore">
                <summary>"Restore…"</summary>
                <form method="post" action=RestoreRetentionRun::url()>
                    <input type="hidden" name="tenant_id" value=tenant />
                    <input type="hidden" name="id" value=run.run_id.clone() />
                    <p>{format!("Bring back the {back} messages this run archived or moved to cold storage? Deleted ones cannot come back.")}</p>
                    <button type="submit">"Restore the run"</button>
                </form>
            </details>
        }
    });
    view! {
        <article data-testid="run-details" data-run=run.run_id.clone()>
            <h3>{format!("{kind} of {when} by {who} ({})", run.trigger)}</h3>
            <p data-testid="run-counts">{format!("It {summary}.")}</p>
            <p class="muted">{format!("Ran: {applied}.")}</p>
            {(!run.rules_skipped.is_empty()).then(|| view! {
                <p class="warning">"Enabled rules it could not run (edit or delete them):"</p>
                <ul>{skipped}</ul>
            })}
            {run.error.clone().map(|e| view! { <p class="error">{format!("Interrupted: {e}. Running again does the rest.")}</p> })}
            {run.restored_at.clone().map(|at| view! {
                <p class="notice">{format!("Restored {}: {} messages.", short_time(Some(&at)), run.messages_restored)}</p>
            })}
            <Affected title="Archive" listed=messages.archive total=run.messages_archived />
            <Affected title="Move to cold storage" listed=messages.cold total=run.messages_moved_to_cold />
            <Affected title="Delete" listed=messages.delete total=run.messages_deleted />
            {real_run}
            {restore}
        </article>
    }
    .into_any()
}

/// The messages of one action of a run, linked to their conversations.
#[component]
fn Affected(title: &'static str, listed: Vec<MessageResponse>, total: u64) -> impl IntoView {
    if total == 0 {
        return ().into_any();
    }
    let chosen = use_tenant();
    let shown = listed.len() as u64;
    let more = (total > shown).then(|| {
        format!("{} more not listed (a run keeps the first 100 of each action; deleted messages are gone).", total - shown)
    });
    let items = listed
        .into_iter()
        .map(|m| {
            let href = with_tenant(
                &format!("/conversations/{}", encode(&m.conversation_id)),
                chosen.as_deref(),
            );
            let text: String = m.content.chars().take(200).collect();
            view! {
                <li data-message=m.id.clone()>
                    <span class="role">{m.role.clone()}</span> " "
                    {text} " "
                    <small class="muted">
                        "in " <a href=href>{m.conversation_id.clone()}</a>
                        {format!(" · {} · importance {:.2}", short_time(Some(&m.created_at)), m.importance_score)}
                    </small>
                </li>
            }
        })
        .collect_view();
    view! {
        <h4>{format!("{title}: {total}")}</h4>
        <ul class="affected">{items}</ul>
        {more.map(|m| view! { <p class="muted">{m}</p> })}
    }
    .into_any()
}

/// The run history, newest first, a page at a time.
#[component]
pub fn History(runs: RetentionRunPage, members: Vec<MemberResponse>) -> impl IntoView {
    let chosen = use_tenant();
    if runs.runs.is_empty() {
        return view! { <section class="card"><h2>"History"</h2><p class="muted">"No runs yet."</p></section> }.into_any();
    }
    let rows = runs
        .runs
        .into_iter()
        .map(|r| {
            let href = with_tenant(
                &format!("/retention?run={}", encode(&r.run_id)),
                chosen.as_deref(),
            );
            let restored = r.restored_at.as_deref().map_or_else(String::new, |at| {
                format!("{} ({})", r.messages_restored, short_time(Some(at)))
            });
            view! {
                <tr data-run=r.run_id.clone()>
                    <td>{short_time(Some(&r.started_at))}</td>
                    <td>{actor_name(&r.actor, &members)}</td>
                    <td>{r.trigger.clone()}</td>
                    <td>{if r.dry_run { "dry" } else { "real" }}</td>
                    <td class="num">{r.messages_archived}</td>
                    <td class="num">{r.messages_deleted}</td>
                    <td class="num">{r.messages_moved_to_cold}</td>
                    <td>{restored}</td>
                    <td><a href=format!("{href}#run")>"Details"</a></td>
                </tr>
            }
        })
        .collect_view();
    let older = runs.next_cursor.map(|c| {
        let href = with_tenant(
            &format!("/retention?before={}", encode(&c)),
            chosen.as_deref(),
        );
        view! { <nav class="pager"><a href=href>"Older runs"</a></nav> }
    });
    view! {
        <section class="card">
            <h2>"History"</h2>
            <ListTable testid="runs" headers=&["Started", "Who", "How", "Kind", "Archived", "Deleted", "Cold", "Restored", ""]>{rows}</ListTable>
            {older}
        </section>
    }
    .into_any()
}
