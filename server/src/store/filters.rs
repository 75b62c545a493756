//! The search [`Filters`], and the SQL conditions both retrievers share.
//!
//! Metadata keys are validated by [`MetadataFilter`] and, like every value, bound as
//! parameters. [`metadata_condition`] is the one SQL form of a metadata filter: retention's
//! conditions use it too.

use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, Value};

use crate::domain::metadata::{MetadataFilter, Scalar};

/// Search filters, all optional, applied by both retrievers.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub conversation_id: Option<String>,
    pub role: Option<String>,
    pub importance_min: Option<f64>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// `metadata.<key>` equality, typed as JSON is.
    pub metadata: Vec<MetadataFilter>,
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
    for m in &f.metadata {
        sql += &format!(" AND {}", metadata_condition(backend, m, &mut push));
    }
    sql
}

/// The condition that `m.metadata` holds `f.key` equal to one of `f.accepts`, JSON-typed
/// (see [`crate::domain::metadata`]) on either backend, its values bound through `push`.
pub(crate) fn metadata_condition(
    backend: DbBackend,
    f: &MetadataFilter,
    push: &mut impl FnMut(Value) -> String,
) -> String {
    match backend {
        // jsonb equality is already typed: numbers compare as numbers, `null` only matches
        // an explicit null (a missing key gives SQL NULL, which equals nothing).
        DbBackend::Postgres => {
            let key = push(f.key.clone().into());
            let values: Vec<String> = f
                .accepts
                .iter()
                .map(|s| format!("CAST({} AS jsonb)", push(s.to_json().into())))
                .collect();
            format!("(m.metadata -> {key}) IN ({})", values.join(", "))
        }
        // json_extract turns JSON into SQL values (true is 1, null is NULL), so the JSON type
        // is checked beside the value. The key is an identifier, safe inside the quotes.
        _ => {
            let path = push(format!("$.\"{}\"", f.key).into());
            let kind = format!("json_type(m.metadata, {path})");
            let alternatives: Vec<String> = f
                .accepts
                .iter()
                .map(|s| match s {
                    Scalar::Null => format!("{kind} = 'null'"),
                    Scalar::Bool(b) => format!("{kind} = '{b}'"),
                    Scalar::Number(n) => {
                        let v = match n.as_i64() {
                            Some(i) => push(i.into()),
                            None => push(n.as_f64().unwrap_or(f64::NAN).into()),
                        };
                        format!(
                            "({kind} IN ('integer', 'real') AND json_extract(m.metadata, {path}) = {v})"
                        )
                    }
                    Scalar::Text(t) => format!(
                        "({kind} = 'text' AND json_extract(m.metadata, {path}) = {})",
                        push(t.clone().into())
                    ),
                })
                .collect();
            format!("({})", alternatives.join(" OR "))
        }
    }
}
