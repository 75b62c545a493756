//! Schema migrations for Memory Mesh, on both PostgreSQL (+ pgvector) and SQLite.
//!
//! - [`sql`]: the small type-mapping layer that lets one SQL text serve both backends.
//! - `m2026*`: the migrations, in order. Each is self-contained (no entity imports) and is
//!   never edited once committed: schema changes are new files. `checksums.txt` holds each
//!   file's SHA-256, and a test fails when an entry and its file disagree (as sqlx and Flyway
//!   refuse a changed migration); a new migration adds its line.
//!
//! The server runs [`Migrator::up`] at start-up; `memory-mesh migrate up|down|status` runs it by hand.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_accounts;
mod m20261123_000002_create_memory;
mod m20261123_000003_create_retention;
mod m20261127_000004_vector_log;
mod m20261127_000005_search_upkeep;
mod m20261127_000006_pg_search_log;
mod m20261201_000007_change_log;
mod m20261201_000008_conversation_creator;
mod m20261201_000009_server_secrets;
mod m20261202_000010_events;
mod m20261202_000011_audit_log;
mod m20261203_000012_retention_runs;
mod m20261203_000013_search_stats;
mod m20261203_000014_tenant_counters;
mod m20261204_000015_retention_rules_skipped;
mod m20261204_000016_conversation_state_counts;
mod m20261206_000017_idempotency_keys;
mod m20261207_000018_usernames_ignore_case;
mod m20261207_000019_tenant_keys;
mod m20261207_000020_job_reasons;
mod m20261207_000021_event_notify_tenants;
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
            Box::new(m20261201_000007_change_log::Migration),
            Box::new(m20261201_000008_conversation_creator::Migration),
            Box::new(m20261201_000009_server_secrets::Migration),
            Box::new(m20261202_000010_events::Migration),
            Box::new(m20261202_000011_audit_log::Migration),
            Box::new(m20261203_000012_retention_runs::Migration),
            Box::new(m20261203_000013_search_stats::Migration),
            Box::new(m20261203_000014_tenant_counters::Migration),
            Box::new(m20261204_000015_retention_rules_skipped::Migration),
            Box::new(m20261204_000016_conversation_state_counts::Migration),
            Box::new(m20261206_000017_idempotency_keys::Migration),
            Box::new(m20261207_000018_usernames_ignore_case::Migration),
            Box::new(m20261207_000019_tenant_keys::Migration),
            Box::new(m20261207_000020_job_reasons::Migration),
            Box::new(m20261207_000021_event_notify_tenants::Migration),
        ]
    }
}

#[cfg(test)]
mod checksums {
    use std::{collections::BTreeMap, path::Path};

    use sha2::{Digest, Sha256};

    /// Every migration file, by name, with the SHA-256 of its text.
    fn on_disk() -> BTreeMap<String, String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        std::fs::read_dir(&dir)
            .expect("the migrations' directory")
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| {
                let name = path.file_name().unwrap().to_string_lossy();
                name.starts_with('m') && name.ends_with(".rs")
            })
            .map(|path| {
                let text = std::fs::read(&path).expect("a readable migration");
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, hex(&Sha256::digest(text)))
            })
            .collect()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn no_committed_migration_changes() {
        let listed: BTreeMap<String, String> = include_str!("../checksums.txt")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (sum, name) = l.split_once("  ").expect("`<sha256>  <file>` lines");
                (name.trim().to_owned(), sum.trim().to_owned())
            })
            .collect();
        let found = on_disk();
        assert!(found.len() >= 8, "the migrations were found: {found:?}");
        for (name, sum) in &found {
            match listed.get(name) {
                Some(expected) => assert_eq!(
                    expected, sum,
                    "{name} changed after it was committed: applied databases will never run \
                     the change. Restore it and fix forward with a new migration."
                ),
                None => panic!(
                    "{name} is not in migration/checksums.txt: add `{sum}  {name}` once it is final"
                ),
            }
        }
        for name in listed.keys() {
            assert!(found.contains_key(name), "{name} is listed but missing");
        }
    }
}
