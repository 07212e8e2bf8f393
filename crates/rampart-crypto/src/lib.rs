//! Rampart's cryptographic building blocks, kept pure and small so they can be
//! fuzzed and reviewed on their own: password hashing (Argon2id), random tokens
//! and their digests, keyed MACs, constant-time comparison, the key ring that
//! encrypts columns at rest, one-time passwords (TOTP, recovery codes), and the
//! password hashes of other applications that imported users bring.
//!
//! Nothing here does I/O, knows about HTTP or a database, or invents a primitive:
//! every algorithm comes from a RustCrypto crate.

pub mod keyring;
pub mod legacy;
pub mod mac;
pub mod otp;
pub mod password;
pub mod token;

pub use mac::{constant_time_eq, hmac_sha256, hmac_sha256_message};
pub use password::{PasswordHashError, PasswordHasher, Unseal, Verification};
pub use token::{TokenDigest, generate_pat, generate_token, is_well_formed_pat, random_bytes};
