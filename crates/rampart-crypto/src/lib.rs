//! Rampart's cryptographic building blocks, kept pure and small so they can be
//! fuzzed and reviewed on their own: password hashing (Argon2id), random tokens
//! and their digests, keyed MACs, and constant-time comparison.
//!
//! Nothing here does I/O, knows about HTTP or a database, or invents a primitive:
//! every algorithm comes from a RustCrypto crate.

pub mod mac;
pub mod password;
pub mod token;

pub use mac::{constant_time_eq, hmac_sha256};
pub use password::{PasswordHashError, PasswordHasher, Verification};
pub use token::{TokenDigest, generate_pat, generate_token, is_well_formed_pat, random_bytes};
