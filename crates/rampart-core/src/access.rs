//! Access rules for forward authentication: an ordered list, first match
//! wins, each matching on host (with `*` for one or more labels), path
//! (segment-aware prefix, or a regular expression), method and client network,
//! and giving a policy: `deny`, `bypass`, `authenticated` or `roles`.
//!
//! With no rule configured every signed-in user passes; once rules exist, a
//! request no rule matches gets the default policy (`deny` unless configured).
//! Paths are normalised before matching (percent-decoding, `.`/`..` segments,
//! repeated slashes) so `/public/../admin` cannot slip past an `/admin` rule.

use crate::model::{FieldProblem, User};
use ipnet::IpNet;
use regex::Regex;
use std::net::IpAddr;

/// What a matching rule decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// Refuse everyone.
    Deny,
    /// Let everyone through, signed in or not.
    Bypass,
    /// Any signed-in user.
    Authenticated,
    /// Signed-in users with any of these roles.
    Roles(Vec<String>),
}

impl Policy {
    /// Parses a policy name; `roles` takes its role list.
    pub fn parse(name: &str, roles: Vec<String>) -> Result<Policy, FieldProblem> {
        match name {
            "deny" => Ok(Policy::Deny),
            "bypass" => Ok(Policy::Bypass),
            "authenticated" => Ok(Policy::Authenticated),
            "roles" if !roles.is_empty() => Ok(Policy::Roles(roles)),
            "roles" => Err(FieldProblem::new(
                "access",
                "a rule with policy = \"roles\" needs a non-empty roles list",
            )),
            other => Err(FieldProblem::new(
                "access",
                format!("policy {other:?} is not one of deny, bypass, authenticated, roles"),
            )),
        }
    }
}

/// How a rule matches paths.
#[derive(Debug, Clone)]
pub enum PathMatch {
    /// The path equals this prefix or continues it with `/`.
    Prefix(String),
    /// The regular expression matches the normalised path.
    Regex(Regex),
}

/// One access rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Host pattern, lower case (`*.example.com`), or any host.
    pub host: Option<String>,
    /// Path condition, or any path.
    pub path: Option<PathMatch>,
    /// Upper-case methods, or any method.
    pub methods: Vec<String>,
    /// Client networks, or any client.
    pub networks: Vec<IpNet>,
    /// The decision.
    pub policy: Policy,
}

/// The original request a proxy asks about.
#[derive(Debug, Clone)]
pub struct AccessRequest<'a> {
    /// Host without port.
    pub host: &'a str,
    /// Path (with or without query string).
    pub path: &'a str,
    /// Method.
    pub method: &'a str,
    /// Client address after trusted-proxy resolution.
    pub client: Option<IpAddr>,
}

/// The answer for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Let it through.
    Allow,
    /// Sign in first.
    Unauthenticated,
    /// Signed in (or not) but not allowed.
    Forbidden,
}

/// The ordered rule list with its default.
#[derive(Debug, Clone)]
pub struct AccessRules {
    /// Applied when rules exist and none matches.
    pub default_policy: Policy,
    /// First match wins.
    pub rules: Vec<Rule>,
}

impl Default for AccessRules {
    fn default() -> Self {
        Self {
            default_policy: Policy::Deny,
            rules: Vec::new(),
        }
    }
}

/// True when `host` matches `pattern`; `*` stands for one or more labels.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}")),
        None => host == pattern,
    }
}

fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path as an upstream would see it: no query, percent-decoded,
/// backslashes as slashes, `.`/`..` resolved, repeated slashes merged.
pub fn normalize_path(raw: &str) -> String {
    let without_query = raw.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(without_query).replace('\\', "/");
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut path = format!("/{}", segments.join("/"));
    if decoded.ends_with('/') && path != "/" {
        path.push('/');
    }
    path
}

impl Rule {
    fn matches(&self, req: &AccessRequest<'_>, path: &str) -> bool {
        if let Some(pattern) = &self.host
            && !host_matches(pattern, req.host)
        {
            return false;
        }
        match &self.path {
            Some(PathMatch::Prefix(prefix)) => {
                let prefix = prefix.trim_end_matches('/');
                let continues = path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
                if !continues && !prefix.is_empty() {
                    return false;
                }
            }
            Some(PathMatch::Regex(re)) if !re.is_match(path) => return false,
            Some(PathMatch::Regex(_)) | None => {}
        }
        if !self.methods.is_empty()
            && !self
                .methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(req.method))
        {
            return false;
        }
        if !self.networks.is_empty() {
            let Some(ip) = req.client else { return false };
            if !self.networks.iter().any(|n| n.contains(&ip)) {
                return false;
            }
        }
        true
    }
}

impl AccessRules {
    /// The policy that applies to a request.
    pub fn policy_for(&self, req: &AccessRequest<'_>) -> &Policy {
        if self.rules.is_empty() {
            return &Policy::Authenticated;
        }
        let path = normalize_path(req.path);
        self.rules
            .iter()
            .find(|rule| rule.matches(req, &path))
            .map_or(&self.default_policy, |rule| &rule.policy)
    }

    /// The decision for a request by `user` (None: not signed in).
    pub fn decide(&self, req: &AccessRequest<'_>, user: Option<&User>) -> Decision {
        match (self.policy_for(req), user) {
            (Policy::Bypass, _) => Decision::Allow,
            (Policy::Deny, _) => Decision::Forbidden,
            (_, None) => Decision::Unauthenticated,
            (Policy::Authenticated, Some(_)) => Decision::Allow,
            (Policy::Roles(roles), Some(user)) => {
                if user
                    .roles
                    .iter()
                    .any(|r| roles.iter().any(|want| want == r.as_str()))
                {
                    Decision::Allow
                } else {
                    Decision::Forbidden
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn req<'a>(host: &'a str, path: &'a str, method: &'a str) -> AccessRequest<'a> {
        AccessRequest {
            host,
            path,
            method,
            client: Some("10.1.2.3".parse().unwrap()),
        }
    }

    fn rule(host: Option<&str>, path: Option<PathMatch>, policy: Policy) -> Rule {
        Rule {
            host: host.map(str::to_owned),
            path,
            methods: vec![],
            networks: vec![],
            policy,
        }
    }

    #[test]
    fn host_wildcards_cover_one_or_more_labels() {
        assert!(host_matches("*.example.com", "a.example.com"));
        assert!(host_matches("*.example.com", "a.b.Example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "evilexample.com"));
        assert!(host_matches("app.example.com", "APP.example.com"));
    }

    #[test]
    fn paths_are_normalised_before_matching() {
        assert_eq!(normalize_path("/public/../admin?x=1"), "/admin");
        assert_eq!(normalize_path("/public/%2e%2e/admin"), "/admin");
        assert_eq!(normalize_path("//admin//x/"), "/admin/x/");
        assert_eq!(normalize_path("/public\\..\\admin"), "/admin");
        assert_eq!(normalize_path(""), "/");
    }

    #[test]
    fn first_match_wins_and_default_applies() {
        let rules = AccessRules {
            default_policy: Policy::Deny,
            rules: vec![
                rule(
                    None,
                    Some(PathMatch::Prefix("/public".into())),
                    Policy::Bypass,
                ),
                rule(
                    Some("*.example.com"),
                    Some(PathMatch::Prefix("/admin".into())),
                    Policy::Roles(vec!["admin".into()]),
                ),
                rule(Some("*.example.com"), None, Policy::Authenticated),
            ],
        };
        assert_eq!(
            rules.policy_for(&req("a.example.com", "/public/x", "GET")),
            &Policy::Bypass
        );
        assert_eq!(
            rules.policy_for(&req("a.example.com", "/publicity", "GET")),
            &Policy::Authenticated
        );
        assert_eq!(
            rules.policy_for(&req("a.example.com", "/public/../admin", "GET")),
            &Policy::Roles(vec!["admin".into()])
        );
        assert_eq!(
            rules.policy_for(&req("other.org", "/x", "GET")),
            &Policy::Deny
        );
        assert_eq!(
            rules.decide(&req("a.example.com", "/x", "GET"), None),
            Decision::Unauthenticated
        );
        assert_eq!(
            AccessRules::default().policy_for(&req("x", "/", "GET")),
            &Policy::Authenticated
        );
    }

    #[test]
    fn methods_networks_and_regex() {
        let r = Rule {
            host: None,
            path: Some(PathMatch::Regex(Regex::new("^/api/v[0-9]+/admin").unwrap())),
            methods: vec!["POST".into()],
            networks: vec!["10.0.0.0/8".parse().unwrap()],
            policy: Policy::Deny,
        };
        let rules = AccessRules {
            default_policy: Policy::Bypass,
            rules: vec![r],
        };
        assert_eq!(
            rules.policy_for(&req("h", "/api/v2/admin/x", "post")),
            &Policy::Deny
        );
        assert_eq!(
            rules.policy_for(&req("h", "/api/v2/admin/x", "GET")),
            &Policy::Bypass
        );
        let mut outside = req("h", "/api/v2/admin", "POST");
        outside.client = Some("192.168.1.1".parse().unwrap());
        assert_eq!(rules.policy_for(&outside), &Policy::Bypass);
    }
}
