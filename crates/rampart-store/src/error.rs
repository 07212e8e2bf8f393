//! Translation of sqlx errors into the domain's [`RepoError`].

use rampart_core::ports::{RepoError, UniqueField};

/// Maps a driver error; unique violations name the colliding field.
pub(crate) fn repo_error(err: sqlx::Error) -> RepoError {
    if let sqlx::Error::Database(db) = &err
        && db.is_unique_violation()
    {
        // PostgreSQL names the constraint; SQLite names the column in its message.
        let names = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
        let field = if names.contains("username_key") {
            UniqueField::Username
        } else if names.contains("email_key") {
            UniqueField::Email
        } else {
            UniqueField::Other
        };
        return RepoError::Conflict(field);
    }
    RepoError::Unavailable(Box::new(err))
}

/// A user id in the database that is not a UUID.
pub(crate) fn corrupt_id(id: &str) -> RepoError {
    RepoError::Unavailable(format!("corrupt user id {id:?} in the database").into())
}
