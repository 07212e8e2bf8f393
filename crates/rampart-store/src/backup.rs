//! `rampart backup FILE`: an online, consistent copy of the SQLite database
//! (`VACUUM INTO`, which reads one snapshot while the server keeps serving).
//! The copy holds password hashes and live mailed links, so it is created
//! first as a new file readable by its owner only (never through a symlink,
//! never over an existing file), then filled and synced. PostgreSQL has its
//! own tools for this, which the refusal names.

use crate::backend::Store;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is PostgreSQL.
    #[error(
        "rampart backup copies SQLite databases; for PostgreSQL use pg_dump (e.g. `pg_dump --format=custom --file=rampart.dump DATABASE_URL`) and pg_restore"
    )]
    Postgres,
    /// The target exists (or is a symlink); a backup never overwrites.
    #[error("{0} already exists; choose a new file name (a backup never overwrites)")]
    Exists(String),
    /// The path is not UTF-8.
    #[error("the backup path must be valid UTF-8")]
    Path,
    /// The file could not be created or synced.
    #[error("cannot write the backup file")]
    File(#[source] std::io::Error),
    /// SQLite refused.
    #[error("the backup failed")]
    Database(#[source] sqlx::Error),
}

impl Store {
    /// Writes a consistent copy of the database to `target`, a new file
    /// with mode 0600.
    pub async fn backup(&self, target: &Path) -> Result<(), BackupError> {
        let Store::Sqlite(pool) = self else {
            return Err(BackupError::Postgres);
        };
        // An absolute path, so SQLite never reads it as a `file:` URI.
        let target = std::path::absolute(target).map_err(BackupError::File)?;
        let path = target.to_str().ok_or(BackupError::Path)?;
        // create_new: fails on an existing file and on any symlink, dangling
        // ones included, so the check and the creation are one step.
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&target);
        match created {
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BackupError::Exists(target.display().to_string()));
            }
            Err(err) => return Err(BackupError::File(err)),
        }
        // VACUUM INTO fills an empty file; it does not sync it.
        let copied = sqlx::query("VACUUM INTO $1").bind(path).execute(pool).await;
        if let Err(err) = copied {
            let _ = std::fs::remove_file(&target);
            return Err(BackupError::Database(err));
        }
        std::fs::File::open(&target)
            .and_then(|file| file.sync_all())
            .map_err(BackupError::File)
    }
}
