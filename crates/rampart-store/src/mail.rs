//! Statements on `one_time_tokens` and `outbox`.

use crate::audit::audited;
use crate::backend::{Store, claim_sql, exec, fetch, on_pool};
use async_trait::async_trait;
use rampart_core::audit::AuditEvent;
use rampart_core::mail::{MailTemplate, OutgoingMail, QueuedMail};
use rampart_core::ports::{OneTimeTokenRepo, OutboxRepo, RepoError};
use rampart_core::recovery::{Purpose, Redeemed};
use rampart_core::{Email, UserId};
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
struct RedeemedRow {
    user_id: String,
    email: String,
}

impl RedeemedRow {
    fn into_redeemed(self) -> Result<Redeemed, RepoError> {
        let user_id = UserId::parse(&self.user_id).ok_or_else(|| {
            RepoError::Unavailable(format!("corrupt user id {:?}", self.user_id).into())
        })?;
        Ok(Redeemed {
            user_id,
            email: self.email,
        })
    }
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: String,
    user_id: Option<String>,
    recipient: String,
    template: String,
    context: String,
    attempts: i64,
    created_at: i64,
    language: Option<String>,
}

impl Store {
    /// Runs a statement that yields the (user_id, email) of a live token.
    async fn one_time(
        &self,
        sql: &'static str,
        digest: &TokenDigest,
        purpose: Purpose,
        now: OffsetDateTime,
    ) -> Result<Option<Redeemed>, RepoError> {
        let row: Option<RedeemedRow> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_optional,
            sql,
            digest.to_hex(),
            purpose.as_str(),
            now.unix_timestamp()
        ))?;
        row.map(RedeemedRow::into_redeemed).transpose()
    }
}

#[async_trait]
impl OneTimeTokenRepo for Store {
    async fn insert_one_time(
        &self,
        digest: &TokenDigest,
        purpose: Purpose,
        user: UserId,
        email: &str,
        expires_at: OffsetDateTime,
        audit: Option<&AuditEvent>,
    ) -> Result<(), RepoError> {
        audited!(self, audit, |tx| {
            exec!(
                &mut *tx,
                "INSERT INTO one_time_tokens (token_hash, purpose, user_id, email, expires_at) VALUES ($1, $2, $3, $4, $5)",
                digest.to_hex(),
                purpose.as_str(),
                user.to_string(),
                email,
                expires_at.unix_timestamp(),
            )?;
            true
        })
        .map(|_| ())
    }

    async fn peek_one_time(
        &self,
        digest: &TokenDigest,
        purpose: Purpose,
        now: OffsetDateTime,
    ) -> Result<Option<Redeemed>, RepoError> {
        self.one_time(
            "SELECT user_id, email FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3",
            digest,
            purpose,
            now,
        )
        .await
    }

    async fn take_one_time(
        &self,
        digest: &TokenDigest,
        purpose: Purpose,
        now: OffsetDateTime,
    ) -> Result<Option<Redeemed>, RepoError> {
        // DELETE … RETURNING: reading and using up the token is one statement,
        // so two concurrent clicks cannot both succeed.
        self.one_time(
            "DELETE FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3 RETURNING user_id, email",
            digest,
            purpose,
            now,
        )
        .await
    }

    async fn newest_one_time_expiry(
        &self,
        user: UserId,
        purpose: Purpose,
    ) -> Result<Option<OffsetDateTime>, RepoError> {
        let newest: Option<i64> = on_pool!(self, |pool| fetch!(
            pool,
            query_scalar,
            fetch_one,
            "SELECT MAX(expires_at) FROM one_time_tokens WHERE user_id = $1 AND purpose = $2",
            user.to_string(),
            purpose.as_str()
        ))?;
        Ok(newest.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()))
    }

    async fn delete_one_time_for_user(
        &self,
        user: UserId,
        purpose: Purpose,
    ) -> Result<(), RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM one_time_tokens WHERE user_id = $1 AND purpose = $2",
            user.to_string(),
            purpose.as_str()
        )
        .map(drop))
    }
}

#[async_trait]
impl OutboxRepo for Store {
    async fn enqueue(&self, mail: &OutgoingMail, now: OffsetDateTime) -> Result<(), RepoError> {
        let now = now.unix_timestamp();
        on_pool!(self, |pool| {
            exec!(
                pool,
                "INSERT INTO outbox (id, user_id, recipient, template, context, created_at, attempts, next_attempt_at, language) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT language FROM users WHERE id = $2))",
                uuid::Uuid::new_v4().to_string(),
                mail.user_id.map(|u| u.to_string()),
                mail.to.as_str(),
                mail.template.name(),
                mail.context.to_string(),
                now,
                0_i64,
                now,
            ).map(drop)
        })
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<QueuedMail>, RepoError> {
        let sql = claim_sql!(
            self,
            "outbox",
            "next_attempt_at <= $2",
            "id, user_id, recipient, template, context, attempts, created_at, \
             COALESCE(outbox.language, (SELECT language FROM users WHERE users.id = outbox.user_id)) AS language"
        );
        let mut rows: Vec<OutboxRow> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_all,
            sql,
            lease_until.unix_timestamp(),
            now.unix_timestamp(),
            limit
        ))?;
        rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let Some(template) = MailTemplate::parse(&row.template) else {
                    tracing::error!(id = %row.id, template = %row.template, "outbox row names an unknown mail template; it stays queued");
                    return None;
                };
                Some(QueuedMail {
                    id: row.id,
                    attempts: row.attempts,
                    language: row.language,
                    mail: OutgoingMail {
                        user_id: row.user_id.as_deref().and_then(UserId::parse),
                        to: Email::from_trusted(row.recipient),
                        template,
                        context: serde_json::from_str(&row.context).unwrap_or_default(),
                    },
                })
            })
            .collect())
    }

    async fn delivered(&self, id: &str) -> Result<(), RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM outbox WHERE id = $1",
            id
        )
        .map(drop))
    }

    async fn failed(
        &self,
        id: &str,
        next_attempt_at: OffsetDateTime,
        error: &str,
    ) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            exec!(
                pool,
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3",
                next_attempt_at.unix_timestamp(),
                error,
                id,
            ).map(drop)
        })
    }
}
