//! The account model and its parsed newtypes ("parse, don't validate"):
//! a [`Username`] or [`Email`] that exists has already passed every account
//! rule of `docs/api.md`, so code further in never re-checks them.

use serde::Serialize;
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

/// What to tell a person: a message of the catalogues
/// (`crates/rampart-i18n/locales`) with the values it takes, and the same
/// in English. Pages say it in their reader's language; the API, the
/// command line and the logs use the English sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Words {
    /// The catalogue key (`None`: words for operators only, English).
    pub key: Option<&'static str>,
    /// The values the message takes, by name.
    pub args: std::collections::BTreeMap<&'static str, String>,
    /// The English sentence.
    pub english: String,
}

impl Words {
    /// The message `key`; `english` is what it says in English.
    pub fn new(key: &'static str, english: impl Into<String>) -> Self {
        Self {
            key: Some(key),
            args: Default::default(),
            english: english.into(),
        }
    }

    /// Words for operators only (configuration, the command line): English.
    pub fn english(english: impl Into<String>) -> Self {
        Self {
            key: None,
            args: Default::default(),
            english: english.into(),
        }
    }

    /// With the value `value` for the message's `$name`.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.insert(name, value.to_string());
        self
    }
}

impl fmt::Display for Words {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english)
    }
}

/// A problem with one field of a submitted form, shown next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The form field's name.
    pub field: &'static str,
    /// What is wrong and what to do, as a sentence (English).
    pub message: String,
    /// The same, for the reader's language.
    pub words: Words,
}

impl FieldProblem {
    /// A problem with `field`: the catalogue's `key`, `english` in English.
    pub fn new(field: &'static str, key: &'static str, english: impl Into<String>) -> Self {
        Self::of(field, Words::new(key, english))
    }

    /// The confirmation (`password_confirm`) does not repeat the password.
    pub fn passwords_differ() -> Self {
        Self::new(
            "password_confirm",
            "problem-passwords-differ",
            "The two passwords do not match.",
        )
    }

    /// A problem with `field` that only an operator sees (configuration).
    pub fn operator(field: &'static str, english: impl Into<String>) -> Self {
        Self::of(field, Words::english(english))
    }

    /// A problem with `field`, in `words`.
    pub fn of(field: &'static str, words: Words) -> Self {
        Self {
            field,
            message: words.english.clone(),
            words,
        }
    }

    /// With the value `value` for the message's `$name`.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.words = self.words.with(name, value);
        self
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
                "problem-username-length",
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
                "problem-username-characters",
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
///
/// The rule is the HTML form's (`<input type="email">`) and what the API
/// document's `format: email` means: an ASCII dot-atom of at most 64
/// characters (RFC 5321), `@`, and two or more host-name labels. An international domain is entered in its `xn--` form,
/// since browsers send it that way and mail without SMTPUTF8 needs it.
/// Nothing is trimmed here: the page forms trim what people typed, and the
/// API takes a value exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Email(String);

/// The characters of an address's local part besides letters and digits.
const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";

impl Email {
    /// The longest address a mail path carries (RFC 5321).
    pub const MAX_LEN: usize = 254;

    /// The longest local part (before the `@`) a mail path carries (RFC 5321).
    pub const MAX_LOCAL_LEN: usize = 64;

    /// The rules of [`Email::parse`] as a regular expression, for the API
    /// document, where `maxLength` ([`Email::MAX_LEN`]) and `format: email`
    /// (a local part of at most [`Email::MAX_LOCAL_LEN`]) complete it; a test
    /// keeps them in agreement with the parser.
    pub const PATTERN: &'static str = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";

    /// Checks a submitted address.
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let invalid = || {
            FieldProblem::new(
                "email",
                "problem-email-invalid",
                "Enter a valid e-mail address, like name@example.com.",
            )
        };
        if raw.chars().count() > Self::MAX_LEN {
            return Err(FieldProblem::new(
                "email",
                "problem-email-length",
                "E-mail address must be at most 254 characters long.",
            ));
        }
        if !raw.is_ascii() {
            return Err(FieldProblem::new(
                "email",
                "problem-email-ascii",
                "Enter the address in plain letters; for an international domain, use its xn-- form.",
            ));
        }
        let (local, domain) = raw.split_once('@').ok_or_else(invalid)?;
        let local_ok = local.len() <= Self::MAX_LOCAL_LEN
            && local.split('.').all(|atom| {
                !atom.is_empty()
                    && atom
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c))
            });
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                (1..=63).contains(&label.len())
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
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
                "problem-role-name",
                format!(
                    "Role name {raw:?} is invalid: use 1 to 32 characters of a-z, 0-9, '_' and '-', starting with a letter."
                ),
            )
            .with("name", format!("{raw:?}")))
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
    /// Raised each time the account is signed out everywhere or its second
    /// factor is removed (its known-device and trusted-device cookies are
    /// bound to it).
    pub sign_out_epoch: i64,
}

impl UserCredentials {
    /// What a device cookie of the account is bound to: a digest of its
    /// password hash and its sign-out epoch, so a password change, a reset,
    /// a sign-out everywhere or a removed second factor voids every cookie.
    /// (Epoch 0 leaves the digest as it was before the epoch existed, so
    /// older cookies stay valid until then.)
    pub fn device_binding(&self) -> String {
        Self::binding_of(self.password_hash.as_deref(), self.sign_out_epoch)
    }

    /// [`UserCredentials::device_binding`] of a hash and an epoch read
    /// earlier (a sign-in computes it only once the password matched).
    pub fn binding_of(password_hash: Option<&str>, sign_out_epoch: i64) -> String {
        let hash = password_hash.unwrap_or_default();
        let bound = match sign_out_epoch {
            0 => hash.to_owned(),
            epoch => format!("{hash}\n{epoch}"),
        };
        rampart_crypto::TokenDigest::of(&bound).to_hex()
    }
}

/// What the store needs to create an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The account to create.
    pub user: User,
    /// Its PHC password hash (`None`: it signs in only through an external
    /// identity).
    pub password_hash: Option<String>,
    /// The language its mails are written in (`None`: the site's default).
    pub language: Option<String>,
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
            "user@xn--bcher-kva.de",
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
            "ÜSER@bücher.de",
            " a@example.com",
            "a@example.com\n",
            "a@-x.com",
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

        /// The documented address pattern and length accept exactly what
        /// [`Email::parse`] accepts, around the length limit too.
        #[test]
        fn email_pattern_agrees_with_the_parser(
            raw in "[A-Za-z0-9.!#~@-]{0,8}@[A-Za-z0-9.@-]{0,12}|[a-z]{1,250}@[a-z-]{1,3}\\.[a-z0-9]{1,3}|[a-z.]{60,70}@ab\\.cd|\\PC{0,4}@\\PC{0,6}|[ -~]{0,30}"
        ) {
            let email = regex::Regex::new(Email::PATTERN).unwrap();
            let local_fits = raw.split('@').next().is_some_and(|l| l.len() <= Email::MAX_LOCAL_LEN);
            let fits = email.is_match(&raw) && raw.chars().count() <= Email::MAX_LEN && local_fits;
            proptest::prop_assert_eq!(fits, Email::parse(&raw).is_ok(), "{:?}", raw);
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
