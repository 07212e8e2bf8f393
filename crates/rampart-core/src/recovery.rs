//! Mailed one-time links: password reset and e-mail verification.
//!
//! Each link carries a 256-bit token of which only the SHA-256 is stored, with
//! a purpose, an expiry (reset: 30 minutes by default; verification: 24 h) and
//! the address it was sent to. Redeeming deletes it in the same statement that
//! reads it, so a link works once even under concurrent clicks. Asking for a
//! reset answers the same, after the same work, whether or not the account
//! exists: the lookup and mail happen in a background task.

use crate::audit::{AuditTrail, ClientMeta, Outcome};
use crate::clock::Clock;
use crate::model::audit::AuditKind;
use crate::model::mail::{MailTemplate, OutgoingMail};
pub use crate::model::recovery::{Purpose, Redeemed};
use crate::model::{Email, FieldProblem, User, UserId};
use crate::password::{HashPool, PasswordPolicy, PoolBusy};
use crate::ports::{LoginKey, OneTimeTokenRepo, OutboxRepo, RepoError, UserRepo};
use crate::rate::{Limited, RateError, RateLimits};
use crate::session::{SessionId, SessionService};
use rampart_crypto::{PasswordHashError, TokenDigest, generate_token};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::sync::Arc;
use time::Duration;

/// Why a reset or verification failed.
#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    /// Unknown, used or expired token.
    #[error("the link is invalid, already used or expired")]
    InvalidToken,
    /// The new password breaks the policy.
    #[error("the new password is not acceptable")]
    Invalid(Vec<FieldProblem>),
    /// Too many hashes in progress.
    #[error(transparent)]
    Busy(#[from] PoolBusy),
    /// The database failed.
    #[error("the account store is unavailable")]
    Store(#[from] RepoError),
    /// Hashing failed.
    #[error("the password could not be hashed")]
    Hash(#[from] PasswordHashError),
    /// Asked again too soon; retry after this many seconds.
    #[error("a mail was sent moments ago")]
    Throttled(i64),
    /// Ending sessions failed.
    #[error(transparent)]
    Sessions(#[from] crate::session::SessionError),
}

/// Lifetimes of mailed links.
#[derive(Debug, Clone)]
pub struct RecoveryConfig {
    /// Password reset links (default 30 minutes).
    pub reset_ttl: Duration,
    /// Verification links (default 24 hours).
    pub verify_ttl: Duration,
    /// The public base URL links point at.
    pub base_url: String,
}

/// What [`RecoveryService`] works with.
pub struct RecoveryParts {
    /// Accounts.
    pub users: Arc<dyn UserRepo>,
    /// One-time tokens (reset and verification links).
    pub tokens: Arc<dyn OneTimeTokenRepo>,
    /// The mail queue.
    pub outbox: Arc<dyn OutboxRepo>,
    /// Sessions (ended when a password is reset).
    pub sessions: Arc<SessionService>,
    /// Remember-me series (revoked with the sessions).
    pub remember: Arc<crate::remember::RememberService>,
    /// Password hashing.
    pub pool: HashPool,
    /// The password policy.
    pub policy: PasswordPolicy,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Link lifetimes and the base URL.
    pub config: RecoveryConfig,
    /// The audit trail.
    pub audit: Arc<AuditTrail>,
    /// Rate limits on mail requests.
    pub limits: Arc<RateLimits>,
    /// API tokens (revoked when a password is reset).
    pub api_tokens: Arc<crate::token::TokenService>,
    /// The sign-in throttle (a reset ends the account-wide lock).
    pub throttle: Arc<crate::throttle::LoginThrottle>,
}

/// Password reset and e-mail verification.
pub struct RecoveryService {
    parts: RecoveryParts,
}

impl RecoveryService {
    /// Builds the service.
    pub fn new(parts: RecoveryParts) -> Self {
        Self { parts }
    }

    /// Counts a mail request against the per-address and per-client limits.
    async fn mail_allowed(&self, email: &str, client: &ClientMeta) -> Result<(), RecoveryError> {
        match self.parts.limits.mail(email, client.ip).await {
            Ok(()) => Ok(()),
            Err(RateError::Limited(Limited(wait))) => {
                Err(RecoveryError::Throttled(wait.whole_seconds()))
            }
            Err(RateError::Store(err)) => Err(err.into()),
        }
    }

    fn link(&self, path: &str, token: &SecretString) -> String {
        format!(
            "{}{path}?token={}",
            self.parts.config.base_url.trim_end_matches('/'),
            token.expose_secret()
        )
    }

    async fn issue(
        &self,
        purpose: Purpose,
        user: &User,
        ttl: Duration,
        audit: Option<&crate::audit::AuditEvent>,
    ) -> Result<SecretString, RepoError> {
        let token = generate_token();
        let expires_at = self.parts.clock.now() + ttl;
        self.parts
            .tokens
            .insert_one_time(
                &TokenDigest::of(token.expose_secret()),
                purpose,
                user.id,
                user.email.as_str(),
                expires_at,
                audit,
            )
            .await?;
        Ok(token)
    }

    /// Sends the verification link for the user's current address.
    pub async fn send_verification(&self, user: &User) -> Result<(), RepoError> {
        let token = self
            .issue(
                Purpose::VerifyEmail,
                user,
                self.parts.config.verify_ttl,
                None,
            )
            .await?;
        self.parts.outbox
            .enqueue(&OutgoingMail::for_user(
                user,
                MailTemplate::VerifyEmail,
                json!({"username": user.username.as_str(), "link": self.link("/verify-email", &token)}),
            ), self.parts.clock.now())
            .await
    }

    /// Starts a password reset for `email` in the background and returns at
    /// once: the caller answers the same whether or not the account exists.
    /// Refused (before anything is looked up) when the address or the client
    /// asked too often.
    pub async fn request_reset(
        self: &Arc<Self>,
        email: &str,
        client: &ClientMeta,
    ) -> Result<(), RecoveryError> {
        self.mail_allowed(email.trim(), client).await?;
        let this = self.clone();
        let email = email.trim().to_owned();
        let client = client.clone();
        tokio::spawn(async move {
            if let Err(err) = this.send_reset(&email, &client).await {
                tracing::error!(error = %err, "could not queue a password reset mail");
            }
        });
        Ok(())
    }

    async fn send_reset(&self, email: &str, client: &ClientMeta) -> Result<(), RepoError> {
        if Email::parse(email).is_err() {
            return Ok(());
        }
        let key = email.to_lowercase();
        let found = self
            .parts
            .users
            .find_credentials(LoginKey::Email(&key))
            .await?;
        let Some(user) = found.map(|f| f.user).filter(|u| !u.locked) else {
            return self
                .parts
                .audit
                .record_about(
                    AuditKind::PasswordResetRequested,
                    None,
                    Some(email),
                    client,
                    Outcome::Failure,
                    json!({"reason": "no_such_account"}),
                )
                .await;
        };
        self.mail_reset_link(&user, client, "owner").await
    }

    /// Mails `user` a password-reset link; `by` (`owner` or `operator`) is
    /// who asked. An operator never sees the link.
    pub async fn mail_reset_link(
        &self,
        user: &User,
        client: &ClientMeta,
        by: &str,
    ) -> Result<(), RepoError> {
        let event = self.parts.audit.success(
            AuditKind::PasswordResetRequested,
            user,
            client,
            json!({"by": by}),
        );
        let token = self
            .issue(
                Purpose::PasswordReset,
                user,
                self.parts.config.reset_ttl,
                Some(&event),
            )
            .await?;
        self.parts.audit.committed(&event).await;
        self.parts
            .outbox
            .enqueue(
                &OutgoingMail::for_user(
                    user,
                    MailTemplate::PasswordReset,
                    json!({
                        "username": user.username.as_str(),
                        "link": self.link("/password/reset", &token),
                        "minutes": self.parts.config.reset_ttl.whole_minutes(),
                    }),
                ),
                self.parts.clock.now(),
            )
            .await
    }

    /// The live reset token `token`, without using it up.
    async fn peek_reset(&self, token: &str) -> Result<Option<Redeemed>, RepoError> {
        self.parts
            .tokens
            .peek_one_time(
                &TokenDigest::of(token),
                Purpose::PasswordReset,
                self.parts.clock.now(),
            )
            .await
    }

    /// True when `token` is a live reset token (the form is worth showing).
    pub async fn reset_token_is_live(&self, token: &str) -> Result<bool, RepoError> {
        Ok(self.peek_reset(token).await?.is_some())
    }

    /// The account a live reset token is for, if any.
    pub async fn reset_holder(&self, token: &str) -> Result<Option<User>, RepoError> {
        match self.peek_reset(token).await? {
            Some(pending) => self.parts.users.find_by_id(pending.user_id).await,
            None => Ok(None),
        }
    }

    /// Ends a reset by a new passkey instead of a password (an account with
    /// no password, whose passkeys are lost): the token is used up and, as
    /// after any reset, everything else that could act as the account ends
    /// and the owner is told.
    pub async fn reset_by_passkey(
        &self,
        token: &str,
        user: &User,
        client: &ClientMeta,
    ) -> Result<(), RecoveryError> {
        let redeemed = self.redeem(token, Purpose::PasswordReset).await?;
        if redeemed.user_id != user.id {
            return Err(RecoveryError::InvalidToken);
        }
        self.parts.audit
            .record(
                AuditKind::PasswordReset,
                user,
                client,
                Outcome::Success,
                json!({"with": "passkey", "ended": ["sessions", "remember_me", "known_devices", "tokens"]}),
            )
            .await?;
        self.after_reset(user).await
    }

    /// What follows every reset: the account's personal access tokens are
    /// revoked, its account-wide lock ends (the owner proved the mailbox),
    /// and everything else that could act as it ends, with the mail.
    async fn after_reset(&self, user: &User) -> Result<(), RecoveryError> {
        self.parts.api_tokens.revoke_all(user.id).await?;
        self.parts
            .throttle
            .clear_account(
                &user.id.to_string(),
                &[user.username.as_str(), user.email.as_str()],
            )
            .await?;
        self.ended_everything(user, None, true).await
    }

    /// Sets a new password with a reset token: the token is used up, every
    /// other reset token of the user dies, and everything that could still
    /// act as the account ends (every session, remember-me series, known
    /// device and personal access token: whoever took the account over
    /// keeps nothing); the user is told by mail.
    pub async fn reset_password(
        &self,
        token: &str,
        password: SecretString,
        client: &ClientMeta,
    ) -> Result<UserId, RecoveryError> {
        let digest = TokenDigest::of(token);
        let now = self.parts.clock.now();
        let Some(pending) = self
            .parts
            .tokens
            .peek_one_time(&digest, Purpose::PasswordReset, now)
            .await?
        else {
            return Err(RecoveryError::InvalidToken);
        };
        let Some(user) = self.parts.users.find_by_id(pending.user_id).await? else {
            return Err(RecoveryError::InvalidToken);
        };
        let problems = self.parts.policy.check(
            &password,
            Some(user.username.as_str()),
            Some(user.email.as_str()),
        );
        if !problems.is_empty() {
            // The token stays usable: the user may try another password.
            return Err(RecoveryError::Invalid(problems));
        }
        let hash = self.parts.pool.run(move |h| h.hash(&password)).await??;
        self.redeem(token, Purpose::PasswordReset).await?;
        let event = self.parts.audit.success(
            AuditKind::PasswordReset,
            &user,
            client,
            json!({"ended": ["sessions", "remember_me", "known_devices", "tokens"]}),
        );
        self.parts
            .users
            .set_password_hash(user.id, &hash, Some(&event))
            .await?;
        self.parts.audit.committed(&event).await;
        self.after_reset(&user).await?;
        Ok(user.id)
    }

    /// What follows any password change: outstanding reset links die, every
    /// remember-me series and every session but `keep` ends, and the owner is
    /// told.
    pub async fn password_changed(
        &self,
        user: &User,
        keep: Option<&SessionId>,
    ) -> Result<(), RecoveryError> {
        self.ended_everything(user, keep, false).await
    }

    async fn ended_everything(
        &self,
        user: &User,
        keep: Option<&SessionId>,
        reset: bool,
    ) -> Result<(), RecoveryError> {
        if user.must_change_password {
            self.parts
                .users
                .set_must_change_password(user.id, false)
                .await?;
        }
        self.parts
            .tokens
            .delete_one_time_for_user(user.id, Purpose::PasswordReset)
            .await?;
        // Remember-me cookies die too, this browser's included.
        self.parts.remember.revoke_all(user.id).await?;
        self.parts.sessions.end_all_except(user.id, keep).await?;
        self.parts.outbox
            .enqueue(&OutgoingMail::for_user(
                user,
                MailTemplate::PasswordChanged,
                json!({"username": user.username.as_str(), "base_url": self.parts.config.base_url, "reset": reset}),
            ), self.parts.clock.now())
            .await?;
        Ok(())
    }

    /// Sends the verification link again, at most once every 5 minutes.
    pub async fn resend_verification(
        &self,
        user: &User,
        client: &ClientMeta,
    ) -> Result<(), RecoveryError> {
        let now = self.parts.clock.now();
        if let Some(expires_at) = self
            .parts
            .tokens
            .newest_one_time_expiry(user.id, Purpose::VerifyEmail)
            .await?
        {
            let issued_at = expires_at - self.parts.config.verify_ttl;
            let wait = (issued_at + Duration::minutes(5) - now).whole_seconds();
            if wait > 0 {
                return Err(RecoveryError::Throttled(wait));
            }
        }
        self.mail_allowed(user.email.as_str(), client).await?;
        self.send_verification(user).await?;
        Ok(())
    }

    /// Starts a change of e-mail address: a link to the new address (which
    /// makes the change when followed) and a notice to the old one.
    pub async fn request_email_change(
        &self,
        user: &User,
        new_email: &str,
    ) -> Result<(), RecoveryError> {
        let new_email = Email::parse(new_email).map_err(|p| RecoveryError::Invalid(vec![p]))?;
        if new_email.key() == user.email.key() {
            return Err(RecoveryError::Invalid(vec![FieldProblem::new(
                "email",
                "problem-email-same",
                "That is already your e-mail address.",
            )]));
        }
        if self
            .parts
            .users
            .find_credentials(LoginKey::Email(&new_email.key()))
            .await?
            .is_some()
        {
            return Err(RecoveryError::Invalid(vec![FieldProblem::new(
                "email",
                "problem-email-used",
                "Another account uses that e-mail address.",
            )]));
        }
        let token = generate_token();
        self.parts
            .tokens
            .insert_one_time(
                &TokenDigest::of(token.expose_secret()),
                Purpose::ChangeEmail,
                user.id,
                new_email.as_str(),
                self.parts.clock.now() + self.parts.config.verify_ttl,
                None,
            )
            .await?;
        self.parts.outbox
            .enqueue(&OutgoingMail {
                user_id: Some(user.id),
                to: new_email.clone(),
                template: MailTemplate::EmailChangeConfirm,
                context: json!({"username": user.username.as_str(), "link": self.link("/account/email/confirm", &token)}),
            }, self.parts.clock.now())
            .await?;
        self.parts.outbox
            .enqueue(&OutgoingMail::for_user(
                user,
                MailTemplate::EmailChangeNotice,
                json!({"username": user.username.as_str(), "new_email": new_email.as_str(), "base_url": self.parts.config.base_url}),
            ), self.parts.clock.now())
            .await?;
        tracing::info!(user_id = %user.id, "e-mail change requested");
        Ok(())
    }

    /// Completes a change of e-mail address with the token mailed to the new
    /// address (once); the new address counts as verified.
    pub async fn confirm_email_change(&self, token: &str) -> Result<UserId, RecoveryError> {
        let redeemed = self.redeem(token, Purpose::ChangeEmail).await?;
        let email = Email::from_trusted(redeemed.email);
        match self
            .parts
            .users
            .change_email(redeemed.user_id, &email)
            .await
        {
            Ok(()) => {}
            Err(RepoError::Conflict(_)) => {
                return Err(RecoveryError::Invalid(vec![FieldProblem::new(
                    "email",
                    "problem-email-taken-meanwhile",
                    "Another account took that e-mail address in the meantime.",
                )]));
            }
            Err(other) => return Err(other.into()),
        }
        self.parts
            .tokens
            .delete_one_time_for_user(redeemed.user_id, Purpose::VerifyEmail)
            .await?;
        self.parts.sessions.forget_user(redeemed.user_id);
        tracing::info!(user_id = %redeemed.user_id, "e-mail address changed");
        Ok(redeemed.user_id)
    }

    /// Uses up a live token of `purpose` (once), or fails with `InvalidToken`.
    async fn redeem(&self, token: &str, purpose: Purpose) -> Result<Redeemed, RecoveryError> {
        self.parts
            .tokens
            .take_one_time(&TokenDigest::of(token), purpose, self.parts.clock.now())
            .await?
            .ok_or(RecoveryError::InvalidToken)
    }

    /// Confirms an address with a verification token (once).
    pub async fn verify_email(
        &self,
        token: &str,
        client: &ClientMeta,
    ) -> Result<UserId, RecoveryError> {
        let redeemed = self.redeem(token, Purpose::VerifyEmail).await?;
        // The event names the account by id and by username, like every
        // event about an existing account.
        let Some(user) = self.parts.users.find_by_id(redeemed.user_id).await? else {
            return Err(RecoveryError::InvalidToken);
        };
        let event = self
            .parts
            .audit
            .success(AuditKind::EmailVerified, &user, client, json!({}));
        if !self
            .parts
            .users
            .mark_email_verified(redeemed.user_id, &redeemed.email.to_lowercase(), &event)
            .await?
        {
            // The address changed since the mail was sent.
            return Err(RecoveryError::InvalidToken);
        }
        self.parts.audit.committed(&event).await;
        Ok(redeemed.user_id)
    }
}
