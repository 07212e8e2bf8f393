//! The state every handler can reach: the domain services, the templates and
//! the deployment settings.

use crate::render::Templates;
use crate::settings::WebSettings;
use async_trait::async_trait;
use rampart_core::{
    AccountService, MfaService, RecoveryService, RememberService, SessionService, TokenService,
};
use std::sync::Arc;

/// Answers whether the service can take traffic (database reachable,
/// migrations applied).
#[async_trait]
pub trait Readiness: Send + Sync + 'static {
    /// True when ready.
    async fn ready(&self) -> bool;
}

/// Shared application state: one pointer, so that cloning it (every
/// `State` extractor and middleware layer does, several times a request)
/// costs one reference count, not one per service. Its fields are those of
/// [`AppServices`], reached through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<AppServices>);

impl AppState {
    /// The state of an application made of `services`.
    pub fn new(services: AppServices) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppServices;

    fn deref(&self) -> &AppServices {
        &self.0
    }
}

/// What the handlers share: the services and the settings.
pub struct AppServices {
    /// Registration and sign-in.
    pub accounts: Arc<AccountService>,
    /// First-run setup links.
    pub setup: Arc<rampart_core::setup::SetupService>,
    /// Operator actions on accounts, and the roles.
    pub admin: Arc<rampart_core::AdminService>,
    /// Session creation, checks and revocation.
    pub sessions: Arc<SessionService>,
    /// Password reset and e-mail verification.
    pub recovery: Arc<RecoveryService>,
    /// Remember-me cookies.
    pub remember: Arc<RememberService>,
    /// Second factors.
    pub mfa: Arc<MfaService>,
    /// Personal access tokens.
    pub tokens: Arc<TokenService>,
    /// Sign-in through OpenID Connect / OAuth2 providers.
    pub providers: Arc<rampart_core::provider::ProviderSignIn>,
    /// Linked external identities.
    pub identities: Arc<rampart_core::external::IdentityService>,
    /// Known-device cookies (set at every complete sign-in).
    pub devices: Arc<rampart_core::device::KnownDevices>,
    /// Passkeys (WebAuthn).
    pub passkeys: Arc<rampart_core::passkey::PasskeyService>,
    /// The sign-in state machine (every sign-in goes through it).
    pub signin: Arc<rampart_core::authn::SignInService>,
    /// Page templates.
    pub templates: Arc<Templates>,
    /// Deployment settings.
    pub settings: Arc<WebSettings>,
    /// Shared rate limits (API calls).
    pub limits: Arc<rampart_core::rate::RateLimits>,
    /// `/metrics`.
    pub telemetry: Arc<crate::telemetry::Telemetry>,
    /// Counts read from the database for `/metrics`.
    pub counts: Arc<dyn crate::telemetry::StoredCounts>,
    /// Readiness probe for `/healthz`.
    pub readiness: Arc<dyn Readiness>,
    /// The server's clock: pages show times relative to it.
    pub clock: Arc<dyn rampart_core::Clock>,
}
