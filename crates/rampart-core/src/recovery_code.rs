//! Recovery codes at rest (ASVS 6.5.2, NIST SP 800-63B 5.1.2.2).
//!
//! A code has about 51 bits (`xxxxx-xxxxx`, 36 symbols), too few to store as
//! a bare digest: each is kept as a salted Argon2id hash, like a password, so
//! a stolen database leaves every code to a memory-hard search.
//!
//! Checking a typed code must still cost one hash, not one per stored code:
//! the row is found by a *locator*, a MAC (under the server's key) of the
//! code's first group, `v2:…`. The locator alone proves nothing; the Argon2id
//! hash covers the whole code. Codes of one set never share a first group.
//!
//! Rows written before migration 0018 held a MAC of the whole code, and the
//! code itself is gone, so they cannot be rehashed: they are wrapped instead
//! (the MAC becomes the Argon2id input, as imported password hashes are)
//! under a `v1:` locator made of the MAC's first six hex digits. A row not
//! yet wrapped (the upgrade runs in the background at start) is found by its
//! MAC, as before.

use crate::model::UserId;
use crate::model::mfa::StoredRecoveryCode;
use data_encoding::HEXLOWER;
use rampart_crypto::{PasswordHashError, PasswordHasher, hmac_sha256, otp};
use secrecy::SecretString;
use zeroize::Zeroizing;

/// Prefix of a locator made from the code's first group.
const CURRENT: &str = "v2:";
/// Prefix of a locator of a wrapped pre-0018 row.
const WRAPPED: &str = "v1:";
/// Hex digits of a pre-0018 MAC kept as its locator (24 bits: rows of one
/// set almost never share one, and the key-holder's search is not helped).
const WRAPPED_LOCATOR_DIGITS: usize = 6;

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

/// `v2:` + the MAC of the code's first group.
fn locator(mac_key: &[u8], user: UserId, canonical: &str) -> String {
    let first = canonical.split('-').next().unwrap_or_default();
    let mac = hmac_sha256(
        mac_key,
        &[
            b"rampart/recovery-code-locator/v2",
            user.to_string().as_bytes(),
            first.as_bytes(),
        ],
    );
    format!("{CURRENT}{}", HEXLOWER.encode(&mac))
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
    format!(
        "{WRAPPED}{}",
        mac.get(..WRAPPED_LOCATOR_DIGITS).unwrap_or(mac)
    )
}

/// A new set of `count` codes for `user`, in clear (to show once) and as
/// stored; first groups are distinct within the set. Runs Argon2id once per
/// code: call it on a hashing thread.
pub(crate) fn new_set(
    hasher: &PasswordHasher,
    mac_key: &[u8],
    user: UserId,
    count: usize,
) -> Result<(Vec<Zeroizing<String>>, Vec<StoredRecoveryCode>), PasswordHashError> {
    let mut codes: Vec<Zeroizing<String>> = Vec::with_capacity(count);
    while codes.len() < count {
        let code = otp::generate_recovery_code();
        let first = |c: &str| c.split('-').next().map(str::to_owned);
        if codes.iter().all(|c| first(c) != first(&code)) {
            codes.push(code);
        }
    }
    let stored = codes
        .iter()
        .map(|code| {
            Ok(StoredRecoveryCode {
                locator: Some(locator(mac_key, user, code)),
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
    fn a_code_is_found_by_its_first_group_and_proved_by_its_hash() {
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
        // Same first group, wrong second: the row is found but not matched.
        let (first, second) = code.split_once('-').unwrap();
        let other = if second.starts_with('a') { "b" } else { "a" };
        let wrong = format!("{first}-{other}{}", &second[1..]);
        let t = typed(&key, user, &wrong);
        assert_eq!(t.locators()[0], *row.locator.as_ref().unwrap());
        assert!(!t.matches(&hasher(), row).unwrap());
        // Another account, or another key, finds nothing.
        assert_ne!(
            typed(&key, UserId::new(), code).locators()[0],
            t.locators()[0]
        );
        assert_ne!(typed(&[8u8; 32], user, code).locators()[0], t.locators()[0]);
    }

    #[test]
    fn salts_differ_and_first_groups_are_distinct() {
        let (key, user) = ([1u8; 32], UserId::new());
        let (codes, stored) = new_set(&hasher(), &key, user, 10).unwrap();
        let mut locators: Vec<_> = stored.iter().map(|s| s.locator.clone()).collect();
        locators.sort();
        locators.dedup();
        assert_eq!(locators.len(), 10);
        let mut firsts: Vec<_> = codes.iter().map(|c| c[..5].to_owned()).collect();
        firsts.sort();
        firsts.dedup();
        assert_eq!(firsts.len(), 10);
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
