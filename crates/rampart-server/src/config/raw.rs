//! The configuration as the sources say it: the TOML file overlaid by
//! `RAMPART_*` variables, before any check. Unknown keys are refused by name.

use super::ConfigError;
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

/// `[session]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawSession {
    /// e.g. `"1h"`, `"30m"`.
    pub idle_timeout: Option<String>,
    /// e.g. `"24h"`.
    pub absolute_timeout: Option<String>,
    /// How long "keep me signed in" lasts (default `14d`).
    pub remember_for: Option<String>,
    /// `off`, `basic` (default) or `strong`: what a session cookie coming
    /// from another client (user agent, /24 or /64 network) leads to.
    pub protection: Option<String>,
    /// How long a sign-in counts as fresh for sensitive actions (default `10m`).
    pub fresh_for: Option<String>,
    /// Share the session cookie with every subdomain of this domain (single
    /// sign-on across subdomains); also the domain `rd` redirects may go to.
    pub cookie_domain: Option<String>,
}

/// One `[roles.NAME]` table as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    /// Permission names: `users:read`, `users:write`, `roles:write`, `audit:read`.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// One `[[access.rules]]` entry as written.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Host pattern; `*` matches one or more labels.
    pub host: Option<String>,
    /// Path prefix.
    pub path: Option<String>,
    /// Path regular expression (instead of `path`).
    pub path_regex: Option<String>,
    /// Methods.
    pub methods: Option<Vec<String>>,
    /// Client networks (CIDR).
    pub networks: Option<Vec<String>>,
    /// deny | bypass | authenticated | roles
    pub policy: String,
    /// With `roles`: any of these.
    pub roles: Option<Vec<String>>,
}

/// `[access]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawAccess {
    /// Policy for requests no rule matches (default `deny`).
    pub default_policy: Option<String>,
    /// Ordered rules; first match wins.
    pub rules: Option<Vec<RawRule>>,
    /// `forwarded` (default) or `original-url`: the headers that describe
    /// the original request.
    pub source: Option<String>,
    /// Compare paths with their case (default false).
    pub case_sensitive: Option<bool>,
}

/// `[login]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawLogin {
    /// Failed sign-ins for one name (per network) before lock-outs begin (default 5).
    pub lockout_after: Option<i64>,
    /// Failed sign-ins from one address before lock-outs begin (default 50).
    pub lockout_after_per_address: Option<i64>,
    /// Failed sign-ins from one network (/24 or /64) before it locks (default 200).
    pub lockout_after_per_network: Option<i64>,
    /// Failed sign-ins of one account, across networks, before it locks for
    /// browsers that are not its known devices (default 10).
    pub lockout_after_per_account: Option<i64>,
    /// Consecutive failures after which the account signs in only from a
    /// known device, after a reset or an operator's unlock (default 100).
    pub max_consecutive_failures: Option<i64>,
    /// The longest lock-out (default `1h`).
    pub max_lockout: Option<String>,
    /// The sources the login form tries, in order: `local`, `ldap`
    /// (default `local`, then `ldap` when `[ldap]` is configured).
    pub sources: Option<StringList>,
}

/// `[api]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    /// Sustained calls per second per caller (token or client address); default 20.
    pub rate_per_second: Option<u32>,
    /// Burst per caller; default 100.
    pub burst: Option<u32>,
}

/// `[cors]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawCors {
    /// Origins allowed to call `/api/v1` from a browser (none by default).
    pub allowed_origins: Option<StringList>,
}

/// `[password]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawPassword {
    /// Minimum length in code points (default 8).
    pub min_length: Option<usize>,
    /// Argon2id memory cost in KiB (default 19456).
    pub argon2_m_cost: Option<u32>,
    /// Argon2id iterations (default 2).
    pub argon2_t_cost: Option<u32>,
    /// Argon2id parallelism (default 1).
    pub argon2_p_cost: Option<u32>,
    /// Hashes run at once (default: one per core).
    pub hash_workers: Option<usize>,
    /// Hashes that may wait for a worker before new ones get 503 (default: 32 per core).
    pub hash_queue: Option<usize>,
    /// How long a password reset link works (default `30m`).
    pub reset_link_ttl: Option<String>,
    /// An offline breached-password file (Have I Been Pwned SHA-1 format, sorted).
    pub breached_list: Option<PathBuf>,
}

/// `[rate]` settings as written (per hour).
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawRate {
    /// Reset and verification mails to one address (default 5).
    pub mail_per_address: Option<i64>,
    /// Mail requests from one client address (default 20).
    pub mail_per_client: Option<i64>,
    /// Registrations from one client address (default 10).
    pub registrations_per_client: Option<i64>,
}

/// `[alerts]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    /// Where alert webhooks go (https; http only to loopback).
    pub webhook_url: Option<String>,
    /// The shared secret that signs them (at least 16 characters).
    pub webhook_secret: Option<String>,
    /// The secret, read from a file.
    pub webhook_secret_file: Option<PathBuf>,
}

/// `[metrics]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawMetrics {
    /// A bearer token that lets remote scrapers read `/metrics`.
    pub token: Option<String>,
    /// The token, read from a file.
    pub token_file: Option<PathBuf>,
}

/// `[audit]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    /// How long events are kept (default `365d`).
    pub retention: Option<String>,
}

/// `[mfa]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawMfa {
    /// The issuer name authenticator apps show (default: `site_name`).
    pub issuer: Option<String>,
    /// Offer "do not ask again on this browser" at the second step (default false).
    pub remember_device: Option<bool>,
    /// How long that lasts (default `30d`).
    pub remember_device_for: Option<String>,
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

/// `[connections]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawConnections {
    /// A client must send its request headers within this long (default `10s`).
    pub header_timeout: Option<String>,
    /// A connection with no traffic for this long is closed (default `60s`).
    pub idle_timeout: Option<String>,
    /// A request not answered within this long, its body included, is
    /// answered 408 (default `30s`).
    pub request_timeout: Option<String>,
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
