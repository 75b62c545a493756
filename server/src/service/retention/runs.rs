//! Running retention: plan ([`super::plan`]), then — unless dry — apply the plan in batches of
//! rows, each batch one transaction with its run records and events, under the tenant's
//! lease. Every run, dry or real, is recorded; a real one can be restored.

use std::collections::HashSet;

use app::wire::retention::{
    AdminRetentionRun, RetentionRun, RetentionRunList, RetentionRunPage, RunRestored, RunSamples,
};
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{
    super::{audit, events, Access, Caller, Result, ServiceError, Services},
    executing_tenant,
    plan::{self, Planned, Steps},
    policy,
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

/// `POST /v1/retention/execute`: enabled rules by priority, then the policy if enabled.
pub async fn execute(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    dry_run: bool,
) -> Result<RetentionRun> {
    let t = if dry_run {
        caller
            .authorise_and_charge(svc, tenant, Access::Read)
            .await?
    } else {
        executing_tenant(svc, caller, tenant).await?
    };
    let steps = scheduled_steps(svc, &t.tenant_id).await?;
    run(
        svc,
        &t.tenant_id,
        steps,
        dry_run,
        Initiator::caller(caller, "manual"),
    )
    .await
}

/// The steps a tenant's retention runs by itself: enabled rules, then the enabled policy.
pub(super) async fn scheduled_steps(svc: &Services, tenant: &str) -> Result<Steps> {
    let mut planned = plan::rule_steps(policies::rules(&svc.db, tenant, true).await?);
    let p = policy::effective(svc, tenant).await?;
    if p.enabled {
        planned.steps.extend(plan::policy_steps(&p));
    }
    Ok(planned)
}

/// `POST /v1/admin/retention/run`: the policy (as set, even if not enabled: an administrator
/// asked) of one tenant, or of every tenant the caller administers — every tenant, for an
/// instance administrator.
pub async fn admin_run(
    svc: &Services,
    caller: &Caller,
    req: AdminRetentionRun,
) -> Result<RetentionRunList> {
    caller.require_session("Retention is run from the admin route")?;
    let (archive, delete) = chosen_actions(req.actions.as_deref())?;
    let tenants = match (&req.tenant_id, caller.is_instance_admin) {
        (Some(t), true) => {
            crate::domain::TenantId::parse(t)?;
            if !store_root::tenants::exists(&svc.db, t).await? {
                return Err(ServiceError::not_found("tenant"));
            }
            vec![t.clone()]
        }
        (Some(t), false) => vec![caller.authorise(Some(t), Access::Admin)?.tenant_id],
        (None, true) => store_root::tenants::all_ids(&svc.db).await?,
        (None, false) => caller.admin_tenants(),
    };
    if tenants.is_empty() {
        return Err(ServiceError::Forbidden(
            "You administer no tenant: name one with tenant_id.".into(),
        ));
    }
    let mut done = Vec::with_capacity(tenants.len());
    for tenant in tenants {
        let p = policy::effective(svc, &tenant).await?;
        let steps = Steps {
            steps: plan::policy_steps(&p)
                .into_iter()
                .filter(|s| match s.action {
                    Action::Delete => delete,
                    Action::Archive | Action::MoveToCold => archive,
                })
                .collect(),
            skipped: Vec::new(),
        };
        done.push(
            run(
                svc,
                &tenant,
                steps,
                req.dry_run,
                Initiator::caller(caller, "admin"),
            )
            .await?,
        );
    }
    Ok(RetentionRunList {
        archived: done
            .iter()
            .map(|r| r.messages_archived + r.messages_moved_to_cold)
            .sum(),
        deleted: done.iter().map(|r| r.messages_deleted).sum(),
        dry_run: req.dry_run,
        runs: done,
    })
}

/// Which of the policy's steps the original API's `actions` asks for: (archive, delete).
fn chosen_actions(actions: Option<&[String]>) -> Result<(bool, bool)> {
    let Some(actions) = actions else {
        return Ok((true, true));
    };
    if actions.is_empty() {
        return Err(ServiceError::invalid(
            "actions",
            "must name at least one action",
        ));
    }
    let mut chosen = (false, false);
    for a in actions {
        match a.as_str() {
            "archive" => chosen.0 = true,
            "delete" => chosen.1 = true,
            _ => {
                return Err(ServiceError::invalid(
                    "actions",
                    "may hold only archive and delete",
                ))
            }
        }
    }
    Ok(chosen)
}

/// Plans `steps` for `tenant` and, unless `dry_run`, carries them out under the tenant's lease
/// (409 when another run holds it). Records the run either way.
///
/// The run is a task of its own: a caller that stops waiting (a request past its timeout, a
/// client that hangs up) does not cut it short between batches, and it still records its
/// outcome and releases the lease.
pub async fn run(
    svc: &Services,
    tenant: &str,
    steps: Steps,
    dry_run: bool,
    by: Initiator,
) -> Result<RetentionRun> {
    let (svc, tenant) = (svc.clone(), tenant.to_owned());
    tokio::spawn(async move { run_to_end(&svc, &tenant, steps, dry_run, by).await })
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
    store::insert(&svc.db, record.clone()).await?;
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
        if failed.is_none() {
            let rules: Vec<Uuid> = planned.iter().filter_map(|p| p.step.rule_id).collect();
            policies::mark_applied(&svc.db, &rules, now).await?;
        }
    }
    // An interrupted run is recorded with what it did, then reported as the error it met.
    record.error = failed.as_ref().map(interruption);
    record.messages_archived = tally.archived as i64;
    record.messages_deleted = tally.deleted as i64;
    record.messages_moved_to_cold = tally.cold as i64;
    record.sample_ids = json!(tally.samples);
    record.finished_at = Some(Utc::now().trunc_subsecs(6));
    let summary = view(record.clone());
    let txn = store_root::begin_write(&svc.db).await?;
    store::finish(&txn, record).await?;
    if !dry_run {
        store_root::events::append(&txn, vec![applied(&summary)]).await?;
        let entry = NewEntry {
            tenant_id: Some(tenant.to_owned()),
            actor_user_id: by.user_id,
            actor: by.actor.clone(),
            action: "retention.executed",
            target: Some(summary.run_id.clone()),
            details: json!({
                "trigger": summary.trigger,
                "rules_applied": summary.rules_applied,
                "messages_archived": summary.messages_archived,
                "messages_deleted": summary.messages_deleted,
                "messages_moved_to_cold": summary.messages_moved_to_cold,
            }),
        };
        store_root::audit::record(&txn, entry).await?;
    }
    store_root::commit(txn).await?;
    svc.hub.wake();
    match failed {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

/// What a run's record says interrupted it (never a database's own error text).
fn interruption(e: &ServiceError) -> String {
    match e {
        ServiceError::Internal(_) => "an internal error interrupted the run".into(),
        other => other.to_string(),
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
        let now = Utc::now().trunc_subsecs(6);
        let txn = store_root::begin_write(&svc.db).await?;
        if !store::renew_lease(&txn, tenant, holder, now).await? {
            return Err(ServiceError::Conflict(format!(
                "The retention run of tenant '{tenant}' lost its lease to another instance."
            )));
        }
        let reason = p.step.label.as_str();
        let changed: Vec<messages::Model> = match p.step.action {
            Action::Archive => apply::archive(&txn, tenant, chunk, reason, now).await?,
            Action::MoveToCold => apply::move_to_cold(&txn, tenant, chunk, reason, now).await?,
            Action::Delete => store_root::messages::delete_messages(&txn, tenant, chunk).await?,
        };
        let ids: HashSet<Uuid> = changed.iter().map(|m| m.id).collect();
        let in_order: Vec<Uuid> = chunk
            .iter()
            .copied()
            .filter(|id| ids.contains(id))
            .collect();
        store::add_items(&txn, run_id, p.step.action.item(), &in_order).await?;
        let emitted = match p.step.action {
            Action::Delete => {
                store_root::events::scrub_messages(&txn, tenant, &in_order).await?;
                changed.iter().map(events::message_deleted).collect()
            }
            _ => changed
                .iter()
                .map(|m| events::message(EventKind::MessageArchived, m))
                .collect(),
        };
        store_root::events::append(&txn, emitted).await?;
        store_root::commit(txn).await?;
        svc.hub.wake();
        tally.add(p.step.action, in_order.into_iter());
    }
    Ok(())
}

/// Runs newest first.
pub async fn list(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    page_size: Option<u64>,
    cursor: Option<&str>,
) -> Result<RetentionRunPage> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let size = page_size.unwrap_or(50);
    if !(1..=200).contains(&size) {
        return Err(ServiceError::invalid("page_size", "must be 1 to 200"));
    }
    let before = cursor
        .map(|c| Uuid::parse_str(c).map_err(|_| crate::domain::cursor::not_issued()))
        .transpose()?;
    let mut found = store::list(&svc.db, &t.tenant_id, before, size + 1).await?;
    let more = found.len() as u64 > size;
    found.truncate(size as usize);
    let next_cursor = more
        .then(|| found.last().map(|r| r.id.to_string()))
        .flatten();
    Ok(RetentionRunPage {
        runs: found.into_iter().map(view).collect(),
        next_cursor,
    })
}

fn run_id(raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::not_found("retention run"))
}

pub async fn get(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
) -> Result<RetentionRun> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    Ok(view(store::get(&svc.db, &t.tenant_id, run_id(id)?).await?))
}

/// Restores everything run `id` archived or moved to cold storage and is still archived
/// (cold messages are embedded again); safe to repeat.
pub async fn restore(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
) -> Result<RunRestored> {
    let t = executing_tenant(svc, caller, tenant).await?;
    let record = store::get(&svc.db, &t.tenant_id, run_id(id)?).await?;
    if record.dry_run {
        return Err(ServiceError::BadRequest(
            "A dry run changed nothing: there is nothing to restore.".into(),
        ));
    }
    let ids = store::restorable(&svc.db, record.id).await?;
    let mut restored = 0u64;
    for chunk in ids.chunks(BATCH) {
        let back = super::archive::restore_batch(svc, &t.tenant_id, chunk).await?;
        restored += back.len() as u64;
    }
    let txn = store_root::begin_write(&svc.db).await?;
    let record = store::mark_restored(&txn, record, restored, Utc::now().trunc_subsecs(6)).await?;
    let details = json!({ "messages_restored": restored });
    audit::record(
        &txn,
        caller,
        Some(&t.tenant_id),
        "retention.restored",
        Some(record.id.to_string()),
        details,
    )
    .await?;
    store_root::commit(txn).await?;
    Ok(RunRestored {
        run_id: record.id.to_string(),
        messages_restored: restored,
    })
}
