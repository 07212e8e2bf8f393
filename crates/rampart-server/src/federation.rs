//! Builds the external identity sources from the checked configuration:
//! one `rampart-federation` provider per `[[oidc.providers]]` entry, and the
//! LDAP directory behind the `ldap` login source.

use crate::config::Config;
use crate::config::federation::ProviderSettings;
use anyhow::Context;
use rampart_core::account::DirectorySignIn;
use rampart_core::external::IdentityService;
use rampart_core::provider::ExternalProvider;
use rampart_federation::github::GitHubProvider;
use rampart_federation::ldap::LdapDirectory;
use rampart_federation::oidc::OidcProvider;
use std::sync::Arc;

/// The configured providers, in button order.
pub fn providers(config: &Config) -> anyhow::Result<Vec<Arc<dyn ExternalProvider>>> {
    config
        .federation
        .providers
        .iter()
        .map(|p| -> anyhow::Result<Arc<dyn ExternalProvider>> {
            Ok(match p {
                ProviderSettings::Oidc(s) => {
                    Arc::new(OidcProvider::new(s.clone()).context("an OpenID Connect provider")?)
                }
                ProviderSettings::GitHub(s) => {
                    Arc::new(GitHubProvider::new(s.clone()).context("the GitHub provider")?)
                }
            })
        })
        .collect()
}

/// The LDAP directory, when `[ldap]` is configured.
pub fn directory(
    config: &Config,
    identities: Arc<IdentityService>,
) -> anyhow::Result<Option<DirectorySignIn>> {
    let Some(settings) = &config.federation.ldap else {
        return Ok(None);
    };
    let directory = LdapDirectory::new(settings.clone()).context("the LDAP directory")?;
    Ok(Some(DirectorySignIn {
        directory: Arc::new(directory),
        identities,
        policy: config.federation.ldap_policy,
    }))
}
