//! The messages a step of a run selects: ids only, in a fixed order, so a dry run and a real
//! run of the same moment list the same ids.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Value};
use uuid::Uuid;

use crate::{
    domain::retention::{Action, Custom, Selection},
    store::{filters::metadata_condition, StoreError},
};

/// The ids `selection` picks among the tenant's messages that `action` applies to (live ones
/// to archive, those not yet cold to move, any to delete), oldest first — except
/// [`Selection::BeyondNewest`], which lists every live message newest first (the caller keeps
/// the first `keep` of those its run has not already taken).
pub async fn candidates(
    db: &impl ConnectionTrait,
    tenant: &str,
    action: Action,
    selection: &Selection,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, StoreError> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![tenant.into()];
    let mut push = |v: Value| {
        values.push(v);
        format!("${}", values.len())
    };
    let days_ago = |d: u32| now - Duration::days(i64::from(d));
    let state = match action {
        Action::Archive => "m.archived = FALSE",
        Action::MoveToCold => "m.cold = FALSE",
        Action::Delete => "TRUE",
    };
    let mut order = "m.created_at, m.id";
    let condition = match selection {
        Selection::OlderThan { days } => {
            format!(
                "{state} AND m.created_at < {}",
                push(days_ago(*days).into())
            )
        }
        Selection::Unimportant {
            threshold,
            min_age_days,
        } => format!(
            "{state} AND m.importance_score <= {} AND m.created_at < {}",
            push((*threshold).into()),
            push(days_ago(*min_age_days).into())
        ),
        Selection::InactiveConversation { days } => format!(
            "{state} AND m.conversation_id IN (SELECT c.id FROM conversations c \
             WHERE c.tenant_id = $1 AND COALESCE(c.last_message_at, c.created_at) < {})",
            push(days_ago(*days).into())
        ),
        Selection::BeyondNewest { .. } => {
            order = "m.created_at DESC, m.id DESC";
            "m.archived = FALSE".to_owned()
        }
        Selection::ArchivedFor { days } => format!(
            "m.archived = TRUE AND m.archived_at < {}",
            push(days_ago(*days).into())
        ),
        Selection::Custom(c) => format!("{state}{}", custom(backend, c, now, &mut push)),
    };
    let sql = format!(
        "SELECT m.id FROM messages m WHERE m.tenant_id = $1 AND {condition} ORDER BY {order}"
    );
    let rows = db
        .query_all_raw(crate::store::statement(backend, sql, values))
        .await?;
    rows.iter()
        .map(|r| r.try_get_by_index::<Uuid>(0).map_err(StoreError::from))
        .collect()
}

fn custom(
    backend: DbBackend,
    c: &Custom,
    now: DateTime<Utc>,
    push: &mut impl FnMut(Value) -> String,
) -> String {
    let mut sql = String::new();
    if let Some(r) = &c.role {
        sql += &format!(" AND m.role = {}", push(r.clone().into()));
    }
    if let Some(i) = c.min_importance {
        sql += &format!(" AND m.importance_score >= {}", push(i.into()));
    }
    if let Some(i) = c.max_importance {
        sql += &format!(" AND m.importance_score <= {}", push(i.into()));
    }
    if let Some(d) = c.min_age_days {
        let at = now - Duration::days(i64::from(d));
        sql += &format!(" AND m.created_at < {}", push(at.into()));
    }
    if let Some(d) = c.max_age_days {
        let at = now - Duration::days(i64::from(d));
        sql += &format!(" AND m.created_at > {}", push(at.into()));
    }
    if let Some(ids) = &c.conversation_ids {
        let list: Vec<String> = ids.iter().map(|id| push(id.clone().into())).collect();
        sql += &format!(" AND m.conversation_id IN ({})", list.join(", "));
    }
    for m in &c.metadata {
        sql += &format!(" AND {}", metadata_condition(backend, m, push));
    }
    sql
}
