//! Password hashes written by other applications, accepted so that users
//! imported from them (`rampart user import`) sign in with their old
//! password; the caller then replaces the hash with Argon2id.
//!
//! Formats: bcrypt `$2a$`/`$2b$`/`$2y$` (Flask-Bcrypt, passlib), Werkzeug
//! `pbkdf2:sha256:N$salt$hex`, `pbkdf2:sha512:N$salt$hex` and
//! `scrypt:N:r:p$salt$hex`, passlib `$pbkdf2-sha256$N$salt$hash`, Django
//! `pbkdf2_sha256$N$salt$base64`, and Flask-Security-Too's HMAC pre-hashed
//! passwords: `$fshmac$SEALED_SALT$INNER`, where INNER is one of the above
//! over `base64(HMAC-SHA512(SECURITY_PASSWORD_SALT, password))` and the salt
//! is sealed with the key ring (a stolen database alone does not reveal it).
//!
//! Every comparison of derived bytes is constant-time; the algorithms are
//! the `bcrypt`, `pbkdf2`, `scrypt` and `hmac` crates'.

use data_encoding::{BASE64, BASE64_NOPAD, BASE64URL_NOPAD, HEXLOWER, HEXLOWER_PERMISSIVE};
use hmac::{KeyInit, Mac};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The prefix of a Flask-Security-Too pre-hashed import.
pub const FLASK_SECURITY_PREFIX: &str = "$fshmac$";
/// What the Flask-Security salt is sealed for (key-ring associated data).
pub const FLASK_SECURITY_SALT_CONTEXT: &[u8] = b"rampart/import/flask-security-salt/v1";

/// Why a stored hash cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyHashError {
    /// Not a format Rampart knows.
    #[error(
        "unrecognised password hash format (expected Argon2, bcrypt, Werkzeug pbkdf2/scrypt, passlib pbkdf2-sha256 or Django pbkdf2_sha256)"
    )]
    Unknown,
    /// A known format with a broken field.
    #[error("malformed {0} hash: {1}")]
    Malformed(&'static str, &'static str),
}

/// The recognised algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Argon2 PHC string (verified by [`crate::PasswordHasher`]).
    Argon2,
    /// bcrypt.
    Bcrypt,
    /// Werkzeug `pbkdf2:sha256` / `pbkdf2:sha512`.
    WerkzeugPbkdf2,
    /// Werkzeug `scrypt`.
    WerkzeugScrypt,
    /// passlib `$pbkdf2-sha256$`.
    PasslibPbkdf2,
    /// Django `pbkdf2_sha256`.
    DjangoPbkdf2,
    /// Flask-Security-Too's HMAC pre-hash around one of the others.
    FlaskSecurity,
}

impl Family {
    /// A short name for reports and audit details.
    pub fn name(self) -> &'static str {
        match self {
            Family::Argon2 => "argon2",
            Family::Bcrypt => "bcrypt",
            Family::WerkzeugPbkdf2 => "werkzeug-pbkdf2",
            Family::WerkzeugScrypt => "werkzeug-scrypt",
            Family::PasslibPbkdf2 => "passlib-pbkdf2-sha256",
            Family::DjangoPbkdf2 => "django-pbkdf2-sha256",
            Family::FlaskSecurity => "flask-security-hmac",
        }
    }
}

/// Iteration counts above this are refused (a hostile file could otherwise
/// make one sign-in take hours).
const MAX_ITERATIONS: u32 = 10_000_000;
/// The bcrypt cost above which a hash is refused, for the same reason (cost
/// 20 is already about a minute per sign-in).
const MAX_BCRYPT_COST: u32 = 20;

/// Recognises `stored` and checks its fields (nothing is derived).
pub fn identify(stored: &str) -> Result<Family, LegacyHashError> {
    if stored.starts_with("$argon2") {
        return argon2::PasswordHash::new(stored)
            .map(|_| Family::Argon2)
            .map_err(|_| LegacyHashError::Malformed("argon2", "not a valid PHC string"));
    }
    if let Some(rest) = stored.strip_prefix(FLASK_SECURITY_PREFIX) {
        let (_, inner) = rest.split_once('$').ok_or(LegacyHashError::Malformed(
            "flask-security",
            "no inner hash",
        ))?;
        if inner.starts_with(FLASK_SECURITY_PREFIX) {
            return Err(LegacyHashError::Malformed(
                "flask-security",
                "nested pre-hash",
            ));
        }
        identify(inner)?;
        return Ok(Family::FlaskSecurity);
    }
    if stored.starts_with("$2a$") || stored.starts_with("$2b$") || stored.starts_with("$2y$") {
        return if stored.len() == 60 {
            Ok(Family::Bcrypt)
        } else {
            Err(LegacyHashError::Malformed(
                "bcrypt",
                "a bcrypt hash has 60 characters",
            ))
        };
    }
    if stored.starts_with("pbkdf2:") {
        werkzeug_pbkdf2(stored)?;
        return Ok(Family::WerkzeugPbkdf2);
    }
    if stored.starts_with("scrypt:") {
        werkzeug_scrypt(stored)?;
        return Ok(Family::WerkzeugScrypt);
    }
    if stored.starts_with("$pbkdf2-sha256$") {
        passlib_pbkdf2(stored)?;
        return Ok(Family::PasslibPbkdf2);
    }
    if stored.starts_with("pbkdf2_sha256$") {
        django_pbkdf2(stored)?;
        return Ok(Family::DjangoPbkdf2);
    }
    Err(LegacyHashError::Unknown)
}

/// [`identify`], and also refuses costs that would let one imported row
/// exhaust the server at its owner's sign-in: bcrypt above cost 20, scrypt
/// above 256 MiB or 2^24 block operations, Argon2 above 256 MiB or 10
/// passes. Used at import (hashes already stored stay readable).
pub fn importable(stored: &str) -> Result<Family, LegacyHashError> {
    let family = identify(stored)?;
    match family {
        Family::Bcrypt => {
            let cost = stored.get(4..6).and_then(|c| c.parse::<u32>().ok());
            if !cost.is_some_and(|c| (4..=MAX_BCRYPT_COST).contains(&c)) {
                return Err(LegacyHashError::Malformed(
                    "bcrypt",
                    "the cost must be from 04 to 20",
                ));
            }
        }
        Family::WerkzeugScrypt => {
            let (log_n, r, p, _, _) = werkzeug_scrypt(stored)?;
            let (n, r, p) = (1u64 << log_n, u64::from(r), u64::from(p));
            if 128 * n * r > MAX_IMPORT_MEMORY || n * r * p > 1 << 24 {
                return Err(LegacyHashError::Malformed(
                    "werkzeug scrypt",
                    "the cost is above 256 MiB or 2^24 block operations",
                ));
            }
        }
        Family::Argon2 => {
            let parsed = argon2::PasswordHash::new(stored)
                .map_err(|_| LegacyHashError::Malformed("argon2", "not a valid PHC string"))?;
            let param = |name: &str| parsed.params.get_decimal(name).unwrap_or(0);
            if u64::from(param("m")) * 1024 > MAX_IMPORT_MEMORY || param("t") > 10 {
                return Err(LegacyHashError::Malformed(
                    "argon2",
                    "the cost is above 256 MiB or 10 passes",
                ));
            }
        }
        Family::FlaskSecurity => {
            if let Some((_, inner)) = split_flask_security(stored) {
                importable(inner)?;
            }
        }
        _ => {}
    }
    Ok(family)
}

/// The most memory one imported hash may take to check.
const MAX_IMPORT_MEMORY: u64 = 256 << 20;

/// The inner hash of a Flask-Security form, and its sealed salt.
pub fn split_flask_security(stored: &str) -> Option<(&str, &str)> {
    stored.strip_prefix(FLASK_SECURITY_PREFIX)?.split_once('$')
}

/// Flask-Security-Too's pre-hash: `base64(HMAC-SHA512(salt, password))`.
pub fn flask_security_prehash(salt: &[u8], password: &[u8]) -> Zeroizing<String> {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    let digest = match <hmac::Hmac<Sha512> as KeyInit>::new_from_slice(salt) {
        Ok(mut mac) => {
            mac.update(password);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    };
    Zeroizing::new(BASE64.encode(&digest))
}

/// How a legacy hash is computed: its parameters, its salt and the output
/// it stored. Parsed once; [`Recipe::derive`] recomputes the output.
enum Recipe {
    Bcrypt {
        cost: u32,
        salt: [u8; 16],
        /// The 31 characters of bcrypt's own base64 after the salt.
        expected: Vec<u8>,
    },
    Pbkdf2 {
        sha512: bool,
        rounds: u32,
        salt: Vec<u8>,
        expected: Vec<u8>,
    },
    Scrypt {
        params: scrypt::Params,
        salt: Vec<u8>,
        expected: Vec<u8>,
    },
}

/// Where bcrypt's output starts (`$2b$NN$` and a 22-character salt).
const BCRYPT_OUTPUT: usize = 29;

impl Recipe {
    fn of(stored: &str) -> Result<(Family, Recipe), LegacyHashError> {
        let family = identify(stored)?;
        let recipe = match family {
            Family::Argon2 | Family::FlaskSecurity => return Err(LegacyHashError::Unknown),
            Family::Bcrypt => {
                let parts: bcrypt::HashParts = stored
                    .parse()
                    .map_err(|_| LegacyHashError::Malformed("bcrypt", "unreadable"))?;
                Recipe::Bcrypt {
                    cost: parts.get_cost(),
                    salt: parts.get_salt_raw(),
                    expected: stored.as_bytes()[BCRYPT_OUTPUT..].to_vec(),
                }
            }
            Family::WerkzeugPbkdf2 => {
                let (sha512, rounds, salt, expected) = werkzeug_pbkdf2(stored)?;
                Recipe::Pbkdf2 {
                    sha512,
                    rounds,
                    salt: salt.as_bytes().to_vec(),
                    expected,
                }
            }
            Family::WerkzeugScrypt => {
                let (log_n, r, p, salt, expected) = werkzeug_scrypt(stored)?;
                let params = scrypt::Params::new(log_n, r, p)
                    .map_err(|_| LegacyHashError::Malformed("scrypt", "bad cost parameters"))?;
                Recipe::Scrypt {
                    params,
                    salt: salt.as_bytes().to_vec(),
                    expected,
                }
            }
            Family::PasslibPbkdf2 => {
                let (rounds, salt, expected) = passlib_pbkdf2(stored)?;
                Recipe::Pbkdf2 {
                    sha512: false,
                    rounds,
                    salt,
                    expected,
                }
            }
            Family::DjangoPbkdf2 => {
                let (rounds, salt, expected) = django_pbkdf2(stored)?;
                Recipe::Pbkdf2 {
                    sha512: false,
                    rounds,
                    salt: salt.as_bytes().to_vec(),
                    expected,
                }
            }
        };
        Ok((family, recipe))
    }

    fn expected(&self) -> &[u8] {
        match self {
            Recipe::Bcrypt { expected, .. }
            | Recipe::Pbkdf2 { expected, .. }
            | Recipe::Scrypt { expected, .. } => expected,
        }
    }

    /// The output this recipe gives for `password`.
    fn derive(&self, password: &[u8]) -> Result<Zeroizing<Vec<u8>>, LegacyHashError> {
        match self {
            Recipe::Bcrypt { cost, salt, .. } => {
                let full = Zeroizing::new(
                    bcrypt::hash_with_salt(password, *cost, *salt)
                        .map_err(|_| LegacyHashError::Malformed("bcrypt", "bad cost"))?
                        .format_for_version(bcrypt::Version::TwoB),
                );
                Ok(Zeroizing::new(full.as_bytes()[BCRYPT_OUTPUT..].to_vec()))
            }
            Recipe::Pbkdf2 {
                sha512,
                rounds,
                salt,
                expected,
            } => Ok(pbkdf2(*sha512, password, salt, *rounds, expected.len())),
            Recipe::Scrypt {
                params,
                salt,
                expected,
            } => {
                let mut out = Zeroizing::new(vec![0u8; expected.len()]);
                scrypt::scrypt(password, salt, params, &mut out)
                    .map_err(|_| LegacyHashError::Malformed("scrypt", "bad output length"))?;
                Ok(out)
            }
        }
    }
}

/// Checks `password` against a non-Argon2 `stored` hash (the Flask-Security
/// form must be unwrapped by the caller, who holds the key ring).
pub fn verify(stored: &str, password: &[u8]) -> Result<bool, LegacyHashError> {
    let (_, recipe) = Recipe::of(stored)?;
    Ok(equal(&recipe.derive(password)?, recipe.expected()))
}

/// The prefix of a legacy hash wrapped in Argon2id at import.
pub const WRAPPED_PREFIX: &str = "$wrapped$";

/// A legacy hash taken apart for wrapping (OWASP "upgrading legacy
/// hashes"): the `template` is the hash with its output zeroed, which keeps
/// the algorithm, parameters and salt needed to recompute the output but
/// not the output itself; `input` is what Argon2id is computed over: the
/// template and the output. [`recompute`] rebuilds the same input from a
/// password, so only the right password gives the input Argon2id was
/// computed over.
pub struct Unwrapped {
    /// The legacy hash with its output zeroed.
    pub template: String,
    /// The Argon2id input (secret: it is as good as the legacy hash).
    pub input: Zeroizing<String>,
}

impl std::fmt::Debug for Unwrapped {
    /// The template only: the input is as good as the legacy hash.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unwrapped")
            .field("template", &self.template)
            .field("input", &"[redacted]")
            .finish()
    }
}

/// Takes a bare legacy hash apart for wrapping.
pub fn take_apart(stored: &str) -> Result<Unwrapped, LegacyHashError> {
    let (family, recipe) = Recipe::of(stored)?;
    let template = zeroed(family, stored, recipe.expected().len());
    let input = wrap_input(&template, recipe.expected());
    Ok(Unwrapped { template, input })
}

/// The Argon2id input for `password` under `template` (see [`take_apart`]).
pub fn recompute(template: &str, password: &[u8]) -> Result<Zeroizing<String>, LegacyHashError> {
    let (_, recipe) = Recipe::of(template)?;
    Ok(wrap_input(template, &recipe.derive(password)?))
}

/// `$wrapped$TEMPLATE$argon2id$…` → (template, the Argon2 PHC string).
pub fn split_wrapped(stored: &str) -> Option<(String, &str)> {
    let rest = stored.strip_prefix(WRAPPED_PREFIX)?;
    let (template, phc) = rest.split_at(rest.find('$')?);
    let template = BASE64URL_NOPAD.decode(template.as_bytes()).ok()?;
    Some((String::from_utf8(template).ok()?, phc))
}

/// `$wrapped$` + the template (base64url, as it may hold `$`) + the PHC string.
pub fn join_wrapped(template: &str, phc: &str) -> String {
    format!(
        "{WRAPPED_PREFIX}{}{phc}",
        BASE64URL_NOPAD.encode(template.as_bytes())
    )
}

fn wrap_input(template: &str, output: &[u8]) -> Zeroizing<String> {
    let mut input = Zeroizing::new(String::with_capacity(
        template.len() + 1 + HEXLOWER.encode_len(output.len()),
    ));
    input.push_str(template);
    input.push('$');
    // Encoded straight into the zeroized buffer (no copy left behind).
    HEXLOWER.encode_append(output, &mut input);
    input
}

/// `stored` with its `len`-byte output replaced by zeros in the family's
/// own encoding (so the template still parses as a hash of that family).
fn zeroed(family: Family, stored: &str, len: usize) -> String {
    let zeros = vec![0u8; len];
    let (prefix, output) = match family {
        Family::Bcrypt => (&stored[..BCRYPT_OUTPUT], ".".repeat(len)),
        Family::WerkzeugPbkdf2 | Family::WerkzeugScrypt => {
            (output_prefix(stored), HEXLOWER.encode(&zeros))
        }
        Family::PasslibPbkdf2 => (
            output_prefix(stored),
            BASE64_NOPAD.encode(&zeros).replace('+', "."),
        ),
        Family::DjangoPbkdf2 => (output_prefix(stored), BASE64.encode(&zeros)),
        Family::Argon2 | Family::FlaskSecurity => (stored, String::new()),
    };
    format!("{prefix}{output}")
}

/// Everything up to and including the last `$`.
fn output_prefix(stored: &str) -> &str {
    stored.rfind('$').map_or(stored, |at| &stored[..=at])
}

fn equal(derived: &[u8], expected: &[u8]) -> bool {
    derived.len() == expected.len() && bool::from(derived.ct_eq(expected))
}

fn pbkdf2(
    sha512: bool,
    password: &[u8],
    salt: &[u8],
    rounds: u32,
    len: usize,
) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    if sha512 {
        pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, rounds, &mut out);
    } else {
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, rounds, &mut out);
    }
    out
}

fn rounds(text: &str, family: &'static str) -> Result<u32, LegacyHashError> {
    match text.parse::<u32>() {
        Ok(n) if (1..=MAX_ITERATIONS).contains(&n) => Ok(n),
        _ => Err(LegacyHashError::Malformed(family, "bad iteration count")),
    }
}

/// `pbkdf2:sha256:N$salt$hex` → (sha512?, N, salt, digest).
fn werkzeug_pbkdf2(stored: &str) -> Result<(bool, u32, &str, Vec<u8>), LegacyHashError> {
    const F: &str = "werkzeug pbkdf2";
    let mut parts = stored.splitn(3, '$');
    let (method, salt, hex) = (parts.next(), parts.next(), parts.next());
    let (Some(method), Some(salt), Some(hex)) = (method, salt, hex) else {
        return Err(LegacyHashError::Malformed(F, "expected METHOD$SALT$HASH"));
    };
    let fields: Vec<&str> = method.split(':').collect();
    let sha512 = match fields.get(1) {
        Some(&"sha256") => false,
        Some(&"sha512") => true,
        _ => {
            return Err(LegacyHashError::Malformed(
                F,
                "only sha256 and sha512 are supported",
            ));
        }
    };
    let n = rounds(fields.get(2).copied().unwrap_or(""), F)?;
    let digest = HEXLOWER_PERMISSIVE
        .decode(hex.as_bytes())
        .map_err(|_| LegacyHashError::Malformed(F, "the hash is not hexadecimal"))?;
    if digest.len() != if sha512 { 64 } else { 32 } {
        return Err(LegacyHashError::Malformed(F, "wrong hash length"));
    }
    Ok((sha512, n, salt, digest))
}

/// `scrypt:N:r:p$salt$hex` → (log2 N, r, p, salt, digest).
fn werkzeug_scrypt(stored: &str) -> Result<(u8, u32, u32, &str, Vec<u8>), LegacyHashError> {
    const F: &str = "werkzeug scrypt";
    let mut parts = stored.splitn(3, '$');
    let (Some(method), Some(salt), Some(hex)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(LegacyHashError::Malformed(F, "expected METHOD$SALT$HASH"));
    };
    let fields: Vec<u32> = method
        .split(':')
        .skip(1)
        .map(|f| f.parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| LegacyHashError::Malformed(F, "bad cost parameters"))?;
    let [n, r, p] = fields[..] else {
        return Err(LegacyHashError::Malformed(F, "expected scrypt:N:r:p"));
    };
    if !n.is_power_of_two()
        || !(2..=1 << 20).contains(&n)
        || !(1..=32).contains(&r)
        || !(1..=16).contains(&p)
    {
        return Err(LegacyHashError::Malformed(
            F,
            "cost parameters out of range",
        ));
    }
    let digest = HEXLOWER_PERMISSIVE
        .decode(hex.as_bytes())
        .map_err(|_| LegacyHashError::Malformed(F, "the hash is not hexadecimal"))?;
    if digest.is_empty() || digest.len() > 128 {
        return Err(LegacyHashError::Malformed(F, "wrong hash length"));
    }
    Ok((n.trailing_zeros() as u8, r, p, salt, digest))
}

/// passlib's "adapted base64": `.` for `+`, no padding.
fn ab64(text: &str) -> Option<Vec<u8>> {
    BASE64_NOPAD.decode(text.replace('.', "+").as_bytes()).ok()
}

/// `$pbkdf2-sha256$N$salt$hash` → (N, salt bytes, digest).
fn passlib_pbkdf2(stored: &str) -> Result<(u32, Vec<u8>, Vec<u8>), LegacyHashError> {
    const F: &str = "passlib pbkdf2-sha256";
    let fields: Vec<&str> = stored.split('$').collect();
    let [_, _, n, salt, hash] = fields[..] else {
        return Err(LegacyHashError::Malformed(
            F,
            "expected $pbkdf2-sha256$N$SALT$HASH",
        ));
    };
    let n = rounds(n, F)?;
    let salt = ab64(salt).ok_or(LegacyHashError::Malformed(F, "bad salt encoding"))?;
    let hash = ab64(hash).ok_or(LegacyHashError::Malformed(F, "bad hash encoding"))?;
    if hash.len() != 32 {
        return Err(LegacyHashError::Malformed(F, "wrong hash length"));
    }
    Ok((n, salt, hash))
}

/// `pbkdf2_sha256$N$salt$base64` → (N, salt, digest).
fn django_pbkdf2(stored: &str) -> Result<(u32, &str, Vec<u8>), LegacyHashError> {
    const F: &str = "django pbkdf2_sha256";
    let fields: Vec<&str> = stored.split('$').collect();
    let [_, n, salt, hash] = fields[..] else {
        return Err(LegacyHashError::Malformed(
            F,
            "expected pbkdf2_sha256$N$SALT$HASH",
        ));
    };
    let n = rounds(n, F)?;
    let hash = BASE64
        .decode(hash.as_bytes())
        .map_err(|_| LegacyHashError::Malformed(F, "bad hash encoding"))?;
    if hash.len() != 32 {
        return Err(LegacyHashError::Malformed(F, "wrong hash length"));
    }
    Ok((n, salt, hash))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_and_garbage_is_named() {
        assert_eq!(identify("md5$abc"), Err(LegacyHashError::Unknown));
        assert!(matches!(
            identify("$2b$12$short"),
            Err(LegacyHashError::Malformed("bcrypt", _))
        ));
        assert!(matches!(
            identify("pbkdf2:md5:1000$s$00"),
            Err(LegacyHashError::Malformed(_, _))
        ));
        assert!(matches!(
            identify("pbkdf2:sha256:99999999999$s$00"),
            Err(LegacyHashError::Malformed(_, _))
        ));
        assert!(matches!(
            identify("scrypt:3:8:1$s$00"),
            Err(LegacyHashError::Malformed(_, _))
        ));
    }
}
