//! The rules: the list in the order they run, with enable/disable and delete, and the editor —
//! each rule type with its own condition fields ([`ConditionFields`]), never raw JSON.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    components::{
        feedback::{FormDone, FormError},
        table::ListTable,
        tenant::{encode, use_tenant, with_tenant},
    },
    pages::conversations::short_time,
    server_fns::retention::{
        conditions::{describe, ConditionFields, ACTIONS, RULE_TYPES},
        DeleteRetentionRule, EnableRetentionRule, SaveRetentionRule,
    },
    wire::retention::RetentionRule,
};

/// The fields an error of the editor may name; any other shows above it.
const FIELDS: &[&str] = &[
    "name",
    "description",
    "action",
    "priority",
    "conditions.days",
    "conditions.importance_threshold",
    "conditions.min_age_days",
    "conditions.max_items",
    "conditions.filters.role",
    "conditions.filters.min_importance",
    "conditions.filters.max_importance",
    "conditions.filters.min_age_days",
    "conditions.filters.max_age_days",
    "conditions.filters.conversation_ids",
];

fn type_label(rule_type: &str) -> &str {
    RULE_TYPES
        .iter()
        .find(|(t, _, _)| *t == rule_type)
        .map_or(rule_type, |(_, label, _)| label)
}

/// `/retention`'s rules section.
#[component]
pub fn RulesSection(
    rules: Vec<RetentionRule>,
    tenant: String,
    admin: bool,
    editing: Option<RetentionRule>,
    new_type: Option<String>,
) -> impl IntoView {
    let chosen = use_tenant();
    let rows = if rules.is_empty() {
        None
    } else {
        let rows = rules
            .into_iter()
            .map(|rule| view! { <RuleRow rule tenant=tenant.clone() admin /> })
            .collect_view();
        Some(rows)
    };
    let editor = admin.then(|| match editing {
        Some(rule) => view! { <RuleEditor rule_type=rule.rule_type.clone() rule=Some(rule) tenant /> }.into_any(),
        None => {
            let rule_type = new_type
                .filter(|t| RULE_TYPES.iter().any(|(k, _, _)| k == t))
                .unwrap_or_else(|| "age".to_owned());
            let choices = RULE_TYPES
                .iter()
                .map(|(t, label, _)| {
                    let href = with_tenant(&format!("/retention?new={t}"), chosen.as_deref());
                    let current = (*t == rule_type).then_some("true");
                    view! { <a href=format!("{href}#rule-editor") aria-current=current>{*label}</a> }
                })
                .collect_view();
            view! {
                <nav class="actions" aria-label="Rule types">{choices}</nav>
                <RuleEditor rule_type rule=None tenant />
            }
            .into_any()
        }
    });
    view! {
        <section class="card" data-testid="rules">
            <h2>"Rules"</h2>
            <p class="muted">
                "Enabled rules run before the policy, lowest priority first; each acts on the "
                "messages it selects."
            </p>
            <FormDone path=EnableRetentionRule::PATH message="Rule changed." />
            <FormError path=EnableRetentionRule::PATH />
            <FormDone path=DeleteRetentionRule::PATH message="Rule deleted." />
            <FormError path=DeleteRetentionRule::PATH />
            {match rows {
                Some(rows) => view! {
                    <ListTable testid="rule-list" headers=&["Priority", "Name", "Type", "Selects", "Action", "State", "Last applied", ""]>{rows}</ListTable>
                }.into_any(),
                None => view! { <p class="muted">"No rules: only the policy runs."</p> }.into_any(),
            }}
            {editor}
        </section>
    }
    .into_any()
}

#[component]
fn RuleRow(rule: RetentionRule, tenant: String, admin: bool) -> impl IntoView {
    let chosen = use_tenant();
    let selects = describe(&rule.rule_type, &rule.conditions);
    let edit = with_tenant(
        &format!("/retention?rule={}", encode(&rule.id)),
        chosen.as_deref(),
    );
    let name = rule.name.clone();
    let controls = admin.then(|| {
        let (toggle, label) = match rule.enabled {
            true => ("false", "Disable"),
            false => ("true", "Enable"),
        };
        view! {
            <a href=format!("{edit}#rule-editor")>"Edit"</a>
            <form method="post" action=EnableRetentionRule::url() class="inline-form">
                <input type="hidden" name="tenant_id" value=tenant.clone() />
                <input type="hidden" name="id" value=rule.id.clone() />
                <input type="hidden" name="enabled" value=toggle />
                <button type="submit" class="secondary">{label}</button>
            </form>
            <details class="confirm">
                <summary>"Delete…"</summary>
                <form method="post" action=DeleteRetentionRule::url()>
                    <input type="hidden" name="tenant_id" value=tenant />
                    <input type="hidden" name="id" value=rule.id.clone() />
                    <p>{format!("Delete the rule “{name}”? Runs already made keep their record.")}</p>
                    <button type="submit" class="danger">"Delete the rule"</button>
                </form>
            </details>
        }
    });
    view! {
        <tr data-rule=rule.name.clone()>
            <td class="num">{rule.priority}</td>
            <td>{rule.name.clone()}{rule.description.clone().filter(|d| !d.is_empty()).map(|d| view! { <br /><small class="muted">{d}</small> })}</td>
            <td>{type_label(&rule.rule_type).to_owned()}</td>
            <td>{selects}</td>
            <td>{rule.action.replace('_', " ")}</td>
            <td>{if rule.enabled { "enabled" } else { "disabled" }}</td>
            <td>{short_time(rule.last_applied_at.as_deref())}</td>
            <td>{controls}</td>
        </tr>
    }
    .into_any()
}

/// A number or text field of a rule's conditions, with its meaning and its error.
#[component]
fn Condition(
    name: &'static str,
    label: &'static str,
    help: &'static str,
    value: String,
    /// The field the service names in an error about it.
    error: &'static str,
    #[prop(optional)] number: Option<(&'static str, &'static str, &'static str)>,
) -> impl IntoView {
    let id = format!("rule-{name}");
    let help_id = format!("{id}-help");
    let input = match number {
        Some((min, max, step)) => view! {
            <input id=id.clone() name=name type="number" min=min max=max step=step value=value aria-describedby=help_id.clone() />
        }
        .into_any(),
        None => view! {
            <input id=id.clone() name=name value=value aria-describedby=help_id.clone() />
        }
        .into_any(),
    };
    view! {
        <label for=id>{label}</label>
        {input}
        <small id=help_id class="muted">{help}</small>
        <FormError path=SaveRetentionRule::PATH field=error />
    }
}

const DAYS: (&str, &str, &str) = ("1", "3650", "1");
const DAYS_OR_ZERO: (&str, &str, &str) = ("0", "3650", "1");
const FRACTION: (&str, &str, &str) = ("0", "1", "0.01");

/// The condition fields of `rule_type`, filled from `f`.
fn condition_fields(rule_type: &str, f: ConditionFields) -> AnyView {
    match rule_type {
        "age" => view! {
            <Condition name="days" label="Older than (days)" help="1–3650; empty: 30."
                value=f.days error="conditions.days" number=DAYS />
        }
        .into_any(),
        "conversation_age" => view! {
            <Condition name="days" label="Conversation idle for (days)"
                help="Every message of a conversation whose newest message is older than this. 1–3650; empty: 90."
                value=f.days error="conditions.days" number=DAYS />
        }
        .into_any(),
        "importance" => view! {
            <Condition name="importance_threshold" label="Importance at or below" help="0–1; empty: 0.3."
                value=f.importance_threshold error="conditions.importance_threshold" number=FRACTION />
            <Condition name="min_age_days" label="Older than (days)" help="0–3650; empty: 0 (any age)."
                value=f.min_age_days error="conditions.min_age_days" number=DAYS_OR_ZERO />
        }
        .into_any(),
        "max_items" => view! {
            <Condition name="max_items" label="Keep the newest" help="Every other live message is selected. At least 1; empty: 1000."
                value=f.max_items error="conditions.max_items" number=("1", "2147483647", "1") />
        }
        .into_any(),
        _ => custom_fields(f),
    }
}

fn custom_fields(f: ConditionFields) -> AnyView {
    let role = f.role.clone();
    let roles = [
        ("", "any role"),
        ("user", "user"),
        ("assistant", "assistant"),
        ("system", "system"),
    ]
    .into_iter()
    .map(|(v, label)| view! { <option value=v selected=role == v>{label}</option> })
    .collect_view();
    view! {
        <p class="muted">"A custom rule selects the messages matching every filled filter (at least one)."</p>
        <label for="rule-role">"Role"</label>
        <select id="rule-role" name="role">{roles}</select>
        <FormError path=SaveRetentionRule::PATH field="conditions.filters.role" />
        <Condition name="min_importance" label="Importance at least" help="0–1."
            value=f.min_importance error="conditions.filters.min_importance" number=FRACTION />
        <Condition name="max_importance" label="Importance at most" help="0–1."
            value=f.max_importance error="conditions.filters.max_importance" number=FRACTION />
        <Condition name="min_age_days" label="Older than (days)" help="0–3650."
            value=f.min_age_days error="conditions.filters.min_age_days" number=DAYS_OR_ZERO />
        <Condition name="max_age_days" label="Younger than (days)" help="1–3650."
            value=f.max_age_days error="conditions.filters.max_age_days" number=DAYS />
        <Condition name="conversation_ids" label="In conversations" help="Conversation ids, separated by commas or spaces (up to 1000)."
            value=f.conversation_ids error="conditions.filters.conversation_ids" />
        <label for="rule-metadata">"Metadata"</label>
        <textarea id="rule-metadata" name="metadata" rows="3" aria-describedby="rule-metadata-help">{f.metadata}</textarea>
        <small id="rule-metadata-help" class="muted">
            "One key=value a line; the message's metadata must hold each. A number or true/false "
            "matches that value; quote text that looks like one (\"7\")."
        </small>
        <FormError path=SaveRetentionRule::PATH field="conditions.filters.metadata" />
    }
    .into_any()
}

/// The editor of a new rule of `rule_type` (`rule: None`) or of an existing one.
#[component]
fn RuleEditor(rule_type: String, rule: Option<RetentionRule>, tenant: String) -> impl IntoView {
    let chosen = use_tenant();
    let (_, label, meaning) = RULE_TYPES
        .iter()
        .find(|(t, _, _)| *t == rule_type)
        .copied()
        .unwrap_or(("", "Rule", ""));
    let heading = match &rule {
        Some(r) => format!("Edit “{}” ({label})", r.name),
        None => format!("Add a rule: {label}"),
    };
    let fields = (rule.as_ref())
        .map(|r| ConditionFields::from_conditions(&r.conditions))
        .unwrap_or_default();
    let id = rule.as_ref().map(|r| r.id.clone());
    let name = rule.as_ref().map(|r| r.name.clone()).unwrap_or_default();
    let description = (rule.as_ref())
        .and_then(|r| r.description.clone())
        .unwrap_or_default();
    let action = (rule.as_ref()).map_or("archive".to_owned(), |r| r.action.clone());
    let priority = (rule.as_ref()).map_or("100".to_owned(), |r| r.priority.to_string());
    let enabled = rule.as_ref().is_none_or(|r| r.enabled);
    let actions = ACTIONS
        .iter()
        .map(|(a, label)| view! { <option value=*a selected=*a == action>{*label}</option> })
        .collect_view();
    let done = if id.is_some() {
        "Rule saved."
    } else {
        "Rule added."
    };
    let cancel = with_tenant("/retention", chosen.as_deref());
    view! {
        <div id="rule-editor" class="card">
            <h3>{heading}</h3>
            <p class="muted">{meaning}</p>
            <FormDone path=SaveRetentionRule::PATH message=done />
            <FormError path=SaveRetentionRule::PATH fields=FIELDS />
            <form method="post" action=SaveRetentionRule::url() class="stacked">
                <input type="hidden" name="tenant_id" value=tenant />
                <input type="hidden" name="rule_type" value=rule_type.clone() />
                {id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
                <label for="rule-name">"Name"</label>
                <input id="rule-name" name="name" required maxlength="255" value=name />
                <FormError path=SaveRetentionRule::PATH field="name" />
                <label for="rule-description">"Description (optional)"</label>
                <input id="rule-description" name="description" maxlength="1000" value=description />
                <FormError path=SaveRetentionRule::PATH field="description" />
                {condition_fields(&rule_type, fields)}
                <label for="rule-action">"Action"</label>
                <select id="rule-action" name="action">{actions}</select>
                <FormError path=SaveRetentionRule::PATH field="action" />
                <label for="rule-priority">"Priority (1–1000; lower runs first)"</label>
                <input id="rule-priority" name="priority" type="number" min="1" max="1000" value=priority />
                <FormError path=SaveRetentionRule::PATH field="priority" />
                <div>
                    <label class="inline">
                        <input type="checkbox" name="enabled" value="true" checked=enabled />
                        " Enabled"
                    </label>
                </div>
                <div class="actions">
                    <button type="submit">"Save the rule"</button>
                    <a href=cancel>"Cancel"</a>
                </div>
            </form>
        </div>
    }
    .into_any()
}
