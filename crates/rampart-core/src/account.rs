//! Accounts: registration, the password check at sign-in, and the operator
//! actions (lock, unlock, delete, set roles).
//!
//! Sign-in answers one generic [`LoginError::InvalidCredentials`] for an
//! unknown user, a wrong password and an operator-locked account, and does the
//! same Argon2id work in each case (a dummy hash for unknown users), so neither
//! the answer nor its timing tells which it was.

use crate::audit::{AuditEvent, AuditTrail, ClientMeta, Outcome};
use crate::clock::Clock;
use crate::external::{ExternalError, IdentityService, SourcePolicy};
use crate::model::audit::AuditKind;
use crate::model::{
    Email, FieldProblem, NewUser, RoleName, User, UserCredentials, UserId, Username,
};
use crate::password::{HashPool, PasswordPolicy, PoolBusy};
use crate::ports::{Directory, LoginKey, RepoError, UniqueField, UserRepo};
use crate::rate::{Limited, RateError, RateLimits};
use crate::recovery::RecoveryService;
use crate::session::{SessionError, SessionId, SessionService};
use crate::throttle::{Failure, Locked, LoginThrottle, Target};
use rampart_crypto::{PasswordHashError, Verification};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::sync::Arc;

/// A submitted registration, before validation.
pub struct Registration {
    /// Requested username.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// Chosen password.
    pub password: SecretString,
    /// The password typed again (`None` when the caller has no confirmation
    /// field, as with the CLI's `--password-stdin`).
    pub password_confirm: Option<SecretString>,
    /// Roles to grant (operators only; self-registration gets `user`).
    pub roles: Vec<RoleName>,
}

/// Why a registration was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// One or more fields break the rules; each problem is listed.
    #[error("the registration has invalid fields")]
    Invalid(Vec<FieldProblem>),
    /// The username or e-mail address belongs to another account.
    #[error("the username or e-mail address is taken")]
    Conflict(FieldProblem),
    /// Too many password hashes are in progress.
    #[error(transparent)]
    Busy(#[from] PoolBusy),
    /// Too many registrations from this client; retry after this long.
    #[error("too many registrations from this address")]
    Throttled(time::Duration),
    /// The database failed.
    #[error("the account could not be stored")]
    Store(#[source] RepoError),
    /// Hashing failed.
    #[error("the password could not be hashed")]
    Hash(#[from] PasswordHashError),
}

/// A correct password: the account, and whether a second factor must follow.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The account.
    pub user: User,
    /// The account has a second factor (TOTP or a passkey): the sign-in is
    /// not complete until it is proved.
    pub mfa_enabled: bool,
    /// Which source proved the password: `local` or `ldap`.
    pub source: &'static str,
    /// What a known-device cookie of the account is bound to
    /// ([`UserCredentials::device_binding`]), when the check read it: a
    /// local password, not re-hashed since. `None`: read it again.
    pub device_binding: Option<String>,
}

/// A place the login form checks a username and password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginSource {
    /// Rampart's own accounts and password hashes.
    Local,
    /// The LDAP directory (search, then bind as the entry found).
    Ldap,
}

impl LoginSource {
    /// Its name in configuration and audit events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Ldap => "ldap",
        }
    }
}

/// The directory and how its people become accounts.
pub struct DirectorySignIn {
    /// The LDAP directory.
    pub directory: Arc<dyn Directory>,
    /// The linking rules.
    pub identities: Arc<IdentityService>,
    /// Just-in-time creation (and e-mail trust) for directory users.
    pub policy: SourcePolicy,
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password or locked account: deliberately one answer.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// Too many failures for this name or address; retry after this long.
    #[error("too many failed sign-ins")]
    Throttled(time::Duration),
    /// Too many password hashes are in progress.
    #[error(transparent)]
    Busy(#[from] PoolBusy),
    /// The database failed.
    #[error("the account store is unavailable")]
    Store(#[from] RepoError),
    /// Hashing failed.
    #[error("the password could not be checked")]
    Hash(#[from] PasswordHashError),
    /// The password was not accepted by any source, and the directory could
    /// not be asked.
    #[error(
        "the directory service cannot be reached; accounts kept by Rampart itself can still sign in"
    )]
    DirectoryUnavailable,
}

/// Why an operator action failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No account has that username.
    #[error("no user is called {0:?}")]
    NoSuchUser(String),
    /// The database failed.
    #[error("the account store is unavailable")]
    Store(#[from] RepoError),
    /// Ending the user's sessions failed.
    #[error(transparent)]
    Sessions(#[from] SessionError),
    /// The request is not acceptable (an unknown role, …).
    #[error("{}", .0.message)]
    Invalid(FieldProblem),
    /// The operator may not act on this account, or grant these roles: the
    /// account (or the role) holds a permission the operator lacks.
    #[error("{0}")]
    Forbidden(crate::model::Words),
    /// The action would leave no account with the `admin` role.
    #[error("this would leave no administrator: give another account the admin role first")]
    LastAdministrator,
    /// The second factor could not be reset.
    #[error(transparent)]
    Mfa(#[from] crate::mfa::MfaError),
}

/// Why a password change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    /// The current password is wrong.
    #[error("the current password is incorrect")]
    WrongPassword,
    /// Too many wrong passwords (a wrong current password counts as a
    /// failed sign-in); retry after this long, nothing was checked.
    #[error("too many failed attempts; retry in {} s", .0.whole_seconds())]
    Throttled(time::Duration),
    /// The new password breaks the policy; each problem is listed.
    #[error("the new password is not acceptable")]
    Invalid(Vec<FieldProblem>),
    /// Too many password hashes are in progress.
    #[error(transparent)]
    Busy(#[from] PoolBusy),
    /// The database failed.
    #[error("the account store is unavailable")]
    Store(#[from] RepoError),
    /// Hashing failed.
    #[error("the password could not be hashed")]
    Hash(#[from] PasswordHashError),
    /// The follow-up (ending sessions, notice mail) failed.
    #[error(transparent)]
    FollowUp(#[from] crate::recovery::RecoveryError),
}

/// A login name and password worth checking at all (anything else is
/// refused like a wrong password, without asking any source).
fn plausible(login: &str, password: &SecretString) -> bool {
    !login.is_empty()
        && login.len() <= 254
        && password.expose_secret().len() <= crate::password::policy::MAX_PASSWORD_BYTES
}

/// Registration, sign-in and operator actions.
pub struct AccountService {
    users: Arc<dyn UserRepo>,
    throttle: Arc<LoginThrottle>,
    sessions: Arc<SessionService>,
    recovery: Arc<RecoveryService>,
    pool: HashPool,
    policy: PasswordPolicy,
    clock: Arc<dyn Clock>,
    dummy_hash: String,
    audit: Arc<AuditTrail>,
    limits: Arc<RateLimits>,
    sources: Vec<LoginSource>,
    directory: Option<DirectorySignIn>,
    devices: Option<Arc<crate::device::KnownDevices>>,
}

impl AccountService {
    /// Builds the service; computes the dummy hash used for unknown users.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        users: Arc<dyn UserRepo>,
        throttle: Arc<LoginThrottle>,
        sessions: Arc<SessionService>,
        recovery: Arc<RecoveryService>,
        pool: HashPool,
        policy: PasswordPolicy,
        clock: Arc<dyn Clock>,
        dummy_hash: String,
        audit: Arc<AuditTrail>,
        limits: Arc<RateLimits>,
    ) -> Self {
        Self {
            users,
            throttle,
            sessions,
            recovery,
            pool,
            policy,
            clock,
            dummy_hash,
            audit,
            limits,
            sources: vec![LoginSource::Local],
            directory: None,
            devices: None,
        }
    }

    /// Sets the sources the login form tries, in order, and the directory
    /// behind [`LoginSource::Ldap`].
    pub fn with_sources(
        mut self,
        sources: Vec<LoginSource>,
        directory: Option<DirectorySignIn>,
    ) -> Self {
        self.sources = sources;
        self.directory = directory;
        self
    }

    /// Checks known-device cookies, which exempt a browser from the
    /// account-wide lock-out.
    pub fn with_known_devices(mut self, devices: Arc<crate::device::KnownDevices>) -> Self {
        self.devices = Some(devices);
        self
    }

    /// The password hashing pool (its load is in `/metrics`).
    pub fn hash_pool(&self) -> &HashPool {
        &self.pool
    }

    /// The audit trail this service records to.
    pub fn audit(&self) -> &AuditTrail {
        &self.audit
    }

    /// The password policy in force.
    pub fn policy(&self) -> &PasswordPolicy {
        &self.policy
    }

    /// Creates an account after checking every rule; reports all problems at
    /// once. Uniqueness is enforced by the database, so concurrent sign-ups of
    /// one name create exactly one account.
    pub async fn register(
        &self,
        reg: Registration,
        client: &ClientMeta,
    ) -> Result<User, RegisterError> {
        self.registration_allowed(client).await?;
        let mut problems = Vec::new();
        let username = Username::parse(&reg.username)
            .map_err(|p| problems.push(p))
            .ok();
        let email = Email::parse(&reg.email).map_err(|p| problems.push(p)).ok();
        problems.extend(self.policy.check(
            &reg.password,
            Some(reg.username.as_str()),
            Some(reg.email.trim()),
        ));
        if let Some(confirm) = &reg.password_confirm
            && confirm.expose_secret() != reg.password.expose_secret()
        {
            problems.push(FieldProblem::passwords_differ());
        }
        let (Some(username), Some(email), true) = (username, email, problems.is_empty()) else {
            return Err(RegisterError::Invalid(problems));
        };
        let password = reg.password;
        let hash = self.pool.run(move |h| h.hash(&password)).await??;
        let user = User::new_account(username, email, reg.roles, self.clock.now());
        let new = NewUser {
            user: user.clone(),
            password_hash: Some(hash),
            language: client.language.clone(),
        };
        let event = self.audit.success(
            AuditKind::UserRegistered,
            &user,
            client,
            json!({"roles": user.roles.iter().map(RoleName::as_str).collect::<Vec<_>>()}),
        );
        let inserted = self.users.insert_user(&new, &event).await;
        self.registered(user, inserted, &[&event]).await
    }

    /// The end of every registration: the events go to the rules and the
    /// address is asked to confirm itself; a taken name or address names
    /// its field.
    async fn registered(
        &self,
        user: User,
        inserted: Result<(), RepoError>,
        events: &[&AuditEvent],
    ) -> Result<User, RegisterError> {
        match inserted {
            Ok(()) => {
                for event in events {
                    self.audit.committed(event).await;
                }
                if let Err(err) = self.recovery.send_verification(&user).await {
                    // The account exists; the user can ask for the mail again.
                    tracing::warn!(user_id = %user.id, error = %err, "could not queue the verification mail");
                }
                Ok(user)
            }
            Err(RepoError::Conflict(field)) => Err(RegisterError::Conflict(match field {
                UniqueField::Email => FieldProblem::new(
                    "email",
                    "problem-email-taken",
                    "An account with this e-mail address already exists; sign in or reset your password instead.",
                ),
                _ => FieldProblem::new(
                    "username",
                    "problem-username-taken",
                    "This username is already taken; choose another.",
                ),
            })),
            Err(other) => Err(RegisterError::Store(other)),
        }
    }

    /// The sign-up limit of the client's network.
    async fn registration_allowed(&self, client: &ClientMeta) -> Result<(), RegisterError> {
        match self.limits.registration(client.ip).await {
            Ok(()) => Ok(()),
            Err(RateError::Limited(Limited(wait))) => Err(RegisterError::Throttled(wait)),
            Err(RateError::Store(err)) => Err(RegisterError::Store(err)),
        }
    }

    /// Checks the name and address of a sign-up that brings a passkey
    /// instead of a password.
    pub fn check_new_account(
        &self,
        username: &str,
        email: &str,
    ) -> Result<(Username, Email), RegisterError> {
        let mut problems = Vec::new();
        let username = Username::parse(username).map_err(|p| problems.push(p)).ok();
        let email = Email::parse(email.trim())
            .map_err(|p| problems.push(p))
            .ok();
        match (username, email) {
            (Some(username), Some(email)) => Ok((username, email)),
            _ => Err(RegisterError::Invalid(problems)),
        }
    }

    /// Creates an account whose only way in is `passkey` (no password; the
    /// mailed reset sets one later if wanted), with the sign-up limits,
    /// checks and mail of [`Self::register`]. The account's id is the
    /// passkey's user handle.
    pub async fn register_with_passkey(
        &self,
        username: &str,
        email: &str,
        passkey: &crate::model::passkey::PasskeyRecord,
        client: &ClientMeta,
    ) -> Result<User, RegisterError> {
        self.registration_allowed(client).await?;
        let (username, email) = self.check_new_account(username, email)?;
        let mut user = User::new_account(username, email, Vec::new(), self.clock.now());
        user.id = passkey.user_id;
        let registered = self.audit.success(AuditKind::UserRegistered, &user, client, json!({"roles": user.roles.iter().map(RoleName::as_str).collect::<Vec<_>>(), "with": "passkey"}));
        let added = self.audit.success(
            AuditKind::PasskeyAdded,
            &user,
            client,
            json!({"passkey": passkey.id.0, "name": passkey.name, "sign_up": true}),
        );
        let new = NewUser {
            user: user.clone(),
            password_hash: None,
            language: client.language.clone(),
        };
        let inserted = self
            .users
            .insert_user_with_passkey(&new, passkey, &[&registered, &added])
            .await;
        self.registered(user, inserted, &[&registered, &added])
            .await
    }

    /// Checks a login name (username or e-mail) and password. Failures and
    /// refusals are audited here; a success is audited by
    /// [`crate::session::SessionService::sign_in`] once every factor is proved.
    pub async fn authenticate(
        &self,
        login: &str,
        password: SecretString,
        client: &ClientMeta,
    ) -> Result<Authenticated, LoginError> {
        if login.trim().len() > 254 {
            // No account can have such a name: refused without a counter
            // row (nothing to guess, nothing to store).
            return Err(LoginError::InvalidCredentials);
        }
        // Read once: whom the attempt is counted for, and what it is checked
        // against.
        let mut found = self.credentials_for(login).await?;
        let target = self.target_of(found.as_ref(), client).await?;
        // Counted before anything is hashed (see `throttle`).
        let attempt = match self.throttle.attempt(login, client.ip, &target).await? {
            Ok(attempt) => attempt,
            Err(Locked(wait)) => {
                self.audit
                    .record_about(
                        AuditKind::LoginThrottled,
                        None,
                        Some(login.trim()),
                        client,
                        Outcome::Failure,
                        json!({"retry_after_s": wait.whole_seconds()}),
                    )
                    .await?;
                return Err(LoginError::Throttled(wait));
            }
        };
        if attempt.waited {
            // Other attempts settled meanwhile (a password change or a lock
            // may have come with them): check against the account as it is.
            found = self.credentials_for(login).await?;
        }
        let checked = self.check_sources(login, found, password, client).await;
        let (checked, directory_down) = match checked {
            Ok(checked) => checked,
            Err(err) => {
                // Not checked (busy, storage failure): not counted.
                self.throttle.cancel(attempt).await?;
                return Err(err);
            }
        };
        match checked {
            Ok(found) => {
                // A second factor still to come keeps the account's count.
                self.throttle.succeeded(attempt, !found.mfa_enabled).await?;
                Ok(found)
            }
            Err(known) => {
                // Every source refused: counted towards a flood (see
                // `password::flood`), whatever the reason, so the count
                // tells nothing of the account.
                self.pool.flood_watch().refused_password();
                // A directory that is down does not stop the count: the
                // local check did run and fail.
                let failure = self.throttle.failed(attempt);
                let reason = match &known {
                    _ if directory_down => "directory_unavailable",
                    None => "unknown_user",
                    Some(u) if u.locked => "account_locked",
                    Some(_) => "wrong_password",
                };
                let details = json!({"reason": reason, "sources": self.source_names()});
                self.record_attempt(
                    AuditKind::LoginFailed,
                    known.as_ref(),
                    login,
                    client,
                    details,
                )
                .await?;
                if failure.name_locked {
                    let details = json!({"after_failures": self.throttle.free_failures()});
                    self.record_attempt(
                        AuditKind::LoginLockedOut,
                        known.as_ref(),
                        login,
                        client,
                        details,
                    )
                    .await?;
                }
                self.account_lock_started(failure, known.as_ref(), login, client)
                    .await?;
                if failure.attack_suspected {
                    self.audit
                        .record_about(
                            AuditKind::AttackSuspected,
                            None,
                            None,
                            client,
                            Outcome::Failure,
                            json!({
                                "network": client.ip.map(|ip| crate::client::network_of(ip).to_string()),
                                "pattern": "failed sign-ins across many names",
                            }),
                        )
                        .await?;
                }
                if directory_down {
                    return Err(LoginError::DirectoryUnavailable);
                }
                Err(LoginError::InvalidCredentials)
            }
        }
    }

    /// Whom a sign-in with `login` is about: the account's id when a local
    /// account has that username or address (one counter for both names).
    async fn target_of(
        &self,
        found: Option<&UserCredentials>,
        client: &ClientMeta,
    ) -> Result<Target, RepoError> {
        let Some(found) = found else {
            return Ok(Target::default());
        };
        Ok(Target {
            account: Some(found.user.id.to_string()),
            device: self.device_of(found.user.id, client).await?,
            second_factor: false,
        })
    }

    /// The known device the browser proved for `user`, if any.
    async fn device_of(
        &self,
        user: UserId,
        client: &ClientMeta,
    ) -> Result<Option<String>, RepoError> {
        match (&self.devices, &client.known_device) {
            (Some(devices), Some(cookie)) => devices.device_of(user, cookie.expose_secret()).await,
            _ => Ok(None),
        }
    }

    /// The local account (and its hash) a login name or address names; none
    /// for a name that cannot be one.
    async fn credentials_for(&self, login: &str) -> Result<Option<UserCredentials>, RepoError> {
        let login = login.trim();
        if login.is_empty() || login.len() > 254 {
            return Ok(None);
        }
        let key_text = login.to_lowercase();
        let key = if key_text.contains('@') {
            LoginKey::Email(&key_text)
        } else {
            LoginKey::Username(&key_text)
        };
        self.users.find_credentials(key).await
    }

    /// Records `account.locked_out` when a failure started the account-wide
    /// lock (or barred the account): the alert rules mail the owner.
    pub async fn account_lock_started(
        &self,
        failure: Failure,
        known: Option<&User>,
        login: &str,
        client: &ClientMeta,
    ) -> Result<(), RepoError> {
        if !failure.account_locked && !failure.account_barred {
            return Ok(());
        }
        let details = json!({
            "after_failures": self.throttle.free_failures_per_account(),
            "barred": failure.account_barred,
        });
        self.record_attempt(AuditKind::AccountLockedOut, known, login, client, details)
            .await
    }

    /// Records a refused attempt about `known` (or the name as typed).
    async fn record_attempt(
        &self,
        kind: AuditKind,
        known: Option<&User>,
        login: &str,
        client: &ClientMeta,
        details: serde_json::Value,
    ) -> Result<(), RepoError> {
        self.audit
            .record_about(
                kind,
                known.map(|u| u.id),
                Some(known.map_or(login.trim(), |u| u.username.as_str())),
                client,
                Outcome::Failure,
                details,
            )
            .await
    }

    fn source_names(&self) -> Vec<&'static str> {
        self.sources.iter().map(|s| s.as_str()).collect()
    }

    /// Tries each configured source in order until one accepts the password.
    /// A directory that cannot be reached is passed over (so local accounts
    /// still sign in); the second value says that happened.
    async fn check_sources(
        &self,
        login: &str,
        mut found: Option<UserCredentials>,
        password: SecretString,
        client: &ClientMeta,
    ) -> Result<(Result<Authenticated, Option<User>>, bool), LoginError> {
        let mut known = None;
        let mut directory_down = false;
        for source in &self.sources {
            let checked = match source {
                LoginSource::Local => {
                    self.check_credentials(login, found.take(), password.clone())
                        .await?
                }
                LoginSource::Ldap => match self.check_directory(login, &password, client).await {
                    Ok(checked) => checked,
                    Err(LoginError::DirectoryUnavailable) => {
                        directory_down = true;
                        continue;
                    }
                    Err(other) => return Err(other),
                },
            };
            match checked {
                Ok(found) => return Ok((Ok(found), false)),
                Err(user) => known = known.or(user),
            }
        }
        Ok((Err(known), directory_down))
    }

    /// Search-then-bind against the directory, and the account it maps to.
    async fn check_directory(
        &self,
        login: &str,
        password: &SecretString,
        client: &ClientMeta,
    ) -> Result<Result<Authenticated, Option<User>>, LoginError> {
        let Some(dir) = &self.directory else {
            return Ok(Err(None));
        };
        let login = login.trim();
        // An empty password would be an LDAP "unauthenticated bind".
        if !plausible(login, password) || password.expose_secret().is_empty() {
            return Ok(Err(None));
        }
        let profile = match dir.directory.authenticate(login, password).await {
            Ok(Some(profile)) => profile,
            Ok(None) => return Ok(Err(None)),
            Err(err) => {
                tracing::warn!(error = %err, "the LDAP directory could not be asked");
                return Err(LoginError::DirectoryUnavailable);
            }
        };
        let user = match dir.identities.resolve(&profile, dir.policy, client).await {
            Ok(user) => user,
            Err(ExternalError::Store(err)) => return Err(err.into()),
            Err(err) => {
                tracing::info!(reason = %err, "directory user not admitted");
                return Ok(Err(None));
            }
        };
        let mfa_enabled = dir.identities.has_second_factor(&user).await?;
        Ok(Ok(Authenticated {
            user,
            mfa_enabled,
            source: LoginSource::Ldap.as_str(),
            device_binding: None,
        }))
    }

    /// `Ok(Err(known))`: refused; `known` is the account when the name
    /// exists (wrong password or locked), `None` for an unknown name.
    async fn check_credentials(
        &self,
        login: &str,
        found: Option<UserCredentials>,
        password: SecretString,
    ) -> Result<Result<Authenticated, Option<User>>, LoginError> {
        if !plausible(login.trim(), &password) {
            return Ok(Err(None));
        }
        let mfa_enabled = found.as_ref().is_some_and(|c| c.mfa_enabled);
        let sign_out_epoch = found.as_ref().map_or(0, |c| c.sign_out_epoch);
        let (stored, user) = match found {
            Some(c) => match c.password_hash {
                Some(h) => (h, Some(c.user)),
                None => (self.dummy_hash.clone(), None),
            },
            None => (self.dummy_hash.clone(), None),
        };
        let checked_hash = stored.clone();
        // A bare imported hash (bcrypt, PBKDF2, …, from before hashes were
        // wrapped at import) may be far cheaper than Argon2id: the dummy
        // Argon2id check runs as well, so that such an account answers no
        // faster than an unknown name. A wrapped one already runs Argon2id.
        let holds_argon2 = stored.starts_with("$argon2")
            || stored.contains(rampart_crypto::legacy::WRAPPED_PREFIX);
        let equalize = (!holds_argon2).then(|| self.dummy_hash.clone());
        let verification = self
            .pool
            .run(move |h| {
                let verified = h.verify(&password, &stored);
                if let Some(dummy) = equalize {
                    let _ = h.verify(&password, &dummy);
                }
                verified.map(|v| (v, password))
            })
            .await??;
        let (verification, password) = verification;
        let Some(user) = user else {
            return Ok(Err(None));
        };
        if !verification.is_match() || user.locked {
            return Ok(Err(Some(user)));
        }
        let mut user = user;
        if !user.must_change_password && self.policy.is_breached(&password) {
            // Signed in, but sent to choose a new password before anything else.
            self.users.set_must_change_password(user.id, true).await?;
            user.must_change_password = true;
            tracing::warn!(user_id = %user.id, "the password used to sign in is in the breached-password list");
        }
        // What a known-device cookie is bound to, from the hash just
        // checked; none after a re-hash, which changes the hash it covers.
        let device_binding = if verification == Verification::MatchNeedsRehash {
            self.upgrade_hash(user.id, &checked_hash, password).await;
            None
        } else {
            Some(UserCredentials::binding_of(
                Some(&checked_hash),
                sign_out_epoch,
            ))
        };
        Ok(Ok(Authenticated {
            user,
            mfa_enabled,
            source: LoginSource::Local.as_str(),
            device_binding,
        }))
    }

    /// Re-hashes with the current parameters, replacing `checked` (the hash
    /// the password was just checked against) only if it is still stored.
    async fn upgrade_hash(&self, id: UserId, checked: &str, password: SecretString) {
        match self.pool.run(move |h| h.hash(&password)).await {
            Ok(Ok(hash)) => match self.users.upgrade_password_hash(id, checked, &hash).await {
                Ok(true) => {
                    tracing::info!(user_id = %id, "password hash upgraded to current parameters")
                }
                Ok(false) => {
                    tracing::info!(user_id = %id, "password hash not upgraded: it changed meanwhile")
                }
                Err(err) => {
                    tracing::warn!(user_id = %id, error = %err, "could not store the upgraded password hash")
                }
            },
            Ok(Err(err)) => {
                tracing::warn!(user_id = %id, error = %err, "password hash upgrade failed")
            }
            Err(PoolBusy) => {} // try again at the next sign-in
        }
    }

    /// Changes a signed-in user's password after checking the current one;
    /// every session but `keep` ends, reset links die, the user is told.
    pub async fn change_password(
        &self,
        user: &User,
        current: SecretString,
        new: SecretString,
        keep: Option<&SessionId>,
        client: &ClientMeta,
    ) -> Result<(), ChangePasswordError> {
        let problems = self.policy.check(
            &new,
            Some(user.username.as_str()),
            Some(user.email.as_str()),
        );
        // The current password is a guess like any sign-in: counted first,
        // toward the account's limit too, so this is no unthrottled oracle.
        let target = Target {
            account: Some(user.id.to_string()),
            device: self.device_of(user.id, client).await?,
            second_factor: false,
        };
        let attempt = match self
            .throttle
            .attempt(user.username.as_str(), client.ip, &target)
            .await?
        {
            Ok(attempt) => attempt,
            Err(Locked(wait)) => return Err(ChangePasswordError::Throttled(wait)),
        };
        let stored = match self
            .users
            .find_credentials(LoginKey::Username(&user.username.key()))
            .await
        {
            Ok(found) => found
                .and_then(|c| c.password_hash)
                .unwrap_or_else(|| self.dummy_hash.clone()),
            Err(err) => {
                self.throttle.cancel(attempt).await?;
                return Err(err.into());
            }
        };
        let verification = match self.pool.run(move |h| h.verify(&current, &stored)).await {
            Ok(Ok(verification)) => verification,
            Ok(Err(err)) => {
                self.throttle.cancel(attempt).await?;
                return Err(err.into());
            }
            Err(busy) => {
                self.throttle.cancel(attempt).await?;
                return Err(busy.into());
            }
        };
        if !verification.is_match() {
            let failure = self.throttle.failed(attempt);
            self.account_lock_started(failure, Some(user), user.username.as_str(), client)
                .await?;
            self.audit
                .record(
                    AuditKind::PasswordChanged,
                    user,
                    client,
                    Outcome::Failure,
                    json!({"reason": "wrong_current_password"}),
                )
                .await?;
            return Err(ChangePasswordError::WrongPassword);
        }
        self.throttle.succeeded(attempt, true).await?;
        if !problems.is_empty() {
            return Err(ChangePasswordError::Invalid(problems));
        }
        let hash = self.pool.run(move |h| h.hash(&new)).await??;
        let event = self
            .audit
            .success(AuditKind::PasswordChanged, user, client, json!({}));
        self.users
            .set_password_hash(user.id, &hash, Some(&event))
            .await?;
        self.audit.committed(&event).await;
        self.recovery.password_changed(user, keep).await?;
        Ok(())
    }

    /// The language `user`'s mails are written in (`None`: the site's
    /// default).
    pub async fn mail_language(&self, user: UserId) -> Result<Option<String>, RepoError> {
        self.users.language(user).await
    }

    /// `user` chooses the language of their mails (one the web layer has a
    /// catalogue for).
    pub async fn set_mail_language(&self, user: UserId, language: &str) -> Result<(), RepoError> {
        self.users.set_language(user, language).await
    }

    /// An account by id.
    pub async fn user_by_id(&self, id: UserId) -> Result<Option<User>, AdminError> {
        Ok(self.users.find_by_id(id).await?)
    }

    /// Every account.
    pub async fn list(&self) -> Result<Vec<User>, AdminError> {
        Ok(self.users.list_users().await?)
    }

    /// Checks the signed-in user's password again (re-authentication).
    pub async fn confirm_password(
        &self,
        user: &User,
        password: SecretString,
        client: &ClientMeta,
    ) -> Result<bool, LoginError> {
        match self
            .authenticate(user.username.as_str(), password, client)
            .await
        {
            Ok(found) => Ok(found.user.id == user.id),
            Err(LoginError::InvalidCredentials) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Deletes the user's own account and everything that hangs off it
    /// (sessions, tokens, links, queued mail) at once.
    pub async fn delete_own_account(
        &self,
        user: &User,
        client: &ClientMeta,
    ) -> Result<(), AdminError> {
        if crate::permission::is_last_administrator(self.users.as_ref(), user).await? {
            return Err(AdminError::LastAdministrator);
        }
        // One DELETE: sessions, tokens, links, remember-me series, roles and
        // queued mail go with the row (ON DELETE CASCADE), all or nothing.
        let event =
            self.audit
                .success(AuditKind::UserDeleted, user, client, json!({"by": "owner"}));
        self.users.delete_user(user.id, &event).await?;
        self.sessions.forget_user(user.id);
        self.audit.committed(&event).await;
        Ok(())
    }
}
