//! Password hashing with Argon2id (RFC 9106) in PHC string format.
//!
//! Parameters default to the OWASP Password Storage Cheat Sheet's first choice
//! (m = 19456 KiB, t = 2, p = 1). Verification reports whether a stored hash
//! uses other parameters, so callers can upgrade it transparently at login.
//! This module is CPU-bound and synchronous on purpose: scheduling it on a
//! bounded pool is the caller's job (`rampart-core`'s `password::HashPool`).

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version,
};
use secrecy::{ExposeSecret, SecretString};

/// The OWASP-recommended Argon2id memory cost in KiB.
pub const OWASP_M_COST: u32 = 19_456;
/// The OWASP-recommended Argon2id iteration count.
pub const OWASP_T_COST: u32 = 2;
/// The OWASP-recommended Argon2id parallelism.
pub const OWASP_P_COST: u32 = 1;

/// Why a password could not be hashed or a stored hash could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    /// The Argon2 parameters are outside what the algorithm accepts.
    #[error("invalid Argon2 parameters: {0}")]
    Params(String),
    /// The stored hash is not a PHC string this hasher understands.
    #[error("the stored password hash is not a valid Argon2 PHC string")]
    UnreadableHash,
    /// Hashing itself failed (e.g. memory could not be allocated).
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password does not match.
    Mismatch,
    /// The password matches and the hash uses the current parameters.
    Match,
    /// The password matches but the hash should be recomputed with the
    /// current parameters.
    MatchNeedsRehash,
}

impl Verification {
    /// True for both kinds of match.
    pub fn is_match(self) -> bool {
        !matches!(self, Verification::Mismatch)
    }
}

/// Hashes and verifies passwords with fixed Argon2id parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    unseal: Option<Unseal>,
}

/// Opens a value the key ring sealed (`ciphertext`, associated data) — the
/// Flask-Security salt of imported hashes; `None` when it cannot.
pub type Unseal =
    std::sync::Arc<dyn Fn(&str, &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> + Send + Sync>;

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PasswordHasher(argon2id m={} t={} p={})",
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost()
        )
    }
}

impl PasswordHasher {
    /// A hasher with explicit Argon2id costs.
    pub fn new(m_cost: u32, t_cost: u32, p_cost: u32) -> Result<Self, PasswordHashError> {
        let params = Params::new(m_cost, t_cost, p_cost, None)
            .map_err(|e| PasswordHashError::Params(e.to_string()))?;
        Ok(Self {
            params,
            unseal: None,
        })
    }

    /// Lets the hasher open the sealed salts of imported Flask-Security
    /// hashes.
    pub fn with_unseal(mut self, unseal: Unseal) -> Self {
        self.unseal = Some(unseal);
        self
    }

    /// A hasher with the OWASP parameters.
    pub fn owasp() -> Self {
        Self {
            params: Params::new(OWASP_M_COST, OWASP_T_COST, OWASP_P_COST, None).unwrap_or_default(),
            unseal: None,
        }
    }

    fn argon2(&self, params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Hashes a password with a fresh 128-bit salt; returns a PHC string.
    pub fn hash(&self, password: &SecretString) -> Result<String, PasswordHashError> {
        let salt = crate::token::random_bytes::<16>();
        let hash = self
            .argon2(self.params.clone())
            .hash_password_with_salt(password.expose_secret().as_bytes(), &salt)
            .map_err(|e| PasswordHashError::Hashing(e.to_string()))?;
        Ok(hash.to_string())
    }

    /// Checks a password against a stored hash: an Argon2 PHC string, or one
    /// of the imported formats of [`crate::legacy`] (a match of those always
    /// asks for a rehash).
    pub fn verify(
        &self,
        password: &SecretString,
        stored: &str,
    ) -> Result<Verification, PasswordHashError> {
        if stored.starts_with("$argon2") {
            return self.verify_argon2(password.expose_secret().as_bytes(), stored);
        }
        let matched = if let Some((sealed, inner)) = crate::legacy::split_flask_security(stored) {
            let unseal = self
                .unseal
                .as_ref()
                .ok_or(PasswordHashError::UnreadableHash)?;
            let salt = unseal(sealed, crate::legacy::FLASK_SECURITY_SALT_CONTEXT)
                .ok_or(PasswordHashError::UnreadableHash)?;
            let prehashed =
                crate::legacy::flask_security_prehash(&salt, password.expose_secret().as_bytes());
            self.verify_bytes(prehashed.as_bytes(), inner)?
        } else {
            self.verify_bytes(password.expose_secret().as_bytes(), stored)?
        };
        Ok(match matched {
            Verification::Mismatch => Verification::Mismatch,
            _ => Verification::MatchNeedsRehash,
        })
    }

    fn verify_bytes(
        &self,
        password: &[u8],
        stored: &str,
    ) -> Result<Verification, PasswordHashError> {
        if stored.starts_with("$argon2") {
            return self.verify_argon2(password, stored);
        }
        match crate::legacy::verify(stored, password) {
            Ok(true) => Ok(Verification::MatchNeedsRehash),
            Ok(false) => Ok(Verification::Mismatch),
            Err(_) => Err(PasswordHashError::UnreadableHash),
        }
    }

    fn verify_argon2(
        &self,
        password: &[u8],
        stored: &str,
    ) -> Result<Verification, PasswordHashError> {
        let parsed = PasswordHash::new(stored).map_err(|_| PasswordHashError::UnreadableHash)?;
        let algorithm = Algorithm::try_from(parsed.algorithm.as_str())
            .map_err(|_| PasswordHashError::UnreadableHash)?;
        let stored_params =
            Params::try_from(&parsed).map_err(|_| PasswordHashError::UnreadableHash)?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(|_| PasswordHashError::UnreadableHash)?
            .unwrap_or_default();
        let verifier = Argon2::new(algorithm, version, stored_params.clone());
        match verifier.verify_password(password, &parsed) {
            Ok(()) => {
                let current = algorithm == Algorithm::Argon2id
                    && version == Version::V0x13
                    && stored_params.m_cost() == self.params.m_cost()
                    && stored_params.t_cost() == self.params.t_cost()
                    && stored_params.p_cost() == self.params.p_cost();
                Ok(if current {
                    Verification::Match
                } else {
                    Verification::MatchNeedsRehash
                })
            }
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(Verification::Mismatch),
            Err(e) => Err(PasswordHashError::Hashing(e.to_string())),
        }
    }

    /// A hash of a random password with the current parameters. Verifying an
    /// unknown user's attempt against it costs the same as a real check.
    pub fn dummy_hash(&self) -> Result<String, PasswordHashError> {
        let random = crate::token::generate_token();
        self.hash(&random)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(64, 1, 1).unwrap()
    }

    #[test]
    fn hash_and_verify_round_trip() {
        let h = cheap();
        let pw = SecretString::from("correct horse battery staple");
        let stored = h.hash(&pw).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(h.verify(&pw, &stored).unwrap(), Verification::Match);
        assert_eq!(
            h.verify(&SecretString::from("wrong"), &stored).unwrap(),
            Verification::Mismatch
        );
    }

    #[test]
    fn owasp_parameters_are_the_default() {
        let stored = PasswordHasher::owasp()
            .hash(&SecretString::from("pw"))
            .unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
    }

    #[test]
    fn other_parameters_ask_for_a_rehash() {
        let pw = SecretString::from("pw-for-upgrade");
        let old = PasswordHasher::new(32, 1, 1).unwrap().hash(&pw).unwrap();
        assert_eq!(
            cheap().verify(&pw, &old).unwrap(),
            Verification::MatchNeedsRehash
        );
    }

    #[test]
    fn garbage_hash_is_an_error_not_a_match() {
        assert!(
            cheap()
                .verify(&SecretString::from("x"), "not-a-hash")
                .is_err()
        );
        assert!(
            cheap()
                .verify(&SecretString::from("x"), "$argon2id$v=19$m=1")
                .is_err()
        );
    }
}
