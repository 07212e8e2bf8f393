//! The password acceptance policy of `docs/api.md`, after NIST SP 800-63B: a minimum
//! length counted in Unicode code points (8 by default), at most 1024 bytes,
//! never truncated, no composition rules, and refused when it is a common or
//! breached password or equals the username or e-mail address.
//!
//! The common-password list is compiled in (`data/common-passwords.txt`,
//! 30,000 entries from zxcvbn, MIT; see `data/README.md`).

use crate::model::FieldProblem;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashSet;
use std::sync::LazyLock;

/// The longest password accepted, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect()
});

/// How many entries the compiled-in common-password list holds.
pub fn common_password_count() -> usize {
    COMMON_PASSWORDS.len()
}

/// The rules a new password must meet.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    /// Minimum length in Unicode code points.
    pub min_length: usize,
    /// The offline breached-password list, when configured.
    pub breached: Option<std::sync::Arc<super::breached::BreachedList>>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            breached: None,
        }
    }
}

impl PasswordPolicy {
    /// True when the breached-password list has `password`. A list that
    /// cannot be read is logged and treated as not listing it (the
    /// compiled-in common list still applies).
    pub fn is_breached(&self, password: &SecretString) -> bool {
        let Some(list) = &self.breached else {
            return false;
        };
        match list.contains(password.expose_secret()) {
            Ok(found) => found,
            Err(err) => {
                tracing::error!(error = %err, "the breached-password list could not be read");
                false
            }
        }
    }

    /// Every problem with `password` for an account called `username` with
    /// address `email` (either may be absent when not yet valid).
    pub fn check(
        &self,
        password: &SecretString,
        username: Option<&str>,
        email: Option<&str>,
    ) -> Vec<FieldProblem> {
        let pw = password.expose_secret();
        let mut problems = Vec::new();
        if pw.len() > MAX_PASSWORD_BYTES {
            problems.push(FieldProblem::new(
                "password",
                format!("Password must be at most {MAX_PASSWORD_BYTES} bytes long."),
            ));
            return problems;
        }
        if pw.chars().count() < self.min_length {
            problems.push(FieldProblem::new(
                "password",
                format!(
                    "Password must be at least {} characters long.",
                    self.min_length
                ),
            ));
        }
        let lowered = pw.to_lowercase();
        if COMMON_PASSWORDS.contains(lowered.as_str()) {
            problems.push(FieldProblem::new(
                "password",
                "This password is one of the most common passwords; choose one that is harder to guess.",
            ));
        }
        if self.is_breached(password) {
            problems.push(FieldProblem::new(
                "password",
                "This password appears in a list of passwords exposed in data breaches; choose another.",
            ));
        }
        let same_as = |other: Option<&str>| other.is_some_and(|o| o.to_lowercase() == lowered);
        if same_as(username) || same_as(email) {
            problems.push(FieldProblem::new(
                "password",
                "Password must not be the same as your username or e-mail address.",
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str) -> Vec<FieldProblem> {
        PasswordPolicy::default().check(
            &SecretString::from(pw),
            Some("alice"),
            Some("alice@example.com"),
        )
    }

    #[test]
    fn list_is_large_enough() {
        assert!(common_password_count() >= 10_000);
    }

    #[test]
    fn policy_follows_nist() {
        assert!(check("a quite unusual phrase").is_empty());
        assert!(
            check("šťastný kůň 9").is_empty(),
            "unicode counts in code points"
        );
        assert_eq!(check("short").len(), 1);
        assert_eq!(check("ääääääää").len(), 0, "8 code points are enough");
        assert!(!check("password1").is_empty());
        assert!(!check("PASSWORD1").is_empty(), "case-insensitive list");
        assert!(!check("Alice@Example.com").is_empty());
        assert!(!check(&"x".repeat(1025)).is_empty());
        assert!(check(&"xy".repeat(512)).is_empty(), "1024 bytes allowed");
    }
}
