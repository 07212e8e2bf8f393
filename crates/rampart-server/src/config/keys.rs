//! Every configuration key is documented: in the README's table (or, for
//! the fields of access rules, providers and the directory, beside their
//! example), and in the template `rampart init` writes. The keys are read
//! from the raw structs themselves (serde names the fields a struct accepts
//! when it refuses an unknown one), so a new key fails these tests until it
//! is documented in both places.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
