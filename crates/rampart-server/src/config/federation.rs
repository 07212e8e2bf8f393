//! `[[oidc.providers]]`, `[ldap]` and `[login] sources`: the external
//! identity sources, as written ([`RawOidc`], [`RawLdap`]) and checked
//! ([`Federation`]).
//!
//! Checks: provider ids are route-safe and unique; an issuer is https, or
//! http on loopback in development mode only; a client secret is given
//! (inline or from a file); `ldap://` needs `start_tls = true` or an explicit
//! `allow_plain = true`; the user filter holds `{username}`; mapped roles
//! exist; `sources` names only configured sources.

use super::files::read_secret_file;
use super::{Mode, StringList};
use rampart_core::RoleName;
use rampart_core::account::LoginSource;
use rampart_core::external::SourcePolicy;
use rampart_federation::github::{GitHubEndpoints, GitHubSettings};
use rampart_federation::ldap::LdapSettings;
use rampart_federation::oidc::OidcSettings;
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use url::Url;

/// `[oidc]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawOidc {
    /// `[[oidc.providers]]`.
    #[serde(default)]
    pub providers: Vec<RawProvider>,
}

/// One `[[oidc.providers]]` entry as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    /// Route id: `[a-z0-9][a-z0-9_-]{0,31}`.
    pub id: String,
    /// Button text ("Sign in with NAME").
    pub name: Option<String>,
    /// Issuer URL with discovery.
    pub issuer: Option<String>,
    /// `google`, `microsoft` or `github` instead of an issuer.
    pub preset: Option<String>,
    /// Microsoft Entra tenant id (with `preset = "microsoft"`).
    pub tenant: Option<String>,
    /// OAuth2 client id.
    pub client_id: String,
    /// OAuth2 client secret.
    pub client_secret: Option<String>,
    /// File holding the client secret.
    pub client_secret_file: Option<PathBuf>,
    /// Name of an environment variable holding the client secret.
    pub client_secret_env: Option<String>,
    /// Scopes (default `openid email profile`; GitHub `read:user user:email`).
    pub scopes: Option<Vec<String>>,
    /// Just-in-time accounts (default false).
    pub create_users: Option<bool>,
    /// Link by a verified e-mail claim (default false).
    pub trust_email: Option<bool>,
    /// Extra CA certificates (PEM) for the provider's TLS.
    pub ca_file: Option<PathBuf>,
}

/// `[ldap.attributes]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawLdapAttributes {
    /// Default `uid`.
    pub username: Option<String>,
    /// Default `mail`.
    pub email: Option<String>,
    /// Default `cn`.
    pub name: Option<String>,
}

/// `[ldap]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawLdap {
    /// `ldaps://…` or `ldap://…`.
    pub url: String,
    /// StartTLS on `ldap://`.
    pub start_tls: Option<bool>,
    /// Allow `ldap://` without TLS (passwords cross the network in clear).
    pub allow_plain: Option<bool>,
    /// Extra CA certificates (PEM).
    pub ca_file: Option<PathBuf>,
    /// Service account DN.
    pub bind_dn: String,
    /// Service account password.
    pub bind_password: Option<String>,
    /// File holding it.
    pub bind_password_file: Option<PathBuf>,
    /// Where users are.
    pub user_base: String,
    /// Default `(uid={username})`.
    pub user_filter: Option<String>,
    /// Attribute mapping.
    pub attributes: Option<RawLdapAttributes>,
    /// Where groups are.
    pub group_base: Option<String>,
    /// Default `(member={dn})`.
    pub group_filter: Option<String>,
    /// Group DN → role.
    pub roles: Option<BTreeMap<String, String>>,
    /// Just-in-time accounts (default true).
    pub create_users: Option<bool>,
    /// The directory's addresses count as verified (default false).
    pub email_verified: Option<bool>,
}

/// A checked provider.
pub enum ProviderSettings {
    /// OpenID Connect (any issuer, Google, Microsoft).
    Oidc(OidcSettings),
    /// GitHub (OAuth2 + its API).
    GitHub(GitHubSettings),
}

/// The checked external sources.
#[derive(Default)]
pub struct Federation {
    /// The providers, in button order.
    pub providers: Vec<ProviderSettings>,
    /// The directory.
    pub ldap: Option<LdapSettings>,
    /// Just-in-time creation for directory users.
    pub ldap_policy: SourcePolicy,
    /// What the login form tries, in order.
    pub sources: Vec<LoginSource>,
    /// `ldap://` without TLS was allowed (for `rampart check`).
    pub ldap_plain: bool,
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && id.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

fn secret(
    inline: &Option<String>,
    file: &Option<PathBuf>,
    what: &str,
    problems: &mut Vec<String>,
) -> Option<SecretString> {
    let text = match (inline, file) {
        (Some(s), None) => Some(s.clone()),
        (None, Some(path)) => read_secret_file(path, what, problems),
        (Some(_), Some(_)) => {
            problems.push(format!("{what}: give it inline or in a file, not both"));
            None
        }
        (None, None) => {
            problems.push(format!("{what} (or {what}_file) is required"));
            None
        }
    }?;
    if text.is_empty() {
        problems.push(format!("{what} is empty"));
        return None;
    }
    Some(SecretString::from(text))
}

/// Checks `[oidc]`, `[ldap]` and `login.sources`.
pub fn parse(
    oidc: Option<&RawOidc>,
    ldap: Option<&RawLdap>,
    sources: Option<&StringList>,
    mode: Mode,
    problems: &mut Vec<String>,
) -> Federation {
    let mut out = Federation::default();
    let mut seen = BTreeSet::new();
    for raw in oidc.map(|o| o.providers.as_slice()).unwrap_or_default() {
        let at = format!("oidc.providers[{}]", raw.id);
        if !valid_id(&raw.id) {
            problems.push(format!(
                "{at}: the id must be 1-32 characters of a-z 0-9 _ -, starting with a letter or digit"
            ));
            continue;
        }
        if !seen.insert(raw.id.clone()) {
            problems.push(format!("{at}: the id is used twice"));
            continue;
        }
        if let Some(p) = provider(raw, &at, mode, problems) {
            out.providers.push(p);
        }
    }
    if let Some(raw) = ldap {
        out.ldap_policy = SourcePolicy {
            create_users: raw.create_users.unwrap_or(true),
            trust_email: false,
        };
        out.ldap_plain = raw.url.starts_with("ldap://")
            && !raw.start_tls.unwrap_or(false)
            && raw.allow_plain.unwrap_or(false);
        out.ldap = directory(raw, problems);
    }
    out.sources = match sources {
        None if out.ldap.is_some() => vec![LoginSource::Local, LoginSource::Ldap],
        None => vec![LoginSource::Local],
        Some(list) => {
            let mut sources = Vec::new();
            for name in list.items() {
                let source = match name.as_str() {
                    "local" => LoginSource::Local,
                    "ldap" if ldap.is_some() => LoginSource::Ldap,
                    "ldap" => {
                        problems
                            .push("login.sources names ldap, but [ldap] is not configured".into());
                        continue;
                    }
                    other => {
                        problems.push(format!(
                            "login.sources: {other:?} is not a source (local, ldap)"
                        ));
                        continue;
                    }
                };
                if sources.contains(&source) {
                    problems.push(format!("login.sources names {name} twice"));
                } else {
                    sources.push(source);
                }
            }
            if sources.is_empty() && problems.is_empty() {
                problems.push("login.sources must name at least one source".into());
            }
            sources
        }
    };
    out
}

fn provider(
    raw: &RawProvider,
    at: &str,
    mode: Mode,
    problems: &mut Vec<String>,
) -> Option<ProviderSettings> {
    let inline = match &raw.client_secret_env {
        Some(name) if raw.client_secret.is_none() => match std::env::var(name) {
            Ok(value) => Some(value),
            Err(_) => {
                problems.push(format!(
                    "{at}.client_secret_env names {name}, which is not set"
                ));
                return None;
            }
        },
        Some(_) => {
            problems.push(format!(
                "{at}: give client_secret or client_secret_env, not both"
            ));
            return None;
        }
        None => raw.client_secret.clone(),
    };
    let client_secret = secret(
        &inline,
        &raw.client_secret_file,
        &format!("{at}.client_secret"),
        problems,
    );
    if raw.client_id.is_empty() {
        problems.push(format!("{at}.client_id is required"));
    }
    let policy = SourcePolicy {
        create_users: raw.create_users.unwrap_or(false),
        trust_email: raw.trust_email.unwrap_or(false),
    };
    let (issuer, default_name) = match (raw.preset.as_deref(), raw.issuer.as_deref()) {
        (Some(_), Some(_)) => {
            problems.push(format!("{at}: give issuer or preset, not both"));
            return None;
        }
        (None, None) => {
            problems.push(format!("{at}: issuer (or preset) is required"));
            return None;
        }
        (Some("github"), None) => {
            let settings = GitHubSettings {
                id: raw.id.clone(),
                name: raw.name.clone().unwrap_or_else(|| "GitHub".into()),
                client_id: raw.client_id.clone(),
                client_secret: client_secret?,
                scopes: raw
                    .scopes
                    .clone()
                    .unwrap_or_else(|| vec!["read:user".into(), "user:email".into()]),
                policy,
                endpoints: GitHubEndpoints::default(),
            };
            return Some(ProviderSettings::GitHub(settings));
        }
        (Some("google"), None) => ("https://accounts.google.com".to_owned(), "Google"),
        (Some("microsoft"), None) => match raw.tenant.as_deref() {
            Some(t) if !t.is_empty() && !["common", "organizations", "consumers"].contains(&t) => (
                format!("https://login.microsoftonline.com/{t}/v2.0"),
                "Microsoft",
            ),
            _ => {
                problems.push(format!(
                    "{at}: preset microsoft needs tenant = \"<your tenant id>\" (the multi-tenant endpoints common/organizations/consumers have no single issuer to verify ID tokens against)"
                ));
                return None;
            }
        },
        (Some(other), None) => {
            problems.push(format!(
                "{at}: preset {other:?} is unknown (google, microsoft, github)"
            ));
            return None;
        }
        (None, Some(issuer)) => (issuer.to_owned(), ""),
    };
    match Url::parse(&issuer) {
        Ok(url) if url.scheme() == "https" => {}
        Ok(url) if url.scheme() == "http" && is_loopback(&url) && mode == Mode::Development => {}
        Ok(_) => {
            problems.push(format!(
                "{at}.issuer {issuer:?} must be https (http only on loopback in development mode)"
            ));
            return None;
        }
        Err(_) => {
            problems.push(format!("{at}.issuer {issuer:?} is not a URL"));
            return None;
        }
    }
    let name = raw
        .name
        .clone()
        .or_else(|| (!default_name.is_empty()).then(|| default_name.to_owned()))
        .unwrap_or_else(|| raw.id.clone());
    Some(ProviderSettings::Oidc(OidcSettings {
        id: raw.id.clone(),
        name,
        issuer,
        client_id: raw.client_id.clone(),
        client_secret: client_secret?,
        scopes: raw
            .scopes
            .clone()
            .unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]),
        policy,
        ca_file: raw.ca_file.clone(),
    }))
}

fn directory(raw: &RawLdap, problems: &mut Vec<String>) -> Option<LdapSettings> {
    let start_tls = raw.start_tls.unwrap_or(false);
    match Url::parse(&raw.url) {
        Ok(u) if u.scheme() == "ldaps" && !start_tls => {}
        Ok(u) if u.scheme() == "ldaps" => {
            problems.push("ldap: start_tls is for ldap:// URLs; ldaps:// is TLS already".into())
        }
        Ok(u) if u.scheme() == "ldap" && (start_tls || raw.allow_plain.unwrap_or(false)) => {}
        Ok(u) if u.scheme() == "ldap" => problems.push(
            "ldap.url is ldap:// without TLS: set start_tls = true, use ldaps://, or (only on a trusted network) allow_plain = true".into(),
        ),
        _ => problems.push(format!(
            "ldap.url {:?} must be an ldaps:// or ldap:// URL",
            raw.url
        )),
    }
    let bind_password = secret(
        &raw.bind_password,
        &raw.bind_password_file,
        "ldap.bind_password",
        problems,
    );
    let user_filter = raw
        .user_filter
        .clone()
        .unwrap_or_else(|| "(uid={username})".into());
    if !user_filter.contains("{username}") {
        problems.push("ldap.user_filter must contain {username}".into());
    }
    let mut mapped = BTreeMap::new();
    for (dn, role) in raw.roles.clone().unwrap_or_default() {
        match RoleName::parse(&role) {
            Ok(name) => {
                mapped.insert(dn, name);
            }
            Err(problem) => problems.push(format!(
                "ldap.roles: {role:?} (for {dn}): {}",
                problem.message
            )),
        }
    }
    if !mapped.is_empty() && raw.group_base.is_none() {
        problems.push("ldap.roles needs ldap.group_base to find the groups".into());
    }
    let attributes = raw.attributes.clone().unwrap_or_default();
    Some(LdapSettings {
        url: raw.url.clone(),
        start_tls,
        ca_file: raw.ca_file.clone(),
        bind_dn: raw.bind_dn.clone(),
        bind_password: bind_password?,
        user_base: raw.user_base.clone(),
        user_filter,
        username_attribute: attributes.username.unwrap_or_else(|| "uid".into()),
        email_attribute: attributes.email.unwrap_or_else(|| "mail".into()),
        name_attribute: attributes.name.unwrap_or_else(|| "cn".into()),
        group_base: raw.group_base.clone(),
        group_filter: raw
            .group_filter
            .clone()
            .unwrap_or_else(|| "(member={dn})".into()),
        roles: mapped,
        email_verified: raw.email_verified.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ldap(url: &str) -> RawLdap {
        RawLdap {
            url: url.into(),
            bind_dn: "cn=rampart,dc=example,dc=com".into(),
            bind_password: Some("service-secret".into()),
            user_base: "ou=people,dc=example,dc=com".into(),
            ..RawLdap::default()
        }
    }

    fn check(raw_ldap: Option<&RawLdap>, providers: Vec<RawProvider>, mode: Mode) -> Vec<String> {
        let mut problems = Vec::new();
        let oidc = RawOidc { providers };
        parse(Some(&oidc), raw_ldap, None, mode, &mut problems);
        problems
    }

    #[test]
    fn plain_ldap_needs_start_tls_or_an_explicit_allowance() {
        assert_eq!(
            check(
                Some(&ldap("ldaps://ldap.example.com")),
                vec![],
                Mode::Production
            ),
            Vec::<String>::new()
        );
        let plain = check(
            Some(&ldap("ldap://ldap.example.com")),
            vec![],
            Mode::Production,
        );
        assert!(plain[0].contains("without TLS"), "{plain:?}");
        let start_tls = RawLdap {
            start_tls: Some(true),
            ..ldap("ldap://ldap.example.com")
        };
        assert!(check(Some(&start_tls), vec![], Mode::Production).is_empty());
        let allowed = RawLdap {
            allow_plain: Some(true),
            ..ldap("ldap://ldap.example.com")
        };
        assert!(check(Some(&allowed), vec![], Mode::Production).is_empty());
    }

    #[test]
    fn an_http_issuer_is_accepted_only_on_loopback_in_development() {
        let provider = |issuer: &str| RawProvider {
            id: "corp".into(),
            issuer: Some(issuer.into()),
            client_id: "rampart".into(),
            client_secret: Some("s3cret".into()),
            ..RawProvider::default()
        };
        assert!(
            check(
                None,
                vec![provider("http://127.0.0.1:9000")],
                Mode::Development
            )
            .is_empty()
        );
        assert!(
            !check(
                None,
                vec![provider("http://127.0.0.1:9000")],
                Mode::Production
            )
            .is_empty()
        );
        assert!(
            !check(
                None,
                vec![provider("http://sso.example.com")],
                Mode::Development
            )
            .is_empty()
        );
        assert!(
            check(
                None,
                vec![provider("https://sso.example.com")],
                Mode::Production
            )
            .is_empty()
        );
        let bad_id = RawProvider {
            id: "Corp SSO".into(),
            ..provider("https://sso.example.com")
        };
        assert!(check(None, vec![bad_id], Mode::Production)[0].contains("id must be"));
        let no_secret = RawProvider {
            client_secret: None,
            ..provider("https://sso.example.com")
        };
        assert!(check(None, vec![no_secret], Mode::Production)[0].contains("client_secret"));
    }
}
