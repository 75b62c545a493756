//! Messages: what a valid one is, and how important it is when written.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::{
    ids::{parse_id, MAX_CONVERSATION_ID_CHARS},
    Invalid,
};

/// Longest content accepted, in characters, after trimming.
pub const MAX_CONTENT_CHARS: usize = 100_000;
/// Metadata limits (the original's sanitizer, §2.2): nesting depth, keys or items per level, and
/// string length (longer strings are truncated, as there).
pub const MAX_METADATA_DEPTH: usize = 4;
pub const MAX_METADATA_ENTRIES: usize = 50;
pub const MAX_METADATA_STRING: usize = 2048;
/// How far in the future a client clock may be before a `created_at` is refused.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
    System,
}

impl Role {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "user" => Ok(Self::User),
            "assistant" => Ok(Self::Assistant),
            "system" => Ok(Self::System),
            _ => Err(Invalid::new("role", "must be user, assistant or system")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::System => "system",
        }
    }

    /// The role component of importance (§3.1): instructions matter most, then what users say.
    fn weight(self) -> f64 {
        match self {
            Self::System => 0.9,
            Self::User => 0.7,
            Self::Assistant => 0.5,
        }
    }
}

/// Whether a message's vector is stored, persisted as its `as_str` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingStatus {
    /// A job will embed it.
    Pending,
    Completed,
    Failed,
}

impl EmbeddingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    /// The stored text; anything unknown reads as pending (it has no vector to trust).
    pub fn from_stored(raw: &str) -> Self {
        match raw {
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// A conversation id: 1–[`MAX_CONVERSATION_ID_CHARS`] of `A-Z a-z 0-9 _ . -`.
pub fn conversation_id(raw: &str) -> Result<String, Invalid> {
    parse_id(raw, MAX_CONVERSATION_ID_CHARS, "conversation_id")
}

/// Trims and checks content: 1 to [`MAX_CONTENT_CHARS`] characters.
pub fn content(raw: &str) -> Result<String, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new("content", "must not be empty"));
    }
    if trimmed.chars().count() > MAX_CONTENT_CHARS {
        return Err(Invalid::new(
            "content",
            format!("must be at most {MAX_CONTENT_CHARS} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

pub fn importance_override(raw: Option<f64>) -> Result<Option<f64>, Invalid> {
    match raw {
        Some(v) if !(0.0..=1.0).contains(&v) => Err(Invalid::new(
            "importance_override",
            "must be between 0 and 1",
        )),
        other => Ok(other),
    }
}

/// A client-supplied creation time (importing history): not further ahead than the clock skew.
pub fn created_at(
    raw: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, Invalid> {
    match raw {
        Some(t) if t > now + MAX_CLOCK_SKEW => {
            Err(Invalid::new("created_at", "must not be in the future"))
        }
        Some(t) => Ok(t),
        None => Ok(now),
    }
}

/// Checks metadata limits and truncates long strings; `null` means `{}`.
pub fn metadata(raw: Option<Value>) -> Result<Value, Invalid> {
    match raw {
        None | Some(Value::Null) => Ok(Value::Object(Map::new())),
        Some(Value::Object(map)) => sanitize(Value::Object(map), 1),
        Some(_) => Err(Invalid::new("metadata", "must be a JSON object")),
    }
}

fn sanitize(value: Value, depth: usize) -> Result<Value, Invalid> {
    // The top-level object is level 1; any value below level 4 is too deep.
    if depth > MAX_METADATA_DEPTH {
        return Err(Invalid::new(
            "metadata",
            format!("exceeds the maximum nesting depth of {MAX_METADATA_DEPTH}"),
        ));
    }
    match value {
        Value::Object(map) => {
            if map.len() > MAX_METADATA_ENTRIES {
                return Err(Invalid::new(
                    "metadata",
                    format!("has an object with more than {MAX_METADATA_ENTRIES} keys"),
                ));
            }
            map.into_iter()
                .map(|(k, v)| Ok((k, sanitize(v, depth + 1)?)))
                .collect::<Result<Map<_, _>, _>>()
                .map(Value::Object)
        }
        Value::Array(items) => {
            if items.len() > MAX_METADATA_ENTRIES {
                return Err(Invalid::new(
                    "metadata",
                    format!("has an array with more than {MAX_METADATA_ENTRIES} items"),
                ));
            }
            items
                .into_iter()
                .map(|v| sanitize(v, depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        Value::String(s) if s.chars().count() > MAX_METADATA_STRING => {
            Ok(Value::String(s.chars().take(MAX_METADATA_STRING).collect()))
        }
        scalar => Ok(scalar),
    }
}

/// Weights of the write-time importance score (§3.1 defaults: recency 0.4, role 0.2, explicit 0.4).
#[derive(Debug, Clone, Copy)]
pub struct ImportanceWeights {
    pub recency: f64,
    pub role: f64,
    pub explicit: f64,
}

impl Default for ImportanceWeights {
    fn default() -> Self {
        Self {
            recency: 0.4,
            role: 0.2,
            explicit: 0.4,
        }
    }
}

/// Importance when written. An explicit override wins outright, in every mode (the original
/// dropped it in async mode). Otherwise recency (linear over 24 h before `now`, so imported
/// history scores lower) and role are weighted.
pub fn importance(
    role: Role,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
    override_: Option<f64>,
    w: ImportanceWeights,
) -> f64 {
    if let Some(v) = override_ {
        return v.clamp(0.0, 1.0);
    }
    let age = (now - created_at).num_milliseconds().max(0) as f64 / 1000.0;
    let recency = (1.0 - age / 86_400.0).max(0.0);
    let total = w.recency + w.role + w.explicit;
    let score = (w.recency * recency + w.role * role.weight()) / total;
    score.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn importance_matches_the_originals_write_time_values() {
        let now = Utc::now();
        let w = ImportanceWeights::default();
        let score = |role| importance(role, now, now, None, w);
        assert!((score(Role::System) - 0.58).abs() < 1e-9);
        assert!((score(Role::User) - 0.54).abs() < 1e-9);
        assert!((score(Role::Assistant) - 0.50).abs() < 1e-9);
        assert_eq!(importance(Role::User, now, now, Some(0.2), w), 0.2);
        let old = now - Duration::days(3);
        assert!((importance(Role::User, old, now, None, w) - 0.14).abs() < 1e-9);
    }

    #[test]
    fn metadata_limits_follow_the_original() {
        assert!(metadata(Some(json!({"a": {"b": {"c": 1}}}))).is_ok());
        assert!(metadata(Some(json!({"a": {"b": {"c": {"d": 1}}}}))).is_err());
        let many: Map<String, Value> = (0..51).map(|i| (i.to_string(), json!(i))).collect();
        assert!(metadata(Some(Value::Object(many))).is_err());
        assert!(metadata(Some(json!({"list": (0..51).collect::<Vec<_>>()}))).is_err());
        assert_eq!(metadata(None).unwrap(), json!({}));
        assert!(metadata(Some(json!([1]))).is_err());
        let long = metadata(Some(json!({"s": "x".repeat(3000)}))).unwrap();
        assert_eq!(long["s"].as_str().unwrap().len(), MAX_METADATA_STRING);
    }

    #[test]
    fn content_is_trimmed_and_bounded() {
        assert_eq!(content("  hi  ").unwrap(), "hi");
        assert_eq!(content("   ").unwrap_err().field, "content");
        assert!(content(&"x".repeat(MAX_CONTENT_CHARS + 1)).is_err());
    }
}
