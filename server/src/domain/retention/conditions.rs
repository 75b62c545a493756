//! The typed conditions of a `custom` rule, and the reader every rule type's conditions go
//! through (unknown keys refused, each value checked against its field's rule).

use serde_json::{Map, Value};

use super::DAYS;
use crate::domain::{
    ids::MAX_CONVERSATION_ID_CHARS,
    messages::{conversation_id, Role},
    metadata::MetadataFilter,
    Invalid,
};

/// Filters of a `custom` rule; at least one is set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Custom {
    pub role: Option<String>,
    pub min_importance: Option<f64>,
    pub max_importance: Option<f64>,
    /// Older than this many days.
    pub min_age_days: Option<u32>,
    /// Younger than this many days.
    pub max_age_days: Option<u32>,
    pub conversation_ids: Option<Vec<String>>,
    /// `metadata.<key>` equals the value, typed as JSON is.
    pub metadata: Vec<MetadataFilter>,
}

pub(super) fn custom(filters: &Map<String, Value>) -> Result<Custom, Invalid> {
    let f = Conditions { map: filters };
    f.only(&[
        "role",
        "min_importance",
        "max_importance",
        "min_age_days",
        "max_age_days",
        "conversation_ids",
        "metadata",
    ])
    .map_err(within_filters)?;
    let role = match filters.get("role") {
        None => None,
        Some(Value::String(r)) => Some(
            Role::parse(r)
                .map_err(|_| {
                    Invalid::new(
                        "conditions.filters.role",
                        "must be user, assistant or system",
                    )
                })?
                .as_str()
                .to_owned(),
        ),
        Some(_) => return Err(Invalid::new("conditions.filters.role", "must be a string")),
    };
    let conversation_ids = match filters.get("conversation_ids") {
        None => None,
        Some(Value::Array(ids)) if !ids.is_empty() && ids.len() <= 1000 => Some(
            ids.iter()
                .map(|v| {
                    v.as_str()
                        .and_then(|s| conversation_id(s).ok())
                        .ok_or_else(|| {
                            Invalid::new(
                                "conditions.filters.conversation_ids",
                                format!(
                                    "must hold conversation ids (1 to \
                                     {MAX_CONVERSATION_ID_CHARS} of A-Z a-z 0-9 _ . -)"
                                ),
                            )
                        })
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => {
            return Err(Invalid::new(
                "conditions.filters.conversation_ids",
                "must be a list of 1..1000 conversation ids",
            ))
        }
    };
    let metadata = match filters.get("metadata") {
        None => Vec::new(),
        Some(Value::Object(m)) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| MetadataFilter::typed(k, v, &format!("conditions.filters.metadata.{k}")))
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(Invalid::new(
                "conditions.filters.metadata",
                "must be a non-empty object of key: value",
            ))
        }
    };
    let custom = Custom {
        role,
        min_importance: f.fraction("min_importance").map_err(within_filters)?,
        max_importance: f.fraction("max_importance").map_err(within_filters)?,
        min_age_days: f.days_or_zero("min_age_days").map_err(within_filters)?,
        max_age_days: f.days("max_age_days").map_err(within_filters)?,
        conversation_ids,
        metadata,
    };
    if custom == Custom::default() {
        return Err(Invalid::new(
            "conditions.filters",
            "must set at least one filter: a custom rule never matches everything",
        ));
    }
    Ok(custom)
}

fn within_filters(e: Invalid) -> Invalid {
    let field = e.field.replacen("conditions.", "conditions.filters.", 1);
    let rule = e
        .message
        .strip_prefix(&e.field)
        .unwrap_or(&e.message)
        .trim();
    Invalid::new(field, rule)
}

/// A conditions object being read, its errors named `conditions.<key>`.
pub(super) struct Conditions<'a> {
    pub(super) map: &'a Map<String, Value>,
}

impl Conditions<'_> {
    pub(super) fn only(&self, allowed: &[&str]) -> Result<(), Invalid> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(Invalid::new(
                format!("conditions.{k}"),
                format!(
                    "is not a condition of this rule type (allowed: {})",
                    allowed.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    pub(super) fn integer(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, Invalid> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .filter(|n| range.contains(n))
                .map(Some)
                .ok_or_else(|| {
                    Invalid::new(
                        format!("conditions.{key}"),
                        format!("must be an integer in {}..{}", range.start(), range.end()),
                    )
                }),
        }
    }

    pub(super) fn days(&self, key: &str) -> Result<Option<u32>, Invalid> {
        Ok(self.integer(key, DAYS)?.map(|d| d as u32))
    }

    pub(super) fn days_or_zero(&self, key: &str) -> Result<Option<u32>, Invalid> {
        Ok(self.integer(key, 0..=3650)?.map(|d| d as u32))
    }

    pub(super) fn count(&self, key: &str) -> Result<Option<u64>, Invalid> {
        Ok(self.integer(key, 1..=1_000_000_000)?.map(|d| d as u64))
    }

    pub(super) fn fraction(&self, key: &str) -> Result<Option<f64>, Invalid> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|f| (0.0..=1.0).contains(f))
                .map(Some)
                .ok_or_else(|| {
                    Invalid::new(format!("conditions.{key}"), "must be a number in 0..1")
                }),
        }
    }
}
