//! The account model and its parsed newtypes ("parse, don't validate"):
//! a [`Username`] or [`Email`] that exists has already passed every rule of
//! API.md, so code further in never re-checks them.

use serde::Serialize;
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

/// A problem with one field of a submitted form, shown next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The form field's name.
    pub field: &'static str,
    /// What is wrong and what to do, as a sentence.
    pub message: String,
}

impl FieldProblem {
    /// A problem with `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A user's stable identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct UserId(pub Uuid);

impl UserId {
    /// A new random identifier.
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    /// Parses the textual form stored in the database.
    pub fn parse(s: &str) -> Option<Self> {
        Uuid::parse_str(s).ok().map(Self)
    }
}

impl Default for UserId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A username: 3–32 characters of `A–Z a–z 0–9 _ . -`, starting with a letter
/// or digit. Unique case-insensitively (see [`Username::key`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Username(String);

impl Username {
    /// The rules of [`Username::parse`] as a regular expression, for the
    /// API document (a test keeps the two in agreement).
    pub const PATTERN: &'static str = "^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$";

    /// Checks a submitted username against the rules.
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let len = raw.chars().count();
        if !(3..=32).contains(&len) {
            return Err(FieldProblem::new(
                "username",
                "Username must be 3 to 32 characters long.",
            ));
        }
        let valid_chars = raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        let valid_start = raw
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if !valid_chars || !valid_start {
            return Err(FieldProblem::new(
                "username",
                "Username may contain only letters, digits, '_', '.' and '-', and must start with a letter or digit.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Trusts a value read back from our own database.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    /// The username as typed at registration.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key the database keeps unique.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, checked for a plausible shape (the verification mail is
/// the real test). Unique case-insensitively (see [`Email::key`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Email(String);

impl Email {
    /// Checks a submitted address.
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let invalid = || {
            FieldProblem::new(
                "email",
                "Enter a valid e-mail address, like name@example.com.",
            )
        };
        let raw = raw.trim();
        if raw.len() > 254 {
            return Err(FieldProblem::new(
                "email",
                "E-mail address must be at most 254 characters long.",
            ));
        }
        let (local, domain) = raw.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(invalid())
        }
    }

    /// Trusts a value read back from our own database.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    /// The address as entered.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key the database keeps unique.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A role name: `[a-z][a-z0-9_-]{0,31}`. `admin` and `user` are built in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RoleName(String);

impl RoleName {
    /// The built-in role every new account gets.
    pub fn user() -> Self {
        Self("user".to_owned())
    }

    /// The rules of [`RoleName::parse`] as a regular expression, for the
    /// API document (a test keeps the two in agreement).
    pub const PATTERN: &'static str = "^[a-z][a-z0-9_-]{0,31}$";

    /// Checks a role name.
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let mut chars = raw.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_ok =
            chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if first_ok && rest_ok && raw.len() <= 32 {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldProblem::new(
                "role",
                format!(
                    "Role name {raw:?} is invalid: use 1 to 32 characters of a-z, 0-9, '_' and '-', starting with a letter."
                ),
            ))
        }
    }

    /// Trusts a value read back from our own database.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    /// The role's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An account as the rest of the system sees it (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Stable identifier.
    pub id: UserId,
    /// Display and login name.
    pub username: Username,
    /// Contact and login address.
    pub email: Email,
    /// Whether the address has been confirmed.
    pub email_verified: bool,
    /// Roles, sorted.
    pub roles: Vec<RoleName>,
    /// Locked by an operator: cannot sign in.
    pub locked: bool,
    /// Must choose a new password before anything else (the current one
    /// turned up in a breach).
    pub must_change_password: bool,
    /// When the account was created.
    pub created_at: OffsetDateTime,
}

impl User {
    /// A new, unlocked account with an unverified address. `roles` are sorted
    /// and deduplicated; none given means `user` alone (least privilege).
    pub fn new_account(
        username: Username,
        email: Email,
        mut roles: Vec<RoleName>,
        created_at: time::OffsetDateTime,
    ) -> Self {
        if roles.is_empty() {
            roles.push(RoleName::user());
        }
        roles.sort();
        roles.dedup();
        User {
            id: UserId::new(),
            username,
            email,
            email_verified: false,
            roles,
            locked: false,
            must_change_password: false,
            created_at,
        }
    }
}

/// A user together with the stored password hash, for the login check only.
#[derive(Clone)]
pub struct UserCredentials {
    /// The account.
    pub user: User,
    /// Its PHC password hash (absent for accounts without a local password).
    pub password_hash: Option<String>,
    /// A second factor is on (read in the same statement: sign-in needs it).
    pub mfa_enabled: bool,
}

/// What the store needs to create an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The account to create.
    pub user: User,
    /// Its PHC password hash (`None`: it signs in only through an external
    /// identity).
    pub password_hash: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_contract() {
        for ok in ["abc", "a.b-c_d", "9lives", &"a".repeat(32)] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "_abc",
            ".abc",
            "a b",
            "a<b",
            "ab\0c",
            &"a".repeat(33),
            "ünï",
            "' OR 1=1 --",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Username::parse("Alice").unwrap().key(), "alice");
    }

    #[test]
    fn emails_need_a_plausible_shape() {
        for ok in [
            "a@example.com",
            "first.last+tag@sub.example.org",
            "ÜSER@bücher.de",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.com",
            "a@.com",
            "a b@c.com",
            "<script>@x.com",
            "a@b.com\0",
            "a\"@b.com",
            "a..b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Email::parse("A@Example.COM").unwrap().key(),
            "a@example.com"
        );
    }

    proptest::proptest! {
        /// The documented patterns accept exactly what the parsers accept.
        #[test]
        fn patterns_agree_with_the_parsers(raw in "[ -~]{0,40}|[a-z0-9_.-]{0,34}|\\PC{0,6}") {
            let user = regex::Regex::new(Username::PATTERN).unwrap();
            let role = regex::Regex::new(RoleName::PATTERN).unwrap();
            proptest::prop_assert_eq!(user.is_match(&raw), Username::parse(&raw).is_ok(), "{:?}", raw);
            proptest::prop_assert_eq!(role.is_match(&raw), RoleName::parse(&raw).is_ok(), "{:?}", raw);
        }
    }

    #[test]
    fn role_names_follow_the_contract() {
        assert!(RoleName::parse("admin").is_ok());
        assert!(RoleName::parse("ops-team_2").is_ok());
        for bad in ["", "Admin", "1ops", "a b", &"a".repeat(33)] {
            assert!(RoleName::parse(bad).is_err(), "{bad}");
        }
    }
}
