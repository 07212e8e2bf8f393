//! Statements on `users` and `user_roles`.

use crate::audit::audited;
use crate::backend::{Store, on_pool};
use crate::error::repo_error;
use crate::time::time_of;
use async_trait::async_trait;
use rampart_core::audit::AuditEvent;
use rampart_core::model::{NewUser, UserCredentials};
use rampart_core::ports::{AccountCounts, LoginKey, RepoError, UserOverview, UserRepo};
use rampart_core::{Email, RoleName, User, UserId, Username};

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: String,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub locked: bool,
    pub must_change_password: bool,
    pub created_at: i64,
}

/// Inserts the account `$new` and its roles through `$conn` (a
/// transaction's connection), `?`-returning a `RepoError`.
macro_rules! insert_user_rows {
    ($conn:expr, $new:expr) => {{
        let new: &NewUser = $new;
        let u = &new.user;
        sqlx::query(
            "INSERT INTO users (id, username, username_key, email, email_key, email_verified, password_hash, locked, created_at, language) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(u.id.to_string())
        .bind(u.username.as_str())
        .bind(u.username.key())
        .bind(u.email.as_str())
        .bind(u.email.key())
        .bind(u.email_verified)
        .bind(&new.password_hash)
        .bind(u.locked)
        .bind(u.created_at.unix_timestamp())
        .bind(new.language.as_deref())
        .execute($conn)
        .await
        .map_err(repo_error)?;
        $crate::users::insert_roles!($conn, u.id, &u.roles);
    }};
}

pub(crate) use insert_user_rows;

/// Inserts `$roles` of the account `$id` through `$conn`.
macro_rules! insert_roles {
    ($conn:expr, $id:expr, $roles:expr) => {
        for role in $roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind($id.to_string())
                .bind(role.as_str())
                .execute($conn)
                .await
                .map_err(repo_error)?;
        }
    };
}
pub(crate) use insert_roles;

#[derive(sqlx::FromRow)]
struct OverviewRow {
    #[sqlx(flatten)]
    user: UserRow,
    mfa_enabled: bool,
}

/// A LIKE pattern matching `text` anywhere, with `%`, `_` and `\\` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: Option<String>,
    mfa_enabled: bool,
    sign_out_epoch: i64,
}

impl UserRow {
    pub(crate) fn into_user(self, roles: Vec<String>) -> Result<User, RepoError> {
        let id = UserId::parse(&self.id).ok_or_else(|| {
            RepoError::Unavailable(format!("corrupt user id {:?} in the database", self.id).into())
        })?;
        Ok(User {
            id,
            username: Username::from_trusted(self.username),
            email: Email::from_trusted(self.email),
            email_verified: self.email_verified,
            roles: roles.into_iter().map(RoleName::from_trusted).collect(),
            locked: self.locked,
            must_change_password: self.must_change_password,
            created_at: time_of(self.created_at),
        })
    }
}

impl Store {
    pub(crate) async fn roles_of(&self, id: &str) -> Result<Vec<String>, RepoError> {
        on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role"
        )
        .bind(id)
        .fetch_all(pool)
        .await
        .map_err(repo_error))
    }

    async fn user_with_roles(&self, row: UserRow) -> Result<User, RepoError> {
        let roles = self.roles_of(&row.id).await?;
        row.into_user(roles)
    }
}

#[async_trait]
impl UserRepo for Store {
    async fn insert_user_with_passkey(
        &self,
        new: &NewUser,
        passkey: &rampart_core::model::passkey::PasskeyRecord,
        audit: &[&AuditEvent],
    ) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            async {
                let mut tx = pool.begin().await.map_err(repo_error)?;
                insert_user_rows!(&mut *tx, new);
                crate::passkeys::insert_passkey_row!(&mut *tx, passkey);
                for event in audit {
                    crate::audit::insert_event!(&mut *tx, event)?;
                }
                tx.commit().await.map_err(repo_error)
            }
            .await
        })
    }

    async fn insert_user(&self, new: &NewUser, audit: &AuditEvent) -> Result<(), RepoError> {
        audited!(self, Some(audit), |tx| {
            insert_user_rows!(&mut *tx, new);
            true
        })
        .map(|_| ())
    }

    async fn insert_users(
        &self,
        batch: &[(NewUser, AuditEvent)],
    ) -> Result<Vec<Result<(), RepoError>>, RepoError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(repo_error)?;
            let mut outcomes = Vec::with_capacity(batch.len());
            for (new, event) in batch {
                // A savepoint per row: a taken name refuses that row only.
                let mut row = sqlx::Acquire::begin(&mut *tx).await.map_err(repo_error)?;
                let written: Result<(), RepoError> = async {
                    insert_user_rows!(&mut *row, new);
                    crate::audit::insert_event!(&mut *row, event)
                }
                .await;
                match written {
                    Ok(()) => row.commit().await.map_err(repo_error)?,
                    Err(_) => row.rollback().await.map_err(repo_error)?,
                }
                outcomes.push(written);
            }
            tx.commit().await.map_err(repo_error)?;
            Ok(outcomes)
        })
    }

    async fn search_users(
        &self,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<UserOverview>, i64), RepoError> {
        let pattern = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(contains_pattern);
        let rows: Vec<OverviewRow> = on_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT id, username, email, email_verified, locked, must_change_password, created_at, \
             EXISTS (SELECT 1 FROM mfa_totp m WHERE m.user_id = users.id AND m.enabled = TRUE) AS mfa_enabled \
             FROM users \
             WHERE ($1 IS NULL OR username_key LIKE $1 ESCAPE '\\' OR email_key LIKE $1 ESCAPE '\\') \
             ORDER BY username_key LIMIT $2 OFFSET $3"
        )
        .bind(pattern.as_deref())
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
        .map_err(repo_error)
        })?;
        let total: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
            "SELECT COUNT(*) FROM users \
             WHERE ($1 IS NULL OR username_key LIKE $1 ESCAPE '\\' OR email_key LIKE $1 ESCAPE '\\')"
        )
        .bind(pattern.as_deref())
        .fetch_one(pool)
        .await
        .map_err(repo_error)
        })?;
        let mut found = Vec::with_capacity(rows.len());
        for row in rows {
            found.push(UserOverview {
                user: self.user_with_roles(row.user).await?,
                mfa_enabled: row.mfa_enabled,
            });
        }
        Ok((found, total))
    }

    async fn count_with_role(&self, role: &str) -> Result<i64, RepoError> {
        on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_roles r JOIN users u ON u.id = r.user_id \
             WHERE r.role = $1 AND u.locked = FALSE"
        )
        .bind(role)
        .fetch_one(pool)
        .await
        .map_err(repo_error))
    }

    async fn roles_in_use(&self) -> Result<Vec<String>, RepoError> {
        on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT DISTINCT role FROM user_roles ORDER BY role LIMIT 200"
        )
        .fetch_all(pool)
        .await
        .map_err(repo_error))
    }

    async fn account_counts(&self) -> Result<AccountCounts, RepoError> {
        let (total, locked, mfa): (i64, i64, i64) = on_pool!(self, |pool| sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM users), \
                    (SELECT COUNT(*) FROM users WHERE locked = TRUE), \
                    (SELECT COUNT(*) FROM mfa_totp WHERE enabled = TRUE)"
        )
        .fetch_one(pool)
        .await
        .map_err(repo_error))?;
        Ok(AccountCounts { total, locked, mfa })
    }

    async fn find_credentials(
        &self,
        key: LoginKey<'_>,
    ) -> Result<Option<UserCredentials>, RepoError> {
        let (sql, value) = match key {
            LoginKey::Username(k) => (
                "SELECT id, username, email, email_verified, locked, must_change_password, created_at, password_hash, sign_out_epoch, \
                 (EXISTS (SELECT 1 FROM mfa_totp m WHERE m.user_id = users.id AND m.enabled = TRUE) \
                  OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id)) AS mfa_enabled \
                 FROM users WHERE username_key = $1",
                k,
            ),
            LoginKey::Email(k) => (
                "SELECT id, username, email, email_verified, locked, must_change_password, created_at, password_hash, sign_out_epoch, \
                 (EXISTS (SELECT 1 FROM mfa_totp m WHERE m.user_id = users.id AND m.enabled = TRUE) \
                  OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id)) AS mfa_enabled \
                 FROM users WHERE email_key = $1",
                k,
            ),
        };
        let row: Option<CredentialsRow> = on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(value)
            .fetch_optional(pool)
            .await
            .map_err(repo_error))?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(UserCredentials {
                user: self.user_with_roles(row.user).await?,
                password_hash: row.password_hash,
                mfa_enabled: row.mfa_enabled,
                sign_out_epoch: row.sign_out_epoch,
            })),
        }
    }

    async fn find_by_username(&self, username_key: &str) -> Result<Option<User>, RepoError> {
        let row: Option<UserRow> = on_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT id, username, email, email_verified, locked, must_change_password, created_at FROM users WHERE username_key = $1"
        )
        .bind(username_key)
        .fetch_optional(pool)
        .await
        .map_err(repo_error)
        })?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(self.user_with_roles(row).await?)),
        }
    }

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepoError> {
        let row: Option<UserRow> = on_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT id, username, email, email_verified, locked, must_change_password, created_at FROM users WHERE id = $1"
        )
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(repo_error)
        })?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(self.user_with_roles(row).await?)),
        }
    }

    async fn change_email(&self, id: UserId, email: &Email) -> Result<(), RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE users SET email = $1, email_key = $2, email_verified = $3 WHERE id = $4"
        )
        .bind(email.as_str())
        .bind(email.key())
        .bind(true)
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error))
    }

    async fn mark_email_verified(
        &self,
        id: UserId,
        email_key: &str,
        audit: &AuditEvent,
    ) -> Result<bool, RepoError> {
        audited!(self, Some(audit), |tx| sqlx::query(
            "UPDATE users SET email_verified = $1 WHERE id = $2 AND email_key = $3"
        )
        .bind(true)
        .bind(id.to_string())
        .bind(email_key)
        .execute(&mut *tx)
        .await
        .map_err(repo_error)?
        .rows_affected()
            > 0)
    }

    async fn list_users(&self) -> Result<Vec<User>, RepoError> {
        let rows: Vec<UserRow> = on_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT id, username, email, email_verified, locked, must_change_password, created_at FROM users ORDER BY username_key"
        )
        .fetch_all(pool)
        .await
        .map_err(repo_error)
        })?;
        let mut users = Vec::with_capacity(rows.len());
        for row in rows {
            users.push(self.user_with_roles(row).await?);
        }
        Ok(users)
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        audit: Option<&AuditEvent>,
    ) -> Result<(), RepoError> {
        audited!(self, audit, |tx| sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE id = $2"
        )
        .bind(hash)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(repo_error)?
        .rows_affected()
            > 0)
        .map(|_| ())
    }

    async fn upgrade_password_hash(
        &self,
        id: UserId,
        old: &str,
        new: &str,
    ) -> Result<bool, RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3"
        )
        .bind(new)
        .bind(id.to_string())
        .bind(old)
        .execute(pool)
        .await
        .map(|done| done.rows_affected() > 0)
        .map_err(repo_error))
    }

    async fn set_must_change_password(&self, id: UserId, must: bool) -> Result<(), RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE users SET must_change_password = $1 WHERE id = $2"
        )
        .bind(must)
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error))
    }

    async fn language(&self, id: UserId) -> Result<Option<String>, RepoError> {
        on_pool!(self, |pool| sqlx::query_scalar::<_, Option<String>>(
            "SELECT language FROM users WHERE id = $1"
        )
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map(Option::flatten)
        .map_err(repo_error))
    }

    async fn set_language(&self, id: UserId, language: &str) -> Result<(), RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE users SET language = $1 WHERE id = $2"
        )
        .bind(language)
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error))
    }

    async fn set_locked(
        &self,
        id: UserId,
        locked: bool,
        audit: &AuditEvent,
    ) -> Result<(), RepoError> {
        audited!(self, Some(audit), |tx| {
            let changed = sqlx::query("UPDATE users SET locked = $1 WHERE id = $2")
                .bind(locked)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(repo_error)?
                .rows_affected()
                > 0;
            if locked {
                // Its sessions end, and so do its remember-me series (an
                // unlock must not bring a cookie's sign-in back).
                for sql in [
                    "DELETE FROM sessions WHERE user_id = $1",
                    "DELETE FROM remember_tokens WHERE user_id = $1",
                ] {
                    sqlx::query(sql)
                        .bind(id.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(repo_error)?;
                }
            }
            changed
        })
        .map(|_| ())
    }

    async fn set_roles(
        &self,
        id: UserId,
        roles: &[RoleName],
        audit: &AuditEvent,
    ) -> Result<(), RepoError> {
        audited!(self, Some(audit), |tx| {
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(repo_error)?;
            insert_roles!(&mut *tx, id, roles);
            true
        })
        .map(|_| ())
    }

    async fn delete_user(&self, id: UserId, audit: &AuditEvent) -> Result<(), RepoError> {
        // Roles and sessions go with the row (ON DELETE CASCADE), in one statement.
        audited!(self, Some(audit), |tx| sqlx::query(
            "DELETE FROM users WHERE id = $1"
        )
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(repo_error)?
        .rows_affected()
            > 0)
        .map(|_| ())
    }
}
