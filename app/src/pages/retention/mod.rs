//! `/retention`: a tenant's retention. Its admins edit the policy ([`policy`]) and the rules
//! ([`rules`]), dry-run them, run them for real after a confirmation that repeats the dry run's
//! counts, and restore a run ([`runs`]); every member reads all of it and may dry-run.
//!
//! Which run the page shows is in the URL (`?run=<id>`, else the newest), which rule is being
//! edited too (`?rule=<id>`, or `?new=<type>` for a new one), so every step works as a plain
//! form post and a link, with or without JavaScript.

mod policy;
mod rules;
mod runs;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{
        feedback::ErrorNote,
        tenant::{acting_in, use_tenant},
    },
    server_fns::{
        auth::me,
        retention::{
            get_retention_policy, get_retention_run, list_run_messages, retention_rules,
            retention_runs,
        },
        tenants::list_members,
    },
    wire::{
        auth::MemberResponse,
        error::ErrorBody,
        retention::{RetentionPolicy, RetentionRule, RetentionRun, RetentionRunPage, RunMessages},
    },
};

/// What the page shows, loaded once per render.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Loaded {
    tenant: String,
    role: String,
    policy: RetentionPolicy,
    rules: Vec<RetentionRule>,
    runs: RetentionRunPage,
    /// The run shown in full (the URL's, else the newest) and the messages it sampled.
    shown: Option<(RetentionRun, RunMessages)>,
    members: Vec<MemberResponse>,
}

/// The page's choices in its URL.
#[derive(Clone, Default)]
struct Choices {
    run: Option<String>,
    rule: Option<String>,
    new: Option<String>,
    before: Option<String>,
}

fn choices() -> Choices {
    let query = use_query_map();
    let q = query.read_untracked();
    let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
    Choices {
        run: get("run"),
        rule: get("rule"),
        new: get("new"),
        before: get("before"),
    }
}

async fn load(chosen: Option<String>, c: Choices) -> Result<Option<Loaded>, ErrorBody> {
    let user = me().await?;
    let Some(m) = acting_in(&user, chosen.as_deref()) else {
        return Ok(None);
    };
    let t = Some(m.tenant_id.clone());
    let policy = get_retention_policy(t.clone()).await?;
    let rules = retention_rules(t.clone()).await?;
    let runs = retention_runs(t.clone(), c.before).await?;
    let shown = match c.run {
        Some(id) => Some(get_retention_run(t.clone(), id).await?),
        None => runs.runs.first().cloned(),
    };
    let shown = match shown {
        Some(run) => {
            let messages = list_run_messages(t.clone(), run.run_id.clone()).await?;
            Some((run, messages))
        }
        None => None,
    };
    // Only to name who ran what; a failure here leaves ids in place of names.
    let members = list_members(m.tenant_id.clone()).await.unwrap_or_default();
    Ok(Some(Loaded {
        tenant: m.tenant_id,
        role: m.role,
        policy,
        rules,
        runs,
        shown,
        members,
    }))
}

/// `/retention`.
#[component]
pub fn RetentionPage() -> impl IntoView {
    let chosen = use_tenant();
    let c = choices();
    let data = Resource::new(|| (), move |_| load(chosen.clone(), c.clone()));
    view! {
        <h1>"Retention"</h1>
        <p class="muted">
            "What this tenant forgets, and when: the policy archives old and unimportant messages "
            "and deletes what has been archived long enough; rules add their own steps. Archived "
            "messages leave search and can be restored."
        </p>
        <Suspense fallback=|| view! { <p class="muted">"Loading retention…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Some(loaded)) => view! { <Sections loaded /> }.into_any(),
                    Ok(None) => view! { <p class="card">"Choose a tenant in the bar above."</p> }.into_any(),
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Sections(loaded: Loaded) -> impl IntoView {
    let c = choices();
    let admin = loaded.role == "admin";
    let tenant = loaded.tenant.clone();
    let editing = c
        .rule
        .as_deref()
        .and_then(|id| loaded.rules.iter().find(|r| r.id == id).cloned());
    view! {
        <p class="muted">{format!("Tenant {} · your role: {}", loaded.tenant, loaded.role)}</p>
        {(!admin).then(|| view! {
            <p class="card">"Only the tenant's admins change retention or run it for real; you can read it all and dry-run."</p>
        })}
        <policy::PolicySection policy=loaded.policy tenant=tenant.clone() admin />
        <rules::RulesSection rules=loaded.rules tenant=tenant.clone() admin editing new_type=c.new />
        <runs::RunSection shown=loaded.shown tenant=tenant.clone() admin members=loaded.members.clone() />
        <runs::History runs=loaded.runs members=loaded.members />
    }
    .into_any()
}

/// Who started a run, in words: a member's username, an API key, or the scheduler.
fn actor_name(actor: &str, members: &[MemberResponse]) -> String {
    match actor.split_once(':') {
        Some(("user", id)) => members
            .iter()
            .find(|m| m.user_id == id)
            .map_or_else(|| format!("user {id}"), |m| m.username.clone()),
        Some(("key", id)) => format!("API key {}", id.get(..8).unwrap_or(id)),
        _ => actor.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_named_by_their_username_when_known() {
        let members = vec![MemberResponse {
            user_id: "u1".into(),
            username: "alice".into(),
            email: "a@example.com".into(),
            role: "admin".into(),
            joined_at: String::new(),
        }];
        assert_eq!(actor_name("user:u1", &members), "alice");
        assert_eq!(actor_name("user:u2", &members), "user u2");
        assert_eq!(actor_name("key:0123456789", &members), "API key 01234567");
        assert_eq!(actor_name("scheduler", &members), "scheduler");
    }
}
