//! Keyed message authentication (HMAC-SHA-256) and constant-time comparison.
//!
//! Used to derive values bound to a secret key (CSRF tokens bound to a session)
//! without storing them, and to compare secrets without leaking timing.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// HMAC-SHA-256 over the concatenation of `parts`, each prefixed by its length so
/// that `["ab", "c"]` and `["a", "bc"]` give different tags.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_invalid_length(),
    };
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Plain HMAC-SHA-256 of one message (no length prefixes), for signatures
/// others verify with any HMAC library, such as webhook bodies.
pub fn hmac_sha256_message(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_invalid_length(),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cold]
fn unreachable_invalid_length() -> Hmac<Sha256> {
    // HMAC's key length is unrestricted; keep a total function without panicking.
    <Hmac<Sha256> as KeyInit>::new(&Default::default())
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_length_prefixed() {
        let key = b"k";
        assert_ne!(
            hmac_sha256(key, &[b"ab", b"c"]),
            hmac_sha256(key, &[b"a", b"bc"])
        );
        assert_eq!(hmac_sha256(key, &[b"ab"]), hmac_sha256(key, &[b"ab"]));
        assert_ne!(hmac_sha256(b"k1", &[b"ab"]), hmac_sha256(b"k2", &[b"ab"]));
    }

    #[test]
    fn message_mac_matches_rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let tag = hmac_sha256_message(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            data_encoding::HEXLOWER.encode(&tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
