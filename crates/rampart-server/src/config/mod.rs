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

pub mod federation;
mod files;
mod raw;

pub use files::{create_private_dir, new_secret_key, write_private};
use files::{development_secret, read_secret_file};
pub use raw::*;

use ipnet::IpNet;
use rampart_core::access::{AccessRules, PathMatch, Policy, RequestSource, Rule};
use rampart_core::throttle::ThrottleConfig;
use rampart_core::{Protection, SessionConfig};
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

/// Checks `[access]` and builds the rule list, collecting every problem.
fn parse_access(raw: RawAccess, problems: &mut Vec<String>) -> AccessRules {
    let default_policy =
        match Policy::parse(raw.default_policy.as_deref().unwrap_or("deny"), Vec::new()) {
            Ok(policy) => policy,
            Err(p) => {
                problems.push(format!("access.default_policy: {}", p.message));
                Policy::Deny
            }
        };
    let source =
        RequestSource::parse(raw.source.as_deref().unwrap_or("forwarded")).unwrap_or_else(|p| {
            problems.push(format!("access.{}", p.message));
            RequestSource::Forwarded
        });
    let case_sensitive = raw.case_sensitive.unwrap_or(false);
    let mut rules = Vec::new();
    for (n, rule) in raw.rules.unwrap_or_default().into_iter().enumerate() {
        let at = format!("access.rules[{n}]");
        let policy = match Policy::parse(&rule.policy, rule.roles.clone().unwrap_or_default()) {
            Ok(p) => p,
            Err(p) => {
                problems.push(format!("{at}: {}", p.message));
                continue;
            }
        };
        let path = match (rule.path, rule.path_regex) {
            (Some(_), Some(_)) => {
                problems.push(format!("{at}: give path or path_regex, not both"));
                None
            }
            (Some(prefix), None) => match PathMatch::prefix(&prefix, case_sensitive) {
                Ok(path) => Some(path),
                Err(problem) => {
                    problems.push(format!(
                        "{at}: path {prefix:?} cannot be used: {problem} (write it as a plain path starting with /)"
                    ));
                    None
                }
            },
            // The regular expression sees the canonical path, which is in
            // lower case unless case_sensitive is set.
            (None, Some(re)) => match regex::RegexBuilder::new(&re)
                .case_insensitive(!case_sensitive)
                .build()
            {
                Ok(re) => Some(PathMatch::Regex(re)),
                Err(e) => {
                    problems.push(format!("{at}: path_regex is invalid: {e}"));
                    None
                }
            },
            (None, None) => None,
        };
        let networks = rule
            .networks
            .unwrap_or_default()
            .into_iter()
            .filter_map(|text| {
                text.parse::<IpNet>()
                    .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
                    .map_err(|_| problems.push(format!("{at}: network {text:?} is not a CIDR")))
                    .ok()
            })
            .collect();
        rules.push(Rule {
            host: rule.host.map(|h| h.to_ascii_lowercase()),
            path,
            methods: rule
                .methods
                .unwrap_or_default()
                .into_iter()
                .map(|m| m.to_ascii_uppercase())
                .collect(),
            networks,
            policy,
        });
    }
    AccessRules {
        default_policy,
        rules,
        case_sensitive,
        source,
    }
}

/// `max_connections` and `[connections]`, with the contract's defaults.
fn parse_connections(raw: &RawConfig, problems: &mut Vec<String>) -> crate::serve::Limits {
    let mut limits = crate::serve::Limits::default();
    match raw.max_connections {
        Some(0) => problems.push("max_connections must be at least 1".to_owned()),
        Some(n) => limits.max_connections = n,
        None => {}
    }
    let timeouts = raw.connections.clone().unwrap_or_default();
    for (name, text, slot) in [
        (
            "header_timeout",
            timeouts.header_timeout,
            &mut limits.header_timeout,
        ),
        (
            "idle_timeout",
            timeouts.idle_timeout,
            &mut limits.idle_timeout,
        ),
        (
            "request_timeout",
            timeouts.request_timeout,
            &mut limits.request_timeout,
        ),
    ] {
        let Some(text) = text else { continue };
        match parse_duration(&text).and_then(|d| std::time::Duration::try_from(d).ok()) {
            Some(d) if !d.is_zero() => *slot = d,
            _ => problems.push(format!(
                "connections.{name} {text:?} is not a duration such as 10s"
            )),
        }
    }
    limits
}

/// Parses `"90s"`, `"30m"`, `"1h"`, `"2d"` (or plain seconds).
pub fn parse_duration(raw: &str) -> Option<time::Duration> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let n: i64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "" | "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    (seconds > 0).then(|| time::Duration::seconds(seconds))
}

impl Config {
    /// Loads and checks the configuration from the file and environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_raw(RawConfig::load(file)?)
    }

    /// Checks raw settings; in development mode prepares the data folder.
    pub fn from_raw(raw: RawConfig) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let mode = match raw.env.as_deref().unwrap_or("development") {
            "development" => Mode::Development,
            "production" => Mode::Production,
            other => {
                problems.push(format!(
                    "env must be \"development\" or \"production\", not {other:?}"
                ));
                Mode::Development
            }
        };
        let listen_text = raw
            .listen
            .clone()
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen_text.parse().unwrap_or_else(|_| {
            problems.push(format!(
                "listen address {listen_text:?} is not an IP:port such as 127.0.0.1:8080"
            ));
            SocketAddr::from(([127, 0, 0, 1], 8080))
        });
        let tls = match (&raw.tls_cert, &raw.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (None, None) => None,
            _ => {
                problems.push(
                    "tls_cert and tls_key go together: set both for built-in HTTPS, or neither"
                        .to_owned(),
                );
                None
            }
        };
        let base_text = raw.base_url.clone().unwrap_or_else(|| {
            let scheme = if tls.is_some() { "https" } else { "http" };
            format!("{scheme}://{listen}")
        });
        let base_url = match Url::parse(&base_text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => url,
            _ => {
                problems.push(format!("base_url {base_text:?} is not an http(s) URL"));
                Url::parse("http://127.0.0.1:8080/")
                    .map_err(|e| ConfigError::Read(e.to_string()))?
            }
        };
        let data_dir = raw
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("rampart-data"));
        let mut secret_key = raw.secret_key.clone().map(SecretString::from);
        if let Some(path) = &raw.secret_key_file {
            secret_key =
                read_secret_file(path, "secret_key", &mut problems).map(SecretString::from);
        }
        let trusted_proxies = raw
            .trusted_proxies
            .as_ref()
            .map(StringList::items)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|text| {
                let parsed = text
                    .parse::<IpNet>()
                    .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from));
                parsed
                    .map_err(|_| {
                        problems.push(format!(
                            "trusted proxy {text:?} is not a CIDR such as 10.0.0.0/8"
                        ))
                    })
                    .ok()
            })
            .collect();
        let log_format = match raw.log_format.as_deref().unwrap_or("pretty") {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                problems.push(format!(
                    "log_format must be \"pretty\" or \"json\", not {other:?}"
                ));
                LogFormat::Pretty
            }
        };
        let registration_open = match raw.registration.as_deref().unwrap_or("open") {
            "open" => true,
            "closed" => false,
            other => {
                problems.push(format!(
                    "registration must be \"open\" or \"closed\", not {other:?}"
                ));
                true
            }
        };
        let raw_session = raw.session.clone().unwrap_or_default();
        let mut session = SessionConfig::default();
        for (value, slot, name) in [
            (
                &raw_session.idle_timeout,
                &mut session.idle_timeout,
                "session.idle_timeout",
            ),
            (
                &raw_session.absolute_timeout,
                &mut session.absolute_timeout,
                "session.absolute_timeout",
            ),
        ] {
            if let Some(text) = value {
                match parse_duration(text) {
                    Some(d) => *slot = d,
                    None => problems.push(format!(
                        "{name} {text:?} is not a duration such as 30m, 1h or 24h"
                    )),
                }
            }
        }
        session.protection = match raw_session.protection.as_deref().unwrap_or("basic") {
            "off" => Protection::Off,
            "basic" => Protection::Basic,
            "strong" => Protection::Strong,
            other => {
                problems.push(format!(
                    "session.protection must be off, basic or strong, not {other:?}"
                ));
                Protection::Basic
            }
        };
        if let Some(text) = &raw_session.fresh_for {
            match parse_duration(text) {
                Some(d) => session.fresh_for = d,
                None => problems.push(format!(
                    "session.fresh_for {text:?} is not a duration such as 10m"
                )),
            }
        }
        let pw = raw.password.clone().unwrap_or_default();
        let password_min_length = pw.min_length.unwrap_or(8);
        if password_min_length < 8 {
            problems.push("password.min_length must be at least 8 (NIST SP 800-63B)".to_owned());
        }
        let argon2 = (
            pw.argon2_m_cost
                .unwrap_or(rampart_crypto::password::OWASP_M_COST),
            pw.argon2_t_cost
                .unwrap_or(rampart_crypto::password::OWASP_T_COST),
            pw.argon2_p_cost
                .unwrap_or(rampart_crypto::password::OWASP_P_COST),
        );
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let hash_workers = pw.hash_workers.unwrap_or(cores);
        let hash_queue = pw.hash_queue.unwrap_or(cores * 32);
        if hash_workers == 0 {
            problems.push("password.hash_workers must be at least 1".to_owned());
        }
        let access = parse_access(raw.access.clone().unwrap_or_default(), &mut problems);
        let role_definitions = raw
            .roles
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|(name, role)| (name, role.permissions))
            .collect();
        let roles = rampart_core::RoleBook::new(&role_definitions).unwrap_or_else(|p| {
            problems.push(format!("roles: {}", p.message));
            rampart_core::RoleBook::default()
        });
        let federation = federation::parse(
            raw.oidc.as_ref(),
            raw.ldap.as_ref(),
            raw.login.as_ref().and_then(|l| l.sources.as_ref()),
            mode,
            &mut problems,
        );
        let cookie_domain = raw_session
            .cookie_domain
            .as_deref()
            .map(|d| d.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|d| !d.is_empty());
        if let Some(domain) = &cookie_domain {
            let host = base_url.host_str().unwrap_or_default().to_ascii_lowercase();
            if host != *domain && !host.ends_with(&format!(".{domain}")) {
                problems.push(format!("session.cookie_domain {domain:?} must be the base_url host {host:?} or a parent domain of it"));
            }
        }
        let cors_origins: Vec<String> = raw
            .cors
            .as_ref()
            .and_then(|c| c.allowed_origins.as_ref())
            .map(StringList::items)
            .unwrap_or_default();
        for origin in &cors_origins {
            match Url::parse(origin) {
                Ok(url) if url.origin().ascii_serialization() == *origin => {}
                _ => problems.push(format!("cors.allowed_origins entry {origin:?} is not an origin such as https://app.example.com")),
            }
        }
        let reset_link_ttl = match pw.reset_link_ttl.as_deref() {
            None => time::Duration::minutes(30),
            Some(text) => parse_duration(text).unwrap_or_else(|| {
                problems.push(format!(
                    "password.reset_link_ttl {text:?} is not a duration such as 30m"
                ));
                time::Duration::minutes(30)
            }),
        };
        let remember_for = match raw_session.remember_for.as_deref() {
            None => time::Duration::days(14),
            Some(text) => parse_duration(text).unwrap_or_else(|| {
                problems.push(format!(
                    "session.remember_for {text:?} is not a duration such as 14d"
                ));
                time::Duration::days(14)
            }),
        };
        let mut smtp_url = raw.smtp_url.clone();
        if let Some(path) = &raw.smtp_url_file {
            smtp_url = read_secret_file(path, "smtp_url", &mut problems);
        }
        let smtp_from = raw
            .smtp_from
            .clone()
            .unwrap_or_else(|| "Rampart <rampart@localhost>".to_owned());
        let raw_login = raw.login.clone().unwrap_or_default();
        let mut throttle = ThrottleConfig::default();
        for (name, value, slot) in [
            (
                "lockout_after",
                raw_login.lockout_after,
                &mut throttle.free_failures,
            ),
            (
                "lockout_after_per_address",
                raw_login.lockout_after_per_address,
                &mut throttle.free_failures_per_address,
            ),
            (
                "lockout_after_per_network",
                raw_login.lockout_after_per_network,
                &mut throttle.free_failures_per_network,
            ),
            (
                "lockout_after_per_account",
                raw_login.lockout_after_per_account,
                &mut throttle.free_failures_per_account,
            ),
            (
                "max_consecutive_failures",
                raw_login.max_consecutive_failures,
                &mut throttle.max_consecutive_failures,
            ),
        ] {
            if let Some(n) = value {
                if n < 1 {
                    problems.push(format!("login.{name} must be at least 1"));
                }
                *slot = n;
            }
        }
        if let Some(text) = &raw_login.max_lockout {
            match parse_duration(text) {
                Some(d) => throttle.max_lock = d,
                None => problems.push(format!(
                    "login.max_lockout {text:?} is not a duration such as 1h"
                )),
            }
        }
        let raw_api = raw.api.clone().unwrap_or_default();
        let api_rate_per_second = NonZeroU32::new(raw_api.rate_per_second.unwrap_or(20))
            .unwrap_or_else(|| {
                problems.push("api.rate_per_second must be at least 1".to_owned());
                NonZeroU32::MIN
            });
        let api_burst = NonZeroU32::new(raw_api.burst.unwrap_or(100)).unwrap_or_else(|| {
            problems.push("api.burst must be at least 1".to_owned());
            NonZeroU32::MIN
        });
        let raw_mfa = raw.mfa.clone().unwrap_or_default();
        let remember_device_for = match raw_mfa.remember_device_for.as_deref() {
            None => time::Duration::days(30),
            Some(text) => parse_duration(text).unwrap_or_else(|| {
                problems.push(format!(
                    "mfa.remember_device_for {text:?} is not a duration such as 30d"
                ));
                time::Duration::days(30)
            }),
        };
        let remember_device_for = raw_mfa
            .remember_device
            .unwrap_or(false)
            .then_some(remember_device_for);
        let audit_retention = match raw.audit.as_ref().and_then(|a| a.retention.as_deref()) {
            None => time::Duration::days(365),
            Some(text) => match parse_duration(text) {
                Some(d) if d >= time::Duration::days(1) => d,
                _ => {
                    problems.push(format!(
                        "audit.retention {text:?} is not a duration of at least a day, such as 90d"
                    ));
                    time::Duration::days(365)
                }
            },
        };
        let connections = parse_connections(&raw, &mut problems);
        let raw_metrics = raw.metrics.clone().unwrap_or_default();
        let mut metrics_token = raw_metrics.token.clone();
        if let Some(path) = &raw_metrics.token_file {
            metrics_token = read_secret_file(path, "metrics.token", &mut problems);
        }
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            problems.push("metrics.token must be at least 16 characters".to_owned());
        }
        let metrics_token = metrics_token.map(SecretString::from);
        let raw_rate = raw.rate.clone().unwrap_or_default();
        let mut rate = rampart_core::rate::RateConfig::default();
        for (value, slot, name) in [
            (
                raw_rate.mail_per_address,
                &mut rate.mail_per_address,
                "rate.mail_per_address",
            ),
            (
                raw_rate.mail_per_client,
                &mut rate.mail_per_client,
                "rate.mail_per_client",
            ),
            (
                raw_rate.registrations_per_client,
                &mut rate.registrations_per_client,
                "rate.registrations_per_client",
            ),
        ] {
            if let Some(n) = value {
                if n < 1 {
                    problems.push(format!("{name} must be at least 1"));
                }
                *slot = n;
            }
        }
        let raw_alerts = raw.alerts.clone().unwrap_or_default();
        let mut webhook_secret = raw_alerts.webhook_secret.clone();
        if let Some(path) = &raw_alerts.webhook_secret_file {
            webhook_secret = read_secret_file(path, "alerts.webhook_secret", &mut problems);
        }
        let webhook = match (&raw_alerts.webhook_url, webhook_secret) {
            (None, None) => None,
            (None, Some(_)) => {
                problems
                    .push("alerts.webhook_secret is set but alerts.webhook_url is not".to_owned());
                None
            }
            (Some(text), secret) => {
                let url = Url::parse(text).ok().filter(|u| {
                    let loopback = matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                        || matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
                        || u.host_str() == Some("localhost");
                    u.scheme() == "https" || (u.scheme() == "http" && loopback)
                });
                if url.is_none() {
                    problems.push(format!(
                        "alerts.webhook_url {text:?} must be an https URL (http only to loopback)"
                    ));
                }
                match secret {
                    Some(s) if s.len() >= 16 => url.map(|url| Webhook {
                        url,
                        secret: SecretString::from(s),
                    }),
                    _ => {
                        problems.push("alerts.webhook_secret (or _file) of at least 16 characters is needed to sign webhooks".to_owned());
                        None
                    }
                }
            }
        };
        if tls.is_some() && base_url.scheme() != "https" {
            problems.push(format!(
                "base_url {base_url} is not https, but built-in HTTPS is on (tls_cert, tls_key); use an https URL"
            ));
        }
        let redirect_http_listen = match &raw.redirect_http_listen {
            None => None,
            Some(text) => match text.parse::<SocketAddr>() {
                Ok(addr) if tls.is_some() => Some(addr),
                Ok(_) => {
                    problems.push(
                        "redirect_http_listen needs built-in HTTPS (tls_cert, tls_key)".to_owned(),
                    );
                    None
                }
                Err(_) => {
                    problems.push(format!(
                        "redirect_http_listen {text:?} is not an IP:port such as 0.0.0.0:80"
                    ));
                    None
                }
            },
        };
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        let outbox_dir = data_dir.join("outbox");
        let encryption_keys_file = raw
            .encryption_keys_file
            .clone()
            .unwrap_or_else(|| data_dir.join("encryption.keys"));
        let database_url = raw
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("rampart.db").display()));
        if mode == Mode::Development || database_url.starts_with("sqlite:") {
            create_private_dir(&data_dir).map_err(|source| ConfigError::DataDir {
                path: data_dir.clone(),
                source,
            })?;
        }
        if mode == Mode::Development {
            create_private_dir(&outbox_dir).map_err(|source| ConfigError::DataDir {
                path: outbox_dir.clone(),
                source,
            })?;
            if secret_key.is_none() {
                secret_key = Some(development_secret(&data_dir)?);
            }
        }
        Ok(Config {
            mode,
            listen,
            tls,
            redirect_http_listen,
            base_url,
            database_url,
            secret_key,
            data_dir,
            outbox_dir,
            trusted_proxies,
            log_format,
            behind_tls_proxy: raw.behind_tls_proxy.unwrap_or(false),
            templates_dir: raw.templates_dir.clone(),
            debug: raw.debug.unwrap_or(false),
            registration_open,
            site_name: raw
                .site_name
                .clone()
                .unwrap_or_else(|| "Rampart".to_owned()),
            session,
            password_min_length,
            argon2,
            hash_workers,
            hash_queue,
            reset_link_ttl,
            remember_for,
            smtp_url,
            smtp_from,
            throttle,
            access,
            roles: std::sync::Arc::new(roles),
            cookie_domain,
            cors_origins,
            api_rate_per_second,
            api_burst,
            mfa_issuer: raw_mfa.issuer.clone().unwrap_or_else(|| {
                raw.site_name
                    .clone()
                    .unwrap_or_else(|| "Rampart".to_owned())
            }),
            remember_device_for,
            encryption_keys_file,
            audit_retention,
            connections,
            metrics_token,
            webhook,
            rate,
            breached_list: pw.breached_list.clone(),
            federation,
        })
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
    fn durations() {
        assert_eq!(parse_duration("30m"), Some(time::Duration::minutes(30)));
        assert_eq!(parse_duration("24h"), Some(time::Duration::hours(24)));
        assert_eq!(parse_duration("90"), Some(time::Duration::seconds(90)));
        assert_eq!(parse_duration("0m"), None);
        assert_eq!(parse_duration("1y"), None);
        assert_eq!(parse_duration("h"), None);
    }

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
