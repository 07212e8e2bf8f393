//! Statements on `external_identities` and `oidc_logins`.

use crate::audit::audited;
use crate::backend::{Store, exec, fetch, on_pool};
use crate::error::{corrupt_id, repo_error};
use crate::time::time_of;
use crate::users::insert_user_rows;
use crate::way_in::{lock_account, other_way_in};
use async_trait::async_trait;
use rampart_core::UserId;
use rampart_core::audit::AuditEvent;
use rampart_core::external::{LinkedIdentity, NewIdentity};
use rampart_core::model::NewUser;
use rampart_core::model::passkey::Removal;
use rampart_core::ports::{IdentityRepo, RepoError};
use rampart_core::provider::{PendingLogin, Purpose};
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

/// Inserts the link `$identity` through `$conn`.
macro_rules! insert_identity_row {
    ($conn:expr, $identity:expr) => {{
        let i: &NewIdentity = $identity;
        $crate::backend::exec!(
            $conn,
            "INSERT INTO external_identities (source, subject, user_id, email, linked_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
            &i.source,
            &i.subject,
            i.user_id.to_string(),
            i.email.as_deref(),
            i.at.unix_timestamp(),
        )?;
    }};
}

#[derive(sqlx::FromRow)]
struct IdentityRow {
    source: String,
    subject: String,
    email: Option<String>,
    linked_at: i64,
    last_used_at: i64,
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    visitor_hash: String,
    provider: String,
    sealed: String,
    next: String,
    purpose: String,
    user_id: Option<String>,
    expires_at: i64,
}

#[async_trait]
impl IdentityRepo for Store {
    async fn find_identity(
        &self,
        source: &str,
        subject: &str,
    ) -> Result<Option<UserId>, RepoError> {
        let id: Option<String> = on_pool!(self, |pool| fetch!(
            pool,
            query_scalar,
            fetch_optional,
            "SELECT user_id FROM external_identities WHERE source = $1 AND subject = $2",
            source,
            subject
        ))?;
        id.map(|id| UserId::parse(&id).ok_or_else(|| corrupt_id(&id)))
            .transpose()
    }

    async fn list_identities(&self, user: UserId) -> Result<Vec<LinkedIdentity>, RepoError> {
        let rows: Vec<IdentityRow> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_all,
            "SELECT source, subject, email, linked_at, last_used_at FROM external_identities \
             WHERE user_id = $1 ORDER BY linked_at, source, subject",
            user.to_string()
        ))?;
        Ok(rows
            .into_iter()
            .map(|r| LinkedIdentity {
                source: r.source,
                subject: r.subject,
                email: r.email,
                linked_at: time_of(r.linked_at),
                last_used_at: time_of(r.last_used_at),
            })
            .collect())
    }

    async fn insert_identity(
        &self,
        identity: &NewIdentity,
        audit: &AuditEvent,
    ) -> Result<(), RepoError> {
        audited!(self, Some(audit), |tx| {
            insert_identity_row!(&mut *tx, identity);
            true
        })
        .map(|_| ())
    }

    async fn insert_user_with_identity(
        &self,
        new: &NewUser,
        identity: &NewIdentity,
        audit: &AuditEvent,
    ) -> Result<(), RepoError> {
        audited!(self, Some(audit), |tx| {
            insert_user_rows!(&mut *tx, new);
            insert_identity_row!(&mut *tx, identity);
            true
        })
        .map(|_| ())
    }

    async fn touch_identity(
        &self,
        source: &str,
        subject: &str,
        email: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "UPDATE external_identities SET last_used_at = $1, email = COALESCE($2, email) \
             WHERE source = $3 AND subject = $4",
            at.unix_timestamp(),
            email,
            source,
            subject
        )
        .map(drop))
    }

    async fn delete_identity(
        &self,
        user: UserId,
        source: &str,
        subject: &str,
        audit: &AuditEvent,
    ) -> Result<Removal, RepoError> {
        let user = user.to_string();
        on_pool!(self, |pool| {
            async {
                crate::backend::begin!(pool, tx);
                lock_account!(&mut *tx, &user);
                let other_way_in: Option<bool> = fetch!(
                    &mut *tx,
                    query_scalar,
                    fetch_optional,
                    concat!(
                     "SELECT ",
                     other_way_in!(),
                     " FROM users WHERE id = $1 AND EXISTS (SELECT 1 FROM external_identities x \
                     WHERE x.user_id = users.id AND x.source = $2 AND x.subject = $3)"
                     ),
                    &user,
                    source,
                    subject,
                    "",
                )?;
                match other_way_in {
                    None => return Ok(Removal::NotFound),
                    Some(false) => return Ok(Removal::LastWayIn),
                    Some(true) => {}
                }
                exec!(
                    &mut *tx,
                    "DELETE FROM external_identities WHERE user_id = $1 AND source = $2 AND subject = $3",
                    &user,
                    source,
                    subject,
                )?;
                crate::audit::insert_event!(&mut *tx, audit)?;
                tx.commit().await.map_err(repo_error)?;
                Ok(Removal::Removed)
            }
            .await
        })
    }

    async fn insert_login(&self, login: &PendingLogin) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            exec!(
                pool,
                "INSERT INTO oidc_logins (state_hash, visitor_hash, provider, sealed, next, purpose, user_id, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                login.state_digest.to_hex(),
                login.visitor_digest.to_hex(),
                &login.provider,
                &login.sealed,
                &login.next,
                login.purpose.as_str(),
                login.purpose.user().map(|u| u.to_string()),
                login.expires_at.unix_timestamp(),
            ).map(drop)
        })
    }

    async fn take_login(
        &self,
        state: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<Option<PendingLogin>, RepoError> {
        // DELETE … RETURNING: of two callbacks with one state, one gets the row.
        let row: Option<LoginRow> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_optional,
            "DELETE FROM oidc_logins WHERE state_hash = $1 \
             RETURNING visitor_hash, provider, sealed, next, purpose, user_id, expires_at",
            state.to_hex()
        ))?;
        let Some(row) = row.filter(|r| r.expires_at > now.unix_timestamp()) else {
            return Ok(None);
        };
        let visitor_digest = TokenDigest::from_hex(&row.visitor_hash)
            .ok_or_else(|| RepoError::Unavailable("corrupt digest in oidc_logins".into()))?;
        let user = row
            .user_id
            .map(|id| UserId::parse(&id).ok_or_else(|| corrupt_id(&id)))
            .transpose()?;
        let purpose = Purpose::from_parts(&row.purpose, user)
            .ok_or_else(|| RepoError::Unavailable("corrupt purpose in oidc_logins".into()))?;
        Ok(Some(PendingLogin {
            state_digest: *state,
            visitor_digest,
            provider: row.provider,
            sealed: row.sealed,
            next: row.next,
            purpose,
            expires_at: time_of(row.expires_at),
        }))
    }

    async fn delete_expired_logins(&self, now: OffsetDateTime) -> Result<u64, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM oidc_logins WHERE expires_at <= $1",
            now.unix_timestamp()
        ))
    }
}
