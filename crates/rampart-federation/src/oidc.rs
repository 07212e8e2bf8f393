//! An OpenID Connect provider (any issuer with discovery; the Google and
//! Microsoft presets are issuers too), through the `openidconnect` crate:
//! authorization code with PKCE (S256), `state` and `nonce`; the ID token's
//! signature (keys from the discovered JWKS), issuer, audience, expiry and
//! nonce are checked by `IdToken::claims`, and `at_hash` when present. Claims
//! missing from the ID token (e-mail, name) are read from the user-info
//! endpoint, whose `sub` must match.
//!
//! Discovery happens at the first sign-in and is cached for
//! [`DISCOVERY_TTL`], so a provider that is down at start-up does not stop
//! Rampart; it answers "unavailable" until it is back.

use crate::SetupError;
use crate::http::ProviderHttp;
use async_trait::async_trait;
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use rampart_core::external::{ExternalProfile, SourcePolicy};
use rampart_core::provider::{Authorization, ExternalProvider, FlowSecrets, ProviderError};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How long discovered metadata (and its keys) is used before it is fetched again.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(15 * 60);

/// One configured OpenID Connect provider.
#[derive(Clone)]
pub struct OidcSettings {
    /// Route id (`corp` → `/login/oidc/corp`).
    pub id: String,
    /// Button text after "Sign in with".
    pub name: String,
    /// Issuer URL (discovery at `/.well-known/openid-configuration`).
    pub issuer: String,
    /// OAuth2 client id.
    pub client_id: String,
    /// OAuth2 client secret.
    pub client_secret: SecretString,
    /// Scopes beyond `openid`.
    pub scopes: Vec<String>,
    /// Linking and just-in-time creation.
    pub policy: SourcePolicy,
    /// Extra CA certificates for a provider with a private CA.
    pub ca_file: Option<PathBuf>,
}

/// An OpenID Connect provider.
pub struct OidcProvider {
    settings: OidcSettings,
    issuer: IssuerUrl,
    http: ProviderHttp,
    metadata: RwLock<Option<(CoreProviderMetadata, Instant)>>,
}

impl OidcProvider {
    /// Checks the settings; nothing is fetched yet.
    pub fn new(settings: OidcSettings) -> Result<Self, SetupError> {
        let issuer = IssuerUrl::new(settings.issuer.clone()).map_err(|e| {
            SetupError(format!(
                "provider {}: the issuer {:?} is not a URL: {e}",
                settings.id, settings.issuer
            ))
        })?;
        let http = ProviderHttp::new(settings.ca_file.as_deref())?;
        Ok(Self {
            settings,
            issuer,
            http,
            metadata: RwLock::new(None),
        })
    }

    async fn metadata(&self) -> Result<CoreProviderMetadata, ProviderError> {
        if let Some((metadata, at)) = &*self.metadata.read().await
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(metadata.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| ProviderError::Unavailable(format!("discovery failed: {}", chain(&e))))?;
        *self.metadata.write().await = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    async fn client(
        &self,
        redirect_uri: &str,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        ProviderError,
    > {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| ProviderError::Invalid(format!("redirect URI: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            self.metadata().await?,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(
                self.settings.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(redirect))
    }
}

#[async_trait]
impl ExternalProvider for OidcProvider {
    fn id(&self) -> &str {
        &self.settings.id
    }

    fn display_name(&self) -> &str {
        &self.settings.name
    }

    fn policy(&self) -> SourcePolicy {
        self.settings.policy
    }

    async fn authorize(
        &self,
        redirect_uri: &str,
        fresh: bool,
    ) -> Result<Authorization, ProviderError> {
        let client = self.client(redirect_uri).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.settings.scopes {
            if scope != "openid" {
                request = request.add_scope(Scope::new(scope.clone()));
            }
        }
        if fresh {
            // Re-authentication: whatever session the person has at the
            // provider, they sign in again (checked by `auth_time`).
            request = request
                .add_prompt(CoreAuthPrompt::Login)
                .set_max_age(std::time::Duration::ZERO);
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: SecretString::from(state.secret().clone()),
            secrets: FlowSecrets {
                nonce: SecretString::from(nonce.secret().clone()),
                pkce_verifier: SecretString::from(verifier.secret().clone()),
                fresh,
            },
        })
    }

    async fn redeem(
        &self,
        code: &str,
        secrets: FlowSecrets,
        redirect_uri: &str,
    ) -> Result<ExternalProfile, ProviderError> {
        let client = self.client(redirect_uri).await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(
                secrets.pkce_verifier.expose_secret().to_owned(),
            ))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(answer) => {
                    ProviderError::Refused(answer.error().to_string())
                }
                openidconnect::RequestTokenError::Parse(err, _) => {
                    ProviderError::Invalid(format!("the token answer is malformed: {err}"))
                }
                other => ProviderError::Unavailable(chain(&other)),
            })?;
        let id_token = token
            .id_token()
            .ok_or_else(|| ProviderError::Invalid("the answer has no ID token".into()))?;
        let verifier = client.id_token_verifier();
        let nonce = Nonce::new(secrets.nonce.expose_secret().to_owned());
        let claims = id_token
            .claims(&verifier, &nonce)
            .map_err(|e| ProviderError::Invalid(chain(&e)))?;
        if secrets.fresh {
            check_fresh(
                claims.auth_time().map(|t| t.timestamp()),
                claims.issue_time().timestamp(),
            )?;
        }
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token
                .signing_alg()
                .map_err(|e| ProviderError::Invalid(chain(&e)))?;
            let key = id_token
                .signing_key(&verifier)
                .map_err(|e| ProviderError::Invalid(chain(&e)))?;
            let actual = AccessTokenHash::from_token(token.access_token(), alg, key)
                .map_err(|e| ProviderError::Invalid(chain(&e)))?;
            if actual != *expected {
                return Err(ProviderError::Invalid(
                    "the access token does not match the ID token's at_hash".into(),
                ));
            }
        }
        let mut profile = ExternalProfile {
            source: format!("oidc:{}", self.settings.id),
            subject: claims.subject().as_str().to_owned(),
            username: claims.preferred_username().map(|u| u.as_str().to_owned()),
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            roles: None,
        };
        if profile.email.is_none()
            && let Ok(request) =
                client.user_info(token.access_token().clone(), Some(claims.subject().clone()))
        {
            let info: CoreUserInfoClaims = request
                .request_async(&self.http)
                .await
                .map_err(|e| ProviderError::Invalid(format!("user info: {}", chain(&e))))?;
            profile.email = info.email().map(|e| e.as_str().to_owned());
            profile.email_verified = info.email_verified().unwrap_or(false);
            profile.username = profile
                .username
                .or_else(|| info.preferred_username().map(|u| u.as_str().to_owned()));
            profile.name = profile.name.or_else(|| {
                info.name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_owned())
            });
        }
        Ok(profile)
    }
}

/// A re-authentication's ID token must say when the person signed in
/// (`auth_time`), and that must be within the flow's lifetime before the
/// token was issued: a provider that answered from an older session, ignoring
/// `prompt=login` and `max_age=0`, proved nothing fresh. Both times are the
/// provider's, so no clock of ours is compared with its.
fn check_fresh(auth_time: Option<i64>, issued: i64) -> Result<(), ProviderError> {
    let auth_time = auth_time.ok_or_else(|| {
        ProviderError::Invalid(
            "the ID token does not say when the person signed in (auth_time)".into(),
        )
    })?;
    let age = issued.saturating_sub(auth_time);
    if age > rampart_core::provider::LOGIN_TTL.whole_seconds() {
        return Err(ProviderError::Invalid(format!(
            "the person did not sign in at the provider again (auth_time {age} s before the token)"
        )));
    }
    Ok(())
}

/// An error and its causes, on one line.
pub(crate) use rampart_core::error_chain as chain;
