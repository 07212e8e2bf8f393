//! Recovery codes at rest (ASVS 6.5.2, NIST SP 800-63B 5.1.2.2).
//!
//! A code has about 51 bits (`xxxxx-xxxxx`, 36 symbols), too few to store as
//! a bare digest: each is kept as a salted Argon2id hash, like a password, so
//! a stolen database leaves every code to a memory-hard search.
//!
//! Checking a typed code must still cost one hash, not one per stored code:
//! the row is found by a *locator*, `v2:` and three hex digits (12 bits) of
//! a MAC, under the server's key, of the whole code. Locators are distinct
//! within a set, so a typed code meets at most one row. Twelve bits help no
//! one: without the key the locator says nothing, and someone holding both
//! the database and the key still has 2^51 / 2^12 = 2^39 candidates per code
//! left for Argon2id (a locator of the first group alone would have left
//! only the second group, about 2^26).
//!
//! Rows written before migration 0018 held a MAC of the whole code, and the
//! code itself is gone, so they cannot be rehashed: they are wrapped instead
//! (the MAC becomes the Argon2id input, as imported password hashes are)
//! under a `v1:` locator made of the MAC's first three hex digits (rows of
//! one old set may share one; each such row costs one more hash). A row not
//! yet wrapped (the upgrade runs in the background at start) is found by its
//! MAC, as before.

use crate::model::UserId;
use crate::model::mfa::StoredRecoveryCode;
use data_encoding::HEXLOWER;
use rampart_crypto::{PasswordHashError, PasswordHasher, hmac_sha256, otp};
use secrecy::SecretString;
use zeroize::Zeroizing;

/// Prefix of a locator of a code hashed with Argon2id.
const CURRENT: &str = "v2:";
/// Prefix of a locator of a wrapped pre-0018 row.
const WRAPPED: &str = "v1:";
/// Hex digits of a MAC kept as a locator: 12 bits, enough to tell the ten
/// codes of a set apart, too few to narrow a search.
const LOCATOR_DIGITS: usize = 3;

/// What the server can compute from a typed code (in canonical form) to
/// find its row.
pub(crate) struct TypedCode {
    code: Zeroizing<String>,
    locator: String,
    legacy_mac: Zeroizing<String>,
}

impl TypedCode {
    /// The locators and MAC of `canonical` for `user`.
    pub(crate) fn new(mac_key: &[u8], user: UserId, canonical: Zeroizing<String>) -> Self {
        let locator = locator(mac_key, user, &canonical);
        let legacy_mac = Zeroizing::new(legacy_mac(mac_key, user, &canonical));
        Self {
            code: canonical,
            locator,
            legacy_mac,
        }
    }

    /// The two locators a row of this code may have.
    pub(crate) fn locators(&self) -> [String; 2] {
        [self.locator.clone(), wrapped_locator(&self.legacy_mac)]
    }

    /// The pre-0018 MAC (the verifier of a row not yet upgraded).
    pub(crate) fn legacy_mac(&self) -> &str {
        &self.legacy_mac
    }

    /// Whether `row` holds this code; at most one Argon2id run.
    pub(crate) fn matches(
        &self,
        hasher: &PasswordHasher,
        row: &StoredRecoveryCode,
    ) -> Result<bool, PasswordHashError> {
        let input = match row.locator.as_deref() {
            None => {
                return Ok(rampart_crypto::constant_time_eq(
                    row.verifier.as_bytes(),
                    self.legacy_mac.as_bytes(),
                ));
            }
            Some(l) if l.starts_with(CURRENT) => self.code.as_str(),
            Some(_) => self.legacy_mac.as_str(),
        };
        let input = SecretString::from(input.to_owned());
        Ok(hasher.verify(&input, &row.verifier)?.is_match())
    }
}

/// `v2:` + the first digits of a MAC of the whole code.
fn locator(mac_key: &[u8], user: UserId, canonical: &str) -> String {
    let mac = hmac_sha256(
        mac_key,
        &[
            b"rampart/recovery-code-locator/v2",
            user.to_string().as_bytes(),
            canonical.as_bytes(),
        ],
    );
    format!("{CURRENT}{}", &HEXLOWER.encode(&mac)[..LOCATOR_DIGITS])
}

/// The MAC a pre-0018 row held for the code.
fn legacy_mac(mac_key: &[u8], user: UserId, canonical: &str) -> String {
    HEXLOWER.encode(&hmac_sha256(
        mac_key,
        &[
            b"rampart/recovery-code/v1",
            user.to_string().as_bytes(),
            canonical.as_bytes(),
        ],
    ))
}

/// `v1:` + the first digits of a pre-0018 MAC.
fn wrapped_locator(mac: &str) -> String {
    format!("{WRAPPED}{}", mac.get(..LOCATOR_DIGITS).unwrap_or(mac))
}

/// A new set of `count` codes for `user`, in clear (to show once) and as
/// stored; locators are distinct within the set. Runs Argon2id once per
/// code: call it on a hashing thread.
pub(crate) fn new_set(
    hasher: &PasswordHasher,
    mac_key: &[u8],
    user: UserId,
    count: usize,
) -> Result<(Vec<Zeroizing<String>>, Vec<StoredRecoveryCode>), PasswordHashError> {
    let mut codes: Vec<Zeroizing<String>> = Vec::with_capacity(count);
    let mut locators: Vec<String> = Vec::with_capacity(count);
    while codes.len() < count {
        let code = otp::generate_recovery_code();
        let at = locator(mac_key, user, &code);
        if !locators.contains(&at) {
            codes.push(code);
            locators.push(at);
        }
    }
    let stored = codes
        .iter()
        .zip(locators)
        .map(|(code, locator)| {
            Ok(StoredRecoveryCode {
                locator: Some(locator),
                verifier: hasher.hash(&SecretString::from(code.as_str().to_owned()))?,
            })
        })
        .collect::<Result<_, PasswordHashError>>()?;
    Ok((codes, stored))
}

/// The wrapped form of a pre-0018 row whose verifier is `mac`. Runs
/// Argon2id: call it on a hashing thread.
pub(crate) fn wrap_legacy(
    hasher: &PasswordHasher,
    mac: &str,
) -> Result<StoredRecoveryCode, PasswordHashError> {
    Ok(StoredRecoveryCode {
        locator: Some(wrapped_locator(mac)),
        verifier: hasher.hash(&SecretString::from(mac.to_owned()))?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(64, 1, 1).unwrap()
    }

    fn typed(key: &[u8], user: UserId, code: &str) -> TypedCode {
        TypedCode::new(key, user, Zeroizing::new(code.to_owned()))
    }

    #[test]
    fn a_code_is_found_by_its_locator_and_proved_by_its_hash() {
        let (key, user) = ([7u8; 32], UserId::new());
        let (codes, stored) = new_set(&hasher(), &key, user, 10).unwrap();
        assert_eq!(stored.len(), 10);
        let code = &codes[3];
        let row = &stored[3];
        assert!(row.verifier.starts_with("$argon2id$"));
        assert!(!row.verifier.contains(code.as_str()));
        let t = typed(&key, user, code);
        assert_eq!(t.locators()[0], *row.locator.as_ref().unwrap());
        assert!(t.matches(&hasher(), row).unwrap());
        // The locator covers the whole code: changing the second group
        // moves it (12 bits: 16 variants cannot all land on the same one).
        let (first, second) = code.split_once('-').unwrap();
        let variants: Vec<String> = "abcdefghjkmnpqrs"
            .chars()
            .map(|c| format!("{first}-{c}{}", &second[1..]))
            .filter(|v| v.as_str() != code.as_str())
            .collect();
        assert!(
            variants
                .iter()
                .any(|v| typed(&key, user, v).locators()[0] != t.locators()[0])
        );
        assert!(t.locators()[0].len() == "v2:".len() + 3);
        // A wrong code that happens to meet the row is not matched.
        let wrong = &variants[0];
        let t = typed(&key, user, wrong);
        assert!(!t.matches(&hasher(), row).unwrap());
        // Another account, or another key, finds nothing.
        let t = typed(&key, user, code);
        let others = (0..16)
            .filter(|_| typed(&key, UserId::new(), code).locators()[0] != t.locators()[0])
            .count();
        assert!(others > 0, "the account is in the locator");
        let keys = (0..16u8)
            .filter(|k| typed(&[*k; 32], user, code).locators()[0] != t.locators()[0])
            .count();
        assert!(keys > 0, "the key is in the locator");
    }

    #[test]
    fn salts_and_locators_differ_within_a_set() {
        let (key, user) = ([1u8; 32], UserId::new());
        let (_, stored) = new_set(&hasher(), &key, user, 10).unwrap();
        let mut locators: Vec<_> = stored.iter().map(|s| s.locator.clone()).collect();
        locators.sort();
        locators.dedup();
        assert_eq!(locators.len(), 10);
        let salts: std::collections::HashSet<_> = stored
            .iter()
            .map(|s| s.verifier.split('$').nth(4).unwrap().to_owned())
            .collect();
        assert_eq!(salts.len(), 10);
    }

    #[test]
    fn a_pre_0018_row_matches_before_and_after_wrapping() {
        let (key, user) = ([3u8; 32], UserId::new());
        let code = "abcde-12345";
        let mac = legacy_mac(&key, user, code);
        let old = StoredRecoveryCode {
            locator: None,
            verifier: mac.clone(),
        };
        let t = typed(&key, user, code);
        assert!(t.matches(&hasher(), &old).unwrap());
        let wrapped = wrap_legacy(&hasher(), &mac).unwrap();
        assert!(wrapped.verifier.starts_with("$argon2id$"));
        assert!(!wrapped.verifier.contains(&mac));
        assert_eq!(t.locators()[1], *wrapped.locator.as_ref().unwrap());
        assert!(t.matches(&hasher(), &wrapped).unwrap());
        assert!(
            !typed(&key, user, "abcde-12346")
                .matches(&hasher(), &wrapped)
                .unwrap()
        );
    }
}
