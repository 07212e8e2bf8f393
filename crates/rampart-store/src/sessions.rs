//! Statements on `sessions`.

use crate::audit::{audited, bind_event, insert_event_sql};
use crate::backend::{Store, exec, fetch, on_pool};
use crate::embedded::EmbeddedPool;
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

/// A `SELECT` of sessions with their owners' accounts (a [`SessionRow`]),
/// narrowed by `$filter`.
macro_rules! sessions_with_owners {
    ($filter:literal) => {
        concat!(
            "SELECT s.id AS session_id, s.token_hash, s.created_at AS s_created_at, s.last_seen_at, \
             s.expires_at, s.ip, s.user_agent, s.fresh_at, s.fingerprint, s.auth_methods, \
             u.id, u.username, u.email, u.email_verified, u.locked, u.must_change_password, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id ",
            $filter
        )
    };
}

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

/// The statement that inserts a session, its twelve values bound by
/// `bind_session!`.
macro_rules! insert_session_sql {
    () => {
        "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent, fresh_at, fingerprint, remember_series, auth_methods) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    };
}
const INSERT_SESSION: &str = insert_session_sql!();

/// The account's language, only for an account that has none yet (one an
/// operator, an import or a directory made): whoever signs in with a
/// stolen password must not choose the language of the alerts about it.
/// The placeholders of the account and the language are given.
macro_rules! first_language_sql {
    ($account:literal, $language:literal) => {
        concat!(
            "UPDATE users SET language = ",
            $language,
            " WHERE id = ",
            $account,
            " AND language IS NULL"
        )
    };
}
const FIRST_LANGUAGE: &str = first_language_sql!("$1", "$2");

/// `$query` with the new session `$new`'s values bound next, in the order
/// of `insert_session_sql!`.
macro_rules! bind_session {
    ($query:expr, $new:expr) => {{
        let new: &NewSession = $new;
        $query
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
    }};
}

/// SQLite: a sign-in's session, the account's first language and the
/// event in one transaction sent whole (one round trip to the connection's
/// worker, where `audited!` takes one for `BEGIN`, one a statement and one
/// for `COMMIT`: four, or five with the language).
async fn insert_session_whole(
    pool: &EmbeddedPool,
    new: &NewSession,
    event: &AuditEvent,
) -> Result<(), RepoError> {
    macro_rules! whole {
        ($($language:expr)?) => {
            concat!(
                "BEGIN; ",
                insert_session_sql!(),
                "; ",
                $($language, "; ",)?
                insert_event_sql!("$13", "$14", "$15", "$16", "$17", "$18", "$19", "$20", "$21"),
                "; COMMIT"
            )
        };
    }
    let sql = match new.language {
        // The language is `$22`, the account `$3` (the session's).
        Some(_) => whole!(first_language_sql!("$3", "$22")),
        None => whole!(),
    };
    let query = bind_event!(bind_session!(sqlx::query(sql), new), event);
    let query = match &new.language {
        Some(language) => query.bind(language.as_str()),
        None => query,
    };
    pool.transaction_sent_whole(query)
        .await
        .map(drop)
        .map_err(repo_error)
}

#[async_trait]
impl SessionRepo for Store {
    async fn insert_session(
        &self,
        new: &NewSession,
        audit: Option<&AuditEvent>,
    ) -> Result<(), RepoError> {
        if let (Store::Sqlite(pool), Some(event)) = (self, audit) {
            return insert_session_whole(pool, new, event).await;
        }
        audited!(self, audit, |tx| {
            bind_session!(sqlx::query(INSERT_SESSION), new)
                .execute(&mut *tx)
                .await
                .map_err(repo_error)?;
            if let Some(language) = &new.language {
                exec!(&mut *tx, FIRST_LANGUAGE, new.user_id.to_string(), language)?;
            }
            true
        })
        .map(|_| ())
    }

    async fn delete_series_sessions(&self, user: UserId, series: &str) -> Result<u64, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM sessions WHERE user_id = $1 AND remember_series = $2",
            user.to_string(),
            series
        ))
    }

    async fn find_session(&self, digest: &TokenDigest) -> Result<Option<StoredSession>, RepoError> {
        let row: Option<SessionRow> = on_pool!(self, |pool| {
            fetch!(
                pool,
                query_as,
                fetch_optional,
                sessions_with_owners!("WHERE s.token_hash = $1 AND u.locked = $2"),
                digest.to_hex(),
                false,
            )
        })?;
        let Some(row) = row else { return Ok(None) };
        let roles = self.roles_of(&row.user.id).await?;
        Ok(Some(row.into_stored(roles)?))
    }

    async fn list_user_sessions(&self, user: UserId) -> Result<Vec<StoredSession>, RepoError> {
        let rows: Vec<SessionRow> = on_pool!(self, |pool| {
            fetch!(
                pool,
                query_as,
                fetch_all,
                sessions_with_owners!("WHERE s.user_id = $1 ORDER BY s.last_seen_at DESC, s.id"),
                user.to_string(),
            )
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
            exec!(
                &mut *tx,
                "UPDATE sessions SET token_hash = $1, fresh_at = $2, fingerprint = $3, auth_methods = $4 \
                 WHERE id = $5 AND token_hash = $6",
                proof.digest.to_hex(),
                proof.fresh_at.unix_timestamp(),
                &proof.fingerprint,
                proof.methods.to_list(),
                &id.0,
                expected.to_hex(),
            )? > 0
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
            exec!(
                &mut *tx,
                "DELETE FROM remember_tokens WHERE series = (SELECT remember_series FROM sessions WHERE id = $1)",
                &id.0,
            )?;
            exec!(&mut *tx, "DELETE FROM sessions WHERE id = $1", &id.0)? > 0
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
            ended = exec!(
                &mut *tx,
                "DELETE FROM sessions WHERE $1 IS NULL OR user_id = $1",
                user.as_deref()
            )?;
            exec!(
                &mut *tx,
                "DELETE FROM remember_tokens WHERE $1 IS NULL OR user_id = $1",
                user.as_deref()
            )?;
            exec!(
                &mut *tx,
                "UPDATE users SET sign_out_epoch = sign_out_epoch + 1 WHERE $1 IS NULL OR id = $1",
                user.as_deref()
            )?;
            true
        })?;
        Ok(ended)
    }

    async fn set_session_series(&self, id: &SessionId, series: &str) -> Result<(), RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "UPDATE sessions SET remember_series = $1 WHERE id = $2",
            series,
            &id.0
        )
        .map(drop))
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
            exec!(&mut *tx, series, user.to_string(), &newest.0, others)?;
            ended = exec!(&mut *tx, sessions, user.to_string(), &newest.0, others)?;
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
            exec!(
                &mut *tx,
                "DELETE FROM remember_tokens WHERE user_id = $1 AND COALESCE(series <> \
                 (SELECT remember_series FROM sessions WHERE id = $2), TRUE)",
                user.to_string(),
                keep.map(|k| k.0.as_str())
            )?;
            ended = exec!(
                &mut *tx,
                "DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)",
                user.to_string(),
                keep.map(|k| k.0.as_str())
            )?;
            // A revocation is recorded even when there was nothing to end.
            true
        })?;
        Ok(ended)
    }

    async fn count_live_sessions(&self, now: OffsetDateTime) -> Result<i64, RepoError> {
        on_pool!(self, |pool| fetch!(
            pool,
            query_scalar,
            fetch_one,
            "SELECT COUNT(*) FROM sessions WHERE expires_at > $1",
            now.unix_timestamp()
        ))
    }

    async fn touch_sessions(&self, seen: &[(SessionId, OffsetDateTime)]) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            crate::backend::begin!(pool, tx);
            for (id, at) in seen {
                exec!(
                    &mut *tx,
                    "UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1",
                    at.unix_timestamp(),
                    &id.0
                )?;
            }
            tx.commit().await.map_err(repo_error)
        })
    }

    async fn delete_expired_sessions(
        &self,
        now: OffsetDateTime,
        idle_cutoff: OffsetDateTime,
    ) -> Result<u64, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
            now.unix_timestamp(),
            idle_cutoff.unix_timestamp()
        ))
    }
}
