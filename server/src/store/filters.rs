//! The search [`Filters`], and the SQL conditions both retrievers share.
//!
//! Metadata keys are validated by the caller and, like every value, bound as parameters.

use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, Value};

/// Search filters, all optional, applied by both retrievers.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub conversation_id: Option<String>,
    pub role: Option<String>,
    pub importance_min: Option<f64>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// `metadata.<key> = <value>` equality, compared as text. Keys are validated by the caller.
    pub metadata: Vec<(String, String)>,
    /// Archived messages too (never those in cold storage: they left every index).
    pub include_archived: bool,
}

impl Filters {
    /// True when only the tenant restricts the search.
    pub fn is_empty(&self) -> bool {
        self.conversation_id.is_none()
            && self.role.is_none()
            && self.importance_min.is_none()
            && self.start.is_none()
            && self.end.is_none()
            && self.metadata.is_empty()
    }
}

/// Builds `WHERE` conditions with numbered placeholders starting after `values`.
pub(super) fn where_clause(
    backend: DbBackend,
    tenant: &str,
    f: &Filters,
    values: &mut Vec<Value>,
) -> String {
    let mut push = |v: Value| {
        values.push(v);
        format!("${}", values.len())
    };
    let state = if f.include_archived {
        "m.cold = FALSE"
    } else {
        "m.archived = FALSE"
    };
    let mut sql = format!("m.tenant_id = {} AND {state}", push(tenant.into()));
    if let Some(c) = &f.conversation_id {
        sql += &format!(" AND m.conversation_id = {}", push(c.clone().into()));
    }
    if let Some(r) = &f.role {
        sql += &format!(" AND m.role = {}", push(r.clone().into()));
    }
    if let Some(i) = f.importance_min {
        sql += &format!(" AND m.importance_score >= {}", push(i.into()));
    }
    if let Some(s) = f.start {
        sql += &format!(" AND m.created_at >= {}", push(s.into()));
    }
    if let Some(e) = f.end {
        sql += &format!(" AND m.created_at <= {}", push(e.into()));
    }
    for (key, value) in &f.metadata {
        let (k, v) = match backend {
            DbBackend::Postgres => (push(key.clone().into()), push(value.clone().into())),
            _ => (
                push(format!("$.\"{key}\"").into()),
                push(value.clone().into()),
            ),
        };
        sql += &match backend {
            DbBackend::Postgres => format!(" AND (m.metadata ->> {k}) = {v}"),
            _ => format!(" AND CAST(json_extract(m.metadata, {k}) AS TEXT) = {v}"),
        };
    }
    sql
}
