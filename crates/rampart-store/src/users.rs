//! Statements on `users` and `user_roles`.

use crate::audit::audited;
use crate::backend::{Store, exec, fetch, on_pool};
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
        $crate::backend::exec!(
            $conn,
            "INSERT INTO users (id, username, username_key, email, email_key, email_verified, password_hash, locked, created_at, language) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            u.id.to_string(),
            u.username.as_str(),
            u.username.key(),
            u.email.as_str(),
            u.email.key(),
            u.email_verified,
            &new.password_hash,
            u.locked,
            u.created_at.unix_timestamp(),
            new.language.as_deref(),
        )?;
        $crate::users::insert_roles!($conn, u.id, &u.roles);
    }};
}

pub(crate) use insert_user_rows;

/// Inserts `$roles` of the account `$id` through `$conn`.
macro_rules! insert_roles {
    ($conn:expr, $id:expr, $roles:expr) => {
        for role in $roles {
            $crate::backend::exec!(
                $conn,
                "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)",
                $id.to_string(),
                role.as_str()
            )?;
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
    /// The account's roles in one column, in order, space-separated (a
    /// role name has no spaces): read with the account, so a sign-in costs
    /// one statement fewer.
    roles: Option<String>,
}

/// The statement that reads an account's credentials (`CredentialsRow`),
/// its roles with them, by the column `$key` = `$1`.
macro_rules! credentials_sql {
    ($key:literal) => {
        concat!(
            "SELECT id, username, email, email_verified, locked, must_change_password, created_at, password_hash, sign_out_epoch, \
             (EXISTS (SELECT 1 FROM mfa_totp m WHERE m.user_id = users.id AND m.enabled = TRUE) \
              OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id)) AS mfa_enabled, \
             (SELECT string_agg(r.role, ' ' ORDER BY r.role) FROM user_roles r WHERE r.user_id = users.id) AS roles \
             FROM users WHERE ",
            $key,
            " = $1"
        )
    };
}

/// The roles of a `roles` column (`string_agg(role, ' ' ORDER BY role)`;
/// NULL when the account has none).
fn roles_listed(roles: Option<&str>) -> Vec<String> {
    roles
        .map(|roles| roles.split(' ').map(str::to_owned).collect())
        .unwrap_or_default()
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
        on_pool!(self, |pool| fetch!(
            pool,
            query_scalar,
            fetch_all,
            "SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role",
            id
        ))
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
                crate::backend::begin!(pool, tx);
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
            crate::backend::begin!(pool, tx);
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
            fetch!(
                pool,
                query_as,
                fetch_all,
                "SELECT id, username, email, email_verified, locked, must_change_password, created_at, \
                 EXISTS (SELECT 1 FROM mfa_totp m WHERE m.user_id = users.id AND m.enabled = TRUE) AS mfa_enabled \
                 FROM users \
                 WHERE ($1 IS NULL OR username_key LIKE $1 ESCAPE '\\' OR email_key LIKE $1 ESCAPE '\\') \
                 ORDER BY username_key LIMIT $2 OFFSET $3",
                pattern.as_deref(),
                limit,
                offset,
            )
        })?;
        let total: i64 = on_pool!(self, |pool| {
            fetch!(
                pool,
                query_scalar,
                fetch_one,
                "SELECT COUNT(*) FROM users \
                 WHERE ($1 IS NULL OR username_key LIKE $1 ESCAPE '\\' OR email_key LIKE $1 ESCAPE '\\')",
                pattern.as_deref(),
            )
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
        on_pool!(self, |pool| fetch!(
            pool,
            query_scalar,
            fetch_one,
            "SELECT COUNT(*) FROM user_roles r JOIN users u ON u.id = r.user_id \
             WHERE r.role = $1 AND u.locked = FALSE",
            role
        ))
    }

    async fn roles_in_use(&self) -> Result<Vec<String>, RepoError> {
        on_pool!(self, |pool| fetch!(
            pool,
            query_scalar,
            fetch_all,
            "SELECT DISTINCT role FROM user_roles ORDER BY role LIMIT 200"
        ))
    }

    async fn account_counts(&self) -> Result<AccountCounts, RepoError> {
        let (total, locked, mfa): (i64, i64, i64) = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_one,
            "SELECT (SELECT COUNT(*) FROM users), \
                    (SELECT COUNT(*) FROM users WHERE locked = TRUE), \
                    (SELECT COUNT(*) FROM mfa_totp WHERE enabled = TRUE)"
        ))?;
        Ok(AccountCounts { total, locked, mfa })
    }

    async fn find_credentials(
        &self,
        key: LoginKey<'_>,
    ) -> Result<Option<UserCredentials>, RepoError> {
        let (sql, value) = match key {
            LoginKey::Username(k) => (credentials_sql!("username_key"), k),
            LoginKey::Email(k) => (credentials_sql!("email_key"), k),
        };
        let row: Option<CredentialsRow> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_optional,
            sql,
            value
        ))?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(UserCredentials {
                user: row.user.into_user(roles_listed(row.roles.as_deref()))?,
                password_hash: row.password_hash,
                mfa_enabled: row.mfa_enabled,
                sign_out_epoch: row.sign_out_epoch,
            })),
        }
    }

    async fn find_by_username(&self, username_key: &str) -> Result<Option<User>, RepoError> {
        let row: Option<UserRow> = on_pool!(self, |pool| {
            fetch!(
                pool,
                query_as,
                fetch_optional,
                "SELECT id, username, email, email_verified, locked, must_change_password, created_at FROM users WHERE username_key = $1",
                username_key,
            )
        })?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(self.user_with_roles(row).await?)),
        }
    }

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepoError> {
        let row: Option<UserRow> = on_pool!(self, |pool| {
            fetch!(
                pool,
                query_as,
                fetch_optional,
                "SELECT id, username, email, email_verified, locked, must_change_password, created_at FROM users WHERE id = $1",
                id.to_string(),
            )
        })?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(self.user_with_roles(row).await?)),
        }
    }

    async fn change_email(&self, id: UserId, email: &Email) -> Result<(), RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "UPDATE users SET email = $1, email_key = $2, email_verified = $3 WHERE id = $4",
            email.as_str(),
            email.key(),
            true,
            id.to_string()
        )
        .map(drop))
    }

    async fn mark_email_verified(
        &self,
        id: UserId,
        email_key: &str,
        audit: &AuditEvent,
    ) -> Result<bool, RepoError> {
        audited!(self, Some(audit), |tx| exec!(
            &mut *tx,
            "UPDATE users SET email_verified = $1 WHERE id = $2 AND email_key = $3",
            true,
            id.to_string(),
            email_key
        )? > 0)
    }

    async fn list_users(&self) -> Result<Vec<User>, RepoError> {
        let rows: Vec<UserRow> = on_pool!(self, |pool| {
            fetch!(
                pool,
                query_as,
                fetch_all,
                "SELECT id, username, email, email_verified, locked, must_change_password, created_at FROM users ORDER BY username_key",
            )
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
        audited!(self, audit, |tx| exec!(
            &mut *tx,
            "UPDATE users SET password_hash = $1 WHERE id = $2",
            hash,
            id.to_string()
        )? > 0)
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
        on_pool!(self, |pool| exec!(
            pool,
            "UPDATE users SET must_change_password = $1 WHERE id = $2",
            must,
            id.to_string()
        )
        .map(drop))
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
        on_pool!(self, |pool| exec!(
            pool,
            "UPDATE users SET language = $1 WHERE id = $2",
            language,
            id.to_string()
        )
        .map(drop))
    }

    async fn set_locked(
        &self,
        id: UserId,
        locked: bool,
        audit: &AuditEvent,
    ) -> Result<(), RepoError> {
        audited!(self, Some(audit), |tx| {
            let changed = exec!(
                &mut *tx,
                "UPDATE users SET locked = $1 WHERE id = $2",
                locked,
                id.to_string()
            )? > 0;
            if locked {
                // Its sessions end, and so do its remember-me series (an
                // unlock must not bring a cookie's sign-in back).
                for sql in [
                    "DELETE FROM sessions WHERE user_id = $1",
                    "DELETE FROM remember_tokens WHERE user_id = $1",
                ] {
                    exec!(&mut *tx, sql, id.to_string())?;
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
            exec!(
                &mut *tx,
                "DELETE FROM user_roles WHERE user_id = $1",
                id.to_string()
            )?;
            insert_roles!(&mut *tx, id, roles);
            true
        })
        .map(|_| ())
    }

    async fn delete_user(&self, id: UserId, audit: &AuditEvent) -> Result<(), RepoError> {
        // Roles and sessions go with the row (ON DELETE CASCADE), in one statement.
        audited!(self, Some(audit), |tx| exec!(
            &mut *tx,
            "DELETE FROM users WHERE id = $1",
            id.to_string()
        )? > 0)
        .map(|_| ())
    }
}
