//! `[access]` and `[roles]`: the forward-auth rules (first match wins) and
//! the roles beyond the built-in `admin` and `user`.

use super::Problems;
use ipnet::IpNet;
use rampart_core::RoleBook;
use rampart_core::access::{AccessRules, PathMatch, Policy, RequestSource, Rule};
use serde::Deserialize;
use std::collections::BTreeMap;

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

/// One `[roles.NAME]` table as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    /// Permission names: `users:read`, `users:write`, `roles:write`, `audit:read`.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// Checks `[access]` and builds the rule list, collecting every problem.
pub fn check(raw: RawAccess, p: &mut Problems) -> AccessRules {
    let problems = p.list();
    let defaults = AccessRules::default();
    let default_policy = match raw.default_policy.as_deref() {
        None => defaults.default_policy,
        Some(text) => Policy::parse(text, Vec::new()).unwrap_or_else(|p| {
            problems.push(format!("access.default_policy: {}", p.message));
            Policy::Deny
        }),
    };
    let source = match raw.source.as_deref() {
        None => defaults.source,
        Some(text) => RequestSource::parse(text).unwrap_or_else(|p| {
            problems.push(format!("access.{}", p.message));
            RequestSource::Forwarded
        }),
    };
    let case_sensitive = raw.case_sensitive.unwrap_or(defaults.case_sensitive);
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

/// Checks `[roles]` into the role book (the built-in roles and these).
pub fn check_roles(raw: BTreeMap<String, RawRole>, p: &mut Problems) -> RoleBook {
    let definitions = raw
        .into_iter()
        .map(|(name, role)| (name, role.permissions))
        .collect();
    RoleBook::new(&definitions).unwrap_or_else(|problem| {
        p.push(format!("roles: {}", problem.message));
        RoleBook::default()
    })
}
