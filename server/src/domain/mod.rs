//! Business rules with no HTTP or database types: identifiers and credentials policy.
//! "Parse, don't validate": a value of these types is valid by construction.

pub mod ids;

pub use ids::{Email, TenantId, Username};
pub mod messages;
pub mod ranking;
pub mod stopwords;
