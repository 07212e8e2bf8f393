//! Sign-in through an OpenID Connect / OAuth2 provider's redirect: the
//! authorization-code flow with PKCE, `state` and `nonce`.
//!
//! [`ProviderSignIn::begin`] asks the provider (a [`ExternalProvider`],
//! implemented in `rampart-federation`) for its authorization address and
//! keeps, server-side, a one-time record found by the digest of `state`:
//! the browser that started it (its session digest), the sealed nonce and
//! PKCE verifier, where to go next, and the account to link to, if any.
//! [`ProviderSignIn::finish`] takes that record (single use, 10 minutes),
//! refuses a `state` that is unknown, used, expired or from another browser,
//! lets the provider redeem the code and verify the ID token, and then hands
//! the proved profile to [`IdentityService`].

use crate::audit::{AuditTrail, ClientMeta, Outcome};
use crate::clock::Clock;
use crate::external::{ExternalError, ExternalProfile, IdentityService, SourcePolicy};
use crate::model::User;
use crate::model::audit::AuditKind;
pub use crate::model::provider::{PendingLogin, Purpose};
use crate::ports::{IdentityRepo, KeySource, RepoError};
use async_trait::async_trait;
use rampart_crypto::TokenDigest;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use time::Duration;

/// How long a redirect to a provider may take to come back.
pub const LOGIN_TTL: Duration = Duration::minutes(10);

/// The secrets of one redirect that must come back with it to the token
/// request: the nonce the ID token must carry, and the PKCE verifier.
pub struct FlowSecrets {
    /// The nonce sent in the authorization request.
    pub nonce: SecretString,
    /// The PKCE code verifier.
    pub pkce_verifier: SecretString,
    /// The person was asked to sign in at the provider again (a
    /// re-authentication): the ID token must show they did.
    pub fresh: bool,
}

/// Where to send the browser, and what to keep until it comes back.
pub struct Authorization {
    /// The provider's authorization address with every parameter.
    pub url: String,
    /// The `state` in that address.
    pub state: SecretString,
    /// Kept (sealed) until the callback.
    pub secrets: FlowSecrets,
}

/// Why a provider's part failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be reached or answered nonsense.
    #[error("the identity provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the code or the token (replayed, expired, …).
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    /// The ID token or the answer failed verification (signature, issuer,
    /// audience, expiry, nonce).
    #[error("the identity provider's answer failed verification: {0}")]
    Invalid(String),
}

/// One configured provider.
#[async_trait]
pub trait ExternalProvider: Send + Sync + 'static {
    /// Its id in routes and sources (`corp` → `oidc:corp`).
    fn id(&self) -> &str;
    /// The name on its button.
    fn display_name(&self) -> &str;
    /// Linking and just-in-time settings.
    fn policy(&self) -> SourcePolicy;
    /// A fresh authorization request whose answer comes to `redirect_uri`;
    /// `fresh`: the person must sign in at the provider again, whatever
    /// session they have there (`prompt=login`, `max_age=0`).
    async fn authorize(
        &self,
        redirect_uri: &str,
        fresh: bool,
    ) -> Result<Authorization, ProviderError>;
    /// True when the provider can prove a fresh sign-in (an OpenID Connect
    /// `auth_time`), so it may re-authenticate a signed-in person.
    fn can_reauthenticate(&self) -> bool {
        true
    }
    /// Redeems `code` and verifies what comes back.
    async fn redeem(
        &self,
        code: &str,
        secrets: FlowSecrets,
        redirect_uri: &str,
    ) -> Result<ExternalProfile, ProviderError>;
}

/// Why a provider sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProviderSignInError {
    /// No provider has that id.
    #[error("no identity provider is called {0:?}")]
    UnknownProvider(String),
    /// The `state` is unknown, used, expired, or from another browser.
    #[error("this sign-in was not started in this browser, or has expired: start it again")]
    InvalidState,
    /// The provider answered with an error instead of a code.
    #[error("the identity provider did not sign you in ({0})")]
    Denied(String),
    /// The provider's part failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The account rules refused.
    #[error(transparent)]
    Account(#[from] ExternalError),
    /// The key ring failed.
    #[error("the sign-in could not be sealed: {0}")]
    Keys(String),
    /// The database failed.
    #[error("the account store is unavailable")]
    Store(#[from] RepoError),
}

/// How a callback ended.
pub enum Finished {
    /// A person is signed in (or must give their second factor first).
    SignedIn {
        /// The account.
        user: User,
        /// The account has a second factor.
        mfa_enabled: bool,
        /// `oidc:<id>`.
        source: String,
        /// Where to go afterwards.
        next: String,
    },
    /// The signed-in account's owner proved an identity linked to it.
    Confirmed {
        /// The account.
        user: User,
        /// `oidc:<id>`.
        source: String,
        /// Where to go afterwards.
        next: String,
    },
    /// The identity was linked to the signed-in account.
    Linked {
        /// The account.
        user: User,
        /// Where to go afterwards.
        next: String,
    },
}

/// The configured providers and the redirect flow through them.
pub struct ProviderSignIn {
    providers: BTreeMap<String, Arc<dyn ExternalProvider>>,
    identities: Arc<IdentityService>,
    repo: Arc<dyn IdentityRepo>,
    keys: Arc<dyn KeySource>,
    audit: Arc<AuditTrail>,
    clock: Arc<dyn Clock>,
}

/// The parts [`ProviderSignIn`] is built from.
pub struct ProviderSignInParts {
    /// The configured providers, in button order.
    pub providers: Vec<Arc<dyn ExternalProvider>>,
    /// The linking rules.
    pub identities: Arc<IdentityService>,
    /// Pending redirects.
    pub repo: Arc<dyn IdentityRepo>,
    /// Seals the flow secrets.
    pub keys: Arc<dyn KeySource>,
    /// The audit trail.
    pub audit: Arc<AuditTrail>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// The flow secrets as sealed in `oidc_logins.sealed`.
#[derive(serde::Serialize, serde::Deserialize, zeroize::ZeroizeOnDrop)]
struct Sealed {
    nonce: String,
    pkce: String,
    #[serde(default)]
    fresh: bool,
}

fn seal_context(state_digest: &TokenDigest) -> Vec<u8> {
    format!("rampart oidc login {}", state_digest.to_hex()).into_bytes()
}

impl ProviderSignIn {
    /// Builds the service.
    pub fn new(parts: ProviderSignInParts) -> Self {
        Self {
            providers: parts
                .providers
                .into_iter()
                .map(|p| (p.id().to_owned(), p))
                .collect(),
            identities: parts.identities,
            repo: parts.repo,
            keys: parts.keys,
            audit: parts.audit,
            clock: parts.clock,
        }
    }

    /// `(id, display name)` of each provider, for the buttons.
    pub fn buttons(&self) -> Vec<(String, String)> {
        self.providers
            .values()
            .map(|p| (p.id().to_owned(), p.display_name().to_owned()))
            .collect()
    }

    /// The ids of the providers that can re-authenticate a signed-in person.
    pub fn reauthenticating(&self) -> Vec<String> {
        self.providers
            .values()
            .filter(|p| p.can_reauthenticate())
            .map(|p| format!("oidc:{}", p.id()))
            .collect()
    }

    /// The display name of a provider, from a source (`oidc:<id>`).
    pub fn name_of_source(&self, source: &str) -> Option<&str> {
        let id = source.strip_prefix("oidc:")?;
        self.providers.get(id).map(|p| p.display_name())
    }

    fn provider(&self, id: &str) -> Result<&Arc<dyn ExternalProvider>, ProviderSignInError> {
        self.providers
            .get(id)
            .ok_or_else(|| ProviderSignInError::UnknownProvider(id.chars().take(64).collect()))
    }

    /// Starts a redirect to provider `id` for the browser whose session token
    /// digest is `visitor`; returns the address to send it to.
    pub async fn begin(
        &self,
        id: &str,
        redirect_uri: &str,
        visitor: &TokenDigest,
        next: &str,
        purpose: Purpose,
    ) -> Result<String, ProviderSignInError> {
        let provider = self.provider(id)?;
        let fresh = matches!(purpose, Purpose::Reauth(_));
        if fresh && !provider.can_reauthenticate() {
            return Err(ProviderError::Refused(
                "this provider cannot prove a fresh sign-in: use your password".into(),
            )
            .into());
        }
        let auth = provider.authorize(redirect_uri, fresh).await?;
        let state_digest = TokenDigest::of(auth.state.expose_secret());
        let secrets = serde_json::to_vec(&Sealed {
            nonce: auth.secrets.nonce.expose_secret().to_owned(),
            pkce: auth.secrets.pkce_verifier.expose_secret().to_owned(),
            fresh,
        })
        .map_err(|e| ProviderSignInError::Keys(e.to_string()))?;
        let secrets = zeroize::Zeroizing::new(secrets);
        let sealed = self
            .keys
            .key_ring()
            .map_err(|e| ProviderSignInError::Keys(e.to_string()))?
            .encrypt(&secrets, &seal_context(&state_digest))
            .map_err(|e| ProviderSignInError::Keys(e.to_string()))?;
        let now = self.clock.now();
        self.repo.delete_expired_logins(now).await?;
        self.repo
            .insert_login(&PendingLogin {
                state_digest,
                visitor_digest: *visitor,
                provider: id.to_owned(),
                sealed,
                next: next.to_owned(),
                purpose,
                expires_at: now + LOGIN_TTL,
            })
            .await?;
        Ok(auth.url)
    }

    /// Handles the provider's answer at the callback of provider `id`.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish(
        &self,
        id: &str,
        redirect_uri: &str,
        visitor: &TokenDigest,
        state: &str,
        code: Option<&str>,
        error: Option<&str>,
        signed_in: Option<&User>,
        client: &ClientMeta,
    ) -> Result<Finished, ProviderSignInError> {
        let provider = self.provider(id)?;
        let source = format!("oidc:{id}");
        let state_digest = TokenDigest::of(state);
        let pending = self
            .repo
            .take_login(&state_digest, self.clock.now())
            .await?
            .filter(|p| p.provider == id && p.visitor_digest.ct_eq(visitor));
        let Some(pending) = pending else {
            self.refused(&source, "invalid_state", client).await?;
            return Err(ProviderSignInError::InvalidState);
        };
        if let Some(error) = error {
            let error: String = error
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(64)
                .collect();
            self.refused(&source, &error, client).await?;
            return Err(ProviderSignInError::Denied(error));
        }
        let Some(code) = code.filter(|c| !c.is_empty() && c.len() <= 2048) else {
            self.refused(&source, "no_code", client).await?;
            return Err(ProviderSignInError::Denied("no code".into()));
        };
        let secrets = self.unseal(&pending)?;
        let profile = match provider.redeem(code, secrets, redirect_uri).await {
            Ok(profile) => profile,
            Err(err) => {
                let reason = match &err {
                    ProviderError::Unavailable(_) => "provider_unavailable",
                    ProviderError::Refused(_) => "code_refused",
                    ProviderError::Invalid(_) => "id_token_invalid",
                };
                tracing::warn!(provider = id, error = %err, "provider sign-in refused");
                self.refused(&source, reason, client).await?;
                return Err(err.into());
            }
        };
        if let Some(owner) = pending.purpose.user() {
            // The same signed-in account must come back (not one signed in
            // since, nor a signed-out browser).
            let user = signed_in
                .filter(|u| u.id == owner)
                .ok_or(ProviderSignInError::InvalidState)?;
            if let Purpose::Reauth(_) = pending.purpose {
                let linked = self
                    .repo
                    .find_identity(&profile.source, &profile.subject)
                    .await?;
                if linked != Some(user.id) {
                    self.refused(&source, "not_linked_to_this_account", client)
                        .await?;
                    return Err(ExternalError::LinkedElsewhere.into());
                }
                return Ok(Finished::Confirmed {
                    user: user.clone(),
                    source: profile.source.clone(),
                    next: pending.next,
                });
            }
            self.identities.link(user, &profile, client).await?;
            return Ok(Finished::Linked {
                user: user.clone(),
                next: pending.next,
            });
        }
        let user = match self
            .identities
            .resolve(&profile, provider.policy(), client)
            .await
        {
            Ok(user) => user,
            Err(err) => {
                let reason = match &err {
                    ExternalError::NotLinked => "not_linked",
                    ExternalError::EmailTaken => "email_taken",
                    ExternalError::AccountUnavailable => "account_locked",
                    _ => "refused",
                };
                self.refused(&source, reason, client).await?;
                return Err(err.into());
            }
        };
        let mfa_enabled = self.identities.has_second_factor(&user).await?;
        Ok(Finished::SignedIn {
            user,
            mfa_enabled,
            source,
            next: pending.next,
        })
    }

    fn unseal(&self, pending: &PendingLogin) -> Result<FlowSecrets, ProviderSignInError> {
        let ring = self
            .keys
            .key_ring()
            .map_err(|e| ProviderSignInError::Keys(e.to_string()))?;
        let opened = ring
            .decrypt(&pending.sealed, &seal_context(&pending.state_digest))
            .map_err(|e| ProviderSignInError::Keys(e.to_string()))?;
        let sealed: Sealed = serde_json::from_slice(&opened)
            .map_err(|e| ProviderSignInError::Keys(e.to_string()))?;
        Ok(FlowSecrets {
            nonce: SecretString::from(sealed.nonce.clone()),
            pkce_verifier: SecretString::from(sealed.pkce.clone()),
            fresh: sealed.fresh,
        })
    }

    async fn refused(
        &self,
        source: &str,
        reason: &str,
        client: &ClientMeta,
    ) -> Result<(), RepoError> {
        self.audit
            .record_about(
                AuditKind::LoginFailed,
                None,
                None,
                client,
                Outcome::Failure,
                json!({"source": source, "reason": reason}),
            )
            .await
    }
}
