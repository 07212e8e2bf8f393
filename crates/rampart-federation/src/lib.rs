//! External identity sources: OpenID Connect providers ([`oidc`]), GitHub's
//! OAuth2 + user API ([`github`]), and LDAP directories ([`ldap`]). Each
//! implements a port of `rampart-core` ([`rampart_core::provider::ExternalProvider`],
//! [`rampart_core::ports::Directory`]); the rules about accounts (linking,
//! just-in-time creation, roles) stay in the core. Protocols come from the
//! well-kept crates (`openidconnect`, `ldap3`); nothing here re-implements them.

pub mod github;
pub mod http;
pub mod ldap;
pub mod oidc;
pub mod tls;

/// A source could not be set up from its configuration.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);
