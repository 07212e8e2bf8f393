//! `rampart backup FILE`: an online, consistent copy of the SQLite database
//! (`VACUUM INTO`, which reads one snapshot while the server keeps serving).
//! PostgreSQL has its own tools for this, which the refusal names.

use crate::backend::Store;
use std::path::Path;

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is PostgreSQL.
    #[error(
        "rampart backup copies SQLite databases; for PostgreSQL use pg_dump (e.g. `pg_dump --format=custom --file=rampart.dump DATABASE_URL`) and pg_restore"
    )]
    Postgres,
    /// The target exists; a backup never overwrites.
    #[error("{0} already exists; choose a new file name (a backup never overwrites)")]
    Exists(String),
    /// The path is not UTF-8.
    #[error("the backup path must be valid UTF-8")]
    Path,
    /// SQLite refused.
    #[error("the backup failed")]
    Database(#[source] sqlx::Error),
}

impl Store {
    /// Writes a consistent copy of the database to `target`, a new file.
    pub async fn backup(&self, target: &Path) -> Result<(), BackupError> {
        let Store::Sqlite(pool) = self else {
            return Err(BackupError::Postgres);
        };
        if target.exists() {
            return Err(BackupError::Exists(target.display().to_string()));
        }
        let path = target.to_str().ok_or(BackupError::Path)?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(BackupError::Database)
    }
}
