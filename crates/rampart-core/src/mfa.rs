//! The second factor: TOTP enrolment and checks, recovery codes, the
//! half-authenticated step between password and code, "remember this
//! device", and re-encryption of secrets when keys rotate.
//!
//! Rules this module owns:
//! - a TOTP secret is stored only encrypted by the key ring, bound to its
//!   user; it is enabled only once the user proves it with a valid code;
//! - every accepted code advances the user's last step, so a code (or an
//!   older one) is never accepted twice;
//! - wrong codes count as failed sign-ins of the account (the same
//!   progressive lock-out as wrong passwords);
//! - recovery codes are random, shown once, stored as salted Argon2id
//!   hashes found by a keyed locator ([`crate::recovery_code`]), single use;
//! - a password alone never yields a session: it yields a short-lived
//!   challenge ([`CHALLENGE_PREFIX`] token) that is good for nothing but
//!   answering it.
//!
//! It does not decide how pages look or which password check precedes it.

use crate::audit::{AuditTrail, ClientMeta, Outcome};
use crate::clock::Clock;
use crate::model::audit::AuditKind;
use crate::model::mail::{MailTemplate, OutgoingMail};
use crate::model::mfa::StoredRecoveryCode;
use crate::model::{User, UserId};
use crate::password::{HashPool, PoolBusy};
use crate::ports::{
    KeySource, KeysUnavailable, LoginKey, MfaChallenge, MfaRepo, OutboxRepo, RepoError, UserRepo,
};
use crate::recovery_code::{self, TypedCode};
use crate::throttle::{Locked, LoginThrottle, Target};
use data_encoding::BASE64URL_NOPAD;
use rampart_crypto::keyring::key_id_of;
use rampart_crypto::{
    PasswordHashError, TokenDigest, constant_time_eq, generate_token, hmac_sha256, otp,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

/// Marks a challenge token (held in the session cookie between password
/// and code). It is not a session: every page but `/login/mfa` treats its
/// holder as anonymous.
pub const CHALLENGE_PREFIX: &str = "mfa.";
/// How many recovery codes a set has.
pub const RECOVERY_CODES: usize = 10;

/// Which accounts must have a second factor (`mfa.required`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MfaRequirement {
    /// None must.
    #[default]
    Off,
    /// Accounts holding any administrative permission.
    Privileged,
    /// Every account.
    All,
}

impl MfaRequirement {
    /// True when `user` must have a second factor.
    pub fn applies_to(self, user: &User, roles: &crate::permission::RoleBook) -> bool {
        match self {
            Self::Off => false,
            Self::Privileged => roles.is_staff(user),
            Self::All => true,
        }
    }
}

/// Second-factor settings.
#[derive(Debug, Clone)]
pub struct MfaConfig {
    /// Which accounts must have a second factor.
    pub required: MfaRequirement,
    /// The issuer shown by authenticator apps (default: the site name).
    pub issuer: String,
    /// How long a password-verified sign-in may wait for its code.
    pub challenge_ttl: Duration,
    /// "Remember this device" lifetime; `None` turns the feature off.
    pub remember_device_for: Option<Duration>,
    /// The public URL, for links in mails.
    pub base_url: String,
    /// TOTP clock-drift window: codes of this many 30-second steps either
    /// side of now are accepted (`mfa.totp_skew_steps`, default 1); each
    /// step is accepted once.
    pub totp_skew_steps: u16,
}

/// Why a second-factor action failed.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    /// The code is wrong, used already, or outside the time window.
    #[error("the code is not valid")]
    InvalidCode,
    /// Too many failures for this account; retry after this long.
    #[error("too many failed attempts")]
    Throttled(Duration),
    /// TOTP is already on; disable it first.
    #[error("two-factor authentication is already enabled")]
    AlreadyEnabled,
    /// There is no (pending or enabled) enrolment to act on.
    #[error("two-factor authentication is not set up")]
    NotEnrolled,
    /// No account has that username.
    #[error("no user is called {0:?}")]
    NoSuchUser(String),
    /// The database failed.
    #[error("the second-factor store is unavailable")]
    Store(#[from] RepoError),
    /// The key ring could not be read.
    #[error(transparent)]
    Keys(#[from] KeysUnavailable),
    /// A stored secret does not decrypt, or TOTP could not be set up.
    #[error("a stored second-factor secret is unusable: {0}")]
    Secret(String),
    /// The hashing threads are full (recovery codes are hashed like
    /// passwords).
    #[error(transparent)]
    Busy(#[from] PoolBusy),
    /// A recovery code could not be hashed, or a stored hash is unreadable.
    #[error("a recovery code could not be hashed: {0}")]
    Hashing(#[from] PasswordHashError),
}

/// A new enrolment to show the user once.
pub struct Enrolment {
    /// The secret in base32, for typing into an app.
    pub secret: Zeroizing<String>,
    /// The `otpauth://` URI.
    pub otpauth_uri: Zeroizing<String>,
    /// The URI as a QR code, an inline `<svg>`.
    pub qr_svg: String,
}

/// Recovery codes in clear, shown once.
pub struct RecoveryCodes(pub Vec<Zeroizing<String>>);

/// Which factor answered a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// A TOTP code.
    Totp,
    /// A recovery code; this many are left.
    RecoveryCode {
        /// Unused codes after this one.
        remaining: i64,
    },
}

/// What the account page shows.
#[derive(Debug, Clone, Copy)]
pub struct MfaStatus {
    /// TOTP is on.
    pub enabled: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

/// At or below this many unused recovery codes, the account page asks for
/// a new set (one lost phone away from an operator's reset).
pub const RECOVERY_CODES_LOW: i64 = 3;

impl MfaStatus {
    /// How many recovery codes are left, when TOTP is on and they run low.
    pub fn codes_running_low(&self) -> Option<i64> {
        (self.enabled && self.recovery_codes_left <= RECOVERY_CODES_LOW)
            .then_some(self.recovery_codes_left)
    }
}

/// Everything about second factors.
pub struct MfaService {
    repo: Arc<dyn MfaRepo>,
    users: Arc<dyn UserRepo>,
    outbox: Arc<dyn OutboxRepo>,
    throttle: Arc<LoginThrottle>,
    audit: Arc<AuditTrail>,
    keys: Arc<dyn KeySource>,
    clock: Arc<dyn Clock>,
    mac_key: Zeroizing<[u8; 32]>,
    config: MfaConfig,
    remember: Arc<crate::remember::RememberService>,
    devices: Arc<crate::device::KnownDevices>,
    pool: HashPool,
    dummy_hash: String,
    /// Accounts whose new recovery codes are being hashed: one set at a
    /// time per account, so that one person's parallel requests cannot fill
    /// the hashing queue everyone's sign-ins wait in.
    generating: std::sync::Mutex<std::collections::HashSet<UserId>>,
    /// Each account's [`MfaStatus`], which the account page shows on every
    /// visit; forgotten after every write of this service that changes it.
    statuses: crate::cache::AccountCache<MfaStatus>,
}

/// An account's recovery codes being hashed; the mark goes when dropped.
struct Generating<'a> {
    set: &'a std::sync::Mutex<std::collections::HashSet<UserId>>,
    user: UserId,
}

impl<'a> Generating<'a> {
    /// `None` while a set is already being hashed for `user`.
    fn start(
        set: &'a std::sync::Mutex<std::collections::HashSet<UserId>>,
        user: UserId,
    ) -> Option<Self> {
        let mut marks = set
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        marks.insert(user).then(|| Generating { set, user })
    }
}

impl Drop for Generating<'_> {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.user);
    }
}

/// The collaborators of [`MfaService`].
pub struct MfaParts {
    /// Enrolments, codes and challenges.
    pub repo: Arc<dyn MfaRepo>,
    /// Accounts.
    pub users: Arc<dyn UserRepo>,
    /// Mail.
    pub outbox: Arc<dyn OutboxRepo>,
    /// The sign-in lock-out wrong codes count toward.
    pub throttle: Arc<LoginThrottle>,
    /// The audit trail.
    pub audit: Arc<AuditTrail>,
    /// The encryption keys.
    pub keys: Arc<dyn KeySource>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Keys the recovery-code MACs and device cookies (derived from the
    /// secret key).
    pub mac_key: Zeroizing<[u8; 32]>,
    /// Remember-me series, which end when a second factor is turned on
    /// (they proved only a password).
    pub remember: Arc<crate::remember::RememberService>,
    /// Known devices, exempt from the account-wide lock-out.
    pub devices: Arc<crate::device::KnownDevices>,
    /// The hashing threads (recovery codes are stored as Argon2id hashes).
    pub pool: HashPool,
    /// A hash of nothing, verified when a typed recovery code finds no row,
    /// so a code that meets no row costs what one that meets a row does.
    pub dummy_hash: String,
}

fn secret_context(user: UserId) -> Vec<u8> {
    format!("rampart/totp-secret/v1/{user}").into_bytes()
}

fn unix_seconds(t: OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp()).unwrap_or(0)
}

impl MfaService {
    /// The service.
    pub fn new(parts: MfaParts, config: MfaConfig) -> Self {
        Self {
            devices: parts.devices,
            remember: parts.remember,
            repo: parts.repo,
            users: parts.users,
            outbox: parts.outbox,
            throttle: parts.throttle,
            audit: parts.audit,
            keys: parts.keys,
            clock: parts.clock,
            mac_key: parts.mac_key,
            pool: parts.pool,
            dummy_hash: parts.dummy_hash,
            generating: std::sync::Mutex::default(),
            statuses: crate::cache::AccountCache::default(),
            config,
        }
    }

    /// Passes on the result of a write that may change the account's
    /// [`MfaStatus`], forgetting the kept one (after the write, whether or
    /// not it succeeded, so a read in flight cannot keep the old one).
    fn changed<T>(&self, user: UserId, written: T) -> T {
        self.statuses.forget(user);
        written
    }

    /// The settings.
    pub fn config(&self) -> &MfaConfig {
        &self.config
    }

    /// True when the user must give a second factor at sign-in.
    pub async fn is_enabled(&self, user: UserId) -> Result<bool, MfaError> {
        Ok(self.repo.find_totp(user).await?.is_some_and(|t| t.enabled))
    }

    /// Whether TOTP is on, and how many recovery codes are left.
    /// Kept per account until it changes (see [`crate::cache::AccountCache`]).
    pub async fn status(&self, user: UserId) -> Result<MfaStatus, MfaError> {
        self.statuses
            .get_or_read(user, || async {
                let enabled = self.is_enabled(user).await?;
                let recovery_codes_left = if enabled {
                    self.repo.count_recovery_codes(user).await?
                } else {
                    0
                };
                Ok(MfaStatus {
                    enabled,
                    recovery_codes_left,
                })
            })
            .await
    }

    fn decrypt(&self, user: UserId, ciphertext: &str) -> Result<Zeroizing<Vec<u8>>, MfaError> {
        self.keys
            .key_ring()?
            .decrypt(ciphertext, &secret_context(user))
            .map_err(|e| MfaError::Secret(e.to_string()))
    }

    /// Starts (or shows again) an enrolment: a pending secret, its URI and QR
    /// code. Nothing changes for sign-in until [`Self::confirm_enrolment`].
    pub async fn begin_enrolment(&self, user: &User) -> Result<Enrolment, MfaError> {
        let secret = match self.repo.find_totp(user.id).await? {
            Some(t) if t.enabled => return Err(MfaError::AlreadyEnabled),
            Some(pending) => self.decrypt(user.id, &pending.ciphertext)?,
            None => {
                let secret = otp::new_totp_secret();
                let sealed = self
                    .keys
                    .key_ring()?
                    .encrypt(&secret, &secret_context(user.id))
                    .map_err(|e| MfaError::Secret(e.to_string()))?;
                if !self
                    .repo
                    .put_pending_totp(user.id, &sealed, self.clock.now())
                    .await?
                {
                    return Err(MfaError::AlreadyEnabled);
                }
                secret
            }
        };
        let otpauth_uri = otp::otpauth_uri(&secret, &self.config.issuer, user.username.as_str())
            .map_err(|e| MfaError::Secret(e.to_string()))?;
        let qr_svg = otp::qr_svg(&otpauth_uri).map_err(|e| MfaError::Secret(e.to_string()))?;
        Ok(Enrolment {
            secret: otp::secret_base32(&secret),
            otpauth_uri,
            qr_svg,
        })
    }

    /// Enables TOTP when `code` is valid for the pending secret; returns the
    /// recovery codes (shown once). Remember-me series made with the password
    /// alone end, so every later sign-in goes through the second factor.
    pub async fn confirm_enrolment(
        &self,
        user: &User,
        code: &str,
        client: &ClientMeta,
    ) -> Result<RecoveryCodes, MfaError> {
        let pending = match self.repo.find_totp(user.id).await? {
            Some(t) if t.enabled => return Err(MfaError::AlreadyEnabled),
            Some(t) => t,
            None => return Err(MfaError::NotEnrolled),
        };
        let secret = self.decrypt(user.id, &pending.ciphertext)?;
        let Some(step) = otp::matching_step(
            &secret,
            code,
            unix_seconds(self.clock.now()),
            self.config.totp_skew_steps,
        ) else {
            return Err(MfaError::InvalidCode);
        };
        let (codes, stored) = self.new_codes(user.id).await?;
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        let event = self.audit.success(
            AuditKind::MfaEnabled,
            user,
            client,
            json!({"method": "totp"}),
        );
        let enabled = self.repo.enable_totp(user.id, step, &stored, &event).await;
        if !self.changed(user.id, enabled)? {
            return Err(MfaError::NotEnrolled);
        }
        self.audit.committed(&event).await;
        // Every remember-me series proved a password only: from now on a
        // sign-in needs the second factor too, so they end.
        self.remember.revoke_all(user.id).await?;
        self.mail_change(user, "enabled").await?;
        Ok(codes)
    }

    /// A new set of codes: in clear, and as stored (hashed on one hashing
    /// thread, one Argon2id run per code).
    async fn new_codes(
        &self,
        user: UserId,
    ) -> Result<(RecoveryCodes, Vec<StoredRecoveryCode>), MfaError> {
        let _one_at_a_time = Generating::start(&self.generating, user).ok_or(PoolBusy)?;
        let key = self.mac_key.clone();
        let (codes, stored) = self
            .pool
            .run(move |hasher| recovery_code::new_set(hasher, key.as_slice(), user, RECOVERY_CODES))
            .await??;
        Ok((RecoveryCodes(codes), stored))
    }

    /// The stored verifier of the recovery code `canonical`, when `user`
    /// holds it: one Argon2id run whether or not a row is found.
    async fn find_recovery_code(
        &self,
        user: UserId,
        canonical: String,
    ) -> Result<Option<String>, MfaError> {
        let typed = TypedCode::new(self.mac_key.as_slice(), user, Zeroizing::new(canonical));
        let [current, wrapped] = typed.locators();
        let rows = self
            .repo
            .recovery_code_candidates(user, [&current, &wrapped], typed.legacy_mac())
            .await?;
        let dummy = self.dummy_hash.clone();
        let found = self
            .pool
            .run(move |hasher| {
                if rows.is_empty() {
                    let nothing = SecretString::from(String::new());
                    let _ = hasher.verify(&nothing, &dummy);
                    return Ok(None);
                }
                for row in rows {
                    if typed.matches(hasher, &row)? {
                        return Ok(Some(row.verifier));
                    }
                }
                Ok::<_, PasswordHashError>(None)
            })
            .await??;
        Ok(found)
    }

    /// Wraps recovery codes stored before migration 0018 (a keyed MAC) in
    /// Argon2id, in batches, until none is left; returns how many. Run in
    /// the background at start: until a row is wrapped it still works.
    /// A batch that wraps nothing (its rows changed under it, or cannot be
    /// written) ends the run rather than hashing the same rows forever; the
    /// next start tries again. A full hashing queue is waited out.
    pub async fn upgrade_recovery_codes(&self) -> Result<usize, MfaError> {
        let mut upgraded = 0;
        loop {
            let batch = self.repo.legacy_recovery_codes(50).await?;
            let before = upgraded;
            for (user, mac) in &batch {
                let wrapped = loop {
                    let mac = Zeroizing::new(mac.clone());
                    match self
                        .pool
                        .run(move |hasher| recovery_code::wrap_legacy(hasher, &mac))
                        .await
                    {
                        Ok(wrapped) => break wrapped?,
                        // Sign-ins come first; try again shortly.
                        Err(_busy) => {
                            tokio::time::sleep(std::time::Duration::from_millis(200)).await
                        }
                    }
                };
                if self
                    .repo
                    .upgrade_recovery_code(*user, mac, &wrapped)
                    .await?
                {
                    upgraded += 1;
                }
            }
            if batch.is_empty() || upgraded == before {
                return Ok(upgraded);
            }
        }
    }

    /// Checks a second factor (a TOTP code or a recovery code) for `user`.
    /// Refused while the account is locked out; a failure counts toward the
    /// lock-out and is audited.
    pub async fn verify(
        &self,
        user: &User,
        code: &str,
        client: &ClientMeta,
    ) -> Result<Factor, MfaError> {
        // Counted before the check, under a second-factor key that a correct
        // password does not clear and under the account across every
        // network: knowing the password must not reset the count of guessed
        // codes.
        let device = match &client.known_device {
            Some(cookie) => {
                self.devices
                    .device_of(user.id, cookie.expose_secret())
                    .await?
            }
            None => None,
        };
        let target = Target {
            account: Some(user.id.to_string()),
            device,
            second_factor: true,
        };
        let attempt = match self
            .throttle
            .attempt(user.username.as_str(), client.ip, &target)
            .await?
        {
            Ok(attempt) => attempt,
            Err(Locked(wait)) => return Err(MfaError::Throttled(wait)),
        };
        let checked = match self.check_code(user, code, client).await {
            Ok(checked) => checked,
            Err(err) => {
                self.throttle.cancel(attempt).await?;
                return Err(err);
            }
        };
        match checked {
            Some(factor) => {
                self.throttle.succeeded(attempt, true).await?;
                if let Factor::RecoveryCode { remaining } = factor {
                    self.mail(
                        user,
                        MailTemplate::RecoveryCodeUsed,
                        json!({"remaining": remaining}),
                    )
                    .await?;
                }
                Ok(factor)
            }
            None => {
                let failure = self.throttle.failed(attempt);
                self.audit
                    .record(
                        AuditKind::MfaFailed,
                        user,
                        client,
                        Outcome::Failure,
                        json!({}),
                    )
                    .await?;
                if failure.account_locked || failure.account_barred {
                    let details = json!({
                        "after_failures": self.throttle.free_failures_per_account(),
                        "barred": failure.account_barred,
                    });
                    self.audit
                        .record(
                            AuditKind::AccountLockedOut,
                            user,
                            client,
                            Outcome::Failure,
                            details,
                        )
                        .await?;
                }
                Err(MfaError::InvalidCode)
            }
        }
    }

    async fn check_code(
        &self,
        user: &User,
        code: &str,
        client: &ClientMeta,
    ) -> Result<Option<Factor>, MfaError> {
        let Some(totp) = self.repo.find_totp(user.id).await? else {
            return Ok(None);
        };
        if !totp.enabled {
            return Ok(None);
        }
        let trimmed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if trimmed.len() == 6 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            let secret = self.decrypt(user.id, &totp.ciphertext)?;
            let Some(step) = otp::matching_step(
                &secret,
                &trimmed,
                unix_seconds(self.clock.now()),
                self.config.totp_skew_steps,
            ) else {
                return Ok(None);
            };
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            // One statement: accepted only if newer than the last used step.
            let fresh = self.repo.advance_totp_step(user.id, step).await?;
            return Ok(fresh.then_some(Factor::Totp));
        }
        let Some(canonical) = otp::normalize_recovery_code(code) else {
            return Ok(None);
        };
        // Twice at most: a row read as a pre-0018 MAC may have been wrapped
        // by the upgrade before it could be taken (a concurrent use of the
        // same code finds nothing the second time).
        for _ in 0..2 {
            let Some(verifier) = self.find_recovery_code(user.id, canonical.clone()).await? else {
                return Ok(None);
            };
            let remaining = (self.repo.count_recovery_codes(user.id).await? - 1).max(0);
            let event = self.audit.success(
                AuditKind::RecoveryCodeUsed,
                user,
                client,
                json!({"remaining": remaining}),
            );
            let taken = self
                .repo
                .take_recovery_code(user.id, &verifier, &event)
                .await;
            if self.changed(user.id, taken)? {
                self.audit.committed(&event).await;
                return Ok(Some(Factor::RecoveryCode { remaining }));
            }
        }
        Ok(None)
    }

    /// A new set of recovery codes; the old set stops working.
    pub async fn regenerate_codes(
        &self,
        user: &User,
        client: &ClientMeta,
    ) -> Result<RecoveryCodes, MfaError> {
        if !self.is_enabled(user.id).await? {
            return Err(MfaError::NotEnrolled);
        }
        let (codes, stored) = self.new_codes(user.id).await?;
        let event = self.audit.success(
            AuditKind::RecoveryCodesRegenerated,
            user,
            client,
            json!({"count": RECOVERY_CODES}),
        );
        let replaced = self
            .repo
            .replace_recovery_codes(user.id, &stored, &event)
            .await;
        self.changed(user.id, replaced)?;
        self.audit.committed(&event).await;
        Ok(codes)
    }

    /// Turns TOTP off for the user (the caller has checked a fresh sign-in
    /// and the password).
    pub async fn disable(&self, user: &User, client: &ClientMeta) -> Result<(), MfaError> {
        let event = self
            .audit
            .success(AuditKind::MfaDisabled, user, client, json!({"by": "user"}));
        let deleted = self.repo.delete_mfa(user.id, &event).await;
        if !self.changed(user.id, deleted)? {
            return Err(MfaError::NotEnrolled);
        }
        self.audit.committed(&event).await;
        self.mail_change(user, "disabled").await
    }

    /// `rampart user reset-mfa NAME --reason …`: an operator at the command
    /// line removes a user's second factor (lost phone and codes), for
    /// `reason`.
    pub async fn reset(
        &self,
        username: &str,
        reason: &crate::model::mfa::ResetReason,
    ) -> Result<User, MfaError> {
        let user = self
            .users
            .find_by_username(&username.to_ascii_lowercase())
            .await?
            .ok_or_else(|| MfaError::NoSuchUser(username.to_owned()))?;
        self.reset_for(&user, &ClientMeta::operator(), "operator", reason)
            .await?;
        Ok(user)
    }

    /// An operator (`who`, at the command line or in the admin console,
    /// from `by`) removes the user's second factor for `reason`, recorded
    /// in the audit event; the user is told by mail.
    pub async fn reset_for(
        &self,
        user: &User,
        by: &ClientMeta,
        who: &str,
        reason: &crate::model::mfa::ResetReason,
    ) -> Result<(), MfaError> {
        let event = self.audit.success(
            AuditKind::MfaDisabled,
            user,
            by,
            json!({"by": who, "reason": reason.as_str()}),
        );
        let deleted = self.repo.delete_mfa(user.id, &event).await;
        if !self.changed(user.id, deleted)? {
            return Err(MfaError::NotEnrolled);
        }
        self.audit.committed(&event).await;
        self.mail_change(user, "reset").await
    }

    /// Tells `user` their second factor changed: `change` is `enabled`,
    /// `disabled` or `reset` (the mail says it in the account's language).
    async fn mail_change(&self, user: &User, change: &str) -> Result<(), MfaError> {
        self.mail(user, MailTemplate::MfaChanged, json!({"change": change}))
            .await
    }

    async fn mail(
        &self,
        user: &User,
        template: MailTemplate,
        extra: serde_json::Value,
    ) -> Result<(), MfaError> {
        self.outbox
            .enqueue(
                &OutgoingMail::to_user(user, template, &self.config.base_url, extra),
                self.clock.now(),
            )
            .await?;
        Ok(())
    }

    /// The owner proved themselves with a passkey (alone, or after the
    /// password): the account-wide failure count starts again, as after a
    /// correct code, so guesses made before do not pile up for ever.
    pub async fn proved_by_passkey(&self, user: &User) -> Result<(), MfaError> {
        self.throttle.account_proved(&user.id.to_string()).await?;
        Ok(())
    }

    /// After a correct password: a challenge token (with
    /// [`CHALLENGE_PREFIX`]) that only the second step accepts.
    pub async fn start_challenge(
        &self,
        user: &User,
        next: &str,
        remember: bool,
        source: &str,
    ) -> Result<SecretString, MfaError> {
        let token = SecretString::from(format!(
            "{CHALLENGE_PREFIX}{}",
            generate_token().expose_secret()
        ));
        self.repo
            .insert_challenge(&MfaChallenge {
                digest: TokenDigest::of(token.expose_secret()),
                user_id: user.id,
                expires_at: self.clock.now() + self.config.challenge_ttl,
                next: next.to_owned(),
                remember,
                source: source.to_owned(),
            })
            .await?;
        Ok(token)
    }

    /// The live challenge behind a cookie digest, with its (unlocked) user.
    pub async fn pending(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<(MfaChallenge, User)>, MfaError> {
        let Some(challenge) = self.repo.find_challenge(digest, self.clock.now()).await? else {
            return Ok(None);
        };
        match self.users.find_by_id(challenge.user_id).await? {
            Some(user) if !user.locked => Ok(Some((challenge, user))),
            _ => Ok(None),
        }
    }

    /// Uses up a challenge; false when another request already did.
    pub async fn finish_challenge(&self, digest: &TokenDigest) -> Result<bool, MfaError> {
        Ok(self.repo.delete_challenge(digest).await?)
    }

    async fn password_binding(&self, user: &User) -> Result<Vec<u8>, MfaError> {
        let credentials = self
            .users
            .find_credentials(LoginKey::Username(&user.username.key()))
            .await?;
        let binding = match credentials {
            Some(credentials) => credentials.device_binding(),
            None => TokenDigest::of("").to_hex(),
        };
        Ok(binding.into_bytes())
    }

    fn device_mac(&self, user: UserId, expires: i64, binding: &[u8]) -> [u8; 32] {
        hmac_sha256(
            self.mac_key.as_slice(),
            &[
                b"rampart/trusted-device/v1",
                user.to_string().as_bytes(),
                &expires.to_be_bytes(),
                binding,
            ],
        )
    }

    /// A "remember this device" cookie value and its lifetime, or `None`
    /// when the feature is off. It is bound to the user and their current
    /// password: a password change voids it.
    pub async fn trusted_device_cookie(
        &self,
        user: &User,
    ) -> Result<Option<(SecretString, Duration)>, MfaError> {
        let Some(ttl) = self.config.remember_device_for else {
            return Ok(None);
        };
        let expires = (self.clock.now() + ttl).unix_timestamp();
        let binding = self.password_binding(user).await?;
        let mac = self.device_mac(user.id, expires, &binding);
        let value = format!("{}.{expires}.{}", user.id, BASE64URL_NOPAD.encode(&mac));
        Ok(Some((SecretString::from(value), ttl)))
    }

    /// True when `cookie` is a live trusted-device cookie of `user`.
    pub async fn is_trusted_device(&self, user: &User, cookie: &str) -> Result<bool, MfaError> {
        if self.config.remember_device_for.is_none() {
            return Ok(false);
        }
        let mut parts = cookie.split('.');
        let (Some(id), Some(expires), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Ok(false);
        };
        let Some((expires, mac)) = crate::device::expiry_and_mac(expires, mac) else {
            return Ok(false);
        };
        if id != user.id.to_string() || expires <= self.clock.now().unix_timestamp() {
            return Ok(false);
        }
        let binding = self.password_binding(user).await?;
        Ok(constant_time_eq(
            &self.device_mac(user.id, expires, &binding),
            &mac,
        ))
    }

    /// Re-encrypts every TOTP secret not sealed by the active key; returns
    /// how many rows changed.
    pub async fn reencrypt_secrets(&self) -> Result<usize, MfaError> {
        let ring = self.keys.key_ring()?;
        let mut changed = 0;
        for (user, ciphertext) in self.repo.all_totp_ciphertexts().await? {
            if key_id_of(&ciphertext) == Some(ring.active_id()) {
                continue;
            }
            let context = secret_context(user);
            let plain = ring
                .decrypt(&ciphertext, &context)
                .map_err(|e| MfaError::Secret(format!("user {user}: {e}")))?;
            let sealed = ring
                .encrypt(&plain, &context)
                .map_err(|e| MfaError::Secret(e.to_string()))?;
            if self
                .repo
                .replace_totp_ciphertext(user, &ciphertext, &sealed)
                .await?
            {
                changed += 1;
            }
        }
        Ok(changed)
    }
}

impl crate::coherence::AccountCaching for MfaService {
    fn forget_user(&self, user: UserId) {
        self.statuses.forget(user);
    }

    fn set_caching(&self, on: bool) {
        self.statuses.set_caching(on);
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn one_set_of_codes_is_hashed_at_a_time_per_account() {
        let marks = std::sync::Mutex::default();
        let (alice, bob) = (UserId(uuid::Uuid::new_v4()), UserId(uuid::Uuid::new_v4()));
        let first = Generating::start(&marks, alice).expect("nothing running");
        assert!(
            Generating::start(&marks, alice).is_none(),
            "a second request waits its turn"
        );
        assert!(
            Generating::start(&marks, bob).is_some(),
            "others are not held up"
        );
        drop(first);
        assert!(Generating::start(&marks, alice).is_some(), "the mark goes");
    }
}
