//! The policy: each field with what it means and its bounds (the service's: days 1–3650,
//! importance 0–1, at most ≥ 1 messages or no limit). Admins edit it; others read it.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    components::feedback::{FormDone, FormError},
    pages::conversations::short_time,
    server_fns::retention::SaveRetentionPolicy,
    wire::retention::RetentionPolicy,
};

const FIELDS: &[&str] = &[
    "max_age_days",
    "importance_threshold",
    "min_age_days",
    "max_items",
    "delete_after_days",
];

/// A number field of the policy with its meaning.
#[component]
fn NumberField(
    name: &'static str,
    label: &'static str,
    help: &'static str,
    value: String,
    min: &'static str,
    max: &'static str,
    #[prop(optional)] step: Option<&'static str>,
    #[prop(optional)] optional: bool,
    disabled: bool,
) -> impl IntoView {
    let id = format!("policy-{name}");
    let help_id = format!("{id}-help");
    view! {
        <label for=id.clone()>{label}</label>
        <input id=id name=name type="number" min=min max=max step=step.unwrap_or("1")
            value=value required=!optional disabled=disabled aria-describedby=help_id.clone() />
        <small id=help_id class="muted">{help}</small>
        <FormError path=SaveRetentionPolicy::PATH field=name />
    }
}

/// `/retention`'s policy section.
#[component]
pub fn PolicySection(policy: RetentionPolicy, tenant: String, admin: bool) -> impl IntoView {
    let ro = !admin;
    let state = match (&policy.updated_at, policy.enabled) {
        (None, _) => "The server's defaults apply (this tenant has not set its own).".to_owned(),
        (Some(at), true) => format!("Enabled; changed {}.", short_time(Some(at))),
        (Some(at), false) => format!("Disabled; changed {}.", short_time(Some(at))),
    };
    view! {
        <section class="card" data-testid="policy">
            <h2>"Policy"</h2>
            <p class="muted">{state}</p>
            <FormDone path=SaveRetentionPolicy::PATH message="Policy saved." />
            <FormError path=SaveRetentionPolicy::PATH fields=FIELDS />
            <form method="post" action=SaveRetentionPolicy::url() class="stacked">
                <input type="hidden" name="tenant_id" value=tenant />
                <label class="inline">
                    <input type="checkbox" name="enabled" value="true" checked=policy.enabled disabled=ro />
                    " Enabled — runs on the server's schedule and in every run of this page. "
                    "Disabled, the policy does nothing; rules still run."
                </label>
                <NumberField name="max_age_days" label="Archive messages older than (days)"
                    help="Live messages older than this are archived. 1–3650."
                    value=policy.max_age_days.to_string() min="1" max="3650" disabled=ro />
                <NumberField name="importance_threshold" label="Archive messages with importance at or below"
                    help="Together with the next field: unimportant messages are archived sooner. 0–1."
                    value=policy.importance_threshold.to_string() min="0" max="1" step="0.01" disabled=ro />
                <NumberField name="min_age_days" label="…once they are older than (days)"
                    help="How old an unimportant message must be before it is archived. 1–3650."
                    value=policy.min_age_days.to_string() min="1" max="3650" disabled=ro />
                <NumberField name="max_items" label="Keep at most this many live messages"
                    help="The newest are kept; older ones are archived. At least 1; empty: no limit."
                    value=policy.max_items.map(|n| n.to_string()).unwrap_or_default()
                    min="1" max="2147483647" optional=true disabled=ro />
                <NumberField name="delete_after_days" label="Delete archived messages after (days)"
                    help="Messages archived for longer than this are deleted for good. 1–3650."
                    value=policy.delete_after_days.to_string() min="1" max="3650" disabled=ro />
                {admin.then(|| view! { <button type="submit">"Save the policy"</button> })}
            </form>
        </section>
    }
    .into_any()
}
