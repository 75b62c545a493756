//! Retention runs as use cases: execute a tenant's rules and policy, the admin route's runs,
//! the run records, and a run's restore. How a run is carried out is [`super::execution`].

use app::wire::retention::{
    AdminRetentionRun, RetentionRun, RetentionRunList, RetentionRunPage, RunMessages, RunRestored,
};
use chrono::{SubsecRound, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{
    super::{
        audit, unit::Written, views::view_message, Access, Caller, Result, ServiceError, Services,
    },
    executing_tenant,
    execution::{run, view, Initiator, BATCH},
    plan::{self, Steps},
    policy,
};
use crate::{
    domain::retention::Action,
    store::{
        self as store_root,
        retention::{policies, runs as store},
    },
};

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

/// The messages run `id` sampled that still exist, per action, oldest first.
pub async fn messages(
    svc: &Services,
    caller: &Caller,
    tenant: Option<&str>,
    id: &str,
) -> Result<RunMessages> {
    let t = caller
        .authorise_and_charge(svc, tenant, Access::Read)
        .await?;
    let run = view(store::get(&svc.db, &t.tenant_id, run_id(id)?).await?);
    let samples = &run.sample_ids;
    // Sampled ids are the run's own (at most 100 per action), parsed back from its record.
    let ids: Vec<Uuid> = (samples.archive.iter())
        .chain(&samples.delete)
        .chain(&samples.cold)
        .filter_map(|s| Uuid::parse_str(s).ok())
        .collect();
    let mut found = store_root::messages::messages_by_ids(&svc.db, &t.tenant_id, &ids).await?;
    found.sort_by_key(|m| (m.created_at, m.id));
    let found: Vec<_> = found.into_iter().map(view_message).collect();
    let of = |sampled: &[String]| -> Vec<_> {
        (found.iter())
            .filter(|m| sampled.contains(&m.id))
            .cloned()
            .collect()
    };
    Ok(RunMessages {
        archive: of(&samples.archive),
        delete: of(&samples.delete),
        cold: of(&samples.cold),
        run_id: run.run_id,
    })
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
    let details = json!({ "messages_restored": restored });
    let target = Some(record.id.to_string());
    let entry = audit::entry(
        caller,
        Some(&t.tenant_id),
        "retention.restored",
        target,
        details,
    );
    let record = svc
        .write(async |txn| {
            let now = Utc::now().trunc_subsecs(6);
            let record = store::mark_restored(txn, record, restored, now).await?;
            Ok(Written::audited(record, vec![entry]))
        })
        .await?;
    Ok(RunRestored {
        run_id: record.id.to_string(),
        messages_restored: restored,
    })
}
