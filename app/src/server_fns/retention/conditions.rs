//! A rule's conditions as form fields: each rule type's editor has its own fields, which become
//! the `conditions` object the API takes (and are filled back from a stored rule). Only the
//! shape is made here — an empty field is left out, text that reads as a number is sent as
//! one, anything else as text — and the service checks every value against the rule's type, so
//! a bad one comes back as the API's error naming its field.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The rule types, with a label and what each selects.
pub const RULE_TYPES: [(&str, &str, &str); 5] = [
    ("age", "Age", "Messages older than a number of days."),
    (
        "importance",
        "Importance",
        "Messages at or below an importance, past a minimum age.",
    ),
    (
        "conversation_age",
        "Inactive conversation",
        "Every message of a conversation with nothing new for a number of days.",
    ),
    (
        "max_items",
        "Most recent only",
        "Every live message but the newest so many.",
    ),
    (
        "custom",
        "Custom filter",
        "Messages matching a role, importance range, age range, conversations or metadata.",
    ),
];

/// The actions a rule may take, with a label.
pub const ACTIONS: [(&str, &str); 3] = [
    ("archive", "archive — out of search, restorable"),
    (
        "move_to_cold_storage",
        "move to cold storage — archived and its vector dropped (restore embeds again)",
    ),
    ("delete", "delete — for good"),
];

/// Every condition field of every rule type, as the forms send them (text).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConditionFields {
    /// `age`, `conversation_age`.
    pub days: String,
    /// `importance`.
    pub importance_threshold: String,
    /// `importance`, `custom`.
    pub min_age_days: String,
    /// `max_items`.
    pub max_items: String,
    /// `custom`: `user`, `assistant` or `system`.
    pub role: String,
    pub min_importance: String,
    pub max_importance: String,
    pub max_age_days: String,
    /// `custom`: conversation ids separated by commas, spaces or lines.
    pub conversation_ids: String,
    /// `custom`: one `key=value` a line.
    pub metadata: String,
}

/// A number as the API takes it, or the text itself for the service to refuse.
fn number(raw: &str) -> Option<Value> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    Some(
        raw.parse::<i64>()
            .map(Value::from)
            .or_else(|_| raw.parse::<f64>().map(Value::from))
            .ok()
            .filter(|v| !v.is_null())
            .unwrap_or_else(|| Value::String(raw.to_owned())),
    )
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v);
    }
}

impl ConditionFields {
    /// The `conditions` object of a rule of `rule_type` (an unknown type gets none; the
    /// service names the type as what is wrong).
    pub fn conditions(&self, rule_type: &str) -> Value {
        let mut c = Map::new();
        match rule_type {
            "age" | "conversation_age" => put(&mut c, "days", number(&self.days)),
            "importance" => {
                put(
                    &mut c,
                    "importance_threshold",
                    number(&self.importance_threshold),
                );
                put(&mut c, "min_age_days", number(&self.min_age_days));
            }
            "max_items" => put(&mut c, "max_items", number(&self.max_items)),
            "custom" => {
                c.insert("filters".into(), Value::Object(self.filters()));
            }
            _ => {}
        }
        Value::Object(c)
    }

    fn filters(&self) -> Map<String, Value> {
        let mut f = Map::new();
        let role = self.role.trim();
        if !role.is_empty() {
            f.insert("role".into(), Value::String(role.to_owned()));
        }
        put(&mut f, "min_importance", number(&self.min_importance));
        put(&mut f, "max_importance", number(&self.max_importance));
        put(&mut f, "min_age_days", number(&self.min_age_days));
        put(&mut f, "max_age_days", number(&self.max_age_days));
        let ids: Vec<Value> = (self.conversation_ids)
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_owned()))
            .collect();
        if !ids.is_empty() {
            f.insert("conversation_ids".into(), Value::Array(ids));
        }
        let metadata: Map<String, Value> = (self.metadata.lines())
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let (key, value) = line.split_once('=').unwrap_or((line, ""));
                (key.trim().to_owned(), scalar(value.trim()))
            })
            .collect();
        if !metadata.is_empty() {
            f.insert("metadata".into(), Value::Object(metadata));
        }
        f
    }

    /// The fields that show `conditions` (a stored rule's) in its type's editor.
    pub fn from_conditions(conditions: &Value) -> Self {
        let text = |v: Option<&Value>| match v {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let filters = conditions.get("filters");
        let filter = |key: &str| filters.and_then(|f| f.get(key));
        let either = |key: &str| conditions.get(key).or_else(|| filter(key));
        let ids = filter("conversation_ids")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .map(|v| text(Some(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let metadata = filter("metadata")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        Self {
            days: text(conditions.get("days")),
            importance_threshold: text(conditions.get("importance_threshold")),
            min_age_days: text(either("min_age_days")),
            max_items: text(conditions.get("max_items")),
            role: text(filter("role")),
            min_importance: text(filter("min_importance")),
            max_importance: text(filter("max_importance")),
            max_age_days: text(filter("max_age_days")),
            conversation_ids: ids,
            metadata,
        }
    }
}

/// A metadata value typed in a form: the JSON scalar it spells (`7`, `true`, `"7"`), else the
/// text as a string.
fn scalar(raw: &str) -> Value {
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::String(_) | Value::Null)) => v,
        _ => Value::String(raw.to_owned()),
    }
}

/// What a rule's conditions select, in words, for the rules list (the type's defaults where a
/// condition is absent, as the service applies them).
pub fn describe(rule_type: &str, conditions: &Value) -> String {
    let f = ConditionFields::from_conditions(conditions);
    let or = |v: &str, default: &str| {
        if v.is_empty() {
            default.to_owned()
        } else {
            v.to_owned()
        }
    };
    match rule_type {
        "age" => format!("older than {} days", or(&f.days, "30")),
        "importance" => format!(
            "importance ≤ {}, older than {} days",
            or(&f.importance_threshold, "0.3"),
            or(&f.min_age_days, "0")
        ),
        "conversation_age" => format!("conversation idle {} days", or(&f.days, "90")),
        "max_items" => format!("beyond the newest {}", or(&f.max_items, "1000")),
        "custom" => {
            let mut parts = Vec::new();
            if !f.role.is_empty() {
                parts.push(format!("role {}", f.role));
            }
            if !f.min_importance.is_empty() || !f.max_importance.is_empty() {
                parts.push(format!(
                    "importance {}–{}",
                    or(&f.min_importance, "0"),
                    or(&f.max_importance, "1")
                ));
            }
            if !f.min_age_days.is_empty() || !f.max_age_days.is_empty() {
                parts.push(format!(
                    "age {}–{} days",
                    or(&f.min_age_days, "0"),
                    or(&f.max_age_days, "∞")
                ));
            }
            if !f.conversation_ids.is_empty() {
                parts.push(format!("in {}", f.conversation_ids));
            }
            if !f.metadata.is_empty() {
                parts.push(format!("metadata {}", f.metadata.replace('\n', ", ")));
            }
            parts.join("; ")
        }
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_type_sends_only_its_own_filled_fields() {
        let f = ConditionFields {
            days: " 45 ".into(),
            importance_threshold: "0.25".into(),
            min_age_days: "7".into(),
            max_items: "".into(),
            ..Default::default()
        };
        assert_eq!(f.conditions("age"), json!({"days": 45}));
        assert_eq!(f.conditions("conversation_age"), json!({"days": 45}));
        assert_eq!(
            f.conditions("importance"),
            json!({"importance_threshold": 0.25, "min_age_days": 7})
        );
        assert_eq!(f.conditions("max_items"), json!({}));
        assert_eq!(f.conditions("nonsense"), json!({}));
    }

    #[test]
    fn text_that_is_not_a_number_goes_as_text_for_the_service_to_refuse() {
        let f = ConditionFields {
            days: "soon".into(),
            ..Default::default()
        };
        assert_eq!(f.conditions("age"), json!({"days": "soon"}));
    }

    #[test]
    fn custom_filters_round_trip_through_the_form() {
        let f = ConditionFields {
            role: "assistant".into(),
            max_importance: "0.4".into(),
            min_age_days: "3".into(),
            conversation_ids: "tea, chat-2\nthird".into(),
            metadata: "source=import\nscore=7\nlabel=\"7\"\nflag=true".into(),
            ..Default::default()
        };
        let c = f.conditions("custom");
        assert_eq!(
            c,
            json!({"filters": {
                "role": "assistant",
                "max_importance": 0.4,
                "min_age_days": 3,
                "conversation_ids": ["tea", "chat-2", "third"],
                "metadata": {"source": "import", "score": 7, "label": "7", "flag": true},
            }})
        );
        let back = ConditionFields::from_conditions(&c);
        assert_eq!(back.conditions("custom"), c);
        assert_eq!(back.conversation_ids, "tea, chat-2, third");
    }

    #[test]
    fn rules_are_described_with_the_defaults_the_service_applies() {
        assert_eq!(describe("age", &json!({})), "older than 30 days");
        assert_eq!(
            describe("importance", &json!({"importance_threshold": 0.2})),
            "importance ≤ 0.2, older than 0 days"
        );
        assert_eq!(
            describe(
                "custom",
                &json!({"filters": {"role": "user", "max_age_days": 9}})
            ),
            "role user; age 0–9 days"
        );
    }
}
