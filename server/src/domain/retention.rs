//! Retention rules as values: what a policy or rule may say, parsed into the selections and
//! actions a run carries out. A rule's `conditions` are checked per type — an unknown key or a
//! value of the wrong type is an [`Invalid`] naming it, and a `custom` rule must filter on
//! something (it never means "everything").

use serde_json::{Map, Value};

use super::{messages::Role, metadata::MetadataFilter, Invalid};

/// Bounds of every "days" value.
pub const DAYS: std::ops::RangeInclusive<i64> = 1..=3650;

/// What a rule does to the messages it selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Archive,
    MoveToCold,
    Delete,
}

impl Action {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "archive" => Ok(Self::Archive),
            "move_to_cold_storage" => Ok(Self::MoveToCold),
            "delete" => Ok(Self::Delete),
            _ => Err(Invalid::new(
                "action",
                "must be one of archive, delete, move_to_cold_storage",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Archive => "archive",
            Self::MoveToCold => "move_to_cold_storage",
            Self::Delete => "delete",
        }
    }

    /// The name of the action in a run's records (`archive`, `cold`, `delete`).
    pub fn item(self) -> &'static str {
        match self {
            Self::Archive => "archive",
            Self::MoveToCold => "cold",
            Self::Delete => "delete",
        }
    }
}

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

/// Which messages a step of a run selects (among those its action applies to).
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// Created more than `days` ago.
    OlderThan {
        days: u32,
    },
    /// Importance at or below `threshold`, created more than `min_age_days` ago.
    Unimportant {
        threshold: f64,
        min_age_days: u32,
    },
    /// In a conversation whose newest message is more than `days` old.
    InactiveConversation {
        days: u32,
    },
    /// Every live message but the newest `keep`.
    BeyondNewest {
        keep: u64,
    },
    Custom(Custom),
    /// Archived more than `days` ago (the policy's delete step).
    ArchivedFor {
        days: u32,
    },
}

/// The rule types and their conditions.
pub const RULE_TYPES: [&str; 5] = [
    "age",
    "importance",
    "conversation_age",
    "max_items",
    "custom",
];

/// Parses a rule's `conditions` for `rule_type` (defaults as the original's: 30 days, 0.3,
/// 90 days, 1000 items).
pub fn selection(rule_type: &str, conditions: &Value) -> Result<Selection, Invalid> {
    let empty = Map::new();
    let map = match conditions {
        Value::Null => &empty,
        Value::Object(m) => m,
        _ => return Err(Invalid::new("conditions", "must be an object")),
    };
    let c = Conditions { map };
    match rule_type {
        "age" => {
            c.only(&["days"])?;
            Ok(Selection::OlderThan {
                days: c.days("days")?.unwrap_or(30),
            })
        }
        "importance" => {
            c.only(&["importance_threshold", "min_age_days"])?;
            Ok(Selection::Unimportant {
                threshold: c.fraction("importance_threshold")?.unwrap_or(0.3),
                min_age_days: c.days_or_zero("min_age_days")?.unwrap_or(0),
            })
        }
        "conversation_age" => {
            c.only(&["days"])?;
            Ok(Selection::InactiveConversation {
                days: c.days("days")?.unwrap_or(90),
            })
        }
        "max_items" => {
            c.only(&["max_items"])?;
            Ok(Selection::BeyondNewest {
                keep: c.count("max_items")?.unwrap_or(1000),
            })
        }
        "custom" => {
            c.only(&["filters"])?;
            let filters = match map.get("filters") {
                Some(Value::Object(f)) => f,
                Some(_) => return Err(Invalid::new("conditions.filters", "must be an object")),
                None => {
                    return Err(Invalid::new(
                        "conditions.filters",
                        "is required: a custom rule must filter on something",
                    ))
                }
            };
            custom(filters).map(Selection::Custom)
        }
        _ => Err(Invalid::new(
            "rule_type",
            format!("must be one of {}", RULE_TYPES.join(", ")),
        )),
    }
}

fn custom(filters: &Map<String, Value>) -> Result<Custom, Invalid> {
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
                .map(|v| match v {
                    Value::String(s) if !s.is_empty() && s.len() <= 128 => Ok(s.clone()),
                    _ => Err(Invalid::new(
                        "conditions.filters.conversation_ids",
                        "must hold conversation ids (strings of 1..128 characters)",
                    )),
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
struct Conditions<'a> {
    map: &'a Map<String, Value>,
}

impl Conditions<'_> {
    fn only(&self, allowed: &[&str]) -> Result<(), Invalid> {
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

    fn integer(
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

    fn days(&self, key: &str) -> Result<Option<u32>, Invalid> {
        Ok(self.integer(key, DAYS)?.map(|d| d as u32))
    }

    fn days_or_zero(&self, key: &str) -> Result<Option<u32>, Invalid> {
        Ok(self.integer(key, 0..=3650)?.map(|d| d as u32))
    }

    fn count(&self, key: &str) -> Result<Option<u64>, Invalid> {
        Ok(self.integer(key, 1..=1_000_000_000)?.map(|d| d as u64))
    }

    fn fraction(&self, key: &str) -> Result<Option<f64>, Invalid> {
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

/// A "days" field of a policy, checked against [`DAYS`].
pub fn policy_days(field: &str, value: i64) -> Result<u32, Invalid> {
    if DAYS.contains(&value) {
        Ok(value as u32)
    } else {
        Err(Invalid::new(field, "must be an integer in 1..3650"))
    }
}

/// A rule's name (1..255 characters), description (≤ 1000) and priority (1..1000).
pub fn rule_name(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 255 || name.contains('\0') {
        return Err(Invalid::new("name", "must be 1..255 characters"));
    }
    Ok(name.to_owned())
}

pub fn rule_description(raw: Option<String>) -> Result<Option<String>, Invalid> {
    match raw {
        Some(d) if d.chars().count() > 1000 || d.contains('\0') => Err(Invalid::new(
            "description",
            "must be at most 1000 characters",
        )),
        other => Ok(other),
    }
}

pub fn rule_priority(raw: Option<i64>) -> Result<i32, Invalid> {
    match raw {
        None => Ok(100),
        Some(p) if (1..=1000).contains(&p) => Ok(p as i32),
        Some(_) => Err(Invalid::new("priority", "must be an integer in 1..1000")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conditions_are_checked_per_type_and_name_their_field() {
        let err = selection("age", &json!({"dayz": 3})).unwrap_err();
        assert_eq!(err.field, "conditions.dayz");
        let err = selection("age", &json!({"days": "3"})).unwrap_err();
        assert_eq!(err.field, "conditions.days");
        let err = selection("max_items", &json!({"max_items": 0})).unwrap_err();
        assert_eq!(err.field, "conditions.max_items");
        let err = selection("importance", &json!({"importance_threshold": 2})).unwrap_err();
        assert_eq!(err.field, "conditions.importance_threshold");
        assert_eq!(
            selection("age", &json!({"days": 7})).unwrap(),
            Selection::OlderThan { days: 7 }
        );
        assert_eq!(
            selection("conversation_age", &Value::Null).unwrap(),
            Selection::InactiveConversation { days: 90 }
        );
        assert_eq!(
            selection("nope", &json!({})).unwrap_err().field,
            "rule_type"
        );
    }

    #[test]
    fn a_custom_rule_must_filter_on_something() {
        for conditions in [json!({}), json!({"filters": {}})] {
            let err = selection("custom", &conditions).unwrap_err();
            assert_eq!(err.field, "conditions.filters", "{conditions}");
        }
        let err = selection("custom", &json!({"filters": {"colour": "red"}})).unwrap_err();
        assert_eq!(err.field, "conditions.filters.colour");
        let err = selection("custom", &json!({"filters": {"role": "robot"}})).unwrap_err();
        assert_eq!(err.field, "conditions.filters.role");
        let err = selection("custom", &json!({"filters": {"max_importance": -1}})).unwrap_err();
        assert_eq!(err.field, "conditions.filters.max_importance");
        let err = selection("custom", &json!({"filters": {"metadata": {"k": [1]}}})).unwrap_err();
        assert_eq!(err.field, "conditions.filters.metadata.k");
        let Selection::Custom(c) = selection(
            "custom",
            &json!({"filters": {"role": "user", "metadata": {"topic": "x", "n": 2}}}),
        )
        .unwrap() else {
            panic!("a custom rule parses to a custom selection")
        };
        assert_eq!(c.role.as_deref(), Some("user"));
        let filter = |k: &str, v| {
            MetadataFilter::typed(k, &v, &format!("conditions.filters.metadata.{k}")).unwrap()
        };
        assert_eq!(
            c.metadata,
            vec![filter("n", json!(2)), filter("topic", json!("x"))]
        );
    }
}
