//! `[password]`: the acceptance policy's length, the Argon2id cost, the
//! hashing threads and their queue, reset links, and the offline breached
//! list.

use super::Problems;
use super::defaults;
use rampart_crypto::password::{OWASP_M_COST, OWASP_P_COST, OWASP_T_COST};
use serde::Deserialize;
use std::path::PathBuf;

/// `[password]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawPassword {
    /// Minimum length in code points.
    pub min_length: Option<usize>,
    /// Argon2id memory cost in KiB.
    pub argon2_m_cost: Option<u32>,
    /// Argon2id iterations.
    pub argon2_t_cost: Option<u32>,
    /// Argon2id parallelism.
    pub argon2_p_cost: Option<u32>,
    /// Hashes run at once (default: one per core).
    pub hash_workers: Option<usize>,
    /// Hashes that may wait for a worker before new ones get 503 (default:
    /// 32 per core).
    pub hash_queue: Option<usize>,
    /// How long a password reset link works.
    pub reset_link_ttl: Option<String>,
    /// An offline breached-password file (Have I Been Pwned SHA-1 format, sorted).
    pub breached_list: Option<PathBuf>,
    /// Words no password may contain, besides the site's name, its host
    /// and "rampart" (e.g. the company's products).
    pub context_words: Option<Vec<String>>,
}

/// `[password]`, checked.
pub struct PasswordSection {
    /// Minimum length.
    pub min_length: usize,
    /// Argon2id (m, t, p).
    pub argon2: (u32, u32, u32),
    /// Concurrent hashes.
    pub hash_workers: usize,
    /// Hashes allowed to wait.
    pub hash_queue: usize,
    /// Reset link lifetime.
    pub reset_link_ttl: time::Duration,
    /// The breached-password file.
    pub breached_list: Option<PathBuf>,
    /// The operator's own words no password may contain.
    pub context_words: Vec<String>,
}

/// Checks `[password]`.
pub fn check(raw: RawPassword, p: &mut Problems) -> PasswordSection {
    let RawPassword {
        min_length,
        argon2_m_cost,
        argon2_t_cost,
        argon2_p_cost,
        hash_workers,
        hash_queue,
        reset_link_ttl,
        breached_list,
        context_words,
    } = raw;
    let context_words = context_words.unwrap_or_default();
    if let Some(word) = context_words
        .iter()
        .find(|w| w.trim().chars().count() < 4 || w.chars().any(char::is_control))
    {
        p.push(format!(
            "password.context_words: {word:?} is too short (at least 4 characters) or holds a control character"
        ));
    }
    let min_length = min_length.unwrap_or(defaults::PASSWORD_MIN_LENGTH);
    if min_length < defaults::PASSWORD_MIN_LENGTH {
        p.push("password.min_length must be at least 8 (NIST SP 800-63B)");
    }
    let argon2 = (
        argon2_m_cost.unwrap_or(OWASP_M_COST),
        argon2_t_cost.unwrap_or(OWASP_T_COST),
        argon2_p_cost.unwrap_or(OWASP_P_COST),
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut workers = cores;
    p.at_least_one("password.hash_workers", hash_workers, &mut workers);
    // 0 is allowed: no hash waits, a busy pool answers 503 at once.
    let queue = hash_queue.unwrap_or(cores * defaults::HASH_QUEUE_PER_CORE);
    PasswordSection {
        min_length,
        argon2,
        hash_workers: workers,
        hash_queue: queue,
        reset_link_ttl: p.duration(
            "password.reset_link_ttl",
            reset_link_ttl.as_deref(),
            defaults::RESET_LINK_TTL,
        ),
        breached_list,
        context_words,
    }
}
