//! `docs/conformance.md` and `docs/security.md` cannot drift from the code:
//! every test the conformance table names exists and is a test, each of the
//! 60 ASVS rows has a known status, and the security document keeps the
//! parts the table points to.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// True when `text` defines `name` as a test: a `#[test]`,
/// `#[tokio::test]` or `#[backend_test]` function.
fn defines_test(text: &str, name: &str) -> bool {
    let Some(at) = text
        .find(&format!("async fn {name}("))
        .or_else(|| text.find(&format!("fn {name}(")))
    else {
        return false;
    };
    let before = &text[..at];
    ["#[test]", "#[tokio::test", "#[backend_test]"]
        .iter()
        .filter_map(|attribute| before.rfind(attribute))
        .max()
        .is_some_and(|attr| !before[attr..].contains("\n}\n"))
}

/// The files a `module::name` reference can point to.
fn candidates(module: &str, all: &[PathBuf]) -> Vec<PathBuf> {
    all.iter()
        .filter(|path| {
            path.file_stem().is_some_and(|stem| stem == module)
                || (path.file_stem().is_some_and(|stem| stem == "mod")
                    && path
                        .parent()
                        .and_then(Path::file_name)
                        .is_some_and(|dir| dir == module))
        })
        .cloned()
        .collect()
}

#[test]
fn every_named_test_exists() {
    let doc = std::fs::read_to_string(root().join("docs/conformance.md")).unwrap();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root().join("crates")).unwrap().flatten() {
        rust_files(&krate.path().join("src"), &mut files);
        rust_files(&krate.path().join("tests"), &mut files);
    }
    let mut asvs_rows = 0;
    let mut named = 0;
    let mut missing = Vec::new();
    for line in doc.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        if cells.len() < 4 {
            continue;
        }
        let id = cells[0].trim_start_matches("| ");
        let status = cells[2];
        let is_asvs =
            id.split('.').count() == 3 && id.chars().all(|c| c.is_ascii_digit() || c == '.');
        if is_asvs {
            asvs_rows += 1;
        }
        if id == "id" || id == "stem" || id.starts_with("---") || id.starts_with('`') {
            continue;
        }
        assert!(
            status == "tested" || status.starts_with("n/a — ") || status == "GAP",
            "{id}: status {status:?}"
        );
        let tests: Vec<&str> = cells[3]
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|t| {
                let parts: Vec<&str> = t.split("::").collect();
                parts.len() == 2
                    && parts.iter().all(|p| {
                        !p.is_empty()
                            && p.chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    })
            })
            .collect();
        if status == "tested" {
            assert!(!tests.is_empty(), "{id} is `tested` but names no test");
        }
        if status == "GAP" {
            // Names in a gap may be the tests still to write.
            continue;
        }
        for test in tests {
            named += 1;
            let (module, name) = test.split_once("::").unwrap();
            let found = candidates(module, &files)
                .iter()
                .any(|file| defines_test(&std::fs::read_to_string(file).unwrap_or_default(), name));
            if !found {
                missing.push(format!("{id}: {test}"));
            }
        }
    }
    assert_eq!(asvs_rows, 60, "V6, V7 and V8 at L1 and L2");
    assert!(named > 100, "only {named} tests named");
    assert!(missing.is_empty(), "named but not found: {missing:#?}");
}

#[test]
fn the_security_document_covers_its_parts() {
    let doc = std::fs::read_to_string(root().join("docs/security.md")).unwrap();
    for part in [
        "Ways to sign in and the assurance each gives",
        "Session and remember-me lifetimes",
        "Concurrent sessions",
        "Rampart, applications and identity providers",
        "Anti-automation controls",
        "Context-specific words",
        "Field-level access",
        "Resetting a second factor",
    ] {
        assert!(doc.contains(&format!(". {part}")), "a part named {part:?}");
    }
    for pathway in [
        "Local password",
        "LDAP password",
        "OIDC provider",
        "TOTP",
        "recovery code",
        "remember this device",
        "API session",
        "Remember-me cookie",
        "Personal access token",
        "Known-device cookie",
        "First-run link",
        "Password-reset link",
        "`rampart` CLI",
    ] {
        assert!(doc.contains(pathway), "the pathway {pathway:?}");
    }
    for key in [
        "session.idle_timeout",
        "session.absolute_timeout",
        "session.remember_for",
        "session.max_per_user",
        "mfa.totp_skew_steps",
        "mfa.required",
        "password.context_words",
        "login.lockout_after_per_account",
        "rampart user reset-mfa NAME --reason",
    ] {
        assert!(doc.contains(key), "the setting {key:?}");
    }
}
