//! The password acceptance policy of `docs/api.md`, after NIST SP 800-63B: a minimum
//! length counted in Unicode code points (8 by default), at most 1024 bytes,
//! never truncated, no composition rules, and refused when it is a common or
//! breached password, or contains a word specific to this service or account
//! (ASVS 6.2.11): the site's name, the base URL's host labels, "rampart",
//! the username, the e-mail address's local part, and the operator's
//! `password.context_words`.
//!
//! The common-password list is compiled in (`data/common-passwords.txt`,
//! 30,000 entries from zxcvbn, MIT; see `data/README.md`). Its lines are
//! sorted by byte and a password is found by a binary search over the text
//! itself: a hash set of it held about 1.1 MiB of heap for the server's
//! whole life (#20, idle memory).

use crate::model::FieldProblem;
use secrecy::{ExposeSecret, SecretString};

/// The longest password accepted, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The common passwords, one a line, sorted by byte.
const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

/// Whether `word` is a whole line of `sorted`, a text whose lines are in
/// byte order: a binary search over line starts, with no table built.
fn is_line_of(sorted: &str, word: &str) -> bool {
    let text = sorted.as_bytes();
    // Every line starting before `low` sorts before `word`; every line
    // starting at `high` or after sorts after it. Both are line starts.
    let (mut low, mut high) = (0, text.len());
    while low < high {
        let middle = low + (high - low) / 2;
        let start = text[low..middle]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(low, |at| low + at + 1);
        let end = text[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |at| start + at);
        match text[start..end].cmp(word.as_bytes()) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => low = (end + 1).min(text.len()),
            std::cmp::Ordering::Greater => high = start,
        }
    }
    false
}

/// The rules a new password must meet.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    /// Minimum length in Unicode code points.
    pub min_length: usize,
    /// The offline breached-password list, when configured.
    pub breached: Option<std::sync::Arc<super::breached::BreachedList>>,
    /// Words of this service no password may contain (lower case).
    pub context_words: Vec<String>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            breached: None,
            context_words: context_words("Rampart", None, &[]),
        }
    }
}

/// The service's own words, which no password may contain: "rampart", the
/// words of the site's name, the labels of the base URL's host (not the
/// `www`, numeric or short ones), and the operator's `extra` words; each
/// lower-cased, at least 4 characters, once.
pub fn context_words(site_name: &str, host: Option<&str>, extra: &[String]) -> Vec<String> {
    let mut words: Vec<String> = vec!["rampart".to_owned()];
    let split = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .collect()
    };
    words.extend(split(site_name));
    if let Some(host) = host {
        words.extend(
            split(host)
                .into_iter()
                .filter(|label| label != "www" && !label.chars().all(|c| c.is_ascii_digit())),
        );
    }
    words.extend(extra.iter().map(|w| w.trim().to_lowercase()));
    let mut kept: Vec<String> = Vec::new();
    for word in words {
        if word.chars().count() >= 4 && !kept.contains(&word) {
            kept.push(word);
        }
    }
    kept
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
            problems.push(
                FieldProblem::new(
                    "password",
                    "problem-password-long",
                    format!("Password must be at most {MAX_PASSWORD_BYTES} bytes long."),
                )
                .with("max", MAX_PASSWORD_BYTES),
            );
            return problems;
        }
        if pw.chars().count() < self.min_length {
            problems.push(
                FieldProblem::new(
                    "password",
                    "problem-password-short",
                    format!(
                        "Password must be at least {} characters long.",
                        self.min_length
                    ),
                )
                .with("min", self.min_length),
            );
        }
        let lowered = pw.to_lowercase();
        if is_line_of(COMMON_PASSWORDS, &lowered) {
            problems.push(FieldProblem::new(
                "password",
                "problem-password-common",
                "This password is one of the most common passwords; choose one that is harder to guess.",
            ));
        }
        if self.is_breached(password) {
            problems.push(FieldProblem::new(
                "password",
                "problem-password-breached",
                "This password appears in a list of passwords exposed in data breaches; choose another.",
            ));
        }
        let same_as = |other: Option<&str>| other.is_some_and(|o| o.to_lowercase() == lowered);
        if same_as(username) || same_as(email) {
            problems.push(FieldProblem::new(
                "password",
                "problem-password-is-name",
                "Password must not be the same as your username or e-mail address.",
            ));
        } else if let Some(problem) = self.contains_context(&lowered, username, email) {
            problems.push(problem);
        }
        problems
    }

    /// The first word of this account or service that `lowered` contains,
    /// named with why it is refused.
    fn contains_context(
        &self,
        lowered: &str,
        username: Option<&str>,
        email: Option<&str>,
    ) -> Option<FieldProblem> {
        let local_part = email.and_then(|e| e.split('@').next());
        let personal = [
            (username, "your username", "username"),
            (local_part, "the start of your e-mail address", "email"),
        ];
        for (word, what, which) in personal {
            let Some(word) = word.map(str::to_lowercase) else {
                continue;
            };
            if word.chars().count() >= 3 && lowered.contains(&word) {
                return Some(
                    FieldProblem::new(
                        "password",
                        "problem-password-contains-own",
                        format!(
                            "Password must not contain {what} (\"{word}\"): it is the first thing an attacker tries."
                        ),
                    )
                    .with("what", which)
                    .with("word", &word),
                );
            }
        }
        self.context_words
            .iter()
            .find(|word| lowered.contains(word.as_str()))
            .map(|word| {
                FieldProblem::new(
                    "password",
                    "problem-password-contains-site",
                    format!("Password must not contain \"{word}\", a word of this site's name or address: it is the first thing an attacker tries."),
                )
                .with("word", word)
            })
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
        assert!(COMMON_PASSWORDS.lines().count() >= 10_000);
    }

    /// The binary search needs the list sorted by byte, with no blank or
    /// upper-case lines (a password is looked up in lower case), and it
    /// finds every entry and nothing else.
    #[test]
    fn list_is_sorted_and_every_entry_is_found() {
        let lines: Vec<&str> = COMMON_PASSWORDS.lines().collect();
        for pair in lines.windows(2) {
            assert!(pair[0] < pair[1], "{:?} before {:?}", pair[0], pair[1]);
        }
        for line in &lines {
            assert!(!line.is_empty() && !line.contains('\r'));
            assert_eq!(*line, line.to_lowercase());
            assert!(is_line_of(COMMON_PASSWORDS, line), "{line:?}");
            for near in [
                format!("{line}!"),
                format!(" {line}"),
                line.chars().skip(1).collect(),
            ] {
                if lines.binary_search(&near.as_str()).is_err() {
                    assert!(!is_line_of(COMMON_PASSWORDS, &near), "{near:?}");
                }
            }
        }
        for absent in [
            "",
            "\n",
            "a quite unusual phrase",
            "zzzzzzzzzzzz",
            "\u{0}",
            "pässword",
        ] {
            assert!(!is_line_of(COMMON_PASSWORDS, absent), "{absent:?}");
        }
    }

    #[test]
    fn search_handles_short_and_unterminated_texts() {
        for text in ["", "b", "b\n", "a\nb", "a\nb\nc", "a\nb\nc\n", "ä\nö"] {
            for word in ["", "a", "b", "c", "d", "ab", "a\nb", "ä", "ö", "äö"] {
                let expected = text.lines().any(|line| line == word);
                assert_eq!(is_line_of(text, word), expected, "{word:?} in {text:?}");
            }
        }
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

    #[test]
    fn words_of_the_service_and_the_account_are_refused() {
        let policy = PasswordPolicy {
            context_words: context_words(
                "Example Corp Portal",
                Some("login.acme-widgets.co.uk"),
                &["Quarterly".to_owned(), "  ".to_owned()],
            ),
            ..PasswordPolicy::default()
        };
        let check = |pw: &str, name: &str, email: &str| {
            policy
                .check(&SecretString::from(pw), Some(name), Some(email))
                .into_iter()
                .map(|p| p.message)
                .collect::<Vec<_>>()
                .join(" ")
        };
        for (pw, word) in [
            ("my rampart password", "rampart"),
            ("MyRAMPARTpassword", "rampart"),
            ("example of a phrase", "example"),
            ("the portal is open", "portal"),
            ("acme rockets and more", "acme"),
            ("login somewhere else", "login"),
            ("widgets galore 2024", "widgets"),
            ("quarterly report 42", "quarterly"),
            ("hello zoe-k 2024 friends", "zoe-k"),
            ("mail to zoe.k.mail today", "zoe.k.mail"),
        ] {
            let said = check(pw, "zoe-k", "zoe.k.mail@example.org");
            assert!(said.contains(&format!("\"{word}\"")), "{pw}: {said}");
        }
        assert!(check("an unrelated long phrase", "zoe-k", "zoe@example.org").is_empty());
        // Short labels, numbers and www are no words: "co", "uk", "corp"
        // is 4 and counts, but "www" and digits never do.
        assert!(context_words("X", Some("www.10.io"), &[]) == vec!["rampart".to_owned()]);
        assert!(check("a corporate phrase here", "zoe-k", "zoe@example.org").contains("\"corp\""));
    }
}
