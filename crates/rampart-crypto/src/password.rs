//! Password hashing with Argon2id (RFC 9106) in PHC string format.
//!
//! Parameters default to the OWASP Password Storage Cheat Sheet's first choice
//! (m = 19456 KiB, t = 2, p = 1). Verification reports whether a stored hash
//! uses other parameters, so callers can upgrade it transparently at login.
//! This module is CPU-bound and synchronous on purpose: scheduling it on a
//! bounded pool is the caller's job (`rampart-core`'s `password::HashPool`).

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use data_encoding::BASE64_NOPAD;
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

    /// Hashes a password with a fresh 128-bit salt; returns a PHC string.
    pub fn hash(&self, password: &SecretString) -> Result<String, PasswordHashError> {
        self.hash_bytes(password.expose_secret().as_bytes())
    }

    /// Wraps an imported hash in Argon2id with this hasher's parameters, so
    /// the database never holds a bare legacy hash (OWASP "upgrading legacy
    /// hashes"): `$wrapped$TEMPLATE$argon2id$…`, where the template keeps the
    /// legacy algorithm, parameters and salt but not its output. An Argon2
    /// hash is kept as it is; a Flask-Security form keeps its sealed salt and
    /// wraps its inner hash. [`Self::verify`] recomputes the legacy function,
    /// then Argon2id.
    pub fn wrap_legacy(&self, stored: &str) -> Result<String, PasswordHashError> {
        if stored.starts_with("$argon2") {
            return Ok(stored.to_owned());
        }
        if let Some((sealed, inner)) = crate::legacy::split_flask_security(stored) {
            let inner = self.wrap_legacy(inner)?;
            return Ok(format!(
                "{}{sealed}${inner}",
                crate::legacy::FLASK_SECURITY_PREFIX
            ));
        }
        let parts =
            crate::legacy::take_apart(stored).map_err(|_| PasswordHashError::UnreadableHash)?;
        let phc = self.hash_bytes(parts.input.as_bytes())?;
        Ok(crate::legacy::join_wrapped(&parts.template, &phc))
    }

    fn hash_bytes(&self, input: &[u8]) -> Result<String, PasswordHashError> {
        let salt = crate::token::random_bytes::<16>();
        let mut out = zeroize::Zeroizing::new([0u8; 32]);
        compute(
            Algorithm::Argon2id,
            Version::V0x13,
            self.params.clone(),
            self.params.block_count(),
            input,
            &salt,
            &mut out[..],
        )?;
        // The PHC string format (base64 without padding), as the argon2
        // crate writes it; `verify` reads it back with that crate's parser.
        Ok(format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost(),
            BASE64_NOPAD.encode(&salt),
            BASE64_NOPAD.encode(&out[..])
        ))
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
        if stored.starts_with(crate::legacy::WRAPPED_PREFIX) {
            let (template, phc) =
                crate::legacy::split_wrapped(stored).ok_or(PasswordHashError::UnreadableHash)?;
            let input = crate::legacy::recompute(&template, password)
                .map_err(|_| PasswordHashError::UnreadableHash)?;
            return self.verify_argon2(input.as_bytes(), phc);
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
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Err(PasswordHashError::UnreadableHash);
        };
        let mut out = zeroize::Zeroizing::new(vec![0u8; expected.len()]);
        compute(
            algorithm,
            version,
            stored_params.clone(),
            self.params.block_count(),
            password,
            salt.as_ref(),
            &mut out,
        )?;
        let matched = bool::from(subtle::ConstantTimeEq::ct_eq(&out[..], expected.as_bytes()));
        match matched {
            true => {
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
            false => Ok(Verification::Mismatch),
        }
    }

    /// A hash of a random password with the current parameters. Verifying an
    /// unknown user's attempt against it costs the same as a real check.
    ///
    /// It is computed once, at startup, on working memory of its own that is
    /// given back, not on the thread's reused memory: a server that has not
    /// hashed anything for a client yet holds no Argon2id memory.
    pub fn dummy_hash(&self) -> Result<String, PasswordHashError> {
        use argon2::PasswordHasher as _;
        let random = crate::token::generate_token();
        let salt = crate::token::random_bytes::<16>();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
            .hash_password_with_salt(random.expose_secret().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| PasswordHashError::Hashing(e.to_string()))
    }
}

thread_local! {
    /// This thread's Argon2 working memory, reused by every hash and
    /// verification it runs. Allocated afresh each time, the 19 MiB blocks
    /// stayed with the allocator and resident memory climbed with every
    /// hash (to ~400 MiB); the pool's threads now own theirs for good
    /// (`workers` × Argon2id memory in all).
    static MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs Argon2 into `out` on this thread's reused working memory, which is
/// wiped after each run. A stored hash that needs more memory than the
/// configured cost (`keep` blocks), such as an imported one, runs on memory
/// of its own that is given back, so no thread keeps more than `keep`; an
/// allocation that fails is an error, not an abort.
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    keep: usize,
    input: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), PasswordHashError> {
    let needed = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let failed = |e: argon2::Error| PasswordHashError::Hashing(e.to_string());
    if needed > keep {
        return argon2.hash_password_into(input, salt, out).map_err(failed);
    }
    MEMORY.with(|memory| {
        let mut blocks = memory.borrow_mut();
        let missing = needed.saturating_sub(blocks.len());
        if missing > 0 {
            blocks
                .try_reserve_exact(missing)
                .map_err(|e| PasswordHashError::Hashing(e.to_string()))?;
            blocks.resize(needed, Block::default());
        }
        let run = argon2.hash_password_into_with_memory(input, salt, out, &mut blocks[..needed]);
        // Wiped: blocks derived from the password stay in no memory. (A
        // plain fill: the blocks stay alive in this thread, so the writes
        // cannot be optimised away, and it runs at memset speed.)
        blocks[..needed].fill(Block::default());
        run.map_err(failed)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(64, 1, 1).unwrap()
    }

    /// A stored hash costlier than the configured one (an imported Argon2
    /// row) verifies on memory of its own: the thread keeps no more than
    /// the configured cost, and its memory is wiped after each run.
    #[test]
    fn costlier_stored_hashes_do_not_grow_the_kept_memory() {
        // Hashed on a thread of its own (which keeps its own memory).
        let stored = std::thread::spawn(|| {
            let costly = PasswordHasher::new(256, 1, 1).unwrap();
            costly.hash(&SecretString::from("pw")).unwrap()
        })
        .join()
        .unwrap();
        let hasher = cheap();
        let own = hasher.hash(&SecretString::from("pw")).unwrap();
        assert!(
            hasher
                .verify(&SecretString::from("pw"), &own)
                .unwrap()
                .is_match()
        );
        assert!(
            hasher
                .verify(&SecretString::from("pw"), &stored)
                .unwrap()
                .is_match()
        );
        let (kept, wiped) = MEMORY.with(|m| {
            let m = m.borrow();
            let zero = Block::default();
            (m.len(), m.iter().all(|b| b.as_ref() == zero.as_ref()))
        });
        assert_eq!(kept, cheap().params.block_count());
        assert!(wiped, "the working memory is wiped after a run");
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
    fn hashes_are_the_argon2_crates_own_format() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let h = cheap();
        let pw = SecretString::from("same format both ways");
        // Ours verified by the crate's own verifier...
        let ours = h.hash(&pw).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        let crate_verifier = Argon2::new(Algorithm::Argon2id, Version::V0x13, h.params.clone());
        assert!(
            crate_verifier
                .verify_password(pw.expose_secret().as_bytes(), &parsed)
                .is_ok()
        );
        // ... and the crate's own hash verified by ours.
        let theirs = crate_verifier
            .hash_password_with_salt(pw.expose_secret().as_bytes(), b"sixteen byte sal")
            .unwrap()
            .to_string();
        assert_eq!(h.verify(&pw, &theirs).unwrap(), Verification::Match);
        assert_eq!(
            h.verify(&SecretString::from("other"), &theirs).unwrap(),
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

    /// Hashes made by the real Python packages (the import fixtures), each
    /// of the password `fixture pass for NAME`.
    const LEGACY: &[(&str, &str)] = &[
        (
            "bcrypt_2b",
            "$2b$04$9Po3edoHiZE16p1IGWLodO0j6/XEP0lYPOD5YAjPIUktokcjXo8fG",
        ),
        (
            "bcrypt_2a",
            "$2a$04$qF9bU./CAiKZipJRtunspO8BwGJye.3Od1j8u1e4yGLEx2LtwK9.i",
        ),
        (
            "bcrypt_2y",
            "$2y$04$5jJGl9l/xlvZLhO/kVc84uw4Yf/hZaMb4vws4F3ffkGUSnFyWOA9m",
        ),
        (
            "wz_pbkdf2_sha256",
            "pbkdf2:sha256:1000$XxPIUsAnjtDHL0m1$96711ead303e2cae281469b90c2eaabd19bd55bfd515c10338bef4b7ba93a6af",
        ),
        (
            "wz_pbkdf2_sha512",
            "pbkdf2:sha512:1000$fmGh5oHqusBW0Hr8$fc365dd3a6d02cbfbd329aaf3811178669dd92263b4efa508c2cc32949097a134d4d8188da5bfd3be2816780f6e4921edb447f9c5353a153d10e20b6b39c69cf",
        ),
        (
            "wz_scrypt",
            "scrypt:1024:8:1$9dWQ8VMFc0wQNGGm$6dd33a6584a439e13684a2e8fb677670b4eb2fb572a9f20d2f3a86f1f243a83b0b17f99f8fb29d811daadeb3d68fa414b65252786ca2d43bca4ba22bba9e3647",
        ),
        (
            "passlib_pbkdf2",
            "$pbkdf2-sha256$1000$EOJ8D.Fcay2FsPZeyzkHYA$Cn5RfsRsp/n5aXRKZK7MX73qjpoxNiW5DuqvZmWdsvU",
        ),
        (
            "django_pbkdf2",
            "pbkdf2_sha256$1000$ZRYQmqXn4Hpp$11CrJJmbLiUvmvw+tG5hib6g1AMprwowGI8+G79GTq8=",
        ),
    ];

    #[test]
    fn wrapped_legacy_hashes_hold_no_legacy_output_and_verify() {
        let h = cheap();
        for (name, legacy) in LEGACY {
            let right = SecretString::from(format!("fixture pass for {name}"));
            let wrong = SecretString::from(format!("fixture pass for {name}!"));
            assert_eq!(
                h.verify(&right, legacy).unwrap(),
                Verification::MatchNeedsRehash,
                "{name}: the bare hash verifies"
            );
            let wrapped = h.wrap_legacy(legacy).unwrap();
            assert!(wrapped.starts_with("$wrapped$"), "{wrapped}");
            assert!(
                wrapped.contains("$argon2id$v=19$m=64,t=1,p=1$"),
                "{wrapped}"
            );
            // The legacy output (the last 20 characters of every format) is
            // nowhere in what is stored, in the clear or in the template.
            let output = &legacy[legacy.len() - 20..];
            let (template, _) = crate::legacy::split_wrapped(&wrapped).unwrap();
            assert!(
                !wrapped.contains(output) && !template.contains(output),
                "{name}"
            );
            assert_eq!(
                h.verify(&right, &wrapped).unwrap(),
                Verification::MatchNeedsRehash,
                "{name}: the right password opens the wrapped hash"
            );
            assert_eq!(
                h.verify(&wrong, &wrapped).unwrap(),
                Verification::Mismatch,
                "{name}"
            );
            // Two wraps of one hash differ (a fresh Argon2 salt each).
            assert_ne!(h.wrap_legacy(legacy).unwrap(), wrapped);
        }
    }

    #[test]
    fn tampered_wrapped_hashes_do_not_match() {
        let h = cheap();
        let (name, legacy) = LEGACY[0];
        let right = SecretString::from(format!("fixture pass for {name}"));
        let wrapped = h.wrap_legacy(legacy).unwrap();
        let (template, phc) = crate::legacy::split_wrapped(&wrapped).unwrap();
        // Another salt in the template: the recomputed input differs.
        let other_salt = template.replacen("9Po3", "9Po4", 1);
        let moved = crate::legacy::join_wrapped(&other_salt, phc);
        assert_eq!(h.verify(&right, &moved).unwrap(), Verification::Mismatch);
        // A cheaper cost in the template is refused or does not match.
        let cheaper = crate::legacy::join_wrapped(&template.replacen("$04$", "$05$", 1), phc);
        assert_eq!(h.verify(&right, &cheaper).unwrap(), Verification::Mismatch);
        for broken in [
            "$wrapped$",
            "$wrapped$!!!$argon2id$v=19$m=64",
            "$wrapped$YWJj",
        ] {
            assert!(h.verify(&right, broken).is_err(), "{broken}");
        }
        // An Argon2 hash is kept as it is.
        let argon = h.hash(&right).unwrap();
        assert_eq!(h.wrap_legacy(&argon).unwrap(), argon);
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
