//! What operators run Rampart with: `[audit]` retention, `/metrics` access,
//! `[alerts]` webhooks, `[rate]` limits on mail and registrations, and the
//! listener's `max_connections` and `[connections]` timeouts.

use super::{Problems, Webhook, defaults};
use serde::Deserialize;
use std::path::PathBuf;
use url::Url;

/// `[audit]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    /// How long events are kept.
    pub retention: Option<String>,
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

/// `[rate]` settings as written (per hour).
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawRate {
    /// Reset and verification mails to one address.
    pub mail_per_address: Option<i64>,
    /// Mail requests from one client address.
    pub mail_per_client: Option<i64>,
    /// Registrations from one client address.
    pub registrations_per_client: Option<i64>,
}

/// `[connections]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawConnections {
    /// A client must send its request headers within this long.
    pub header_timeout: Option<String>,
    /// A connection with no traffic for this long is closed.
    pub idle_timeout: Option<String>,
    /// A request not answered within this long, its body included, is
    /// answered 408.
    pub request_timeout: Option<String>,
}

/// How long audit events are kept (at least a day).
pub fn check_audit(raw: RawAudit, p: &mut Problems) -> time::Duration {
    let RawAudit { retention } = raw;
    p.duration_at_least(
        "audit.retention",
        retention.as_deref(),
        defaults::AUDIT_RETENTION,
        time::Duration::days(1),
    )
}

/// The token that lets remote scrapers read `/metrics` (16 characters or
/// more).
pub fn check_metrics(raw: RawMetrics, p: &mut Problems) -> Option<secrecy::SecretString> {
    let RawMetrics { token, token_file } = raw;
    let token = p.secret("metrics.token", token, token_file.as_deref());
    if token.as_ref().is_some_and(|t| t.len() < 16) {
        p.push("metrics.token must be at least 16 characters");
    }
    token.map(secrecy::SecretString::from)
}

/// The alert webhook: an https URL (http only to loopback) and a signing
/// secret of 16 characters or more.
pub fn check_alerts(raw: RawAlerts, p: &mut Problems) -> Option<Webhook> {
    let RawAlerts {
        webhook_url,
        webhook_secret,
        webhook_secret_file,
    } = raw;
    let secret = p.secret(
        "alerts.webhook_secret",
        webhook_secret,
        webhook_secret_file.as_deref(),
    );
    match (webhook_url, secret) {
        (None, None) => None,
        (None, Some(_)) => {
            p.push("alerts.webhook_secret is set but alerts.webhook_url is not");
            None
        }
        (Some(text), secret) => {
            let url = Url::parse(&text).ok().filter(|u| {
                let loopback = matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                    || matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
                    || u.host_str() == Some("localhost");
                u.scheme() == "https" || (u.scheme() == "http" && loopback)
            });
            if url.is_none() {
                p.push(format!(
                    "alerts.webhook_url {text:?} must be an https URL (http only to loopback)"
                ));
            }
            match secret {
                Some(s) if s.len() >= 16 => url.map(|url| Webhook {
                    url,
                    secret: secrecy::SecretString::from(s),
                }),
                _ => {
                    p.push("alerts.webhook_secret (or _file) of at least 16 characters is needed to sign webhooks");
                    None
                }
            }
        }
    }
}

/// Mail and registration limits per hour.
pub fn check_rate(raw: RawRate, p: &mut Problems) -> rampart_core::rate::RateConfig {
    let RawRate {
        mail_per_address,
        mail_per_client,
        registrations_per_client,
    } = raw;
    let mut rate = rampart_core::rate::RateConfig::default();
    p.at_least_one(
        "rate.mail_per_address",
        mail_per_address,
        &mut rate.mail_per_address,
    );
    p.at_least_one(
        "rate.mail_per_client",
        mail_per_client,
        &mut rate.mail_per_client,
    );
    p.at_least_one(
        "rate.registrations_per_client",
        registrations_per_client,
        &mut rate.registrations_per_client,
    );
    rate
}

/// `max_connections` and `[connections]`.
pub fn check_connections(
    max_connections: Option<usize>,
    raw: RawConnections,
    p: &mut Problems,
) -> crate::serve::Limits {
    let RawConnections {
        header_timeout,
        idle_timeout,
        request_timeout,
    } = raw;
    let mut limits = crate::serve::Limits::default();
    p.at_least_one(
        "max_connections",
        max_connections,
        &mut limits.max_connections,
    );
    for (key, text, slot) in [
        (
            "connections.header_timeout",
            header_timeout,
            &mut limits.header_timeout,
        ),
        (
            "connections.idle_timeout",
            idle_timeout,
            &mut limits.idle_timeout,
        ),
        (
            "connections.request_timeout",
            request_timeout,
            &mut limits.request_timeout,
        ),
    ] {
        let default = time::Duration::try_from(*slot).unwrap_or(time::Duration::seconds(10));
        let d = p.duration(key, text.as_deref(), default);
        *slot = std::time::Duration::try_from(d).unwrap_or(*slot);
    }
    limits
}
