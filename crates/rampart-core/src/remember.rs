//! Remember-me: a long-lived cookie (default 14 days) that signs a browser in
//! again when its session has ended.
//!
//! The cookie is `SELECTOR.VALIDATOR`, two 256-bit random values; the store
//! keeps the selector and only the SHA-256 of the validator. Every use rotates
//! it (a new selector and validator in the same series) and keeps the used one
//! marked. Presenting a used or wrong value means the cookie was copied: the
//! whole series is revoked, nobody is signed in, and the owner is mailed. A
//! used value seen again within a few seconds of its rotation is only refused
//! (parallel requests of one browser), not treated as theft. Theft also ends
//! every session the series started.
//!
//! A series' lifetime is absolute: it runs from the sign-in that started it
//! and is not extended by use, so a cookie used every day still ends. A
//! session restored from it is not fresh (see
//! [`crate::session::SessionService::restore`]). Turning on a second factor,
//! changing or resetting the password end every series of the account.

use crate::audit::{AuditTrail, ClientMeta, Outcome};
use crate::clock::Clock;
use crate::model::UserId;
use crate::model::audit::AuditKind;
use crate::model::mail::{MailTemplate, OutgoingMail};
pub use crate::model::remember::RememberRecord;
use crate::ports::{OutboxRepo, RememberRepo, RepoError, UserRepo};
use rampart_crypto::{TokenDigest, constant_time_eq, generate_token};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// What presenting a remember-me cookie led to.
#[derive(Debug)]
pub enum Redemption {
    /// Valid: sign `user_id` in and set `cookie` (the rotated value).
    SignIn {
        /// Whom to sign in.
        user_id: UserId,
        /// The new cookie value.
        cookie: SecretString,
        /// The series (the restored session records it).
        series: String,
        /// The series' end, unchanged by this use.
        expires_at: OffsetDateTime,
    },
    /// Unknown, expired or malformed: clear the cookie.
    Invalid,
    /// A copied cookie: the series is revoked; clear the cookie.
    Theft,
}

/// What [`RememberService`] works with.
pub struct RememberParts {
    /// Remember-me series.
    pub repo: Arc<dyn RememberRepo>,
    /// Accounts.
    pub users: Arc<dyn UserRepo>,
    /// The mail queue (theft warnings).
    pub outbox: Arc<dyn OutboxRepo>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// How long a cookie lives (default 14 days).
    pub ttl: Duration,
    /// The audit trail.
    pub audit: Arc<AuditTrail>,
    /// Sessions (a stolen series ends its own).
    pub sessions: Arc<crate::session::SessionService>,
}

/// Issues, redeems and revokes remember-me cookies.
pub struct RememberService {
    parts: RememberParts,
}

/// Used values seen again within this long of their rotation are refused
/// without calling it theft.
const RACE_GRACE: Duration = Duration::seconds(5);

fn split(cookie: &str) -> Option<(&str, &str)> {
    let (selector, validator) = cookie.split_once('.')?;
    let ok = |s: &str| rampart_crypto::token::looks_like_token(s);
    (ok(selector) && ok(validator)).then_some((selector, validator))
}

impl RememberService {
    /// A service with what it needs.
    pub fn new(parts: RememberParts) -> Self {
        Self { parts }
    }

    /// How long a cookie lives.
    pub fn ttl(&self) -> Duration {
        self.parts.ttl
    }

    /// The service's clock time (a cookie's remaining life is counted from it).
    pub fn now(&self) -> OffsetDateTime {
        self.parts.clock.now()
    }

    async fn issue_in(
        &self,
        user_id: UserId,
        series: String,
        expires_at: OffsetDateTime,
    ) -> Result<SecretString, RepoError> {
        let selector = generate_token();
        let validator = generate_token();
        let now = self.parts.clock.now();
        self.parts
            .repo
            .insert_remember(&RememberRecord {
                selector: selector.expose_secret().to_owned(),
                validator_digest: TokenDigest::of(validator.expose_secret()),
                series,
                user_id,
                created_at: now,
                expires_at,
                rotated_at: None,
            })
            .await?;
        Ok(SecretString::from(format!(
            "{}.{}",
            selector.expose_secret(),
            validator.expose_secret()
        )))
    }

    /// Starts a new series for a sign-in that asked to be remembered:
    /// the cookie, and the series (the session it came with records it).
    pub async fn issue(&self, user_id: UserId) -> Result<(SecretString, String), RepoError> {
        let expires_at = self.parts.clock.now() + self.parts.ttl;
        let series = uuid::Uuid::new_v4().to_string();
        let cookie = self.issue_in(user_id, series.clone(), expires_at).await?;
        Ok((cookie, series))
    }

    /// Checks a presented cookie, rotating it when valid.
    pub async fn redeem(&self, cookie: &str, client: &ClientMeta) -> Result<Redemption, RepoError> {
        let Some((selector, validator)) = split(cookie) else {
            return Ok(Redemption::Invalid);
        };
        let Some(record) = self.parts.repo.find_remember(selector).await? else {
            return Ok(Redemption::Invalid);
        };
        let now = self.parts.clock.now();
        let validator_ok =
            constant_time_eq(&TokenDigest::of(validator).0, &record.validator_digest.0);
        if let Some(rotated_at) = record.rotated_at
            && validator_ok
            && now - rotated_at < RACE_GRACE
        {
            return Ok(Redemption::Invalid);
        }
        if record.rotated_at.is_some() || !validator_ok {
            self.theft(&record, client).await?;
            return Ok(Redemption::Theft);
        }
        if now >= record.expires_at {
            self.parts
                .repo
                .delete_remember_series(&record.series, None)
                .await?;
            return Ok(Redemption::Invalid);
        }
        if !self.parts.repo.mark_remember_rotated(selector, now).await? {
            // A parallel request rotated it first.
            return Ok(Redemption::Invalid);
        }
        let cookie = self
            .issue_in(record.user_id, record.series.clone(), record.expires_at)
            .await?;
        Ok(Redemption::SignIn {
            user_id: record.user_id,
            cookie,
            series: record.series,
            expires_at: record.expires_at,
        })
    }

    async fn theft(&self, record: &RememberRecord, client: &ClientMeta) -> Result<(), RepoError> {
        tracing::warn!(user_id = %record.user_id, "a used remember-me cookie was presented again; its series is revoked");
        let user = self.parts.users.find_by_id(record.user_id).await?;
        let event = user.as_ref().map(|user| {
            self.parts.audit.event(
                AuditKind::RememberMeTheftDetected,
                user,
                client,
                Outcome::Failure,
                json!({"series_revoked": true}),
            )
        });
        self.parts
            .repo
            .delete_remember_series(&record.series, event.as_ref())
            .await?;
        let ended = self
            .parts
            .sessions
            .end_series(record.user_id, &record.series)
            .await
            .map_err(|e| e.0)?;
        tracing::warn!(user_id = %record.user_id, sessions = ended, "the sessions the stolen series started have ended");
        if let (Some(user), Some(event)) = (user, event) {
            self.parts.audit.committed(&event).await;
            self.parts
                .outbox
                .enqueue(
                    &OutgoingMail::for_user(
                        &user,
                        MailTemplate::RememberMeTheft,
                        json!({"username": user.username.as_str()}),
                    ),
                    self.parts.clock.now(),
                )
                .await?;
        }
        Ok(())
    }

    /// Revokes the series of a presented cookie (sign-out).
    pub async fn revoke(&self, cookie: &str) -> Result<(), RepoError> {
        if let Some((selector, _)) = split(cookie)
            && let Some(record) = self.parts.repo.find_remember(selector).await?
        {
            self.parts
                .repo
                .delete_remember_series(&record.series, None)
                .await?;
        }
        Ok(())
    }

    /// Revokes every series of a user (password change or reset).
    pub async fn revoke_all(&self, user_id: UserId) -> Result<(), RepoError> {
        self.parts.repo.delete_remember_for_user(user_id).await
    }
}
