//! Secrets the server generated for itself, kept in the database so that every instance on it
//! uses the same one.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::StoreError;

/// The secret stored under `name`, storing `candidate` first if there is none: whichever
/// instance comes first decides, and all agree from then on.
pub async fn shared_secret(
    db: &DatabaseConnection,
    name: &str,
    candidate: &str,
) -> Result<String, StoreError> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
        [name.into(), candidate.into(), crate::store::now().into()],
    ))
    .await?;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT value FROM server_secrets WHERE name = $1",
            [name.into()],
        ))
        .await?
        .ok_or(StoreError::NotFound { what: "secret" })?;
    Ok(row.try_get("", "value")?)
}
