//! One SQL text for two backends.
//!
//! The tables are written once, as SQL with `{type}` placeholders, and [`render`] maps each
//! placeholder to the backend's type. We chose this over sea-query's builder because the schema is
//! the contract between backends and reads best as SQL, and because the backend-specific parts
//! (pgvector columns, HNSW and GIN indexes, SQLite FTS5) are raw SQL either way.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Default embedding width: all-MiniLM-L6-v2, the local model's reference.
pub const DEFAULT_EMBEDDING_DIMENSIONS: u32 = 384;

/// The vector width the `messages.embedding` column is created with.
///
/// pgvector's HNSW index needs a fixed dimension, so the width is fixed when the table is created:
/// it comes from `MEMORY_EMBEDDING_DIMENSIONS` (the same setting the server reads), and the server
/// refuses to start when its provider's width differs from the column's.
pub fn embedding_dimensions() -> u32 {
    std::env::var("MEMORY_EMBEDDING_DIMENSIONS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|d| (1..=16_000).contains(d))
        .unwrap_or(DEFAULT_EMBEDDING_DIMENSIONS)
}

/// Replaces the `{type}` placeholders of `template` with the backend's column types.
pub fn render(template: &str, backend: DbBackend) -> String {
    let pg = backend == DbBackend::Postgres;
    let vector = format!("vector({})", embedding_dimensions());
    let pairs: [(&str, &str); 7] = [
        ("{uuid}", if pg { "uuid" } else { "blob" }),
        ("{ts}", if pg { "timestamptz" } else { "text" }),
        ("{json}", if pg { "jsonb" } else { "text" }),
        ("{bool}", "boolean"),
        ("{float}", if pg { "double precision" } else { "real" }),
        ("{vector}", if pg { vector.as_str() } else { "blob" }),
        ("{text}", "text"),
    ];
    pairs
        .iter()
        .fold(template.to_owned(), |sql, (from, to)| sql.replace(from, to))
}

/// Runs each `;`-separated statement of `template`, rendered for the connected backend.
pub async fn run(manager: &SchemaManager<'_>, template: &str) -> Result<(), DbErr> {
    let sql = render(template, manager.get_database_backend());
    for stmt in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        manager.get_connection().execute_unprepared(stmt).await?;
    }
    Ok(())
}

/// True when the migration runs against PostgreSQL.
pub fn is_postgres(manager: &SchemaManager<'_>) -> bool {
    manager.get_database_backend() == DbBackend::Postgres
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_maps_types_per_backend() {
        let t = "id {uuid}, at {ts}, m {json}, e {vector}";
        let pg = render(t, DbBackend::Postgres);
        assert!(
            pg.starts_with("id uuid, at timestamptz, m jsonb, e vector("),
            "{pg}"
        );
        assert_eq!(
            render(t, DbBackend::Sqlite),
            "id blob, at text, m text, e blob"
        );
    }
}
