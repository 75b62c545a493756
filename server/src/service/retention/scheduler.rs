//! The retention scheduler: every `MEMORY_RETENTION_SCHEDULE_SECONDS` each instance looks for
//! tenants with an enabled policy or rule whose last scheduled run is at least that old, and
//! runs them. The tenant's lease keeps two instances from running one tenant at once; the
//! last run's time keeps them from running it twice per period.

use chrono::Utc;

use super::{
    super::{Result, Services},
    execution::{self, Initiator},
    runs,
};
use crate::store::retention::{policies, runs as store};

/// One pass over the tenants due a run; returns how many ran.
pub async fn tick(svc: &Services) -> Result<usize> {
    let period = svc.settings.retention.schedule;
    // A little slack, so instances whose timers drift still run each tenant once per period.
    let due_after = chrono::Duration::from_std(period.mul_f64(0.9)).unwrap_or_default();
    let mut ran = 0;
    for tenant in policies::scheduled_tenants(&svc.db).await? {
        let last = store::last_scheduled(&svc.db, &tenant).await?;
        if last.is_some_and(|at| Utc::now() - at < due_after) {
            continue;
        }
        let steps = runs::scheduled_steps(svc, &tenant).await?;
        match execution::run(svc, &tenant, steps, false, Initiator::scheduler()).await {
            Ok(run) => {
                ran += 1;
                tracing::info!(
                    tenant = %tenant,
                    archived = run.messages_archived,
                    deleted = run.messages_deleted,
                    cold = run.messages_moved_to_cold,
                    "scheduled retention run"
                );
            }
            // Another instance holds the tenant's lease: it is running it now.
            Err(super::super::ServiceError::Conflict(_)) => {}
            Err(e) => {
                tracing::warn!(tenant = %tenant, error = %e, "scheduled retention run failed")
            }
        }
    }
    Ok(ran)
}
