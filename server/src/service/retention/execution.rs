//! Carrying a run out: under the tenant's lease (real runs), plan ([`super::plan`]), then —
//! unless dry — apply the plan in batches of rows, each batch one transaction with its run
//! items and events; record the run either way, with what it did if something interrupted it.

use std::collections::HashSet;

use app::wire::retention::{RetentionRun, RunSamples};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::DatabaseTransaction;
use serde_json::json;
use uuid::Uuid;

use super::{
    super::{
        audit, events,
        unit::{Events, Written},
        Caller, Result, ServiceError, Services,
    },
    plan::{self, Planned, Steps},
};
use crate::{
    domain::{events::EventKind, retention::Action},
    store::{
        self as store_root,
        audit::NewEntry,
        entities::{messages, retention_runs},
        events::NewEvent,
        retention::{apply, policies, runs as store},
    },
};

/// Rows changed per transaction.
pub const BATCH: usize = 500;
/// Ids of each action a run's record keeps.
const SAMPLES: usize = 100;

/// Who started a run.
#[derive(Debug, Clone)]
pub struct Initiator {
    /// `manual`, `admin` or `scheduled`.
    pub trigger: &'static str,
    /// `user:<id>`, `key:<id>` or `scheduler`.
    pub actor: String,
    pub user_id: Option<Uuid>,
}

impl Initiator {
    pub fn caller(caller: &Caller, trigger: &'static str) -> Self {
        Self {
            trigger,
            actor: audit::actor(caller),
            user_id: Some(caller.user_id),
        }
    }

    pub fn scheduler() -> Self {
        Self {
            trigger: "scheduled",
            actor: "scheduler".into(),
            user_id: None,
        }
    }
}

pub fn view(r: retention_runs::Model) -> RetentionRun {
    let samples = serde_json::from_value(r.sample_ids).unwrap_or_default();
    RetentionRun {
        run_id: r.id.to_string(),
        tenant_id: r.tenant_id,
        dry_run: r.dry_run,
        trigger: r.run_trigger,
        actor: r.actor,
        rules_applied: serde_json::from_value(r.rules_applied).unwrap_or_default(),
        rules_skipped: serde_json::from_value(r.rules_skipped).unwrap_or_default(),
        messages_archived: r.messages_archived as u64,
        messages_deleted: r.messages_deleted as u64,
        messages_moved_to_cold: r.messages_moved_to_cold as u64,
        sample_ids: samples,
        started_at: r.started_at.to_rfc3339(),
        finished_at: r.finished_at.map(|t| t.to_rfc3339()),
        error: r.error,
        restored_at: r.restored_at.map(|t| t.to_rfc3339()),
        messages_restored: r.messages_restored as u64,
    }
}

/// Plans `steps` for `tenant` and, unless `dry_run`, carries them out under the tenant's lease
/// (409 when another run holds it). Records the run either way.
///
/// The run is a task of its own, tracked so that shutdown waits for it: a caller that stops
/// waiting (a request past its timeout, a client that hangs up) does not cut it short between
/// batches, and it still records its outcome and releases the lease.
pub async fn run(
    svc: &Services,
    tenant: &str,
    steps: Steps,
    dry_run: bool,
    by: Initiator,
) -> Result<RetentionRun> {
    let (svc, tenant) = (svc.clone(), tenant.to_owned());
    let task = svc.tasks.clone();
    task.spawn(async move { run_to_end(&svc, &tenant, steps, dry_run, by).await })
        .await
        .map_err(|e| {
            ServiceError::Internal(anyhow::anyhow!("the retention run's task failed: {e}"))
        })?
}

async fn run_to_end(
    svc: &Services,
    tenant: &str,
    steps: Steps,
    dry_run: bool,
    by: Initiator,
) -> Result<RetentionRun> {
    let holder = Uuid::now_v7().to_string();
    let now = Utc::now().trunc_subsecs(6);
    if !dry_run && !store::take_lease(&svc.db, tenant, &holder, now).await? {
        return Err(ServiceError::Conflict(format!(
            "A retention run of tenant '{tenant}' is in progress; try again when it ends."
        )));
    }
    let outcome = plan_and_apply(svc, tenant, steps, dry_run, &by, &holder, now).await;
    if let Ok(run) = &outcome {
        svc.metrics.retention_run(
            by.trigger,
            dry_run,
            [
                ("archive", run.messages_archived),
                ("cold", run.messages_moved_to_cold),
                ("delete", run.messages_deleted),
            ],
        );
    }
    if !dry_run {
        if let Err(e) = store::release_lease(&svc.db, tenant, &holder).await {
            tracing::warn!(error = %e, "could not release a retention lease; it expires by itself");
        }
    }
    outcome
}

#[derive(Default)]
struct Tally {
    archived: u64,
    deleted: u64,
    cold: u64,
    samples: RunSamples,
}

impl Tally {
    fn add(&mut self, action: Action, ids: impl Iterator<Item = Uuid>) {
        let (count, samples) = match action {
            Action::Archive => (&mut self.archived, &mut self.samples.archive),
            Action::MoveToCold => (&mut self.cold, &mut self.samples.cold),
            Action::Delete => (&mut self.deleted, &mut self.samples.delete),
        };
        for id in ids {
            *count += 1;
            if samples.len() < SAMPLES {
                samples.push(id.to_string());
            }
        }
    }
}

async fn plan_and_apply(
    svc: &Services,
    tenant: &str,
    steps: Steps,
    dry_run: bool,
    by: &Initiator,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<RetentionRun> {
    let Steps { steps, skipped } = steps;
    let planned = plan::plan(&svc.db, tenant, steps, now).await?;
    let mut record = retention_runs::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.to_owned(),
        dry_run,
        run_trigger: by.trigger.into(),
        actor: by.actor.clone(),
        actor_user_id: by.user_id.map(|u| u.to_string()),
        rules_applied: json!(plan::labels(&planned)),
        rules_skipped: json!(skipped),
        messages_archived: 0,
        messages_deleted: 0,
        messages_moved_to_cold: 0,
        sample_ids: json!(RunSamples::default()),
        started_at: now,
        finished_at: None,
        error: None,
        restored_at: None,
        messages_restored: 0,
    };
    let started = record.clone();
    svc.write(async |txn| {
        store::insert(txn, started).await?;
        Ok(Written::quiet(()))
    })
    .await?;
    let mut tally = Tally::default();
    let mut failed = None;
    if dry_run {
        for p in &planned {
            tally.add(p.step.action, p.ids.iter().copied());
        }
    } else {
        for p in &planned {
            if let Err(e) = apply_step(svc, tenant, record.id, p, holder, &mut tally).await {
                failed = Some(e);
                break;
            }
        }
    }
    // Rules count as applied only by a real run that carried out its whole plan.
    let applied_rules: Vec<Uuid> = match (dry_run, &failed) {
        (false, None) => planned.iter().filter_map(|p| p.step.rule_id).collect(),
        _ => Vec::new(),
    };
    // An interrupted run is recorded with what it did, then reported as the error it met.
    record.error = failed.as_ref().map(interruption);
    record.messages_archived = tally.archived as i64;
    record.messages_deleted = tally.deleted as i64;
    record.messages_moved_to_cold = tally.cold as i64;
    record.sample_ids = json!(tally.samples);
    record.finished_at = Some(Utc::now().trunc_subsecs(6));
    let summary = view(record.clone());
    let (events, audit) = match dry_run {
        true => (Vec::new(), Vec::new()),
        false => (
            vec![applied(&summary)],
            vec![executed(tenant, by, &summary)],
        ),
    };
    svc.write(async |txn| {
        policies::mark_applied(txn, &applied_rules, now).await?;
        store::finish(txn, record).await?;
        Ok(Written {
            value: (),
            events: Events::Append(events),
            audit,
            queued_jobs: false,
            access: Vec::new(),
        })
    })
    .await?;
    match failed {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

/// One batch of a step, in the unit of work's transaction: renews the lease, changes the rows,
/// records them as the run's items, and returns their ids in the plan's order with the events.
async fn apply_batch(
    txn: &DatabaseTransaction,
    tenant: &str,
    run_id: Uuid,
    p: &Planned,
    chunk: &[Uuid],
    holder: &str,
) -> Result<Written<Vec<Uuid>>> {
    let now = Utc::now().trunc_subsecs(6);
    if !store::renew_lease(txn, tenant, holder, now).await? {
        return Err(ServiceError::Conflict(format!(
            "The retention run of tenant '{tenant}' lost its lease to another instance."
        )));
    }
    let reason = p.step.label.as_str();
    let changed: Vec<messages::Model> = match p.step.action {
        Action::Archive => apply::archive(txn, tenant, chunk, reason, now).await?,
        Action::MoveToCold => apply::move_to_cold(txn, tenant, chunk, reason, now).await?,
        Action::Delete => store_root::messages::delete_messages(txn, tenant, chunk).await?,
    };
    let ids: HashSet<Uuid> = changed.iter().map(|m| m.id).collect();
    let in_order: Vec<Uuid> = chunk
        .iter()
        .copied()
        .filter(|id| ids.contains(id))
        .collect();
    store::add_items(txn, tenant, run_id, p.step.action.item(), &in_order).await?;
    let emitted = match p.step.action {
        Action::Delete => {
            store_root::events::scrub_messages(txn, tenant, &in_order).await?;
            changed.iter().map(events::message_deleted).collect()
        }
        _ => changed
            .iter()
            .map(|m| events::message(EventKind::MessageArchived, m))
            .collect(),
    };
    Ok(Written::emitted(in_order, emitted))
}

/// What a run's record says interrupted it (never a database's own error text).
fn interruption(e: &ServiceError) -> String {
    match e {
        ServiceError::Internal(_) => "an internal error interrupted the run".into(),
        other => other.to_string(),
    }
}

/// The audit entry of a real run: who ran it, which rules, and what it changed.
fn executed(tenant: &str, by: &Initiator, run: &RetentionRun) -> NewEntry {
    NewEntry {
        tenant_id: Some(tenant.to_owned()),
        actor_user_id: by.user_id,
        actor: by.actor.clone(),
        action: "retention.executed",
        target: Some(run.run_id.clone()),
        details: json!({
            "trigger": run.trigger,
            "rules_applied": run.rules_applied,
            "messages_archived": run.messages_archived,
            "messages_deleted": run.messages_deleted,
            "messages_moved_to_cold": run.messages_moved_to_cold,
        }),
    }
}

/// `retention.applied`: the run's summary.
fn applied(run: &RetentionRun) -> NewEvent {
    NewEvent {
        tenant_id: run.tenant_id.clone(),
        conversation_id: None,
        message_id: None,
        name: EventKind::RetentionApplied.as_str(),
        data: serde_json::to_string(run).expect("wire types serialise"),
    }
}

/// Carries out one planned step in batches; each batch renews the lease (a run that lost it
/// stops with 409 rather than race the instance that took it over).
async fn apply_step(
    svc: &Services,
    tenant: &str,
    run_id: Uuid,
    p: &Planned,
    holder: &str,
    tally: &mut Tally,
) -> Result<()> {
    for chunk in p.ids.chunks(BATCH) {
        let in_order = svc
            .write(async |txn| apply_batch(txn, tenant, run_id, p, chunk, holder).await)
            .await?;
        tally.add(p.step.action, in_order.into_iter());
    }
    Ok(())
}
