//! The configuration as the sources say it: the TOML file overlaid by
//! `RAMPART_*` variables, before any check. Unknown keys are refused by name.

use super::{
    ConfigError, RawAccess, RawAlerts, RawApi, RawAudit, RawConnections, RawCors, RawLogin,
    RawMetrics, RawMfa, RawPassword, RawRate, RawRole, RawSession,
};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A list given either as a TOML array or a comma-separated string (env).
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum StringList {
    /// `["a", "b"]`
    List(Vec<String>),
    /// `"a,b"`
    Joined(String),
}

impl StringList {
    pub(crate) fn items(&self) -> Vec<String> {
        match self {
            StringList::List(v) => v.clone(),
            StringList::Joined(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// The configuration as the file and environment give it.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `development` (default) or `production`.
    pub env: Option<String>,
    /// Listen address, default `127.0.0.1:8080`.
    pub listen: Option<String>,
    /// Public URL, default `http://LISTEN`.
    pub base_url: Option<String>,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: Option<String>,
    /// Secret key (at least 32 bytes of entropy).
    pub secret_key: Option<String>,
    /// File holding the secret key.
    pub secret_key_file: Option<PathBuf>,
    /// Data folder, default `./rampart-data`.
    pub data_dir: Option<PathBuf>,
    /// SMTP server, e.g. `smtp://127.0.0.1:2525`, `smtp://user:pass@host:587?tls=required`, `smtps://host`.
    pub smtp_url: Option<String>,
    /// File holding the SMTP URL (it may carry a password).
    pub smtp_url_file: Option<PathBuf>,
    /// Sender address.
    pub smtp_from: Option<String>,
    /// Built-in HTTPS: the certificate chain (PEM), leaf first.
    pub tls_cert: Option<PathBuf>,
    /// Built-in HTTPS: the private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// With built-in HTTPS, a plain-HTTP listener that answers every
    /// request with a redirect to the https base URL.
    pub redirect_http_listen: Option<String>,
    /// CIDRs whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Option<StringList>,
    /// `pretty` or `json`.
    pub log_format: Option<String>,
    /// HTTPS is terminated by a trusted proxy.
    pub behind_tls_proxy: Option<bool>,
    /// Folder of templates overriding the built-in ones.
    pub templates_dir: Option<PathBuf>,
    /// Debug features (refused in production).
    pub debug: Option<bool>,
    /// `open` (default) or `closed`.
    pub registration: Option<String>,
    /// Name shown on pages.
    pub site_name: Option<String>,
    /// Session lifetimes.
    pub session: Option<RawSession>,
    /// Password policy and hashing cost.
    pub password: Option<RawPassword>,
    /// Sign-in lock-out.
    pub login: Option<RawLogin>,
    /// Forward-auth access rules.
    pub access: Option<RawAccess>,
    /// Custom roles and their permissions (`admin` and `user` are built in).
    pub roles: Option<std::collections::BTreeMap<String, RawRole>>,
    /// Cross-origin API access.
    pub cors: Option<RawCors>,
    /// API rate limits.
    pub api: Option<RawApi>,
    /// Second factors.
    pub mfa: Option<RawMfa>,
    /// Passkeys' relying party.
    pub webauthn: Option<super::RawWebauthn>,
    /// How the pages speak to people.
    pub site: Option<super::RawSite>,
    /// The audit trail.
    pub audit: Option<RawAudit>,
    /// `/metrics` access.
    pub metrics: Option<RawMetrics>,
    /// Alert webhooks.
    pub alerts: Option<RawAlerts>,
    /// Mail and registration limits.
    pub rate: Option<RawRate>,
    /// OpenID Connect / OAuth2 providers.
    pub oidc: Option<super::federation::RawOidc>,
    /// The LDAP directory.
    pub ldap: Option<super::federation::RawLdap>,
    /// Extra encryption keys (`ID BASE64URL` lines; the last one encrypts),
    /// default `DATA_DIR/encryption.keys`; `rampart keys rotate` appends.
    pub encryption_keys_file: Option<PathBuf>,
    /// Connections served at once (default 4096).
    pub max_connections: Option<usize>,
    /// Connection timeouts.
    pub connections: Option<RawConnections>,
}

impl RawConfig {
    /// Reads the TOML file (if any) and overlays the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Read(format!(
                    "the configuration file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(
            Env::prefixed("RAMPART_")
                .filter(|key| {
                    let key = key.as_str().to_ascii_lowercase();
                    // RAMPART_CONFIG names the file; RAMPART_TEST_* and
                    // RAMPART_REQUIRE_* steer the test suite, not the server.
                    key != "config" && !key.starts_with("test_") && !key.starts_with("require_")
                })
                .split("__"),
        );
        figment
            .extract()
            .map_err(|e| ConfigError::Read(e.to_string()))
    }
}
