//! Secrets the server generated for itself, kept in the database so that every instance on it
//! uses the same one.

use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::StoreError;

/// The secret stored under `name`, storing `candidate` first if there is none: whichever
/// instance comes first decides, and all agree from then on.
///
/// Once the secret exists (every start but the first) this is a plain read, which never waits
/// for a writer. The first store takes the write lock as it begins: on SQLite a transaction
/// that reads and then writes cannot wait for a busy writer (it fails at once with "database
/// is locked"), and a command-line tool started beside a busy server would meet one.
pub async fn shared_secret(
    db: &DatabaseConnection,
    name: &str,
    candidate: &str,
) -> Result<String, StoreError> {
    if let Some(value) = stored(db, name).await? {
        return Ok(value);
    }
    let txn = super::begin_write(db).await?;
    txn.execute_raw(crate::store::statement(
        db.get_database_backend(),
        "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
        [name.into(), candidate.into(), crate::store::now().into()],
    ))
    .await?;
    let value = stored(&txn, name).await?;
    super::commit(txn).await?;
    value.ok_or(StoreError::NotFound { what: "secret" })
}

async fn stored(db: &impl ConnectionTrait, name: &str) -> Result<Option<String>, StoreError> {
    let row = db
        .query_one_raw(crate::store::statement(
            db.get_database_backend(),
            "SELECT value FROM server_secrets WHERE name = $1",
            [name.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get("", "value")).transpose()?)
}
