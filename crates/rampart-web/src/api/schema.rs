//! The OpenAPI schemas of the API's constrained text fields, built from the
//! domain's own rules (`Username::PATTERN`, `Email::PATTERN`, the password
//! policy…) rather than restated as literals, so the document cannot drift
//! from what the server checks. Each type here only carries a schema; the
//! request structs name it with `#[schema(value_type = …)]`.

use rampart_core::password::policy::MAX_PASSWORD_BYTES;
use rampart_core::{Email, RoleName, Username};
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// A string schema with a description.
fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

/// Declares a schema-only type whose schema `build` makes.
macro_rules! text_schema {
    ($(#[$doc:meta])* $name:ident => $build:expr) => {
        $(#[$doc])*
        #[allow(dead_code)] // only its schema is used
        pub struct $name(String);

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let builder: ObjectBuilder = $build;
                builder.build().into()
            }
        }

        impl ToSchema for $name {}
    };
}

text_schema! {
    /// A username (`Username::parse`).
    UsernameText => text("3–32 characters of `A–Z a–z 0–9 _ . -`, starting with a letter or digit.")
        .pattern(Some(Username::PATTERN))
        .min_length(Some(3))
        .max_length(Some(32))
}

text_schema! {
    /// An e-mail address (`Email::parse`): ASCII, an international domain in
    /// its `xn--` form.
    EmailText => text("An e-mail address in ASCII (an international domain in its `xn--` form), at most 254 characters, at most 64 before the `@`.")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .pattern(Some(Email::PATTERN))
        .max_length(Some(Email::MAX_LEN))
}

text_schema! {
    /// A role name (`RoleName::parse`).
    RoleNameText => text("1–32 characters of `a–z 0–9 _ -`, starting with a letter.")
        .pattern(Some(RoleName::PATTERN))
        .min_length(Some(1))
        .max_length(Some(32))
}

text_schema! {
    /// A new password under the password policy. Its `minLength` is the
    /// configured minimum ([`set_password_minimum`]).
    NewPasswordText => text("A new password: at least the configured minimum of Unicode characters, at most 1024 bytes of UTF-8 (`x-max-bytes`), not a common or breached password, not the username or e-mail address.")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(rampart_core::password::PasswordPolicy::default().min_length))
        .max_length(Some(MAX_PASSWORD_BYTES))
        .extensions(Some(ExtensionsBuilder::new().add("x-max-bytes", MAX_PASSWORD_BYTES).build()))
}

/// Text without control characters, as a regular expression ([`is_plain`]).
pub const PLAIN_PATTERN: &str = r"^[^\u0000-\u001F\u007F-\u009F]*$";

/// True when `text` has no control characters (the rule of [`PLAIN_PATTERN`]).
pub fn is_plain(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// The longest admin search, in characters.
pub const SEARCH_MAX_CHARS: usize = 254;

/// Six digits, as a regular expression ([`is_six_digits`]).
pub const SIX_DIGITS_PATTERN: &str = "^[0-9]{6}$";

/// True for exactly six ASCII digits (the rule of [`SIX_DIGITS_PATTERN`]).
pub fn is_six_digits(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

text_schema! {
    /// A filter value: any text without control characters.
    PlainText => text("Any text without control characters.")
        .pattern(Some(PLAIN_PATTERN))
}

text_schema! {
    /// An account search.
    SearchText => text("Part of a username or e-mail address: at most 254 characters, no control characters.")
        .pattern(Some(PLAIN_PATTERN))
        .max_length(Some(SEARCH_MAX_CHARS))
}

text_schema! {
    /// A token name (`rampart_core::token::name_is_valid`).
    TokenNameText => text("A label: 1–64 characters, not only blanks, no control characters.")
        .pattern(Some(rampart_core::token::NAME_PATTERN))
        .min_length(Some(1))
        .max_length(Some(rampart_core::token::NAME_MAX_CHARS))
}

text_schema! {
    /// The code an authenticator app shows.
    SixDigitCode => text("The 6-digit code the authenticator app shows, digits only.")
        .pattern(Some(SIX_DIGITS_PATTERN))
}

/// Writes the configured minimum password length into the served document.
pub fn set_password_minimum(doc: &mut utoipa::openapi::OpenApi, min_length: usize) {
    let schema = doc.components.as_mut().and_then(|c| {
        c.schemas
            .get_mut(<NewPasswordText as ToSchema>::name().as_ref())
    });
    if let Some(RefOr::T(Schema::Object(object))) = schema {
        object.min_length = Some(min_length);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Each documented pattern accepts exactly what its check accepts.
        #[test]
        fn patterns_agree_with_the_checks(raw in "\\PC{0,8}|\\p{Cc}{0,2}[a-z0-9]{0,7}|[0-9]{5,7}|[0-9\u{660}-\u{669}]{6}") {
            let plain = regex::Regex::new(PLAIN_PATTERN).unwrap();
            let digits = regex::Regex::new(SIX_DIGITS_PATTERN).unwrap();
            proptest::prop_assert_eq!(plain.is_match(&raw), is_plain(&raw), "{:?}", raw);
            proptest::prop_assert_eq!(digits.is_match(&raw), is_six_digits(&raw), "{:?}", raw);
        }
    }
}
