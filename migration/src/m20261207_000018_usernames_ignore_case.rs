//! Usernames are unique regardless of case: "Alice" and "alice" are one name, so nobody can
//! register a look-alike of a colleague, and a user signs in with either spelling. The name is
//! kept as written (it is what others see); `ux_users_username_lower` on `lower(username)` makes
//! the rule, on both backends (usernames are ASCII, where `lower` agrees on both).
//!
//! Names already registered that differ only in case are made distinct first: the oldest account
//! keeps its name, each later one gets the first free `<name>_2`, `<name>_3` … (cut to fit 64
//! characters), each logged as a warning. Those users still sign in with their email;
//! `docs/operations.md` says so.

use std::collections::HashSet;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const MAX_CHARS: usize = 64;

/// The first `<name>_<n>` (n ≥ 2, cut to fit) whose lower case is not in `taken`.
fn free_name(name: &str, taken: &HashSet<String>) -> String {
    (2u32..)
        .map(|n| {
            let suffix = format!("_{n}");
            format!(
                "{}{suffix}",
                &name[..name.len().min(MAX_CHARS - suffix.len())]
            )
        })
        .find(|candidate| !taken.contains(&candidate.to_ascii_lowercase()))
        .expect("a free suffix")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT username FROM users ORDER BY created_at, username",
            ))
            .await?;
        let names = rows
            .iter()
            .map(|row| row.try_get_by_index::<String>(0))
            .collect::<Result<Vec<_>, _>>()?;
        // A new name must not take one that a later account already holds.
        let mut taken: HashSet<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        let mut seen = HashSet::new();
        let mut renames = Vec::new();
        for name in &names {
            if seen.insert(name.to_ascii_lowercase()) {
                continue;
            }
            let renamed = free_name(name, &taken);
            taken.insert(renamed.to_ascii_lowercase());
            renames.push((name.clone(), renamed));
        }
        for (name, renamed) in renames {
            tracing::warn!(
                from = %name,
                to = %renamed,
                "username renamed: an older account holds it in another case"
            );
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm_migration::sea_orm::DbBackend::Postgres => {
                        "UPDATE users SET username = $1 WHERE username = $2"
                    }
                    _ => "UPDATE users SET username = ? WHERE username = ?",
                },
                [renamed.into(), name.into()],
            ))
            .await?;
        }
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_users_username_lower ON users (lower(username))",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The renames stay: they are valid, distinct names either way.
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ux_users_username_lower")
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_name_takes_the_first_unused_suffix_and_fits() {
        let taken: HashSet<String> = ["alice", "alice_2"].map(String::from).into();
        assert_eq!(free_name("Alice", &taken), "Alice_3");
        let long = "a".repeat(64);
        let renamed = free_name(&long, &HashSet::from([long.clone()]));
        assert_eq!(renamed.len(), 64);
        assert!(renamed.ends_with("_2"));
    }
}
