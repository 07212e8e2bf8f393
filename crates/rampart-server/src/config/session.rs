//! `[session]`: session lifetimes, protection against a cookie used from
//! another client, remember-me, and the cookie's domain.

use super::Problems;
use super::defaults;
use rampart_core::{Protection, SessionConfig};
use serde::Deserialize;
use url::Url;

/// `[session]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawSession {
    /// e.g. `"1h"`, `"30m"`.
    pub idle_timeout: Option<String>,
    /// e.g. `"24h"`.
    pub absolute_timeout: Option<String>,
    /// How long "keep me signed in" lasts.
    pub remember_for: Option<String>,
    /// `off`, `basic` or `strong`: what a session cookie coming from another
    /// client (user agent, /24 or /64 network) leads to.
    pub protection: Option<String>,
    /// How long a sign-in counts as fresh for sensitive actions.
    pub fresh_for: Option<String>,
    /// Share the session cookie with every subdomain of this domain (single
    /// sign-on across subdomains); also the domain `rd` redirects may go to.
    pub cookie_domain: Option<String>,
    /// The most sessions an account keeps; at the limit the oldest end
    /// (0 or absent: unlimited).
    pub max_per_user: Option<u32>,
}

/// `[session]`, checked.
pub struct SessionSection {
    /// Lifetimes and protection.
    pub session: SessionConfig,
    /// How long a remember-me cookie lasts.
    pub remember_for: time::Duration,
    /// The cookie domain, when shared with subdomains.
    pub cookie_domain: Option<String>,
}

/// Checks `[session]`; the cookie domain must cover `base_url`'s host.
pub fn check(raw: RawSession, base_url: &Url, p: &mut Problems) -> SessionSection {
    let RawSession {
        idle_timeout,
        absolute_timeout,
        remember_for,
        protection,
        fresh_for,
        cookie_domain,
        max_per_user,
    } = raw;
    let defaults = SessionConfig::default();
    let session = SessionConfig {
        idle_timeout: p.duration(
            "session.idle_timeout",
            idle_timeout.as_deref(),
            defaults.idle_timeout,
        ),
        absolute_timeout: p.duration(
            "session.absolute_timeout",
            absolute_timeout.as_deref(),
            defaults.absolute_timeout,
        ),
        fresh_for: p.duration(
            "session.fresh_for",
            fresh_for.as_deref(),
            defaults.fresh_for,
        ),
        protection: p.choice(
            "session.protection",
            protection.as_deref(),
            defaults.protection,
            &[
                ("off", Protection::Off),
                ("basic", Protection::Basic),
                ("strong", Protection::Strong),
            ],
        ),
        max_per_user: max_per_user.filter(|&max| max > 0),
        ..defaults
    };
    let remember_for = p.duration(
        "session.remember_for",
        remember_for.as_deref(),
        defaults::REMEMBER_FOR,
    );
    let cookie_domain = cookie_domain
        .as_deref()
        .map(|d| d.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|d| !d.is_empty());
    if let Some(domain) = &cookie_domain {
        let host = base_url.host_str().unwrap_or_default().to_ascii_lowercase();
        if host != *domain && !host.ends_with(&format!(".{domain}")) {
            p.push(format!("session.cookie_domain {domain:?} must be the base_url host {host:?} or a parent domain of it"));
        }
    }
    SessionSection {
        session,
        remember_for,
        cookie_domain,
    }
}
