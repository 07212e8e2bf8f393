//! Sign-in, as one state machine: a first factor (a password checked by
//! Rampart or the directory, or an identity provider's answer) leads to a
//! [`Decision`]: a session, or a second-factor challenge; the challenge's
//! answer leads to a session. A remember-me cookie restores a session; a
//! signed-in person proves themselves again before a sensitive action.
//!
//! The ordering rules live here, not in handlers:
//! - the visitor's previous session ends before a new one starts, and a new
//!   session always gets a new token (no fixation);
//! - a challenge is used up before its session starts, so of two concurrent
//!   answers one signs in;
//! - a trusted-device mark is bound to the account's current password and
//!   replaces the second factor only while that password stands;
//! - a remember-me cookie never restores a locked account, and its session is
//!   not fresh;
//! - every complete sign-in records `login.succeeded` with the
//!   [`SignInMethod`] in the session's own transaction.
//!
//! Page handlers, API handlers and the session middleware each make one call
//! here and render what comes back.

use crate::account::{AccountService, LoginError, RegisterError};
use crate::device::KnownDevices;
use crate::mfa::{Factor, MfaError, MfaService};
use crate::model::User;
use crate::model::audit::ClientMeta;
pub use crate::model::authn::{AuthMethods, FirstFactor, SecondFactor, SignInMethod};
use crate::passkey::{Ceremony, NewPasskey, PasskeyError, PasskeyService, Presence};
use crate::permission::RoleBook;
use crate::ports::MfaChallenge;
use crate::ports::{RepoError, UserRepo};
use crate::recovery::{RecoveryError, RecoveryService};
use crate::remember::{Redemption, RememberService};
use crate::session::{Session, SessionError, SessionKind, SessionService, client_fingerprint};
use rampart_crypto::TokenDigest;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use time::Duration;

impl From<Factor> for SecondFactor {
    fn from(factor: Factor) -> Self {
        match factor {
            Factor::Totp => Self::Totp,
            Factor::RecoveryCode { .. } => Self::RecoveryCode,
        }
    }
}

/// Where an account that must enrol a second factor is sent.
pub const ENROLMENT_PAGE: &str = "/account/mfa/totp";

/// A browser signing in: what it carries and asked for.
#[derive(Clone, Copy)]
pub struct Browser<'a> {
    /// The session the browser had (ended when a new one starts).
    pub previous: Option<&'a Session>,
    /// Where to go once signed in (a checked target).
    pub next: &'a str,
    /// "Keep me signed in" was ticked.
    pub remember: bool,
    /// The "remember this device" mark the browser presented, unchecked.
    pub device_mark: Option<&'a SecretString>,
}

/// A session just started.
pub struct Started {
    /// Its token, shown to the client once.
    pub token: SecretString,
    /// The session.
    pub session: Arc<Session>,
    /// Where the browser goes next.
    pub next: String,
    /// A remember-me cookie and its lifetime, when asked for.
    pub remember: Option<(SecretString, Duration)>,
    /// The known-device mark this browser now carries, and its lifetime.
    pub known_device: Option<(SecretString, Duration)>,
    /// A "remember this device" mark, when asked for and enabled.
    pub trusted_device: Option<(SecretString, Duration)>,
}

/// What follows a proved first factor.
pub enum Decision {
    /// Signed in.
    SignedIn(Started),
    /// A second factor is due: the browser carries this challenge token
    /// (good only for the second step) instead of a session.
    SecondFactorDue {
        /// The challenge token.
        challenge: SecretString,
    },
}

/// What the answer to a challenge led to.
pub enum SecondStep {
    /// Signed in.
    SignedIn(Started),
    /// The code was wrong; the challenge stands.
    WrongCode,
    /// No live challenge (expired, used by a concurrent answer, or its
    /// account locked meanwhile): start again.
    NoChallenge,
}

/// A session restored from a remember-me cookie.
pub struct Restored {
    /// The new session's token.
    pub token: SecretString,
    /// The session (not fresh).
    pub session: Arc<Session>,
    /// The rotated cookie, and how long it has left (use never extends the
    /// series).
    pub cookie: (SecretString, Duration),
}

/// What a re-authentication led to.
pub enum Reproved {
    /// Proved: the session's new token (the old one no longer works).
    Proved(SecretString),
    /// The password was wrong.
    WrongPassword,
    /// The second factor's code was missing or wrong (or the passkey's
    /// answer was refused).
    WrongCode,
    /// The account's second factor is a passkey: only it can confirm.
    PasskeyRequired,
    /// The passkey was only touched (it did not verify its user): the
    /// password must come with it.
    PasswordRequired,
}

/// A passkey's answer to a ceremony, as the browser sent it.
#[derive(Debug, Clone, Copy)]
pub struct PasskeyAnswer<'a> {
    /// The ceremony's token.
    pub ceremony: &'a str,
    /// The `PublicKeyCredential`, as JSON.
    pub credential: &'a serde_json::Value,
}

/// What re-authentication with an identity provider led to.
pub enum ProviderReproved {
    /// Proved: the session's new token.
    Proved(SecretString),
    /// The account has a second factor: the session ended, and the browser
    /// answers this challenge as at sign-in.
    SecondFactorDue {
        /// The challenge token.
        challenge: SecretString,
    },
}

/// Why a sign-in did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The first factor was refused (or could not be checked).
    #[error(transparent)]
    Login(#[from] LoginError),
    /// The second factor was refused (or could not be checked).
    #[error(transparent)]
    SecondFactor(#[from] MfaError),
    /// The account has a second factor and the API caller sent no code.
    #[error("this account has two-factor authentication: send the code too")]
    SecondFactorRequired,
    /// The account's second factor is a passkey, which only a browser can
    /// use: the API cannot sign it in with a password.
    #[error(
        "this account's second factor is a passkey: sign in on the web, or use a personal access token"
    )]
    PasskeyRequired,
    /// The account must have a second factor (`mfa.required`) and has none:
    /// it enrols in the browser before the API signs it in.
    #[error(
        "this account must set up two-factor authentication first: sign in on the web and enrol"
    )]
    EnrolmentRequired,
    /// The session could not be stored.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A sign-up was refused.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// A recovery failed.
    #[error(transparent)]
    Recovery(#[from] RecoveryError),
    /// A passkey step was refused (or could not be checked).
    #[error(transparent)]
    Passkey(#[from] PasskeyError),
    /// The database failed.
    #[error("the account store is unavailable")]
    Store(#[from] RepoError),
}

/// An account every factor of which is proved, with what its known-device
/// cookie is bound to when that was read on the way (`None`: read it).
struct ProvedAccount {
    user: User,
    device_binding: Option<String>,
}

impl From<User> for ProvedAccount {
    fn from(user: User) -> Self {
        Self {
            user,
            device_binding: None,
        }
    }
}

/// The services a sign-in passes through.
pub struct SignInParts {
    /// Password checks (Rampart's own and the directory's).
    pub accounts: Arc<AccountService>,
    /// Sessions.
    pub sessions: Arc<SessionService>,
    /// Second factors, challenges and trusted devices.
    pub mfa: Arc<MfaService>,
    /// Remember-me cookies.
    pub remember: Arc<RememberService>,
    /// Known devices (exempt from the account-wide lock-out).
    pub devices: Arc<KnownDevices>,
    /// Passkeys.
    pub passkeys: Arc<PasskeyService>,
    /// Reset links (a passkey-only account recovers with one).
    pub recovery: Arc<RecoveryService>,
    /// Accounts, read when a cookie restores one.
    pub users: Arc<dyn UserRepo>,
    /// Roles and their permissions (who counts as privileged).
    pub roles: Arc<RoleBook>,
}

/// The sign-in state machine.
pub struct SignInService {
    parts: SignInParts,
}

impl SignInService {
    /// Sign-in over these services.
    pub fn new(parts: SignInParts) -> Self {
        Self { parts }
    }

    /// A login name and password on the sign-in page: a session, or the
    /// second factor the account has.
    pub async fn password(
        &self,
        login: &str,
        password: SecretString,
        client: &ClientMeta,
        browser: Browser<'_>,
    ) -> Result<Decision, SignInError> {
        let found = self
            .parts
            .accounts
            .authenticate(login, password, client)
            .await?;
        let proved = ProvedAccount {
            user: found.user,
            device_binding: found.device_binding,
        };
        self.first_factor_proved(proved, found.mfa_enabled, found.source, client, browser)
            .await
    }

    /// A login name and password through the JSON API. There is no
    /// half-signed-in API session: an account with a second factor must send
    /// its `code` with the password.
    pub async fn api_password(
        &self,
        login: &str,
        password: SecretString,
        code: Option<&str>,
        client: &ClientMeta,
    ) -> Result<Started, SignInError> {
        let found = self
            .parts
            .accounts
            .authenticate(login, password, client)
            .await?;
        let (user, source) = (found.user, found.source);
        if !found.mfa_enabled && self.must_have_second_factor(&user) {
            return Err(SignInError::EnrolmentRequired);
        }
        let second = if found.mfa_enabled {
            if !self.parts.mfa.is_enabled(user.id).await? {
                // The second factor is a passkey, which needs a browser.
                return Err(SignInError::PasskeyRequired);
            }
            let code = code.ok_or(SignInError::SecondFactorRequired)?;
            let factor = self.parts.mfa.verify(&user, code, client).await?;
            Some(SecondFactor::from(factor))
        } else {
            None
        };
        let method = SignInMethod::Factors(FirstFactor::of_source(source), second);
        let (token, session) = self
            .parts
            .sessions
            .sign_in(user, client, method, source, SessionKind::Api)
            .await?;
        Ok(Started {
            token,
            session,
            next: String::new(),
            remember: None,
            known_device: None,
            trusted_device: None,
        })
    }

    /// An identity provider proved who `user` is (by `source`,
    /// `oidc:<id>`): a session, or the second factor the account has.
    pub async fn provider_proved(
        &self,
        user: User,
        mfa_enabled: bool,
        source: &str,
        client: &ClientMeta,
        browser: Browser<'_>,
    ) -> Result<Decision, SignInError> {
        self.first_factor_proved(user.into(), mfa_enabled, source, client, browser)
            .await
    }

    async fn first_factor_proved(
        &self,
        proved: ProvedAccount,
        mfa_enabled: bool,
        source: &str,
        client: &ClientMeta,
        browser: Browser<'_>,
    ) -> Result<Decision, SignInError> {
        let user = &proved.user;
        let mut second = None;
        if mfa_enabled {
            if !self.is_trusted_device(user, browser.device_mark).await? {
                self.end_previous(browser.previous).await?;
                let challenge = self
                    .parts
                    .mfa
                    .start_challenge(user, browser.next, browser.remember, source)
                    .await?;
                return Ok(Decision::SecondFactorDue { challenge });
            }
            second = Some(SecondFactor::TrustedDevice);
        }
        let method = SignInMethod::Factors(FirstFactor::of_source(source), second);
        let started = self
            .complete(proved, client, browser, method, source, None)
            .await?;
        Ok(Decision::SignedIn(started))
    }

    /// A passkey answered the sign-in ceremony `ceremony` that the browser
    /// (`visitor`, its pre-login token's digest) started: a complete
    /// sign-in, with no further step (the passkey verified its user).
    pub async fn passkey(
        &self,
        visitor: &TokenDigest,
        ceremony: &str,
        credential: &serde_json::Value,
        client: &ClientMeta,
        browser: Browser<'_>,
    ) -> Result<Started, SignInError> {
        let user = self
            .parts
            .passkeys
            .finish_sign_in(visitor, ceremony, credential, client)
            .await?;
        self.signed_in_by_passkey(user, client, browser).await
    }

    /// A passkey alone proved `user` (it verified them): a complete sign-in.
    async fn signed_in_by_passkey(
        &self,
        user: User,
        client: &ClientMeta,
        browser: Browser<'_>,
    ) -> Result<Started, SignInError> {
        self.parts.mfa.proved_by_passkey(&user).await?;
        self.complete(
            user.into(),
            client,
            browser,
            SignInMethod::Passkey,
            "passkey",
            None,
        )
        .await
    }

    /// What one of `user`'s own passkeys proved in the proof ceremony
    /// `ceremony` (bound to `visitor`); `None` when the answer or the
    /// ceremony was refused (audited by the passkey service).
    async fn passkey_proves(
        &self,
        user: &User,
        visitor: &TokenDigest,
        ceremony: &str,
        credential: &serde_json::Value,
        client: &ClientMeta,
    ) -> Result<Option<Presence>, SignInError> {
        match self
            .parts
            .passkeys
            .finish_proof(user, visitor, ceremony, credential, client)
            .await
        {
            Ok(presence) => Ok(Some(presence)),
            Err(PasskeyError::Refused(_) | PasskeyError::InvalidCeremony) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// The account a reset link is for, when it may recover with a new
    /// passkey: only an account without a password (its passkeys were its
    /// way in, and the mailed link is its recovery). An account with a
    /// password sets a new one; its second factor stays (a link alone never
    /// stands in for it).
    pub async fn passkey_recovery_for(&self, token: &str) -> Result<Option<User>, SignInError> {
        let Some(user) = self.parts.recovery.reset_holder(token).await? else {
            return Ok(None);
        };
        if self.parts.passkeys.has_password(&user).await? {
            return Ok(None);
        }
        Ok(Some(user))
    }

    /// Starts adding the recovering account's new passkey (the reset link
    /// `token`, from the browser `visitor`).
    pub async fn start_passkey_recovery(
        &self,
        token: &str,
        visitor: &TokenDigest,
    ) -> Result<Option<Ceremony>, SignInError> {
        let Some(user) = self.passkey_recovery_for(token).await? else {
            return Ok(None);
        };
        Ok(Some(
            self.parts
                .passkeys
                .start_registration(&user, visitor, NewPasskey::WayIn)
                .await?,
        ))
    }

    /// The recovering account's new passkey answered: it is added, the
    /// reset link is used up, everything else ends (as after a reset), and
    /// the browser is signed in with the new passkey. `None` when the link
    /// is not (or no longer) one for a passkey recovery.
    #[allow(clippy::too_many_arguments)]
    pub async fn passkey_recovery(
        &self,
        token: &str,
        visitor: &TokenDigest,
        ceremony: &str,
        name: &str,
        credential: &serde_json::Value,
        client: &ClientMeta,
        browser: Browser<'_>,
    ) -> Result<Option<Started>, SignInError> {
        let Some(user) = self.passkey_recovery_for(token).await? else {
            return Ok(None);
        };
        self.parts
            .passkeys
            .finish_registration(
                &user,
                visitor,
                NewPasskey::WayIn,
                ceremony,
                name,
                credential,
                client,
            )
            .await?;
        match self
            .parts
            .recovery
            .reset_by_passkey(token, &user, client)
            .await
        {
            Ok(()) => {}
            Err(RecoveryError::InvalidToken) => return Ok(None),
            Err(other) => return Err(other.into()),
        }
        Ok(Some(
            self.signed_in_by_passkey(user, client, browser).await?,
        ))
    }

    /// Starts a sign-up with a passkey instead of a password, for
    /// `username` and `email` (checked first: the ceremony does not start
    /// for a name or address that cannot be an account's).
    pub async fn start_passkey_sign_up(
        &self,
        username: &str,
        email: &str,
        visitor: &TokenDigest,
    ) -> Result<Ceremony, SignInError> {
        let (username, email) = self.parts.accounts.check_new_account(username, email)?;
        Ok(self
            .parts
            .passkeys
            .start_sign_up(username.as_str(), email.as_str(), visitor)
            .await?)
    }

    /// The sign-up ceremony ended: the account is made with the passkey as
    /// its only way in, and signed in (the passkey verified its user).
    pub async fn passkey_sign_up(
        &self,
        visitor: &TokenDigest,
        ceremony: &str,
        name: &str,
        credential: &serde_json::Value,
        client: &ClientMeta,
        browser: Browser<'_>,
    ) -> Result<Started, SignInError> {
        let sign_up = self
            .parts
            .passkeys
            .finish_sign_up(visitor, ceremony, name, credential)
            .await?;
        let user = self
            .parts
            .accounts
            .register_with_passkey(&sign_up.username, &sign_up.email, &sign_up.passkey, client)
            .await?;
        self.signed_in_by_passkey(user, client, browser).await
    }

    /// True when `mfa.required` covers `user` (whether or not they have a
    /// second factor yet).
    pub fn must_have_second_factor(&self, user: &User) -> bool {
        self.parts
            .mfa
            .config()
            .required
            .applies_to(user, &self.parts.roles)
    }

    /// True when `user` must have a second factor and has none: their
    /// session opens only the enrolment pages.
    pub async fn must_enrol(&self, user: &User) -> Result<bool, SignInError> {
        if !self.must_have_second_factor(user) {
            return Ok(false);
        }
        // A passkey counts: it verifies its user, and it is asked for
        // after a password like a code.
        Ok(!self.parts.mfa.is_enabled(user.id).await?
            && !self.parts.passkeys.has_any(user.id).await?)
    }

    /// The owner turns their second factor off, proving it with their
    /// password: false (and nothing changes) when it is not theirs.
    /// (Where `mfa.required` covers the account, it is then confined to
    /// enrolling one again.)
    pub async fn turn_off_second_factor(
        &self,
        user: &User,
        password: SecretString,
        client: &ClientMeta,
    ) -> Result<bool, SignInError> {
        if !self
            .parts
            .accounts
            .confirm_password(user, password, client)
            .await?
        {
            return Ok(false);
        }
        self.parts.mfa.disable(user, client).await?;
        Ok(true)
    }

    /// A second factor was just enrolled in `session`. When the policy
    /// covers the account, its other sessions end: they were confined to
    /// enrolment and proved only the password (whoever holds it must not
    /// ride on the owner's enrolment).
    pub async fn second_factor_enrolled(
        &self,
        session: &Session,
        factor: SecondFactor,
    ) -> Result<(), SignInError> {
        // The confirming code (or the passkey's verified registration)
        // proved the factor in this session.
        let methods = session.methods.with_second(factor);
        self.parts.sessions.add_methods(session, methods).await?;
        if self.must_have_second_factor(&session.user) {
            self.parts
                .sessions
                .end_all_except(session.user.id, Some(&session.id))
                .await?;
        }
        Ok(())
    }

    async fn is_trusted_device(
        &self,
        user: &User,
        mark: Option<&SecretString>,
    ) -> Result<bool, MfaError> {
        match mark {
            Some(mark) => {
                self.parts
                    .mfa
                    .is_trusted_device(user, mark.expose_secret())
                    .await
            }
            None => Ok(false),
        }
    }

    /// The answer to the challenge whose cookie digest is `challenge`; a
    /// correct code uses the challenge up and signs in (with a "remember
    /// this device" mark when `trust_device`).
    pub async fn second_factor(
        &self,
        challenge: &TokenDigest,
        code: &str,
        trust_device: bool,
        client: &ClientMeta,
    ) -> Result<SecondStep, SignInError> {
        let Some((pending, user)) = self.parts.mfa.pending(challenge).await? else {
            return Ok(SecondStep::NoChallenge);
        };
        let factor = match self.parts.mfa.verify(&user, code, client).await {
            Ok(factor) => factor,
            Err(MfaError::InvalidCode) => return Ok(SecondStep::WrongCode),
            Err(other) => return Err(other.into()),
        };
        let trusted = if trust_device {
            self.parts.mfa.trusted_device_cookie(&user).await?
        } else {
            None
        };
        self.second_step_proved(challenge, pending, user, factor.into(), trusted, client)
            .await
    }

    /// Starts the passkey ceremony of the second step for the challenge
    /// whose cookie digest is `challenge`; `None` without a live challenge.
    pub async fn start_passkey_second_factor(
        &self,
        challenge: &TokenDigest,
    ) -> Result<Option<Ceremony>, SignInError> {
        let Some((_, user)) = self.parts.mfa.pending(challenge).await? else {
            return Ok(None);
        };
        Ok(Some(
            self.parts.passkeys.start_proof(&user, challenge).await?,
        ))
    }

    /// One of the account's passkeys answered the second step's ceremony:
    /// the challenge is used up and the session starts, as with a code.
    pub async fn passkey_second_factor(
        &self,
        challenge: &TokenDigest,
        ceremony: &str,
        credential: &serde_json::Value,
        client: &ClientMeta,
    ) -> Result<SecondStep, SignInError> {
        let Some((pending, user)) = self.parts.mfa.pending(challenge).await? else {
            return Ok(SecondStep::NoChallenge);
        };
        let Some(presence) = self
            .passkey_proves(&user, challenge, ceremony, credential, client)
            .await?
        else {
            return Ok(SecondStep::WrongCode);
        };
        self.parts.mfa.proved_by_passkey(&user).await?;
        let factor = SecondFactor::of_passkey(presence);
        self.second_step_proved(challenge, pending, user, factor, None, client)
            .await
    }

    async fn second_step_proved(
        &self,
        challenge: &TokenDigest,
        pending: MfaChallenge,
        user: User,
        factor: SecondFactor,
        trusted: Option<(SecretString, Duration)>,
        client: &ClientMeta,
    ) -> Result<SecondStep, SignInError> {
        // Single use: of two concurrent answers, one signs in.
        if !self.parts.mfa.finish_challenge(challenge).await? {
            return Ok(SecondStep::NoChallenge);
        }
        let method = SignInMethod::Factors(FirstFactor::of_source(&pending.source), Some(factor));
        let browser = Browser {
            previous: None,
            next: &pending.next,
            remember: pending.remember,
            device_mark: None,
        };
        let started = self
            .complete(
                user.into(),
                client,
                browser,
                method,
                &pending.source,
                trusted,
            )
            .await?;
        Ok(SecondStep::SignedIn(started))
    }

    /// Every factor is proved: the previous session ends, a new one starts
    /// with its `login.succeeded`, the browser becomes a known device, and
    /// gets a remember-me cookie when it asked.
    async fn complete(
        &self,
        proved: ProvedAccount,
        client: &ClientMeta,
        browser: Browser<'_>,
        method: SignInMethod,
        source: &str,
        trusted_device: Option<(SecretString, Duration)>,
    ) -> Result<Started, SignInError> {
        self.end_previous(browser.previous).await?;
        let ProvedAccount {
            user,
            device_binding,
        } = proved;
        let user_id = user.id;
        // An account that must enrol a second factor goes there first,
        // wherever it was heading (an application would send it back).
        let next = if self.must_enrol(&user).await? {
            ENROLMENT_PAGE
        } else {
            browser.next
        };
        let (token, session) = self
            .parts
            .sessions
            .sign_in(user, client, method, source, SessionKind::Browser)
            .await?;
        tracing::info!(%user_id, method = method.as_str(), "signed in");
        // Every complete sign-in makes this browser a known device of the
        // account (exempt from the account-wide lock-out).
        let device = self
            .parts
            .devices
            .issue(&session.user, device_binding)
            .await?;
        let remember = if browser.remember {
            let (cookie, series) = self.parts.remember.issue(user_id).await?;
            // The session records its series: signing out the account's
            // other sessions keeps this browser's, and a theft of the
            // series ends this session too.
            self.parts.sessions.attach_series(&session, &series).await?;
            Some((cookie, self.parts.remember.ttl()))
        } else {
            None
        };
        Ok(Started {
            token,
            session,
            next: next.to_owned(),
            remember,
            known_device: Some((device, self.parts.devices.ttl())),
            trusted_device,
        })
    }

    /// A session for an account that has just been made or has just
    /// proved itself otherwise (registration, first set-up, a password
    /// change): the previous session ends; no `login.succeeded` is recorded.
    pub async fn start_session(
        &self,
        user: User,
        client: &ClientMeta,
        previous: Option<&Session>,
        next: &str,
    ) -> Result<Started, SignInError> {
        // A password was just set or proved; what the same account's
        // previous session had proved still counts (a password change keeps
        // its second factor), what a cookie restored does not.
        let methods = match previous {
            Some(previous) if previous.user.id == user.id => previous.methods.with_first(false),
            _ => AuthMethods::PASSWORD,
        };
        self.end_previous(previous).await?;
        let user_id = user.id;
        let (token, session) = self
            .parts
            .sessions
            .create(
                user,
                client.ip.map(|ip| ip.to_string()),
                client.user_agent.clone(),
                methods,
            )
            .await?;
        tracing::info!(%user_id, "signed in");
        Ok(Started {
            token,
            session,
            next: next.to_owned(),
            remember: None,
            known_device: None,
            trusted_device: None,
        })
    }

    /// Signs a browser in again from its remember-me cookie: `None` when the
    /// cookie is unknown, expired, stolen (its series then ends) or its
    /// account is gone or locked; the cookie should then be cleared.
    pub async fn restore(
        &self,
        cookie: &SecretString,
        client: &ClientMeta,
    ) -> Result<Option<Restored>, SignInError> {
        let redemption = self
            .parts
            .remember
            .redeem(cookie.expose_secret(), client)
            .await?;
        let Redemption::SignIn {
            user_id,
            cookie: rotated,
            series,
            expires_at,
        } = redemption
        else {
            return Ok(None);
        };
        let Some(user) = self.parts.users.find_by_id(user_id).await? else {
            return Ok(None);
        };
        if user.locked {
            return Ok(None);
        }
        // Not fresh: a cookie proved nothing (see SessionService::restore).
        let (token, session) = self.parts.sessions.restore(user, client, &series).await?;
        let left = expires_at - self.parts.remember.now();
        Ok(Some(Restored {
            token,
            session,
            cookie: (rotated, left),
        }))
    }

    /// A signed-in person proves themselves again before a sensitive action
    /// or a step-up: their password, and the code of their second factor
    /// when the account has one (a trusted-device mark does not stand in).
    /// When both hold, the session is fresh, counts both methods, and gets
    /// a new token ([`Reproved::Proved`]).
    pub async fn reauthenticate(
        &self,
        session: &Session,
        password: SecretString,
        code: Option<&str>,
        client: &ClientMeta,
    ) -> Result<Reproved, SignInError> {
        if !self
            .parts
            .accounts
            .confirm_password(&session.user, password, client)
            .await?
        {
            return Ok(Reproved::WrongPassword);
        }
        // What this proof shows, not what the session once had (a factor
        // removed since must not live on in it).
        let mut methods = AuthMethods::PASSWORD;
        if self.parts.mfa.is_enabled(session.user.id).await? {
            let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
                return Ok(Reproved::WrongCode);
            };
            match self.parts.mfa.verify(&session.user, code, client).await {
                Ok(factor) => methods = methods.with_second(factor.into()),
                Err(MfaError::InvalidCode) => return Ok(Reproved::WrongCode),
                Err(other) => return Err(other.into()),
            }
        } else if self.parts.passkeys.has_any(session.user.id).await? {
            // The second factor is a passkey: a password is not enough.
            return Ok(Reproved::PasskeyRequired);
        }
        let token = self.renew(session, client, methods).await?;
        Ok(Reproved::Proved(token))
    }

    /// Starts re-authenticating `session`'s owner with one of their
    /// passkeys (the ceremony bound to the session's token digest).
    pub async fn start_passkey_reauth(
        &self,
        session: &Session,
        visitor: &TokenDigest,
    ) -> Result<Ceremony, SignInError> {
        Ok(self
            .parts
            .passkeys
            .start_proof(&session.user, visitor)
            .await?)
    }

    /// A signed-in person proves themselves again with one of their
    /// passkeys. One that verified its user (something held and something
    /// known or been) stands alone; one that was only touched needs the
    /// `password` too, as at sign-in (the session's cookie is already
    /// something held). When the proof holds, the session is fresh, counts
    /// what was proved, and gets a new token. A refused answer is
    /// [`Reproved::WrongCode`]; a touched passkey without the right
    /// password is [`Reproved::PasswordRequired`] or
    /// [`Reproved::WrongPassword`].
    pub async fn reauthenticate_with_passkey(
        &self,
        session: &Session,
        visitor: &TokenDigest,
        answer: PasskeyAnswer<'_>,
        password: Option<SecretString>,
        client: &ClientMeta,
    ) -> Result<Reproved, SignInError> {
        let Some(presence) = self
            .passkey_proves(
                &session.user,
                visitor,
                answer.ceremony,
                answer.credential,
                client,
            )
            .await?
        else {
            return Ok(Reproved::WrongCode);
        };
        let mut methods = AuthMethods::NONE.with_second(SecondFactor::of_passkey(presence));
        if presence == Presence::Touched {
            let Some(password) = password.filter(|p| !p.expose_secret().is_empty()) else {
                return Ok(Reproved::PasswordRequired);
            };
            if !self
                .parts
                .accounts
                .confirm_password(&session.user, password, client)
                .await?
            {
                return Ok(Reproved::WrongPassword);
            }
            methods = methods.with_first(false);
        }
        let token = self.renew(session, client, methods).await?;
        Ok(Reproved::Proved(token))
    }

    /// True when `user` has a second factor of any kind (TOTP or a
    /// passkey): what a step-up asks to prove.
    pub async fn has_second_factor(&self, user: &User) -> Result<bool, SignInError> {
        Ok(self.parts.mfa.is_enabled(user.id).await?
            || self.parts.passkeys.has_any(user.id).await?)
    }

    /// True when `user` can confirm with a passkey.
    pub async fn has_passkey(&self, user: &User) -> Result<bool, SignInError> {
        Ok(self.parts.passkeys.has_any(user.id).await?)
    }

    /// True when re-authenticating `user` asks for a second factor too.
    pub async fn reauth_needs_code(&self, user: &User) -> Result<bool, SignInError> {
        Ok(self.parts.mfa.is_enabled(user.id).await?)
    }

    /// The session's owner proved an identity provider's account linked to
    /// theirs (`source`, `oidc:<id>`), which signed them in again. Without
    /// a second factor the session is fresh again with a new token. With
    /// one, the provider's answer is a first factor like any other: the
    /// session ends and the second-factor challenge follows, as at sign-in.
    pub async fn provider_reproved(
        &self,
        session: &Session,
        source: &str,
        client: &ClientMeta,
        next: &str,
    ) -> Result<ProviderReproved, SignInError> {
        let user = session.user.id;
        if self.parts.mfa.is_enabled(user).await? || self.parts.passkeys.has_any(user).await? {
            self.end_previous(Some(session)).await?;
            let challenge = self
                .parts
                .mfa
                .start_challenge(&session.user, next, false, source)
                .await?;
            return Ok(ProviderReproved::SecondFactorDue { challenge });
        }
        let methods = AuthMethods::NONE.with_first(true);
        let token = self.renew(session, client, methods).await?;
        Ok(ProviderReproved::Proved(token))
    }

    /// An identity was just linked to the session's account: its owner
    /// proved it at the provider, so the session is fresh, with a new token.
    pub async fn linked(
        &self,
        session: &Session,
        client: &ClientMeta,
    ) -> Result<SecretString, SignInError> {
        self.renew(session, client, session.methods).await
    }

    async fn renew(
        &self,
        session: &Session,
        client: &ClientMeta,
        methods: AuthMethods,
    ) -> Result<SecretString, SignInError> {
        let fingerprint = client_fingerprint(client.user_agent.as_deref(), client.ip);
        Ok(self
            .parts
            .sessions
            .proved_again(session, client, &fingerprint, methods)
            .await?)
    }

    async fn end_previous(&self, previous: Option<&Session>) -> Result<(), SessionError> {
        if let Some(previous) = previous {
            self.parts.sessions.end(previous).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_method_names_are_the_audit_trails() {
        use FirstFactor::*;
        use SecondFactor::*;
        let cases = [
            (SignInMethod::Factors(Password, None), "password"),
            (SignInMethod::Factors(Password, Some(Totp)), "password+totp"),
            (
                SignInMethod::Factors(Password, Some(RecoveryCode)),
                "password+recovery_code",
            ),
            (
                SignInMethod::Factors(Password, Some(TrustedDevice)),
                "password+trusted_device",
            ),
            (SignInMethod::Factors(Provider, None), "oidc"),
            (SignInMethod::Factors(Provider, Some(Totp)), "oidc+totp"),
            (
                SignInMethod::Factors(Provider, Some(RecoveryCode)),
                "oidc+recovery_code",
            ),
            (
                SignInMethod::Factors(Provider, Some(TrustedDevice)),
                "oidc+trusted_device",
            ),
            (
                SignInMethod::Factors(Password, Some(Passkey)),
                "password+passkey",
            ),
            (
                SignInMethod::Factors(Provider, Some(UnverifiedPasskey)),
                "oidc+passkey",
            ),
            (SignInMethod::Passkey, "passkey"),
            (SignInMethod::RememberMe, "remember_me"),
        ];
        for (method, word) in cases {
            assert_eq!(method.as_str(), word);
        }
        // Only a passkey that verified its user records `uv`.
        let methods = |second| AuthMethods::of(SignInMethod::Factors(Password, second)).to_list();
        assert_eq!(methods(Some(Passkey)), "pwd,hwk,uv");
        assert_eq!(methods(Some(UnverifiedPasskey)), "pwd,hwk");
        assert_eq!(AuthMethods::of(SignInMethod::Passkey).to_list(), "hwk,uv");
        assert_eq!(FirstFactor::of_source("oidc:corp"), Provider);
        assert_eq!(FirstFactor::of_source("ldap"), Password);
        assert_eq!(FirstFactor::of_source("local"), Password);
    }
}
