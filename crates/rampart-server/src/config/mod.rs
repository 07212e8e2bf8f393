//! Configuration: a TOML file (`--config FILE` or `RAMPART_CONFIG`) overlaid by
//! `RAMPART_*` environment variables (nested keys with `__`, e.g.
//! `RAMPART_SESSION__IDLE_TIMEOUT=30m`), with every secret also readable from
//! a file (`RAMPART_SECRET_KEY_FILE`). [`RawConfig`] is what the sources say;
//! [`Config`] is the checked result the rest of the program uses.
//!
//! Development mode (the default) needs nothing: it creates `./rampart-data/`
//! with a generated secret key (mode 0600), an SQLite database and an e-mail
//! outbox. Production mode refuses to start while any unsafe setting remains,
//! naming every one (see [`Config::production_problems`]).
//!
//! [`raw`] holds the settings as written; [`files`] the private files
//! (development secret, `write_private`).

pub mod access;
pub mod api;
pub mod defaults;
pub mod federation;
mod files;
#[cfg(test)]
mod keys;
pub mod login;
pub mod mfa;
pub mod ops;
pub mod password;
mod problems;
mod raw;
pub mod server;
pub mod session;
pub mod site;
pub mod webauthn;

pub use access::{RawAccess, RawRole, RawRule};
pub use api::{RawApi, RawCors};
use files::development_secret;
pub use files::{create_private_dir, new_secret_key, write_private};
pub use login::RawLogin;
pub use mfa::RawMfa;
pub use ops::{RawAlerts, RawAudit, RawConnections, RawMetrics, RawRate};
pub use password::RawPassword;
pub use problems::{Problems, format_duration, parse_duration};
pub use raw::*;
pub use session::RawSession;
pub use site::RawSite;
pub use webauthn::RawWebauthn;

use ipnet::IpNet;
use rampart_core::SessionConfig;
use rampart_core::access::AccessRules;
use rampart_core::throttle::ThrottleConfig;
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use url::Url;

/// Development or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Zero-configuration local use.
    Development,
    /// Every unsafe setting refused.
    Production,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// A configured alert webhook.
pub struct Webhook {
    /// Its URL.
    pub url: Url,
    /// The signing secret.
    pub secret: SecretString,
}

/// A configuration that cannot be used, with every reason.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The sources could not be read or parsed.
    #[error("the configuration could not be read: {0}")]
    Read(String),
    /// Values are invalid.
    #[error("the configuration is invalid: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// Production mode with unsafe settings.
    #[error("refusing to start in production mode: {}", .0.join("; "))]
    Unsafe(Vec<String>),
    /// The data folder or secret file could not be written.
    #[error("could not prepare the data folder {path}: {source}")]
    DataDir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The checked configuration.
pub struct Config {
    /// Development or production.
    pub mode: Mode,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Public URL.
    pub base_url: Url,
    /// Database URL.
    pub database_url: String,
    /// Secret key (absent only when production mode will refuse to start).
    pub secret_key: Option<SecretString>,
    /// Data folder.
    pub data_dir: PathBuf,
    /// Where development mode writes e-mails.
    pub outbox_dir: PathBuf,
    /// Trusted proxy networks.
    pub trusted_proxies: Vec<IpNet>,
    /// Log format.
    pub log_format: LogFormat,
    /// HTTPS terminated by a trusted proxy.
    pub behind_tls_proxy: bool,
    /// Template overrides.
    pub templates_dir: Option<PathBuf>,
    /// Debug features on.
    pub debug: bool,
    /// Open registration.
    pub registration_open: bool,
    /// Site name.
    pub site_name: String,
    /// Session lifetimes.
    pub session: SessionConfig,
    /// Minimum password length.
    pub password_min_length: usize,
    /// Argon2id (m, t, p).
    pub argon2: (u32, u32, u32),
    /// Concurrent hashes.
    pub hash_workers: usize,
    /// Hashes allowed to wait.
    pub hash_queue: usize,
    /// Password reset link lifetime.
    pub reset_link_ttl: time::Duration,
    /// Remember-me cookie lifetime.
    pub remember_for: time::Duration,
    /// SMTP server URL (None: write `.eml` files to the outbox folder).
    pub smtp_url: Option<String>,
    /// Sender address.
    pub smtp_from: String,
    /// Sign-in lock-out thresholds.
    pub throttle: ThrottleConfig,
    /// Forward-auth access rules.
    pub access: AccessRules,
    /// Built-in and configured roles with their permissions.
    pub roles: std::sync::Arc<rampart_core::RoleBook>,
    /// Session cookie domain for single sign-on across subdomains.
    pub cookie_domain: Option<String>,
    /// Origins allowed to call the API cross-origin.
    pub cors_origins: Vec<String>,
    /// API calls per second per caller.
    pub api_rate_per_second: NonZeroU32,
    /// API burst per caller.
    pub api_burst: NonZeroU32,
    /// The issuer name in `otpauth://` URIs.
    pub mfa_issuer: String,
    /// "Remember this device" lifetime, when offered.
    pub remember_device_for: Option<time::Duration>,
    /// Which accounts must have a second factor.
    pub mfa_required: rampart_core::MfaRequirement,
    /// `webauthn.rp_id`: the relying party passkeys are bound to.
    pub webauthn_rp_id: String,
    /// `site.default_language`: the pages' language when a browser asks
    /// for none there is.
    pub default_language: String,
    /// `mfa.totp_skew_steps`.
    pub totp_skew_steps: u16,
    /// The key file of the encryption key ring.
    pub encryption_keys_file: PathBuf,
    /// How long audit events are kept.
    pub audit_retention: time::Duration,
    /// Connection limits of the listener.
    pub connections: crate::serve::Limits,
    /// Built-in HTTPS: the certificate and key files, when configured.
    pub tls: Option<crate::tls::TlsFiles>,
    /// With built-in HTTPS, where plain HTTP is answered with a redirect.
    pub redirect_http_listen: Option<SocketAddr>,
    /// Lets remote scrapers read `/metrics` (loopback needs none).
    pub metrics_token: Option<SecretString>,
    /// The alert webhook, when configured.
    pub webhook: Option<Webhook>,
    /// Mail and registration limits.
    pub rate: rampart_core::rate::RateConfig,
    /// The offline breached-password file, when configured.
    pub breached_list: Option<PathBuf>,
    /// `password.context_words`.
    pub context_words: Vec<String>,
    /// OpenID Connect / OAuth2 providers, the LDAP directory, and the order
    /// of sources.
    pub federation: federation::Federation,
}

const KNOWN_EXAMPLE_KEYS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "secret",
    "example",
    "your-secret",
    "replace-me",
    "insecure",
];

/// The commented configuration `rampart init` writes, with `secret` as its
/// secret key: every key appears in it, set or as a commented example.
pub fn init_template(secret: &str) -> String {
    include_str!("init.toml").replace("{secret}", secret)
}

impl Config {
    /// Loads and checks the configuration from the file and environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_raw(RawConfig::load(file)?)
    }

    /// Checks raw settings (see [`Config::check`]); in development mode
    /// prepares the data folder (see [`Config::prepare_data_dir`]).
    pub fn from_raw(raw: RawConfig) -> Result<Self, ConfigError> {
        let mut config = Self::check(raw)?;
        config.prepare_data_dir()?;
        Ok(config)
    }

    /// Checks raw settings section by section, naming every problem;
    /// writes nothing (secret files are read).
    pub fn check(raw: RawConfig) -> Result<Self, ConfigError> {
        let RawConfig {
            env,
            listen,
            base_url,
            database_url,
            secret_key,
            secret_key_file,
            data_dir,
            smtp_url,
            smtp_url_file,
            smtp_from,
            tls_cert,
            tls_key,
            redirect_http_listen,
            trusted_proxies,
            log_format,
            behind_tls_proxy,
            templates_dir,
            debug,
            registration,
            site_name,
            session,
            password,
            login,
            access,
            roles,
            cors,
            api,
            mfa,
            webauthn,
            site,
            audit,
            metrics,
            alerts,
            rate,
            oidc,
            ldap,
            encryption_keys_file,
            max_connections,
            connections,
        } = raw;
        let mut p = Problems::default();
        let mode = server::check_mode(env.as_deref(), &mut p);
        let listener = server::check_listener(
            server::RawListener {
                listen,
                tls_cert,
                tls_key,
                base_url,
                redirect_http_listen,
            },
            &mut p,
        )?;
        let secret_key = p
            .secret("secret_key", secret_key, secret_key_file.as_deref())
            .map(SecretString::from);
        let trusted_proxies = server::check_trusted_proxies(trusted_proxies, &mut p);
        let log_format = p.choice(
            "log_format",
            log_format.as_deref(),
            LogFormat::Pretty,
            &[("pretty", LogFormat::Pretty), ("json", LogFormat::Json)],
        );
        let registration_open = p.choice(
            "registration",
            registration.as_deref(),
            true,
            &[("open", true), ("closed", false)],
        );
        let site_name = site_name.unwrap_or_else(|| defaults::SITE_NAME.to_owned());
        let session = session::check(session.unwrap_or_default(), &listener.base_url, &mut p);
        let password = password::check(password.unwrap_or_default(), &mut p);
        let login = login.unwrap_or_default();
        let throttle = login::check(&login, &mut p);
        let access = access::check(access.unwrap_or_default(), &mut p);
        let roles = access::check_roles(roles.unwrap_or_default(), &mut p);
        let federation = federation::parse(
            oidc.as_ref(),
            ldap.as_ref(),
            login.sources.as_ref(),
            mode,
            p.list(),
        );
        let api = api::check(api.unwrap_or_default(), cors.unwrap_or_default(), &mut p);
        let mfa = mfa::check(mfa.unwrap_or_default(), &site_name, &mut p);
        let webauthn_rp_id =
            webauthn::check(webauthn.unwrap_or_default(), &listener.base_url, &mut p);
        let default_language = site::check(site.unwrap_or_default(), &mut p);
        let audit_retention = ops::check_audit(audit.unwrap_or_default(), &mut p);
        let connections =
            ops::check_connections(max_connections, connections.unwrap_or_default(), &mut p);
        let metrics_token = ops::check_metrics(metrics.unwrap_or_default(), &mut p);
        let rate = ops::check_rate(rate.unwrap_or_default(), &mut p);
        let webhook = ops::check_alerts(alerts.unwrap_or_default(), &mut p);
        let smtp_url = p.secret("smtp_url", smtp_url, smtp_url_file.as_deref());
        let smtp_from = smtp_from.unwrap_or_else(|| defaults::SMTP_FROM.to_owned());
        p.finish()?;
        let paths = server::paths(data_dir, database_url, encryption_keys_file);
        Ok(Config {
            mode,
            listen: listener.listen,
            tls: listener.tls,
            redirect_http_listen: listener.redirect_http_listen,
            base_url: listener.base_url,
            database_url: paths.database_url,
            secret_key,
            data_dir: paths.data_dir,
            outbox_dir: paths.outbox_dir,
            trusted_proxies,
            log_format,
            behind_tls_proxy: behind_tls_proxy.unwrap_or(false),
            templates_dir,
            debug: debug.unwrap_or(false),
            registration_open,
            site_name,
            session: session.session,
            password_min_length: password.min_length,
            argon2: password.argon2,
            hash_workers: password.hash_workers,
            hash_queue: password.hash_queue,
            reset_link_ttl: password.reset_link_ttl,
            remember_for: session.remember_for,
            smtp_url,
            smtp_from,
            throttle,
            access,
            roles: std::sync::Arc::new(roles),
            cookie_domain: session.cookie_domain,
            cors_origins: api.cors_origins,
            api_rate_per_second: api.rate_per_second,
            api_burst: api.burst,
            mfa_issuer: mfa.issuer,
            remember_device_for: mfa.remember_device_for,
            mfa_required: mfa.required,
            webauthn_rp_id,
            default_language,
            totp_skew_steps: mfa.totp_skew_steps,
            encryption_keys_file: paths.encryption_keys_file,
            audit_retention,
            connections,
            metrics_token,
            webhook,
            rate,
            breached_list: password.breached_list,
            context_words: password.context_words,
            federation,
        })
    }

    /// Prepares the data folder: created (mode 0700) in development mode or
    /// for an SQLite database; in development mode also the mail outbox and
    /// the generated secret key, when none is configured.
    pub fn prepare_data_dir(&mut self) -> Result<(), ConfigError> {
        let create = |path: &PathBuf| {
            create_private_dir(path).map_err(|source| ConfigError::DataDir {
                path: path.clone(),
                source,
            })
        };
        if self.mode == Mode::Development || self.database_url.starts_with("sqlite:") {
            create(&self.data_dir)?;
        }
        if self.mode == Mode::Development {
            create(&self.outbox_dir)?;
            if self.secret_key.is_none() {
                self.secret_key = Some(development_secret(&self.data_dir)?);
            }
        }
        Ok(())
    }

    /// Served over HTTPS: by the built-in listener, or behind a
    /// TLS-terminating proxy.
    pub fn https(&self) -> bool {
        // (Built-in TLS needs an https base_url: `from_raw` refuses it otherwise.)
        self.base_url.scheme() == "https" || self.behind_tls_proxy
    }

    /// Every setting production mode refuses, as sentences.
    pub fn production_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match &self.secret_key {
            None => problems.push("the secret key is missing: set RAMPART_SECRET_KEY or RAMPART_SECRET_KEY_FILE (rampart init generates one)".to_owned()),
            Some(key) => {
                let key = key.expose_secret();
                let lowered = key.to_lowercase();
                let distinct = key.chars().collect::<std::collections::HashSet<_>>().len();
                if key.len() < 32 {
                    problems.push(format!("the secret key is {} bytes long; it needs at least 32 bytes of randomness (rampart init generates one)", key.len()));
                } else if KNOWN_EXAMPLE_KEYS.iter().any(|example| lowered.contains(example)) {
                    problems.push("the secret key is a known example value; generate a new one with rampart init".to_owned());
                } else if distinct < 16 {
                    problems.push("the secret key has too few distinct characters to hold 32 bytes of entropy; generate a random one with rampart init".to_owned());
                }
            }
        }
        if self.base_url.scheme() != "https" && !self.behind_tls_proxy {
            problems.push(format!("base_url {} is not https; use an https URL with built-in HTTPS (tls_cert, tls_key), or set behind_tls_proxy = true when a TLS-terminating proxy is in front", self.base_url));
        }
        if self.debug {
            problems.push("debug features are on; set debug = false".to_owned());
        }
        problems
    }

    /// Every insecure setting `rampart check` reports.
    pub fn audit(&self) -> Vec<String> {
        let mut findings = Vec::new();
        if self.mode == Mode::Development {
            findings.push(
                "running in development mode; set env = \"production\" for real users".to_owned(),
            );
        }
        findings.extend(self.production_problems());
        if self.smtp_url.is_none() {
            findings.push(format!(
                "smtp_url is not set: mails (verification, password reset) are only written to {}",
                self.outbox_dir.display()
            ));
        }
        if self.password_min_length < 15 {
            findings.push(format!("password.min_length is {}; NIST SP 800-63B-4 asks for at least 15 when passwords are the only factor", self.password_min_length));
        }
        if let Some(files) = &self.tls {
            findings.extend(crate::tls::findings(files, &self.base_url));
        }
        if self.federation.ldap_plain {
            findings.push("ldap.allow_plain is on: directory passwords cross the network unencrypted; use ldaps:// or start_tls = true".to_owned());
        }
        findings
    }

    /// Refuses unsafe production settings, naming each.
    pub fn ensure_safe(&self) -> Result<(), ConfigError> {
        if self.mode == Mode::Production {
            let problems = self.production_problems();
            if !problems.is_empty() {
                return Err(ConfigError::Unsafe(problems));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn production_names_every_problem() {
        let dir = tempfile::tempdir().unwrap();
        let raw = RawConfig {
            env: Some("production".into()),
            secret_key: Some("changeme".into()),
            debug: Some(true),
            data_dir: Some(dir.path().to_path_buf()),
            ..RawConfig::default()
        };
        let config = Config::from_raw(raw).unwrap();
        let err = config.ensure_safe().unwrap_err().to_string();
        assert!(err.contains("secret key is 8 bytes"), "{err}");
        assert!(err.contains("not https"), "{err}");
        assert!(err.contains("debug"), "{err}");
    }

    #[test]
    fn production_accepts_a_safe_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let raw = RawConfig {
            env: Some("production".into()),
            secret_key: Some(new_secret_key().expose_secret().to_owned()),
            base_url: Some("https://auth.example.com".into()),
            data_dir: Some(dir.path().to_path_buf()),
            ..RawConfig::default()
        };
        Config::from_raw(raw).unwrap().ensure_safe().unwrap();
    }

    #[test]
    fn example_and_low_entropy_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (key, expect) in [
            ("this-is-an-example-secret-key-0123456789", "known example"),
            (&"ab".repeat(32)[..], "distinct characters"),
        ] {
            let raw = RawConfig {
                env: Some("production".into()),
                secret_key: Some(key.to_owned()),
                base_url: Some("https://auth.example.com".into()),
                data_dir: Some(dir.path().to_path_buf()),
                ..RawConfig::default()
            };
            let err = Config::from_raw(raw)
                .unwrap()
                .ensure_safe()
                .unwrap_err()
                .to_string();
            assert!(err.contains(expect), "{err}");
        }
    }
}
