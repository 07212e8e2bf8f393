//! Every configuration key is documented: in the README's table (or, for
//! the fields of access rules, providers and the directory, beside their
//! example), and in the template `rampart init` writes. The keys are read
//! from the raw structs themselves (serde names the fields a struct accepts
//! when it refuses an unknown one), so a new key fails these tests until it
//! is documented in both places.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::defaults;
use super::federation::{RawLdap, RawLdapAttributes, RawOidc, RawProvider};
use super::*;
use figment::Figment;
use figment::providers::{Format, Toml};
use figment::value::{Dict, Value};
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;

/// The fields `T` accepts, as serde names them when refusing another.
fn fields<T: DeserializeOwned>() -> Vec<String> {
    let refusal = match serde_json::from_str::<T>(r#"{"\u0001": 0}"#) {
        Ok(_) => panic!("an unknown field was accepted"),
        Err(e) => e.to_string(),
    };
    let list = refusal
        .split_once("expected one of ")
        .or_else(|| refusal.split_once("expected "))
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no field list in {refusal:?}"));
    // "`a`, `b`, `c`", "`a` or `b`" or "`a`".
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Each table of the configuration: its path, and its fields.
fn tables() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("", fields::<RawConfig>()),
        ("session", fields::<RawSession>()),
        ("password", fields::<RawPassword>()),
        ("login", fields::<RawLogin>()),
        ("access", fields::<RawAccess>()),
        ("access.rules[]", fields::<RawRule>()),
        ("roles.NAME", fields::<RawRole>()),
        ("cors", fields::<RawCors>()),
        ("api", fields::<RawApi>()),
        ("mfa", fields::<RawMfa>()),
        ("webauthn", fields::<super::RawWebauthn>()),
        ("site", fields::<super::RawSite>()),
        ("audit", fields::<RawAudit>()),
        ("metrics", fields::<RawMetrics>()),
        ("alerts", fields::<RawAlerts>()),
        ("rate", fields::<RawRate>()),
        ("connections", fields::<RawConnections>()),
        ("oidc", fields::<RawOidc>()),
        ("oidc.providers[]", fields::<RawProvider>()),
        ("ldap", fields::<RawLdap>()),
        ("ldap.attributes", fields::<RawLdapAttributes>()),
    ]
}

fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Every key, dotted (`session.idle_timeout`, `access.rules[].path`,
/// `roles.NAME.permissions`): the fields of every table that are not
/// tables themselves.
fn every_key() -> BTreeSet<String> {
    let tables = tables();
    let is_table = |path: &str| {
        tables.iter().any(|(t, _)| {
            *t == path
                || t.strip_suffix("[]") == Some(path)
                || t.strip_suffix(".NAME") == Some(path)
        })
    };
    let mut keys = BTreeSet::new();
    for (prefix, fields) in &tables {
        for field in fields {
            let key = join(prefix, field);
            if !is_table(&key) {
                keys.insert(key);
            }
        }
    }
    keys
}

/// Keys whose value is a map the operator names (not keys of ours).
const MAPS: [&str; 1] = ["ldap.roles"];

fn walk(prefix: &str, dict: &Dict, out: &mut BTreeSet<String>) {
    for (name, value) in dict {
        let path = if prefix == "roles" {
            "roles.NAME".to_owned()
        } else {
            join(prefix, name)
        };
        match value {
            Value::Dict(_, inner) if !MAPS.contains(&path.as_str()) => walk(&path, inner, out),
            Value::Array(_, items)
                if items.iter().all(|i| matches!(i, Value::Dict(..))) && !items.is_empty() =>
            {
                for item in items {
                    if let Value::Dict(_, inner) = item {
                        walk(&format!("{path}[]"), inner, out);
                    }
                }
            }
            _ => {
                out.insert(path);
            }
        }
    }
}

/// The template with its examples uncommented: `# key = …` and
/// `# [table]` lines (prose comments stay comments).
fn template_with_examples() -> String {
    init_template("x")
        .lines()
        .map(|line| {
            let rest = line.strip_prefix("# ").unwrap_or(line);
            let example = rest.starts_with('[')
                || rest.split_once('=').is_some_and(|(key, _)| {
                    let key = key.trim();
                    !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                });
            if line.starts_with("# ") && example {
                rest
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_keys_are_read_from_the_structs() {
    let keys = every_key();
    for key in [
        "env",
        "session.idle_timeout",
        "access.rules[].path_regex",
        "roles.NAME.permissions",
        "oidc.providers[].client_id",
        "ldap.attributes.email",
        "connections.request_timeout",
    ] {
        assert!(keys.contains(key), "{key} missing from {keys:?}");
    }
    assert!(!keys.contains("session"), "a table is not a key");
    assert!(keys.len() > 90, "{}", keys.len());
}

#[test]
fn the_init_template_shows_every_key_and_parses() {
    let text = template_with_examples();
    let dict: Dict = Figment::from(Toml::string(&text))
        .extract()
        .unwrap_or_else(|e| panic!("the template with its examples is not TOML: {e}\n{text}"));
    let mut shown = BTreeSet::new();
    walk("", &dict, &mut shown);
    let keys = every_key();
    let missing: Vec<_> = keys.difference(&shown).collect();
    let unknown: Vec<_> = shown.difference(&keys).collect();
    assert!(
        missing.is_empty(),
        "keys the init template does not show: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "the init template shows unknown keys: {unknown:?}"
    );
    // Every example sits in the table that accepts it.
    Figment::from(Toml::string(&text))
        .extract::<RawConfig>()
        .unwrap_or_else(|e| panic!("an example is misplaced: {e}"));
    // As written (examples commented), it is a valid production configuration.
    let written: RawConfig = Figment::from(Toml::string(&init_template("k")))
        .extract()
        .unwrap();
    assert_eq!(written.env.as_deref(), Some("production"));
}

/// The README's configuration section (up to the next top-level heading).
fn readme_configuration() -> String {
    let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"));
    let start = readme
        .find("## Configuration")
        .expect("a configuration section");
    let rest = &readme[start + 3..];
    let end = rest.find("\n## ").map_or(rest.len(), |e| e);
    rest[..end].to_owned()
}

/// The backticked keys of the first cells of the README's table.
fn readme_table_keys() -> BTreeSet<String> {
    readme_configuration()
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| l.split('|').nth(1))
        .flat_map(|cell| {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|token| {
            token
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.".contains(c))
        })
        .collect()
}

#[test]
fn the_readme_documents_every_key() {
    let table = readme_table_keys();
    let keys = every_key();
    let nested = |key: &str| {
        ["access.rules[].", "oidc.", "ldap.", "roles.NAME."]
            .iter()
            .any(|p| key.starts_with(p))
    };
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !nested(k) && !table.contains(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "keys missing from the README's table: {missing:?}"
    );
    let stale: Vec<_> = table
        .iter()
        .filter(|t| !keys.contains(*t) && !["access.rules", "roles.NAME"].contains(&t.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "the README's table names unknown keys: {stale:?}"
    );
    // The fields of rules, providers, the directory and roles are shown by
    // example: in the README, or (rules) in docs/reverse-proxy.md.
    let examples = readme_configuration()
        + include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/reverse-proxy.md"
        ));
    let undocumented: Vec<_> = keys
        .iter()
        .filter(|k| nested(k))
        .filter(|k| {
            let field = k.rsplit('.').next().unwrap_or(k);
            !examples.contains(&format!("{field} =")) && !examples.contains(&format!("`{field}`"))
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "fields without an example: {undocumented:?}"
    );
}

/// Each default the code defines, as people read it.
fn code_defaults() -> Vec<(&'static str, String)> {
    use rampart_crypto::password::{OWASP_M_COST, OWASP_P_COST, OWASP_T_COST};
    let session = rampart_core::SessionConfig::default();
    let throttle = rampart_core::throttle::ThrottleConfig::default();
    let rate = rampart_core::rate::RateConfig::default();
    let limits = crate::serve::Limits::default();
    let std_duration = |d: std::time::Duration| {
        format_duration(time::Duration::try_from(d).unwrap_or(time::Duration::ZERO))
    };
    vec![
        ("listen", defaults::LISTEN.to_owned()),
        ("data_dir", defaults::DATA_DIR.to_owned()),
        ("site_name", defaults::SITE_NAME.to_owned()),
        (
            "site.default_language",
            defaults::DEFAULT_LANGUAGE.to_owned(),
        ),
        ("smtp_from", defaults::SMTP_FROM.to_owned()),
        (
            "session.idle_timeout",
            format_duration(session.idle_timeout),
        ),
        (
            "session.absolute_timeout",
            format_duration(session.absolute_timeout),
        ),
        ("session.fresh_for", format_duration(session.fresh_for)),
        (
            "session.remember_for",
            format_duration(defaults::REMEMBER_FOR),
        ),
        (
            "password.min_length",
            defaults::PASSWORD_MIN_LENGTH.to_string(),
        ),
        ("password.argon2_m_cost", OWASP_M_COST.to_string()),
        ("password.argon2_t_cost", OWASP_T_COST.to_string()),
        ("password.argon2_p_cost", OWASP_P_COST.to_string()),
        (
            "password.reset_link_ttl",
            format_duration(defaults::RESET_LINK_TTL),
        ),
        ("login.lockout_after", throttle.free_failures.to_string()),
        (
            "login.lockout_after_per_address",
            throttle.free_failures_per_address.to_string(),
        ),
        (
            "login.lockout_after_per_network",
            throttle.free_failures_per_network.to_string(),
        ),
        (
            "login.lockout_after_per_account",
            throttle.free_failures_per_account.to_string(),
        ),
        (
            "login.max_consecutive_failures",
            throttle.max_consecutive_failures.to_string(),
        ),
        ("login.max_lockout", format_duration(throttle.max_lock)),
        ("rate.mail_per_address", rate.mail_per_address.to_string()),
        ("rate.mail_per_client", rate.mail_per_client.to_string()),
        (
            "rate.registrations_per_client",
            rate.registrations_per_client.to_string(),
        ),
        (
            "api.rate_per_second",
            defaults::API_RATE_PER_SECOND.to_string(),
        ),
        ("api.burst", defaults::API_BURST.to_string()),
        (
            "mfa.remember_device_for",
            format_duration(defaults::REMEMBER_DEVICE_FOR),
        ),
        ("mfa.totp_skew_steps", defaults::TOTP_SKEW_STEPS.to_string()),
        (
            "audit.retention",
            format_duration(defaults::AUDIT_RETENTION),
        ),
        ("max_connections", limits.max_connections.to_string()),
        (
            "connections.header_timeout",
            std_duration(limits.header_timeout),
        ),
        (
            "connections.idle_timeout",
            std_duration(limits.idle_timeout),
        ),
        (
            "connections.request_timeout",
            std_duration(limits.request_timeout),
        ),
    ]
}

/// The same value, written either way (`24h` is `1d`).
fn same(shown: &str, value: &str) -> bool {
    shown == value || parse_duration(shown).is_some_and(|d| parse_duration(value) == Some(d))
}

/// The defaults the README's table and the init template state are the
/// code's: each default is defined once, in code, and its copies for people
/// are checked against it.
#[test]
fn the_documented_defaults_are_the_codes() {
    let readme = readme_configuration();
    let template = init_template("x");
    for (key, value) in code_defaults() {
        let row = readme
            .lines()
            .find(|l| {
                l.starts_with("| `")
                    && l.split('|')
                        .nth(1)
                        .is_some_and(|cell| cell.contains(&format!("`{key}`")))
            })
            .unwrap_or_else(|| panic!("no README row for {key}"));
        let default_cell = row.split('|').nth(2).unwrap_or_default();
        assert!(
            default_cell
                .split('`')
                .skip(1)
                .step_by(2)
                .any(|shown| same(shown, &value)),
            "README: {key} defaults to {value}, the row says {default_cell:?}"
        );
        // In the template, a commented line shows the default.
        let (table, field) = key.rsplit_once('.').unwrap_or(("", key));
        let mut current = String::new();
        for line in template.lines() {
            let bare = line.strip_prefix("# ").unwrap_or(line);
            if let Some(header) = bare.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
                current = header.to_owned();
                continue;
            }
            if current == table && line.starts_with(&format!("# {field} = ")) {
                let shown = bare[field.len() + 3..].trim_matches('"');
                assert!(
                    same(shown, &value),
                    "init template: {key} shows {shown}, not {value}"
                );
            }
        }
    }
}
