//! Access rules for forward authentication: an ordered list, first match
//! wins, each matching on host (with `*` for one or more labels), path
//! (segment-aware prefix, or a regular expression), method and client network,
//! and giving a policy: `deny`, `bypass`, `authenticated` or `roles`.
//!
//! With no rule configured every signed-in user passes; once rules exist, a
//! request no rule matches gets the default policy (`deny` unless configured).
//! Every decision is made on the path's one canonical form ([`path`]), so
//! `/public/..;/admin`, `/ADMIN` or `/admin%3bx` cannot slip past an `/admin`
//! rule; a path that cannot be given one meaning is refused.

pub mod path;

use crate::model::authn::AuthMethods;
use crate::model::{FieldProblem, User};
use ipnet::IpNet;
use regex::Regex;
use std::net::IpAddr;

pub use path::{PathProblem, canonical_path};

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
    /// Signed-in users who proved a second factor in this session (a
    /// session restored by remember-me alone never does).
    TwoFactor,
}

impl Policy {
    /// Parses a policy name; `roles` takes its role list.
    pub fn parse(name: &str, roles: Vec<String>) -> Result<Policy, FieldProblem> {
        match name {
            "deny" => Ok(Policy::Deny),
            "bypass" => Ok(Policy::Bypass),
            "authenticated" => Ok(Policy::Authenticated),
            "two_factor" => Ok(Policy::TwoFactor),
            "roles" if !roles.is_empty() => Ok(Policy::Roles(roles)),
            "roles" => Err(FieldProblem::operator(
                "access",
                "a rule with policy = \"roles\" needs a non-empty roles list",
            )),
            other => Err(FieldProblem::operator(
                "access",
                format!(
                    "policy {other:?} is not one of deny, bypass, authenticated, two_factor, roles"
                ),
            )),
        }
    }
}

/// How a rule matches paths.
#[derive(Debug, Clone)]
pub enum PathMatch {
    /// The canonical path equals this prefix or continues it with `/`
    /// (build it with [`PathMatch::prefix`], which makes it canonical too).
    Prefix(String),
    /// The regular expression matches the normalised path.
    Regex(Regex),
}

impl PathMatch {
    /// A prefix rule for `raw`, in the canonical form paths are compared in.
    pub fn prefix(raw: &str, case_sensitive: bool) -> Result<PathMatch, PathProblem> {
        canonical_path(raw, case_sensitive).map(PathMatch::Prefix)
    }
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
    /// Path as the proxy reports it (with or without query string).
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
    /// Signed in, but the rule asks for a second factor this session has
    /// not proved: prove one (step up), then try again.
    StepUp,
}

/// The ordered rule list with its default.
#[derive(Debug, Clone)]
pub struct AccessRules {
    /// Applied when rules exist and none matches.
    pub default_policy: Policy,
    /// First match wins.
    pub rules: Vec<Rule>,
    /// Compare paths with their case (`access.case_sensitive`, default false).
    pub case_sensitive: bool,
    /// Where the proxy describes the original request (`access.source`).
    pub source: RequestSource,
}

/// The one place the original request is read from; the other is ignored,
/// so a client cannot add the headers its proxy does not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestSource {
    /// `X-Forwarded-Method`, `-Proto`, `-Host`, `-Uri` (Traefik, Caddy,
    /// nginx with those headers set): the default.
    #[default]
    Forwarded,
    /// `X-Original-URL` and `X-Original-Method` (nginx `auth_request`).
    OriginalUrl,
}

impl RequestSource {
    /// Parses `forwarded` or `original-url`.
    pub fn parse(raw: &str) -> Result<RequestSource, FieldProblem> {
        match raw {
            "forwarded" => Ok(RequestSource::Forwarded),
            "original-url" => Ok(RequestSource::OriginalUrl),
            other => Err(FieldProblem::operator(
                "access",
                format!("source {other:?} is not one of forwarded, original-url"),
            )),
        }
    }
}

impl Default for AccessRules {
    fn default() -> Self {
        Self {
            default_policy: Policy::Deny,
            rules: Vec::new(),
            case_sensitive: false,
            source: RequestSource::Forwarded,
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
    /// The policy that applies to a request, or why its path cannot be
    /// decided (refused even when no rule is configured).
    pub fn policy_for(&self, req: &AccessRequest<'_>) -> Result<&Policy, PathProblem> {
        let path = canonical_path(req.path, self.case_sensitive)?;
        if self.rules.is_empty() {
            return Ok(&Policy::Authenticated);
        }
        Ok(self
            .rules
            .iter()
            .find(|rule| rule.matches(req, &path))
            .map_or(&self.default_policy, |rule| &rule.policy))
    }

    /// The decision for a request by `user`, whose session proved
    /// `methods` (None: not signed in).
    pub fn decide(
        &self,
        req: &AccessRequest<'_>,
        caller: Option<(&User, AuthMethods)>,
    ) -> Result<Decision, PathProblem> {
        Ok(match (self.policy_for(req)?, caller) {
            (Policy::Bypass, _) => Decision::Allow,
            (Policy::Deny, _) => Decision::Forbidden,
            (_, None) => Decision::Unauthenticated,
            (Policy::Authenticated, Some(_)) => Decision::Allow,
            (Policy::TwoFactor, Some((_, methods))) => {
                if methods.has_second_factor() {
                    Decision::Allow
                } else {
                    Decision::StepUp
                }
            }
            (Policy::Roles(roles), Some((user, _))) => {
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
        })
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
    fn a_two_factor_rule_asks_for_a_second_factor_proved_in_the_session() {
        use crate::model::authn::{FirstFactor, SecondFactor, SignInMethod};
        let rules = AccessRules {
            default_policy: Policy::Authenticated,
            rules: vec![rule(None, None, Policy::TwoFactor)],
            case_sensitive: false,
            source: RequestSource::default(),
        };
        let user = User::new_account(
            crate::model::Username::parse("alice").unwrap(),
            crate::model::Email::parse("alice@example.com").unwrap(),
            vec![],
            time::OffsetDateTime::UNIX_EPOCH,
        );
        let request = req("a.example.com", "/x", "GET");
        let by = |method| rules.decide(&request, Some((&user, AuthMethods::of(method))));
        let password = SignInMethod::Factors(FirstFactor::Password, None);
        assert_eq!(by(password), Ok(Decision::StepUp));
        assert_eq!(
            by(SignInMethod::Factors(FirstFactor::Provider, None)),
            Ok(Decision::StepUp)
        );
        // A cookie proves nothing, whatever the session it replaced had.
        assert_eq!(by(SignInMethod::RememberMe), Ok(Decision::StepUp));
        let restored_then_code =
            AuthMethods::of(SignInMethod::RememberMe).with_second(SecondFactor::Totp);
        assert_eq!(
            rules.decide(&request, Some((&user, restored_then_code))),
            Ok(Decision::StepUp)
        );
        for second in [SecondFactor::Totp, SecondFactor::RecoveryCode] {
            let method = SignInMethod::Factors(FirstFactor::Password, Some(second));
            assert_eq!(by(method), Ok(Decision::Allow), "{second:?}");
        }
        // A "remember this device" mark skipped the code: no factor proved.
        let skipped =
            SignInMethod::Factors(FirstFactor::Password, Some(SecondFactor::TrustedDevice));
        assert_eq!(by(skipped), Ok(Decision::StepUp));
        assert_eq!(rules.decide(&request, None), Ok(Decision::Unauthenticated));
        assert_eq!(
            rules.decide(&request, Some((&user, AuthMethods::NONE))),
            Ok(Decision::StepUp)
        );
    }

    #[test]
    fn the_methods_are_stored_as_their_names() {
        use crate::model::authn::{FirstFactor, SecondFactor, SignInMethod};
        let method = SignInMethod::Factors(FirstFactor::Password, Some(SecondFactor::Totp));
        let methods = AuthMethods::of(method);
        assert_eq!(methods.to_list(), "pwd,otp");
        assert_eq!(AuthMethods::parse("pwd,otp"), methods);
        assert_eq!(
            AuthMethods::of(SignInMethod::RememberMe).to_list(),
            "remember_me"
        );
        // Unknown or empty names prove nothing.
        assert_eq!(AuthMethods::parse(""), AuthMethods::NONE);
        assert_eq!(AuthMethods::parse("otp2,,x"), AuthMethods::NONE);
        // Proving the password again clears the remember-me mark.
        let restored = AuthMethods::of(SignInMethod::RememberMe);
        assert_eq!(restored.with_first(false).to_list(), "pwd");
        assert_eq!(restored.with_first(true).to_list(), "fed");
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
    fn first_match_wins_and_default_applies() {
        let rules = AccessRules {
            default_policy: Policy::Deny,
            case_sensitive: false,
            source: RequestSource::Forwarded,
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
            Ok(&Policy::Bypass)
        );
        assert_eq!(
            rules.policy_for(&req("a.example.com", "/publicity", "GET")),
            Ok(&Policy::Authenticated)
        );
        assert_eq!(
            rules.policy_for(&req("a.example.com", "/public/../admin", "GET")),
            Ok(&Policy::Roles(vec!["admin".into()]))
        );
        assert_eq!(
            rules.policy_for(&req("other.org", "/x", "GET")),
            Ok(&Policy::Deny)
        );
        assert_eq!(
            rules.decide(&req("a.example.com", "/x", "GET"), None),
            Ok(Decision::Unauthenticated)
        );
        assert_eq!(
            AccessRules::default().policy_for(&req("x", "/", "GET")),
            Ok(&Policy::Authenticated)
        );
        assert_eq!(
            AccessRules::default().policy_for(&req("x", "/a%2fb", "GET")),
            Err(PathProblem::EncodedSlash),
            "refused even with no rules"
        );
    }

    fn review_rules() -> AccessRules {
        AccessRules {
            default_policy: Policy::Authenticated,
            case_sensitive: false,
            source: RequestSource::Forwarded,
            rules: vec![
                rule(
                    None,
                    Some(PathMatch::prefix("/Public", false).unwrap()),
                    Policy::Bypass,
                ),
                rule(
                    None,
                    Some(PathMatch::prefix("/admin/", false).unwrap()),
                    Policy::Roles(vec!["admin".into()]),
                ),
            ],
        }
    }

    /// The requests the security review sent, each decided as `/admin` is.
    #[test]
    fn the_review_s_spellings_reach_the_admin_rule() {
        let rules = review_rules();
        let admin = Ok(&Policy::Roles(vec!["admin".into()]));
        for path in [
            "/Admin",
            "/ADMIN/x",
            "/admin;x",
            "/admin%3bx",
            "/admin%20",
            "/admin.",
        ] {
            assert_eq!(rules.policy_for(&req("h", path, "GET")), admin, "{path}");
        }
        // Read as `/admin` by Tomcat, as `/public/..;/admin` by nginx: refused.
        for path in [
            "/public/..;/admin",
            "/public/%2e%2e;/admin",
            "/admin/..;/public",
        ] {
            assert_eq!(
                rules.policy_for(&req("h", path, "GET")),
                Err(PathProblem::Ambiguous),
                "{path}"
            );
        }
        assert_eq!(
            rules.policy_for(&req("h", "/admin%00", "GET")),
            Err(PathProblem::Control)
        );
        let mut sensitive = review_rules();
        sensitive.case_sensitive = true;
        sensitive.rules[1].path = Some(PathMatch::prefix("/admin", true).unwrap());
        assert_eq!(
            sensitive.policy_for(&req("h", "/Admin", "GET")),
            Ok(&Policy::Authenticated),
            "case_sensitive = true compares case"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// A path and its encodings, case variants, `;` parameters and dot
        /// segments always reach the decision the plain path reaches.
        #[test]
        fn spellings_reach_the_same_decision(
            first in proptest::sample::select(vec!["public", "admin", "home", "Admin", "PUBLIC"]),
            rest in "[a-z]{1,6}",
            how in 0u8..8,
        ) {
            let plain = format!("/{first}/{rest}");
            let spelled = match how {
                0 => plain.to_uppercase(),
                1 => format!("/{}/{rest}", first.bytes().map(|b| format!("%{b:02X}")).collect::<String>()),
                2 => format!("/{first};x=1/{rest}"),
                3 => format!("/{first}%3bx/{rest}"),
                4 => format!("/zzz/../{first}/./{rest}"),
                5 => format!("/zzz/%2e%2e/{first}//{rest}"),
                6 => format!("/{first}./{rest}%20"),
                _ => format!("/{first}/{rest}?q=/admin"),
            };
            let rules = review_rules();
            let user = None;
            proptest::prop_assert_eq!(
                rules.decide(&req("h", &spelled, "GET"), user),
                rules.decide(&req("h", &plain, "GET"), user)
            );
        }
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
            case_sensitive: false,
            source: RequestSource::Forwarded,
            rules: vec![r],
        };
        assert_eq!(
            rules.policy_for(&req("h", "/api/v2/admin/x", "post")),
            Ok(&Policy::Deny)
        );
        assert_eq!(
            rules.policy_for(&req("h", "/api/v2/admin/x", "GET")),
            Ok(&Policy::Bypass)
        );
        let mut outside = req("h", "/api/v2/admin", "POST");
        outside.client = Some("192.168.1.1".parse().unwrap());
        assert_eq!(rules.policy_for(&outside), Ok(&Policy::Bypass));
    }
}
