//! Schema migrations for Memory Mesh, on both PostgreSQL (+ pgvector) and SQLite.
//!
//! - [`sql`]: the small type-mapping layer that lets one SQL text serve both backends.
//! - `m2026*`: the migrations, in order. Each is self-contained (no entity imports) and is
//!   never edited once released: schema changes are new files.
//!
//! The server runs [`Migrator::up`] at start-up; `memory-mesh migrate up|down|status` runs it by hand.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_accounts;
mod m20261123_000002_create_memory;
mod m20261123_000003_create_retention;
mod m20261127_000004_vector_log;
mod m20261127_000005_search_upkeep;
mod m20261127_000006_pg_search_log;
pub mod sql;

/// All migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_accounts::Migration),
            Box::new(m20261123_000002_create_memory::Migration),
            Box::new(m20261123_000003_create_retention::Migration),
            Box::new(m20261127_000004_vector_log::Migration),
            Box::new(m20261127_000005_search_upkeep::Migration),
            Box::new(m20261127_000006_pg_search_log::Migration),
        ]
    }
}
