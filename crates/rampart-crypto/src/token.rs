//! Opaque random tokens and their digests.
//!
//! A token is 256 bits from the operating system's CSPRNG, written as unpadded
//! base64url. Only its SHA-256 digest is ever stored; the token itself is shown
//! to its owner once (as a cookie or a response field) and kept in a
//! [`SecretString`] until then.

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// Length in characters of a token made by [`generate_token`].
pub const TOKEN_LEN: usize = 43;

/// Fills a buffer with bytes from the operating system's CSPRNG.
///
/// The OS generator failing is not something a server can recover from
/// (getrandom only fails on broken platforms), so this aborts the request's
/// process rather than hand out predictable bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if let Err(err) = getrandom::fill(&mut buf) {
        // Refuse to continue with predictable output.
        eprintln!("rampart: the operating system's random generator failed: {err}");
        std::process::abort();
    }
    buf
}

/// A new 256-bit random token, base64url without padding (43 characters).
pub fn generate_token() -> SecretString {
    SecretString::from(BASE64URL_NOPAD.encode(&random_bytes::<32>()))
}

/// The prefix of personal access tokens, so secret scanners can find them.
pub const PAT_PREFIX: &str = "rmp_";

fn pat_checksum(body: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(format!("{PAT_PREFIX}{body}").as_bytes())[..4])
}

/// A new personal access token: `rmp_`, 256 random bits in hex, and an
/// 8-hex-digit checksum (a truncated SHA-256 of the rest; it lets scanners and
/// Rampart reject mistyped or made-up tokens without a lookup; it is not a
/// security control).
pub fn generate_pat() -> SecretString {
    let body = HEXLOWER.encode(&random_bytes::<32>());
    let checksum = pat_checksum(&body);
    SecretString::from(format!("{PAT_PREFIX}{body}{checksum}"))
}

/// True when `s` is shaped like a personal access token with a valid checksum.
pub fn is_well_formed_pat(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(PAT_PREFIX) else {
        return false;
    };
    if rest.len() != 72
        || !rest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return false;
    }
    let (body, checksum) = rest.split_at(64);
    crate::mac::constant_time_eq(pat_checksum(body).as_bytes(), checksum.as_bytes())
}

/// True when `s` has the shape of a token made by [`generate_token`].
pub fn looks_like_token(s: &str) -> bool {
    s.len() == TOKEN_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The SHA-256 digest of a token: what the database stores and looks up.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenDigest(pub [u8; 32]);

impl TokenDigest {
    /// Digest of a token's text.
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// Digest of `parts` written one after another, as if joined into one
    /// text first (without building it).
    pub fn of_parts(parts: &[&[u8]]) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part);
        }
        Self(hasher.finalize().into())
    }

    /// Parses the stored lower-case hex form.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let bytes = HEXLOWER.decode(hex.as_bytes()).ok()?;
        bytes.try_into().ok().map(Self)
    }

    /// Lower-case hex, the form stored in the database.
    pub fn to_hex(&self) -> String {
        HEXLOWER.encode(&self.0)
    }

    /// Whether `other` is the same digest, compared in constant time.
    pub fn ct_eq(&self, other: &TokenDigest) -> bool {
        crate::mac::constant_time_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A digest is not a secret, but an abbreviated form keeps logs readable.
        write!(f, "TokenDigest({}…)", &self.to_hex()[..8])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn tokens_are_unique_and_well_formed() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(looks_like_token(a.expose_secret()));
        assert!(!looks_like_token("short"));
        assert!(!looks_like_token(
            &"a".repeat(42).to_owned().replace('a', "=")
        ));
    }

    #[test]
    fn pats_carry_prefix_and_checksum() {
        let pat = generate_pat();
        let text = pat.expose_secret();
        assert!(text.starts_with("rmp_") && text.len() == 76, "{text}");
        assert!(is_well_formed_pat(text));
        let mut tampered = text.to_owned();
        let last = tampered.pop().unwrap_or('0');
        tampered.push(if last == '0' { '1' } else { '0' });
        assert!(!is_well_formed_pat(&tampered));
        assert!(!is_well_formed_pat("rmp_short"));
        assert!(!is_well_formed_pat(&text.replace("rmp_", "xyz_")));
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            TokenDigest::of("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn digest_of_parts_is_the_digest_of_their_text() {
        for parts in [
            &[][..],
            &[&b""[..]],
            &[b"a", b"", b"bc"],
            &[b"Mozilla/5.0", b"\n", b"10.0.0.0/24"],
        ] {
            let text = String::from_utf8(parts.concat()).unwrap();
            assert_eq!(TokenDigest::of_parts(parts), TokenDigest::of(&text));
        }
        assert_ne!(
            TokenDigest::of_parts(&[b"ab", b"c"]),
            TokenDigest::of("abd")
        );
    }
}
