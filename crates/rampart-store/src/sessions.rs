//! Statements on `sessions`.

use crate::audit::audited;
use crate::backend::{Store, on_pool};
use crate::error::repo_error;
use crate::time::time_of;
use crate::users::UserRow;
use async_trait::async_trait;
use rampart_core::UserId;
use rampart_core::audit::AuditEvent;
use rampart_core::model::authn::AuthMethods;
use rampart_core::ports::{RepoError, SessionRepo};
use rampart_core::session::{NewSession, Session, SessionId, SessionProof, StoredSession};
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: String,
    token_hash: String,
    s_created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
    fresh_at: i64,
    fingerprint: String,
    auth_methods: String,
    #[sqlx(flatten)]
    user: UserRow,
}

impl SessionRow {
    fn into_stored(self, roles: Vec<String>) -> Result<StoredSession, RepoError> {
        let digest = TokenDigest::from_hex(&self.token_hash).ok_or_else(|| {
            RepoError::Unavailable(
                format!("corrupt token hash for session {}", self.session_id).into(),
            )
        })?;
        Ok(StoredSession {
            session: Session {
                id: SessionId(self.session_id),
                digest,
                user: self.user.into_user(roles)?,
                created_at: time_of(self.s_created_at),
                expires_at: time_of(self.expires_at),
                ip: self.ip,
                user_agent: self.user_agent,
                fresh_at: time_of(self.fresh_at),
                fingerprint: self.fingerprint,
                methods: AuthMethods::parse(&self.auth_methods),
            },
            last_seen_at: time_of(self.last_seen_at),
        })
    }
}

#[async_trait]
impl SessionRepo for Store {
    async fn insert_session(
        &self,
        new: &NewSession,
        audit: Option<&AuditEvent>,
    ) -> Result<(), RepoError> {
        audited!(self, audit, |tx| {
            sqlx::query(
            "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent, fresh_at, fingerprint, remember_series, auth_methods) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        )
        .bind(&new.id.0)
        .bind(new.digest.to_hex())
        .bind(new.user_id.to_string())
        .bind(new.created_at.unix_timestamp())
        .bind(new.created_at.unix_timestamp())
        .bind(new.expires_at.unix_timestamp())
        .bind(new.ip.as_deref())
        .bind(new.user_agent.as_deref())
        .bind(new.fresh_at().unix_timestamp())
        .bind(&new.fingerprint)
        .bind(new.remember_series.as_deref())
        .bind(new.methods.to_list())
        .execute(&mut *tx)
        .await
        .map_err(repo_error)?;
        if let Some(language) = &new.language {
            // Only for an account that has none yet (one an operator, an
            // import or a directory made): whoever signs in with a stolen
            // password must not choose the language of the alerts about it.
            sqlx::query("UPDATE users SET language = $2 WHERE id = $1 AND language IS NULL")
            .bind(new.user_id.to_string())
            .bind(language)
            .execute(&mut *tx)
            .await
            .map_err(repo_error)?;
        }
            true
        })
        .map(|_| ())
    }

    async fn delete_series_sessions(&self, user: UserId, series: &str) -> Result<u64, RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND remember_series = $2"
        )
        .bind(user.to_string())
        .bind(series)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        .map_err(repo_error))
    }

    async fn find_session(&self, digest: &TokenDigest) -> Result<Option<StoredSession>, RepoError> {
        let row: Option<SessionRow> = on_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT s.id AS session_id, s.token_hash, s.created_at AS s_created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent, s.fresh_at, s.fingerprint, s.auth_methods, \
                    u.id, u.username, u.email, u.email_verified, u.locked, u.must_change_password, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND u.locked = $2"
        )
        .bind(digest.to_hex())
        .bind(false)
        .fetch_optional(pool)
        .await
        .map_err(repo_error)
        })?;
        let Some(row) = row else { return Ok(None) };
        let roles = self.roles_of(&row.user.id).await?;
        Ok(Some(row.into_stored(roles)?))
    }

    async fn list_user_sessions(&self, user: UserId) -> Result<Vec<StoredSession>, RepoError> {
        let rows: Vec<SessionRow> = on_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT s.id AS session_id, s.token_hash, s.created_at AS s_created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent, s.fresh_at, s.fingerprint, s.auth_methods, \
                    u.id, u.username, u.email, u.email_verified, u.locked, u.must_change_password, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.user_id = $1 ORDER BY s.last_seen_at DESC, s.id"
        )
        .bind(user.to_string())
        .fetch_all(pool)
        .await
        .map_err(repo_error)
        })?;
        let roles = self.roles_of(&user.to_string()).await?;
        rows.into_iter()
            .map(|row| row.into_stored(roles.clone()))
            .collect()
    }

    async fn set_session_proof(
        &self,
        id: &SessionId,
        expected: &TokenDigest,
        proof: &SessionProof,
        audit: Option<&AuditEvent>,
    ) -> Result<bool, RepoError> {
        audited!(self, audit, |tx| {
            sqlx::query(
                "UPDATE sessions SET token_hash = $1, fresh_at = $2, fingerprint = $3, auth_methods = $4 \
                 WHERE id = $5 AND token_hash = $6",
            )
            .bind(proof.digest.to_hex())
            .bind(proof.fresh_at.unix_timestamp())
            .bind(&proof.fingerprint)
            .bind(proof.methods.to_list())
            .bind(&id.0)
            .bind(expected.to_hex())
            .execute(&mut *tx)
            .await
            .map_err(repo_error)?
            .rows_affected()
                > 0
        })
    }

    async fn delete_session(
        &self,
        id: &SessionId,
        audit: Option<&AuditEvent>,
    ) -> Result<bool, RepoError> {
        audited!(self, audit, |tx| {
            // The remember-me series the session came with ends with it,
            // or its cookie would sign the browser straight back in.
            sqlx::query(
                "DELETE FROM remember_tokens WHERE series = (SELECT remember_series FROM sessions WHERE id = $1)",
            )
            .bind(&id.0)
            .execute(&mut *tx)
            .await
            .map_err(repo_error)?;
            sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(&id.0)
                .execute(&mut *tx)
                .await
                .map_err(repo_error)?
                .rows_affected()
                > 0
        })
    }

    async fn sign_out_everywhere(
        &self,
        user: Option<UserId>,
        audit: &AuditEvent,
    ) -> Result<u64, RepoError> {
        let user = user.map(|u| u.to_string());
        let mut ended = 0;
        audited!(self, Some(audit), |tx| {
            ended = sqlx::query("DELETE FROM sessions WHERE $1 IS NULL OR user_id = $1")
                .bind(user.as_deref())
                .execute(&mut *tx)
                .await
                .map_err(repo_error)?
                .rows_affected();
            sqlx::query("DELETE FROM remember_tokens WHERE $1 IS NULL OR user_id = $1")
                .bind(user.as_deref())
                .execute(&mut *tx)
                .await
                .map_err(repo_error)?;
            sqlx::query(
                "UPDATE users SET sign_out_epoch = sign_out_epoch + 1 WHERE $1 IS NULL OR id = $1",
            )
            .bind(user.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(repo_error)?;
            true
        })?;
        Ok(ended)
    }

    async fn set_session_series(&self, id: &SessionId, series: &str) -> Result<(), RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE sessions SET remember_series = $1 WHERE id = $2"
        )
        .bind(series)
        .bind(&id.0)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error))
    }

    async fn keep_newest_sessions(
        &self,
        user: UserId,
        newest: &SessionId,
        max: u32,
    ) -> Result<u64, RepoError> {
        // The newest is always kept; of the others, the `max - 1` most
        // recently started stay. The ended ones' remember-me series end too.
        let others = i64::from(max.saturating_sub(1));
        // The account's sessions beyond the newest `max`, but `newest`.
        macro_rules! beyond {
            () => {
                "SELECT id FROM sessions WHERE user_id = $1 AND id <> $2 AND id NOT IN \
                 (SELECT id FROM sessions WHERE user_id = $1 AND id <> $2 \
                 ORDER BY created_at DESC, last_seen_at DESC, id DESC LIMIT $3)"
            };
        }
        let series = concat!(
            "DELETE FROM remember_tokens WHERE series IN \
             (SELECT remember_series FROM sessions WHERE id IN (",
            beyond!(),
            "))"
        );
        let sessions = concat!("DELETE FROM sessions WHERE id IN (", beyond!(), ")");
        let mut ended = 0;
        audited!(self, None::<&AuditEvent>, |tx| {
            sqlx::query(series)
                .bind(user.to_string())
                .bind(&newest.0)
                .bind(others)
                .execute(&mut *tx)
                .await
                .map_err(repo_error)?;
            ended = sqlx::query(sessions)
                .bind(user.to_string())
                .bind(&newest.0)
                .bind(others)
                .execute(&mut *tx)
                .await
                .map_err(repo_error)?
                .rows_affected();
            true
        })?;
        Ok(ended)
    }

    async fn delete_user_sessions(
        &self,
        user: UserId,
        keep: Option<&SessionId>,
        audit: Option<&AuditEvent>,
    ) -> Result<u64, RepoError> {
        let mut ended = 0;
        audited!(self, audit, |tx| {
            // The remember-me series end too (they would sign the browsers
            // in again), but the one the kept session came from.
            sqlx::query(
                "DELETE FROM remember_tokens WHERE user_id = $1 AND COALESCE(series <> \
                 (SELECT remember_series FROM sessions WHERE id = $2), TRUE)",
            )
            .bind(user.to_string())
            .bind(keep.map(|k| k.0.as_str()))
            .execute(&mut *tx)
            .await
            .map_err(repo_error)?;
            ended =
                sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)")
                    .bind(user.to_string())
                    .bind(keep.map(|k| k.0.as_str()))
                    .execute(&mut *tx)
                    .await
                    .map_err(repo_error)?
                    .rows_affected();
            // A revocation is recorded even when there was nothing to end.
            true
        })?;
        Ok(ended)
    }

    async fn count_live_sessions(&self, now: OffsetDateTime) -> Result<i64, RepoError> {
        on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions WHERE expires_at > $1"
        )
        .bind(now.unix_timestamp())
        .fetch_one(pool)
        .await
        .map_err(repo_error))
    }

    async fn touch_sessions(&self, seen: &[(SessionId, OffsetDateTime)]) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(repo_error)?;
            for (id, at) in seen {
                sqlx::query(
                    "UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1",
                )
                .bind(at.unix_timestamp())
                .bind(&id.0)
                .execute(&mut *tx)
                .await
                .map_err(repo_error)?;
            }
            tx.commit().await.map_err(repo_error)
        })
    }

    async fn delete_expired_sessions(
        &self,
        now: OffsetDateTime,
        idle_cutoff: OffsetDateTime,
    ) -> Result<u64, RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2"
        )
        .bind(now.unix_timestamp())
        .bind(idle_cutoff.unix_timestamp())
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        .map_err(repo_error))
    }
}
