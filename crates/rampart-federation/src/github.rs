//! GitHub: OAuth2 (not OpenID Connect: there is no ID token) through the
//! `oauth2` crate, with PKCE and `state`, then GitHub's REST API for who the
//! token belongs to. The subject is the numeric account id (a login can be
//! renamed); the e-mail address is the primary one from `/user/emails`, and
//! counts as verified only when GitHub says so.

use crate::SetupError;
use crate::http::ProviderHttp;
use crate::oidc::chain;
use async_trait::async_trait;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use rampart_core::external::{ExternalProfile, SourcePolicy};
use rampart_core::provider::{Authorization, ExternalProvider, FlowSecrets, ProviderError};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// GitHub's addresses (overridable for GitHub Enterprise Server).
#[derive(Debug, Clone)]
pub struct GitHubEndpoints {
    /// Authorization page.
    pub authorize: String,
    /// Token endpoint.
    pub token: String,
    /// REST API root.
    pub api: String,
}

impl Default for GitHubEndpoints {
    fn default() -> Self {
        Self {
            authorize: "https://github.com/login/oauth/authorize".into(),
            token: "https://github.com/login/oauth/access_token".into(),
            api: "https://api.github.com".into(),
        }
    }
}

/// The GitHub preset.
#[derive(Clone)]
pub struct GitHubSettings {
    /// Route id.
    pub id: String,
    /// Button text.
    pub name: String,
    /// OAuth app client id.
    pub client_id: String,
    /// OAuth app client secret.
    pub client_secret: SecretString,
    /// Scopes (default `read:user user:email`).
    pub scopes: Vec<String>,
    /// Linking and just-in-time creation.
    pub policy: SourcePolicy,
    /// Where GitHub is.
    pub endpoints: GitHubEndpoints,
}

/// GitHub as a sign-in provider.
pub struct GitHubProvider {
    settings: GitHubSettings,
    auth: AuthUrl,
    token: TokenUrl,
    http: ProviderHttp,
}

#[derive(Deserialize)]
struct GitHubUser {
    id: u64,
    login: String,
    name: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

impl GitHubProvider {
    /// Checks the settings.
    pub fn new(settings: GitHubSettings) -> Result<Self, SetupError> {
        let auth = AuthUrl::new(settings.endpoints.authorize.clone())
            .map_err(|e| SetupError(format!("provider {}: authorize URL: {e}", settings.id)))?;
        let token = TokenUrl::new(settings.endpoints.token.clone())
            .map_err(|e| SetupError(format!("provider {}: token URL: {e}", settings.id)))?;
        Ok(Self {
            settings,
            auth,
            token,
            http: ProviderHttp::new(None)?,
        })
    }

    fn client(
        &self,
        redirect_uri: &str,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
        >,
        ProviderError,
    > {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| ProviderError::Invalid(format!("redirect URI: {e}")))?;
        Ok(
            BasicClient::new(ClientId::new(self.settings.client_id.clone()))
                .set_client_secret(ClientSecret::new(
                    self.settings.client_secret.expose_secret().to_owned(),
                ))
                .set_auth_uri(self.auth.clone())
                .set_token_uri(self.token.clone())
                .set_redirect_uri(redirect),
        )
    }

    async fn api<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
    ) -> Result<T, ProviderError> {
        let url = format!(
            "{}{path}",
            self.settings.endpoints.api.trim_end_matches('/')
        );
        let response = self
            .http
            .client()
            .get(url)
            .bearer_auth(token)
            .header("Accept", "application/vnd.github+json")
            .send()
            .await
            .map_err(|e| ProviderError::Unavailable(chain(&e)))?;
        if !response.status().is_success() {
            return Err(ProviderError::Refused(format!(
                "GitHub API {path} answered {}",
                response.status()
            )));
        }
        response
            .json()
            .await
            .map_err(|e| ProviderError::Invalid(format!("GitHub API {path}: {e}")))
    }
}

/// The profile GitHub's answers describe.
fn profile_of(source: String, user: GitHubUser, emails: &[GitHubEmail]) -> ExternalProfile {
    let primary = emails.iter().find(|e| e.primary);
    let (email, email_verified) = match primary {
        Some(e) => (Some(e.email.clone()), e.verified),
        None => (user.email, false),
    };
    ExternalProfile {
        source,
        subject: user.id.to_string(),
        username: Some(user.login),
        email,
        email_verified,
        name: user.name,
        roles: None,
    }
}

#[async_trait]
impl ExternalProvider for GitHubProvider {
    fn id(&self) -> &str {
        &self.settings.id
    }

    fn display_name(&self) -> &str {
        &self.settings.name
    }

    fn policy(&self) -> SourcePolicy {
        self.settings.policy
    }

    /// GitHub has no `auth_time`: it cannot prove a fresh sign-in.
    fn can_reauthenticate(&self) -> bool {
        false
    }

    async fn authorize(
        &self,
        redirect_uri: &str,
        fresh: bool,
    ) -> Result<Authorization, ProviderError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client(redirect_uri)?;
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge);
        for scope in &self.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: SecretString::from(state.secret().clone()),
            // GitHub has no nonce: the state and PKCE bind the answer.
            secrets: FlowSecrets {
                nonce: SecretString::from(String::new()),
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
        if secrets.fresh {
            return Err(ProviderError::Invalid(
                "GitHub cannot prove a fresh sign-in".into(),
            ));
        }
        let token = self
            .client(redirect_uri)?
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(
                secrets.pkce_verifier.expose_secret().to_owned(),
            ))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                oauth2::RequestTokenError::ServerResponse(answer) => {
                    ProviderError::Refused(answer.error().to_string())
                }
                other => ProviderError::Unavailable(chain(&other)),
            })?;
        let access = token.access_token().secret();
        let user: GitHubUser = self.api("/user", access).await?;
        let emails: Vec<GitHubEmail> = self.api("/user/emails", access).await.unwrap_or_default();
        Ok(profile_of(
            format!("oidc:{}", self.settings.id),
            user,
            &emails,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shapes of GitHub's documented answers to GET /user and
    // GET /user/emails.
    const USER: &str = r#"{"login":"octocat","id":583231,"name":"The Octocat","email":"octocat@github.com","type":"User"}"#;
    const EMAILS: &str = r#"[{"email":"old@example.com","primary":false,"verified":true,"visibility":null},
        {"email":"octocat@github.com","primary":true,"verified":false,"visibility":"public"}]"#;

    #[test]
    fn the_subject_is_the_id_and_only_a_verified_primary_address_counts_as_verified()
    -> Result<(), serde_json::Error> {
        let user: GitHubUser = serde_json::from_str(USER)?;
        let emails: Vec<GitHubEmail> = serde_json::from_str(EMAILS)?;
        let profile = profile_of("oidc:github".into(), user, &emails);
        assert_eq!(profile.subject, "583231");
        assert_eq!(profile.username.as_deref(), Some("octocat"));
        assert_eq!(profile.email.as_deref(), Some("octocat@github.com"));
        assert!(!profile.email_verified, "the primary address is unverified");
        let user: GitHubUser = serde_json::from_str(USER)?;
        let profile = profile_of("oidc:github".into(), user, &[]);
        assert!(
            !profile.email_verified,
            "without /user/emails nothing is verified"
        );
        Ok(())
    }
}
