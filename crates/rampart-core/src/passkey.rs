//! Passkeys (WebAuthn): adding one to an account, and signing in with one
//! alone. The ceremonies are `webauthn-rs`'s (attestation `none`); this
//! module keeps their state and the credentials.
//!
//! - **User verification** (a PIN or biometrics) is *preferred* when a
//!   passkey is added or proves its owner after a password, so a security
//!   key without a PIN still serves as a second step (`hwk`); it is
//!   *required* where the passkey is all there is: signing in alone,
//!   signing up, recovering a passkey-only account. Only a passkey that
//!   verified its user at registration and is kept by its authenticator
//!   counts as a way in, and a credential that verified its user once must
//!   always do so (`webauthn-rs` enforces both).
//! - **Ceremonies** are kept server-side, like an identity provider's
//!   `state` ([`crate::provider`]): the browser gets a random ceremony
//!   token with the options, the row is found by its digest, bound to the
//!   browser's session or pre-login token, single use and five minutes
//!   long, and its state (the challenge) is sealed by the key ring.
//! - **Credentials** are sealed by the key ring too, bound to their
//!   account and credential id, and found by the credential id, which is
//!   unique across accounts.
//! - **Refusals** (an unknown credential, another account's handle, a wrong
//!   origin or RP ID, a replayed or foreign ceremony, a signature counter
//!   that went backwards) are all one `PasskeyError::Refused` to the
//!   browser; the audit trail records which (`login.failed`, `reason`).

use crate::audit::{AuditTrail, ClientMeta, Outcome};
use crate::clock::Clock;
use crate::model::audit::AuditKind;
pub use crate::model::passkey::{
    CeremonyPurpose, PasskeyId, PasskeyRecord, PendingCeremony, Presence, Removal,
};
use crate::model::{FieldProblem, User, UserId};
use crate::ports::{KeySource, PasskeyRepo, RepoError, UserRepo};
use crate::session::{SessionId, SessionService};
use data_encoding::BASE64URL_NOPAD;
use rampart_crypto::{TokenDigest, generate_token};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use webauthn_rs::prelude::{
    AuthenticationResult, Credential, DiscoverableAuthentication, Passkey, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, SecurityKey, SecurityKeyAuthentication,
    SecurityKeyRegistration, Url, Webauthn, WebauthnBuilder, WebauthnError,
};

/// How long a browser has to answer a ceremony.
pub const CEREMONY_TTL: Duration = Duration::minutes(5);

/// The longest name a passkey may have, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// The relying party: who the passkeys are for.
#[derive(Debug, Clone)]
pub struct PasskeySettings {
    /// The RP ID: the base URL's host (a domain name; WebAuthn refuses IP
    /// addresses).
    pub rp_id: String,
    /// The one origin ceremonies must come from (the base URL's).
    pub origin: Url,
    /// The name authenticators show.
    pub rp_name: String,
}

/// Why a passkey step failed.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The base URL names no domain (an IP address), so WebAuthn cannot be
    /// offered.
    #[error(
        "passkeys are not available here: the site's base URL must name a host, not an IP address"
    )]
    Unavailable,
    /// The ceremony token is unknown, used, expired, from another browser
    /// or for something else.
    #[error("this passkey step was not started in this browser, or has expired: start it again")]
    InvalidCeremony,
    /// The authenticator's answer was not accepted (see the audit trail for
    /// why).
    #[error("the passkey was not accepted")]
    Refused(&'static str),
    /// The answer could not be read.
    #[error("the passkey answer is malformed: {0}")]
    Malformed(String),
    /// The credential is registered already.
    #[error("this passkey is registered already")]
    AlreadyRegistered,
    /// The name is not acceptable.
    #[error("{}", .0.message)]
    Invalid(FieldProblem),
    /// The account has no passkey with this id.
    #[error("you have no passkey with this id; it may have been removed already")]
    NotFound,
    /// The passkey is the account's last way in.
    #[error(
        "this passkey is your only way to sign in: set a password (or add another passkey) before removing it"
    )]
    LastWayIn,
    /// A sign-up's authenticator does not keep the passkey (no resident
    /// key), so it could not sign in by itself.
    #[error(
        "this authenticator cannot keep a passkey that signs in by itself: use another one, or a password"
    )]
    NotDiscoverable,
    /// The password cannot go: the account has no passkey that signs in by
    /// itself (or no password).
    #[error(
        "add a passkey that signs in by itself before removing your password: it would be your only way in"
    )]
    PasswordNeeded,
    /// Sealing or opening failed.
    #[error("the passkey could not be sealed: {0}")]
    Keys(String),
    /// The database failed.
    #[error("the account store is unavailable")]
    Store(#[from] RepoError),
}

/// A ceremony for the browser: the token that names it and the options to
/// hand to `navigator.credentials`.
pub struct Ceremony {
    /// Sent back with the answer.
    pub token: SecretString,
    /// `{"publicKey": …}`, binary fields in base64url.
    pub options: serde_json::Value,
}

/// What a new passkey of an existing account is for, which sets how
/// strict its ceremony is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewPasskey {
    /// One more passkey: user verification and a resident key preferred.
    /// One that verifies its user and is kept by its authenticator signs
    /// in by itself; any other is a second step after the password.
    Extra,
    /// The account's way in (recovering an account without a password):
    /// it must verify its user and be kept by the authenticator.
    WayIn,
}

impl NewPasskey {
    /// The ceremony's purpose: a way in is a recovery, never an addition
    /// (so one ceremony cannot be finished as the other).
    fn purpose(self, user: UserId) -> CeremonyPurpose {
        match self {
            Self::Extra => CeremonyPurpose::Register(user),
            Self::WayIn => CeremonyPurpose::Recover(user),
        }
    }
}

/// A passkey just added.
#[derive(Debug, Clone)]
pub struct Added {
    /// As its owner sees it.
    pub passkey: PasskeySummary,
    /// What its registration proved.
    pub presence: Presence,
}

/// An add ceremony's state, sealed: `webauthn-rs`'s security-key ceremony
/// prefers user verification, its passkey ceremony requires it.
#[derive(serde::Serialize, serde::Deserialize)]
enum RegistrationState {
    Preferred(SecurityKeyRegistration),
    Required(PasskeyRegistration),
}

/// A sign-up's ceremony state, sealed: the registration and the account
/// it will make.
#[derive(serde::Serialize, serde::Deserialize)]
struct SignUpState {
    registration: PasskeyRegistration,
    user_id: uuid::Uuid,
    username: String,
    email: String,
}

/// A finished sign-up ceremony: the account to create, and its passkey.
pub struct SignUp {
    /// The username asked for.
    pub username: String,
    /// The address given.
    pub email: String,
    /// The passkey, sealed, bound to the new account's id.
    pub passkey: PasskeyRecord,
}

/// A passkey as its owner sees it.
#[derive(Debug, Clone)]
pub struct PasskeySummary {
    /// Rampart's id.
    pub id: String,
    /// The name its owner gave it.
    pub name: String,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it last signed in.
    pub last_used_at: Option<OffsetDateTime>,
    /// The authenticator may sync it.
    pub backup_eligible: bool,
    /// It is synced.
    pub backup_state: bool,
    /// It signs in by itself (a resident key), so it counts as a way in.
    pub discoverable: bool,
}

impl From<&PasskeyRecord> for PasskeySummary {
    fn from(p: &PasskeyRecord) -> Self {
        Self {
            id: p.id.0.clone(),
            name: p.name.clone(),
            created_at: p.created_at,
            last_used_at: p.last_used_at,
            backup_eligible: p.backup_eligible,
            backup_state: p.backup_state,
            discoverable: p.discoverable,
        }
    }
}

/// Who removes a passkey.
#[derive(Debug, Clone, Copy)]
pub enum Remover<'a> {
    /// Its owner, in this session (which stays).
    Owner(&'a SessionId),
    /// An operator (`operator` or `administrator NAME`).
    Operator(&'a str),
}

impl Remover<'_> {
    fn describe(&self) -> &str {
        match self {
            Remover::Owner(_) => "owner",
            Remover::Operator(name) => name,
        }
    }
}

/// The services passkeys need.
pub struct PasskeyParts {
    /// Passkeys and ceremonies.
    pub repo: Arc<dyn PasskeyRepo>,
    /// Accounts.
    pub users: Arc<dyn UserRepo>,
    /// Seals ceremony state and credentials.
    pub keys: Arc<dyn KeySource>,
    /// Sessions (ended when a passkey is removed).
    pub sessions: Arc<SessionService>,
    /// The audit trail.
    pub audit: Arc<AuditTrail>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// Passkeys: ceremonies, the account's list, sign-in.
pub struct PasskeyService {
    webauthn: Option<Webauthn>,
    parts: PasskeyParts,
}

fn ceremony_context(digest: &TokenDigest) -> Vec<u8> {
    format!("rampart passkey ceremony {}", digest.to_hex()).into_bytes()
}

fn credential_context(user: UserId, credential_id: &str) -> Vec<u8> {
    format!("rampart passkey {user} {credential_id}").into_bytes()
}

/// A passkey's name as given: trimmed, 1 to 64 characters, no control
/// characters.
pub fn parse_name(name: &str) -> Result<String, FieldProblem> {
    let name = name.trim();
    if name.is_empty() {
        return Err(FieldProblem::new(
            "name",
            "problem-passkey-name-missing",
            "Give the passkey a name.",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(FieldProblem::new(
            "name",
            "problem-passkey-name-length",
            format!("Use at most {MAX_NAME_CHARS} characters."),
        )
        .with("max", MAX_NAME_CHARS));
    }
    if name
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c))
    {
        return Err(FieldProblem::new(
            "name",
            "problem-passkey-name-characters",
            "Use letters, digits, spaces and punctuation only.",
        ));
    }
    Ok(name.to_owned())
}

/// Format characters that change how text around them reads (bidi
/// overrides and isolates, zero-width characters, the soft hyphen): a name
/// with them could pass for another.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

impl PasskeyService {
    /// Passkeys for `settings`; unavailable (every step refused, buttons
    /// hidden) when the RP ID is not a domain of the origin.
    pub fn new(parts: PasskeyParts, settings: &PasskeySettings) -> Self {
        // Checked here first: webauthn-rs logs an error of its own for an
        // RP ID it refuses, and an IP address in the base URL (the
        // development default) is an expected setting, not an error.
        let names_a_domain = settings.origin.domain().is_some_and(|host| {
            host == settings.rp_id || host.ends_with(&format!(".{}", settings.rp_id))
        });
        if !names_a_domain {
            tracing::info!(rp_id = %settings.rp_id,
                "passkeys are off: the base URL must name a host (not an IP address) under the RP ID");
            return Self {
                webauthn: None,
                parts,
            };
        }
        let webauthn = WebauthnBuilder::new(&settings.rp_id, &settings.origin)
            .map(|b| {
                b.rp_name(&settings.rp_name)
                    .timeout(std::time::Duration::from_secs(
                        CEREMONY_TTL.whole_seconds().unsigned_abs(),
                    ))
            })
            .and_then(|b| b.build());
        let webauthn = match webauthn {
            Ok(webauthn) => Some(webauthn),
            Err(err) => {
                tracing::warn!(rp_id = %settings.rp_id, error = %err,
                    "passkeys are off: the base URL's host cannot be a WebAuthn RP ID");
                None
            }
        };
        Self { webauthn, parts }
    }

    /// True when passkeys can be offered.
    pub fn available(&self) -> bool {
        self.webauthn.is_some()
    }

    fn webauthn(&self) -> Result<&Webauthn, PasskeyError> {
        self.webauthn.as_ref().ok_or(PasskeyError::Unavailable)
    }

    fn seal(&self, plain: &[u8], context: &[u8]) -> Result<String, PasskeyError> {
        self.parts
            .keys
            .key_ring()
            .map_err(|e| PasskeyError::Keys(e.to_string()))?
            .encrypt(plain, context)
            .map_err(|e| PasskeyError::Keys(e.to_string()))
    }

    fn open<T: serde::de::DeserializeOwned>(
        &self,
        sealed: &str,
        context: &[u8],
    ) -> Result<T, PasskeyError> {
        serde_json::from_slice(&self.open_plain(sealed, context)?)
            .map_err(|e| PasskeyError::Keys(e.to_string()))
    }

    fn open_plain(
        &self,
        sealed: &str,
        context: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, PasskeyError> {
        self.parts
            .keys
            .key_ring()
            .map_err(|e| PasskeyError::Keys(e.to_string()))?
            .decrypt(sealed, context)
            .map_err(|e| PasskeyError::Keys(e.to_string()))
    }

    /// `user`'s passkeys, oldest first.
    pub async fn list(&self, user: UserId) -> Result<Vec<PasskeySummary>, PasskeyError> {
        let stored = self.parts.repo.list_passkeys(user).await?;
        Ok(stored.iter().map(PasskeySummary::from).collect())
    }

    /// True when `user` has a passkey.
    pub async fn has_any(&self, user: UserId) -> Result<bool, PasskeyError> {
        Ok(!self.parts.repo.list_passkeys(user).await?.is_empty())
    }

    async fn start(
        &self,
        visitor: &TokenDigest,
        purpose: CeremonyPurpose,
        state: &impl Serialize,
        options: serde_json::Value,
    ) -> Result<Ceremony, PasskeyError> {
        let token = generate_token();
        let digest = TokenDigest::of(token.expose_secret());
        let state = zeroize::Zeroizing::new(
            serde_json::to_vec(state).map_err(|e| PasskeyError::Keys(e.to_string()))?,
        );
        let now = self.parts.clock.now();
        let ceremony = PendingCeremony {
            digest,
            visitor_digest: *visitor,
            purpose,
            sealed: self.seal(&state, &ceremony_context(&digest))?,
            expires_at: now + CEREMONY_TTL,
        };
        self.parts.repo.insert_ceremony(&ceremony, now).await?;
        Ok(Ceremony { token, options })
    }

    /// Takes the browser's ceremony: only once, only in time, only from the
    /// browser that started it, and only for `purpose`.
    async fn take<T: serde::de::DeserializeOwned>(
        &self,
        visitor: &TokenDigest,
        token: &str,
        purpose: CeremonyPurpose,
    ) -> Result<T, PasskeyError> {
        if token.is_empty() || token.len() > 128 {
            return Err(PasskeyError::InvalidCeremony);
        }
        let digest = TokenDigest::of(token);
        let pending = self
            .parts
            .repo
            .take_ceremony(&digest, self.parts.clock.now())
            .await?
            .filter(|p| p.purpose == purpose && p.visitor_digest.ct_eq(visitor))
            .ok_or(PasskeyError::InvalidCeremony)?;
        let plain = self.open_plain(&pending.sealed, &ceremony_context(&digest))?;
        // A ceremony started by an earlier release may hold another kind of
        // state: it is started again.
        serde_json::from_slice(&plain).map_err(|_| PasskeyError::InvalidCeremony)
    }

    /// Starts adding a passkey (`kind`) to `user`'s account from the
    /// browser whose session digest is `visitor`. The account's passkeys
    /// are excluded, and resident (discoverable) keys preferred, or
    /// required for a way in.
    pub async fn start_registration(
        &self,
        user: &User,
        visitor: &TokenDigest,
        kind: NewPasskey,
    ) -> Result<Ceremony, PasskeyError> {
        let webauthn = self.webauthn()?;
        let existing = self.parts.repo.list_passkeys(user.id).await?;
        let exclude = existing
            .iter()
            .filter_map(|p| BASE64URL_NOPAD.decode(p.credential_id.as_bytes()).ok())
            .collect::<Vec<_>>();
        let name = user.username.as_str();
        let (mut options, state) = match kind {
            NewPasskey::Extra => {
                let (options, state) = webauthn
                    .start_securitykey_registration(
                        user.id.0,
                        name,
                        name,
                        Some(exclude),
                        None,
                        None,
                    )
                    .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
                (options_json(&options)?, RegistrationState::Preferred(state))
            }
            NewPasskey::WayIn => {
                let (options, state) = webauthn
                    .start_passkey_registration(user.id.0, name, name, Some(exclude))
                    .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
                (options_json(&options)?, RegistrationState::Required(state))
            }
        };
        wants_resident_key(&mut options, kind == NewPasskey::WayIn);
        if kind == NewPasskey::Extra {
            no_credential_protection(&mut options);
        }
        self.start(visitor, kind.purpose(user.id), &state, options)
            .await
    }

    /// Finishes adding a passkey (`kind`, as started) named `name` to
    /// `user`'s account with the authenticator's answer (`credential`, the
    /// JSON of a `PublicKeyCredential` from `navigator.credentials.create`).
    /// A ceremony started for the other kind is refused.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_registration(
        &self,
        user: &User,
        visitor: &TokenDigest,
        kind: NewPasskey,
        ceremony: &str,
        name: &str,
        credential: &serde_json::Value,
        client: &ClientMeta,
    ) -> Result<Added, PasskeyError> {
        let webauthn = self.webauthn()?;
        let name = parse_name(name).map_err(PasskeyError::Invalid)?;
        let answer: RegisterPublicKeyCredential = serde_json::from_value(credential.clone())
            .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        let state: RegistrationState = self.take(visitor, ceremony, kind.purpose(user.id)).await?;
        let (passkey, way_in) = match &state {
            RegistrationState::Preferred(state) => (
                webauthn
                    .finish_securitykey_registration(&answer, state)
                    .map(|key| Passkey::from(Credential::from(key))),
                false,
            ),
            RegistrationState::Required(state) => {
                (webauthn.finish_passkey_registration(&answer, state), true)
            }
        };
        let passkey = passkey.map_err(|e| {
            tracing::info!(error = %e, "a passkey registration was refused");
            PasskeyError::Refused(refusal(&e))
        })?;
        let resident = reports_resident_key(&answer);
        // A way in must sign in by itself.
        if way_in && !resident {
            return Err(PasskeyError::NotDiscoverable);
        }
        let presence = presence_at_registration(&passkey);
        let signs_in_alone = resident && presence == Presence::Verified;
        let record = self.record(user.id, name, &passkey, signs_in_alone)?;
        let event = self.parts.audit.success(AuditKind::PasskeyAdded, user, client, json!({"passkey": record.id.0, "name": record.name, "user_verified": presence == Presence::Verified}));
        match self.parts.repo.insert_passkey(&record, &event).await {
            Ok(()) => {}
            Err(RepoError::Conflict(_)) => return Err(PasskeyError::AlreadyRegistered),
            Err(other) => return Err(other.into()),
        }
        self.parts.audit.committed(&event).await;
        Ok(Added {
            passkey: PasskeySummary::from(&record),
            presence,
        })
    }

    fn seal_passkey(
        &self,
        user: UserId,
        credential_id: &str,
        passkey: &Passkey,
    ) -> Result<String, PasskeyError> {
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(passkey).map_err(|e| PasskeyError::Keys(e.to_string()))?,
        );
        self.seal(&plain, &credential_context(user, credential_id))
    }

    /// Starts a sign-up with a passkey instead of a password: the account
    /// (`username`, `email`, already checked) is made only when the
    /// ceremony ends; its id, the passkey's user handle, is chosen now.
    pub async fn start_sign_up(
        &self,
        username: &str,
        email: &str,
        visitor: &TokenDigest,
    ) -> Result<Ceremony, PasskeyError> {
        let webauthn = self.webauthn()?;
        let user_id = UserId::new();
        let (options, registration): (_, PasskeyRegistration) = webauthn
            .start_passkey_registration(user_id.0, username, username, None)
            .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        let mut options = options_json(&options)?;
        // Required here: this passkey is the account's only way in, and it
        // must sign in without a name.
        wants_resident_key(&mut options, true);
        let state = SignUpState {
            registration,
            user_id: user_id.0,
            username: username.to_owned(),
            email: email.to_owned(),
        };
        self.start(visitor, CeremonyPurpose::SignUp, &state, options)
            .await
    }

    /// Finishes a sign-up ceremony: the account to create and its passkey
    /// (named `name`), not yet stored.
    pub async fn finish_sign_up(
        &self,
        visitor: &TokenDigest,
        ceremony: &str,
        name: &str,
        credential: &serde_json::Value,
    ) -> Result<SignUp, PasskeyError> {
        let webauthn = self.webauthn()?;
        let name = parse_name(name).map_err(PasskeyError::Invalid)?;
        let answer: RegisterPublicKeyCredential = serde_json::from_value(credential.clone())
            .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        let state: SignUpState = self
            .take(visitor, ceremony, CeremonyPurpose::SignUp)
            .await?;
        let passkey = webauthn
            .finish_passkey_registration(&answer, &state.registration)
            .map_err(|e| {
                tracing::info!(error = %e, "a passkey sign-up was refused");
                PasskeyError::Refused(refusal(&e))
            })?;
        // This passkey will be the only way in: it must sign in by itself.
        if !reports_resident_key(&answer) {
            return Err(PasskeyError::NotDiscoverable);
        }
        let user_id = UserId(state.user_id);
        let record = self.record(user_id, name, &passkey, true)?;
        Ok(SignUp {
            username: state.username.clone(),
            email: state.email.clone(),
            passkey: record,
        })
    }

    /// A new passkey of `user`, sealed, as it will be stored.
    fn record(
        &self,
        user: UserId,
        name: String,
        passkey: &Passkey,
        discoverable: bool,
    ) -> Result<PasskeyRecord, PasskeyError> {
        let credential_id = BASE64URL_NOPAD.encode(passkey.cred_id().as_ref());
        let (backup_eligible, backup_state) = backup_flags(passkey);
        let sealed = self.seal_passkey(user, &credential_id, passkey)?;
        Ok(PasskeyRecord {
            id: PasskeyId(uuid::Uuid::new_v4().to_string()),
            user_id: user,
            credential_id,
            name,
            sealed,
            backup_eligible,
            backup_state,
            discoverable,
            created_at: self.parts.clock.now(),
            last_used_at: None,
        })
    }

    /// Starts a sign-in with a discoverable passkey (no name asked).
    pub async fn start_sign_in(&self, visitor: &TokenDigest) -> Result<Ceremony, PasskeyError> {
        let webauthn = self.webauthn()?;
        let (mut options, state): (_, DiscoverableAuthentication) = webauthn
            .start_discoverable_authentication()
            .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        // The page chooses: a button asks at once, the username field's
        // autofill asks with conditional mediation.
        options.mediation = None;
        let options = options_json(&options)?;
        self.start(visitor, CeremonyPurpose::SignIn, &state, options)
            .await
    }

    /// Finishes a sign-in with a discoverable passkey: the account it
    /// proved. Every refusal is audited as `login.failed`.
    pub async fn finish_sign_in(
        &self,
        visitor: &TokenDigest,
        ceremony: &str,
        credential: &serde_json::Value,
        client: &ClientMeta,
    ) -> Result<User, PasskeyError> {
        let webauthn = self.webauthn()?;
        let answer = parse_answer(credential)?;
        let kind = AuditKind::LoginFailed;
        let state: DiscoverableAuthentication = self
            .take_or_refuse(
                visitor,
                ceremony,
                CeremonyPurpose::SignIn,
                None,
                kind,
                client,
            )
            .await?;
        let (record, user) = self.holder(&answer, None, kind, client).await?;
        // A discoverable credential names its account (the user handle):
        // it must be this credential's.
        let handle_matches = answer
            .response
            .user_handle
            .as_ref()
            .is_some_and(|h| h.as_slice() == user.id.0.as_bytes());
        if !handle_matches {
            return Err(self
                .refuse(Some(&user), "wrong_user_handle", kind, client)
                .await);
        }
        // The ceremony required user verification; the credential must
        // have verified its user when added as well.
        self.verified(&record, &user, true, kind, client, |passkey| {
            webauthn.finish_discoverable_authentication_v2(&answer, state, passkey)
        })
        .await?;
        Ok(user)
    }

    /// Starts a proof, with one of `user`'s passkeys, that the owner is
    /// here: the second step of a sign-in (the browser's challenge token
    /// digest as `visitor`) or a re-authentication (its session's). User
    /// verification is preferred: the answer says whether it happened.
    pub async fn start_proof(
        &self,
        user: &User,
        visitor: &TokenDigest,
    ) -> Result<Ceremony, PasskeyError> {
        let webauthn = self.webauthn()?;
        let keys = self
            .passkeys_of(user.id)
            .await?
            .into_iter()
            .map(|passkey| SecurityKey::from(Credential::from(passkey)))
            .collect::<Vec<_>>();
        if keys.is_empty() {
            return Err(PasskeyError::NotFound);
        }
        let (options, state): (_, SecurityKeyAuthentication) = webauthn
            .start_securitykey_authentication(&keys)
            .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        let mut options = options_json(&options)?;
        any_authenticator(&mut options);
        self.start(visitor, CeremonyPurpose::Prove(user.id), &state, options)
            .await
    }

    /// Finishes a proof started by [`Self::start_proof`]: one of `user`'s
    /// own passkeys answered, and whether it verified its user. A
    /// credential that verified its user when it was added must verify it
    /// again. Refusals are audited as `mfa.failed`.
    pub async fn finish_proof(
        &self,
        user: &User,
        visitor: &TokenDigest,
        ceremony: &str,
        credential: &serde_json::Value,
        client: &ClientMeta,
    ) -> Result<Presence, PasskeyError> {
        let webauthn = self.webauthn()?;
        let answer = parse_answer(credential)?;
        let kind = AuditKind::MfaFailed;
        let purpose = CeremonyPurpose::Prove(user.id);
        let state: SecurityKeyAuthentication = self
            .take_or_refuse(visitor, ceremony, purpose, Some(user), kind, client)
            .await?;
        let (record, user) = self.holder(&answer, Some(user), kind, client).await?;
        self.verified(&record, &user, false, kind, client, |passkey| {
            webauthn
                .finish_securitykey_authentication(&answer, &state)
                .and_then(|result| {
                    // The state allowed only this account's credentials.
                    if result.cred_id() == passkey.cred_id() {
                        Ok(result)
                    } else {
                        Err(WebauthnError::CredentialNotFound)
                    }
                })
        })
        .await
    }

    /// The account's credentials, opened.
    async fn passkeys_of(&self, user: UserId) -> Result<Vec<Passkey>, PasskeyError> {
        let stored = self.parts.repo.list_passkeys(user).await?;
        stored
            .iter()
            .map(|p| self.open(&p.sealed, &credential_context(user, &p.credential_id)))
            .collect()
    }

    /// Takes the ceremony; a missing one is audited as `kind` and refused.
    async fn take_or_refuse<T: serde::de::DeserializeOwned>(
        &self,
        visitor: &TokenDigest,
        ceremony: &str,
        purpose: CeremonyPurpose,
        user: Option<&User>,
        kind: AuditKind,
        client: &ClientMeta,
    ) -> Result<T, PasskeyError> {
        match self.take(visitor, ceremony, purpose).await {
            Err(PasskeyError::InvalidCeremony) => {
                self.failed(user, "invalid_ceremony", kind, client).await?;
                Err(PasskeyError::InvalidCeremony)
            }
            other => other,
        }
    }

    /// The stored passkey the answer names, and its account (which must be
    /// `expected` when given); otherwise a refusal audited as `kind`.
    async fn holder(
        &self,
        answer: &PublicKeyCredential,
        expected: Option<&User>,
        kind: AuditKind,
        client: &ClientMeta,
    ) -> Result<(PasskeyRecord, User), PasskeyError> {
        let credential_id = BASE64URL_NOPAD.encode(answer.raw_id.as_ref());
        let record = self.parts.repo.find_passkey(&credential_id).await?;
        let Some(record) = record else {
            return Err(self.refuse(expected, "unknown_passkey", kind, client).await);
        };
        if let Some(expected) = expected {
            if record.user_id != expected.id {
                return Err(self
                    .refuse(Some(expected), "not_this_account", kind, client)
                    .await);
            }
            return Ok((record, expected.clone()));
        }
        match self.parts.users.find_by_id(record.user_id).await? {
            Some(user) => Ok((record, user)),
            None => Err(self.refuse(None, "unknown_passkey", kind, client).await),
        }
    }

    /// Runs the signature check `check` on the stored credential; on
    /// success records the use (new counter, flags, time) and answers
    /// whether the authenticator verified its user (now, and when it was
    /// added). A passkey signing in `alone` must have; a locked account is
    /// refused after the check, like a wrong answer.
    #[allow(clippy::too_many_arguments)]
    async fn verified(
        &self,
        record: &PasskeyRecord,
        user: &User,
        alone: bool,
        kind: AuditKind,
        client: &ClientMeta,
        check: impl FnOnce(&Passkey) -> Result<AuthenticationResult, WebauthnError>,
    ) -> Result<Presence, PasskeyError> {
        let context = credential_context(user.id, &record.credential_id);
        let mut passkey: Passkey = self.open(&record.sealed, &context)?;
        let result = match check(&passkey) {
            Ok(result) => result,
            Err(err) => {
                let reason = refusal(&err);
                tracing::info!(error = %err, reason, "a passkey answer was refused");
                return Err(self.refuse(Some(user), reason, kind, client).await);
            }
        };
        if user.locked {
            return Err(self
                .refuse(Some(user), "account_locked", kind, client)
                .await);
        }
        // Verified only if the credential verified its user when it was
        // added, too: a key added without a PIN and given one since (by
        // whoever holds it now) still proves only that it was held.
        let presence =
            if result.user_verified() && presence_at_registration(&passkey) == Presence::Verified {
                Presence::Verified
            } else {
                Presence::Touched
            };
        if alone && presence != Presence::Verified {
            return Err(self.refuse(Some(user), "not_a_way_in", kind, client).await);
        }
        passkey.update_credential(&result);
        let sealed = self.seal_passkey(user.id, &record.credential_id, &passkey)?;
        self.parts
            .repo
            .touch_passkey(
                &record.id,
                &record.sealed,
                &sealed,
                result.backup_state(),
                self.parts.clock.now(),
            )
            .await?;
        Ok(presence)
    }

    /// Audits a refusal for `reason` and answers the error to return (or
    /// the store's, when the audit failed).
    async fn refuse(
        &self,
        user: Option<&User>,
        reason: &'static str,
        kind: AuditKind,
        client: &ClientMeta,
    ) -> PasskeyError {
        match self.failed(user, reason, kind, client).await {
            Ok(()) => PasskeyError::Refused(reason),
            Err(err) => err.into(),
        }
    }

    async fn failed(
        &self,
        user: Option<&User>,
        reason: &str,
        kind: AuditKind,
        client: &ClientMeta,
    ) -> Result<(), RepoError> {
        self.parts
            .audit
            .record_about(
                kind,
                user.map(|u| u.id),
                user.map(|u| u.username.as_str()),
                client,
                Outcome::Failure,
                json!({"method": "passkey", "reason": reason}),
            )
            .await
    }

    /// Removes `user`'s passkey `id` (audited). The account's other
    /// sessions end (one may have been opened with that passkey, if it was
    /// lost or stolen): all of them when an operator removes it, all but
    /// the owner's own when the owner does.
    pub async fn remove(
        &self,
        user: &User,
        id: &PasskeyId,
        by: Remover<'_>,
        client: &ClientMeta,
    ) -> Result<(), PasskeyError> {
        let stored = self.parts.repo.list_passkeys(user.id).await?;
        let Some(passkey) = stored.iter().find(|p| &p.id == id) else {
            return Err(PasskeyError::NotFound);
        };
        let event = self.parts.audit.success(
            AuditKind::PasskeyRemoved,
            user,
            client,
            json!({"passkey": passkey.id.0, "name": passkey.name, "by": by.describe()}),
        );
        match self.parts.repo.delete_passkey(user.id, id, &event).await? {
            Removal::Removed => {}
            Removal::NotFound => return Err(PasskeyError::NotFound),
            Removal::LastWayIn => return Err(PasskeyError::LastWayIn),
        }
        self.parts.audit.committed(&event).await;
        let keep = match by {
            Remover::Owner(session) => Some(session),
            Remover::Operator(_) => None,
        };
        self.parts
            .sessions
            .end_all_except(user.id, keep)
            .await
            .map_err(|e| PasskeyError::Keys(e.to_string()))?;
        Ok(())
    }

    /// Removes `user`'s password, which only a passkey may replace: the
    /// account then signs in with its passkeys alone (and recovers through
    /// the e-mailed reset, which sets a password again). Its other sessions
    /// end, as after a password change.
    pub async fn remove_password(
        &self,
        user: &User,
        keep: &SessionId,
        client: &ClientMeta,
    ) -> Result<(), PasskeyError> {
        let event = self.parts.audit.success(
            AuditKind::PasswordChanged,
            user,
            client,
            json!({"removed": true}),
        );
        if !self.parts.repo.remove_password(user.id, &event).await? {
            return Err(PasskeyError::PasswordNeeded);
        }
        self.parts.audit.committed(&event).await;
        self.parts
            .sessions
            .end_all_except(user.id, Some(keep))
            .await
            .map_err(|e| PasskeyError::Keys(e.to_string()))?;
        Ok(())
    }

    /// True when `user` has a password of Rampart's own.
    pub async fn has_password(&self, user: &User) -> Result<bool, PasskeyError> {
        Ok(self
            .parts
            .users
            .find_credentials(crate::ports::LoginKey::Username(&user.username.key()))
            .await?
            .is_some_and(|c| c.password_hash.is_some()))
    }

    /// Re-encrypts every credential not sealed by the active key; returns
    /// how many rows changed.
    pub async fn reencrypt_credentials(&self) -> Result<usize, PasskeyError> {
        let ring = self
            .parts
            .keys
            .key_ring()
            .map_err(|e| PasskeyError::Keys(e.to_string()))?;
        let mut changed = 0;
        for p in self.parts.repo.all_passkeys().await? {
            if rampart_crypto::keyring::key_id_of(&p.sealed) == Some(ring.active_id()) {
                continue;
            }
            let context = credential_context(p.user_id, &p.credential_id);
            let plain = ring
                .decrypt(&p.sealed, &context)
                .map_err(|e| PasskeyError::Keys(format!("passkey {}: {e}", p.id.0)))?;
            let sealed = ring
                .encrypt(&plain, &context)
                .map_err(|e| PasskeyError::Keys(e.to_string()))?;
            if self
                .parts
                .repo
                .reseal_passkey(&p.id, &p.sealed, &sealed)
                .await?
            {
                changed += 1;
            }
        }
        Ok(changed)
    }
}

/// True when the browser reported that the authenticator keeps the new
/// credential (a resident key: `credProps.rk`). Unsigned, as WebAuthn
/// defines it; it decides only whether the passkey counts as a way in.
fn reports_resident_key(answer: &RegisterPublicKeyCredential) -> bool {
    answer
        .extensions
        .cred_props
        .as_ref()
        .and_then(|props| props.rk)
        == Some(true)
}

/// Asks the authenticator to keep the new credential (a resident key):
/// preferred, or `required` for a passkey that will be a way in.
fn wants_resident_key(options: &mut serde_json::Value, required: bool) {
    let selection = &mut options["publicKey"]["authenticatorSelection"];
    if required {
        selection["residentKey"] = json!("required");
        selection["requireResidentKey"] = json!(true);
    } else {
        // A security key with little room still works as a second step,
        // while a platform or synced passkey becomes discoverable.
        selection["residentKey"] = json!("preferred");
        selection["requireResidentKey"] = json!(false);
    }
    any_authenticator(options);
}

/// `webauthn-rs`'s security-key ceremonies hint at a roaming key; the
/// browser should offer every kind (the platform's, a phone, a key).
fn any_authenticator(options: &mut serde_json::Value) {
    if let Some(public_key) = options["publicKey"].as_object_mut() {
        public_key.remove("hints");
    }
}

/// Drops the `credProtect` request of `webauthn-rs`'s security-key
/// ceremony: browsers refuse "user verification required" protection
/// beside a merely preferred verification (Chromium: "inconsistent"), and
/// on a key without a PIN it would leave the credential unusable. The
/// server still holds every credential to what it proved when added
/// (`webauthn-rs` keeps the registration's policy and verification).
fn no_credential_protection(options: &mut serde_json::Value) {
    if let Some(extensions) = options["publicKey"]["extensions"].as_object_mut() {
        extensions.remove("credentialProtectionPolicy");
        extensions.remove("enforceCredentialProtectionPolicy");
    }
}

/// Whether a new credential's authenticator verified its user when it was
/// made.
fn presence_at_registration(passkey: &Passkey) -> Presence {
    if Credential::from(passkey.clone()).user_verified {
        Presence::Verified
    } else {
        Presence::Touched
    }
}

/// A ceremony's options as the browser gets them (binary fields in
/// base64url).
fn options_json(options: &impl Serialize) -> Result<serde_json::Value, PasskeyError> {
    serde_json::to_value(options).map_err(|e| PasskeyError::Keys(e.to_string()))
}

/// The authenticator's answer to a sign-in or proof ceremony.
fn parse_answer(credential: &serde_json::Value) -> Result<PublicKeyCredential, PasskeyError> {
    serde_json::from_value(credential.clone()).map_err(|e| PasskeyError::Malformed(e.to_string()))
}

/// The audit trail's word for why WebAuthn refused an answer.
fn refusal(err: &WebauthnError) -> &'static str {
    match err {
        WebauthnError::CredentialPossibleCompromise => "counter_regressed",
        WebauthnError::InvalidRPOrigin | WebauthnError::InvalidRPIDHash => "wrong_origin",
        WebauthnError::MismatchedChallenge => "wrong_challenge",
        WebauthnError::UserNotVerified => "user_not_verified",
        WebauthnError::CredentialNotFound => "unknown_passkey",
        _ => "invalid_answer",
    }
}

/// The flags a new passkey came with: may it sync, and is it synced.
/// (Read through `danger-credential-internals`, which only exposes the
/// credential's fields; nothing here changes them.)
fn backup_flags(passkey: &Passkey) -> (bool, bool) {
    let credential = Credential::from(passkey.clone());
    (credential.backup_eligible, credential.backup_state)
}
