//! Business rules with no HTTP or database types: "parse, don't validate" — a value of these
//! types is valid by construction, and a failed parse is an [`Invalid`] naming its field.
//!
//! - [`ids`]: tenant and conversation ids, usernames, emails, the password policy.
//! - [`accounts`]: a member's role in a tenant and an API key's scope.
//! - [`events`]: the kinds of event a change emits, and event ids.
//! - [`messages`]: what a valid message is, its author's role, its importance when written.
//! - [`embedding`]: where a message's embedding job stands and why an attempt failed.
//! - [`metadata`]: metadata filters and their JSON-typed equality, for search and retention.
//! - [`latency`]: a latency histogram that sums across minutes and instances.
//! - [`ranking`]: query-time scoring and rank fusion.
//! - [`stopwords`]: the words lexical search ignores.

pub mod accounts;
pub mod cursor;
pub mod embedding;
pub mod events;
pub mod ids;
pub mod latency;
pub mod messages;
pub mod metadata;
pub mod ranking;
pub mod retention;
pub mod stopwords;

pub use accounts::{KeyScope, MemberRole};
pub use ids::{Email, TenantId, Username};

/// A validation failure: which field (a path such as `items[3].role` where it helps) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

/// An RFC 3339 time given as `field`, in UTC.
pub fn parse_time(raw: &str, field: &str) -> Result<chrono::DateTime<chrono::Utc>, Invalid> {
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| Invalid::new(field, "must be an RFC 3339 time"))
}

impl Invalid {
    /// `message` is the rule broken; the field name leads it ("role must be …").
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = format!("{field} {}", message.into());
        Self { field, message }
    }
}
