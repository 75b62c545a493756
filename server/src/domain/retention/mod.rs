//! Retention rules as values: what a policy or rule may say, parsed into the selections and
//! actions a run carries out. A rule's `conditions` are checked per type — an unknown key or a
//! value of the wrong type is an [`Invalid`] naming it, and a `custom` rule must filter on
//! something (it never means "everything").

use serde_json::{Map, Value};

mod conditions;

pub use conditions::Custom;
use conditions::{custom, Conditions};

use super::Invalid;

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
    use crate::domain::metadata::MetadataFilter;
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
