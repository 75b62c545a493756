//! SeaORM entities, one per table (see the migrations for the schema and its reasons).
//! `messages.embedding` is deliberately absent: its type differs per backend, so vector reads
//! and writes go through the vector store with explicit SQL.

pub mod api_keys;
pub mod auth_sessions;
pub mod conversations;
pub mod memberships;
pub mod messages;
pub mod retention_policies;
pub mod retention_rules;
pub mod retention_runs;
pub mod tenants;
pub mod users;
