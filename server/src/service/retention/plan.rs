//! What a run will do, decided before it changes anything: the steps (enabled rules by
//! priority, then the policy's), and for each the ids it takes. A message is taken by the
//! first step that selects it and by no later one, so every step sees the state the earlier
//! ones leave — which is why a dry run (which changes nothing) reports exactly what a real
//! run of the same moment does.

use std::collections::HashSet;

use app::wire::retention::{RetentionPolicy, SkippedRule};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::Result;
use crate::{
    domain::{
        retention::{self as rules, Action, Selection},
        Invalid,
    },
    store::{entities::retention_rules, retention::select},
};

/// One step of a run.
#[derive(Debug, Clone)]
pub struct Step {
    /// The rule's name, or `policy`: what `rules_applied` lists.
    pub label: String,
    pub rule_id: Option<Uuid>,
    pub action: Action,
    pub selection: Selection,
}

/// What a run will try: its steps in order, and the enabled rules it cannot run.
#[derive(Debug, Clone, Default)]
pub struct Steps {
    pub steps: Vec<Step>,
    pub skipped: Vec<SkippedRule>,
}

/// A step with the ids it takes, in order.
#[derive(Debug, Clone)]
pub struct Planned {
    pub step: Step,
    pub ids: Vec<Uuid>,
}

/// The steps of the tenant's enabled `rules` (already in priority order), and the rules that
/// cannot run: stored conditions that no longer parse (they were checked when written, by the
/// rules of that time) are skipped, and the run records which and why.
pub fn rule_steps(found: Vec<retention_rules::Model>) -> Steps {
    let mut steps = Vec::with_capacity(found.len());
    let mut skipped = Vec::new();
    for r in found {
        match parse_rule(&r) {
            Ok((selection, action)) => steps.push(Step {
                label: r.name,
                rule_id: Some(r.id),
                action,
                selection,
            }),
            Err(e) => skipped.push(SkippedRule {
                rule_id: r.id.to_string(),
                name: r.name,
                reason: e.message,
            }),
        }
    }
    Steps { steps, skipped }
}

/// Every tenant's enabled rules that no run can carry out, with their tenant: start-up lists
/// them, so an operator hears of them before their tenants' next runs skip them.
pub async fn unusable_rules(
    db: &impl sea_orm::ConnectionTrait,
) -> Result<Vec<(String, SkippedRule)>> {
    let found = crate::store::retention::policies::all_enabled_rules(db).await?;
    Ok(found
        .into_iter()
        .filter_map(|r| {
            let reason = parse_rule(&r).err()?.message;
            let skipped = SkippedRule {
                rule_id: r.id.to_string(),
                name: r.name,
                reason,
            };
            Some((r.tenant_id, skipped))
        })
        .collect())
}

/// A stored rule as a run carries it out.
pub fn parse_rule(r: &retention_rules::Model) -> Result<(Selection, Action), Invalid> {
    let selection = rules::selection(&r.rule_type, &r.conditions)?;
    Ok((selection, Action::parse(&r.action)?))
}

/// The policy's steps: archive by age, archive the unimportant, keep the newest `max_items`,
/// delete what has been archived for `delete_after_days`.
pub fn policy_steps(p: &RetentionPolicy) -> Vec<Step> {
    let step = |action, selection| Step {
        label: "policy".into(),
        rule_id: None,
        action,
        selection,
    };
    let mut steps = vec![
        step(
            Action::Archive,
            Selection::OlderThan {
                days: p.max_age_days,
            },
        ),
        step(
            Action::Archive,
            Selection::Unimportant {
                threshold: p.importance_threshold,
                min_age_days: p.min_age_days,
            },
        ),
    ];
    if let Some(keep) = p.max_items {
        steps.push(step(Action::Archive, Selection::BeyondNewest { keep }));
    }
    steps.push(step(
        Action::Delete,
        Selection::ArchivedFor {
            days: p.delete_after_days,
        },
    ));
    steps
}

/// Plans `steps` against the tenant's messages as they are at `now`.
pub async fn plan(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &str,
    steps: Vec<Step>,
    now: DateTime<Utc>,
) -> Result<Vec<Planned>> {
    let mut taken: HashSet<Uuid> = HashSet::new();
    let mut planned = Vec::with_capacity(steps.len());
    for step in steps {
        let found = select::candidates(db, tenant, step.action, &step.selection, now).await?;
        let fresh = found.into_iter().filter(|id| !taken.contains(id));
        let ids: Vec<Uuid> = match step.selection {
            Selection::BeyondNewest { keep } => {
                let mut beyond: Vec<Uuid> = fresh.skip(keep as usize).collect();
                beyond.reverse();
                beyond
            }
            _ => fresh.collect(),
        };
        taken.extend(ids.iter().copied());
        planned.push(Planned { step, ids });
    }
    Ok(planned)
}

/// `rules_applied`: each step's label once, in order.
pub fn labels(planned: &[Planned]) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for p in planned {
        if !labels.contains(&p.step.label) {
            labels.push(p.step.label.clone());
        }
    }
    labels
}
