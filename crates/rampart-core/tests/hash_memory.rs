//! The password hashing pool's memory stays bounded: 100 Argon2id runs
//! (hashes and verifications, several at once) grow the process's resident
//! memory by less than workers × Argon2id memory + a margin. Its own test
//! binary, so no other test's allocations are counted.

#![allow(clippy::unwrap_used)]

use rampart_core::password::HashPool;
use rampart_crypto::PasswordHasher;
use secrecy::SecretString;

/// Resident memory of this process, in bytes (`/proc/self/statm`).
fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashing_memory_stays_bounded() {
    const WORKERS: usize = 2;
    const ARGON2_MIB: u64 = 19;
    let pool = HashPool::new(PasswordHasher::owasp(), WORKERS, 8);
    let password = SecretString::from("a password for the memory test");
    let stored = {
        let password = password.clone();
        pool.run(move |h| h.hash(&password)).await.unwrap().unwrap()
    };
    let before = resident();
    for round in 0..25 {
        let mut jobs = Vec::new();
        for n in 0..4 {
            let (pool, password, stored) = (pool.clone(), password.clone(), stored.clone());
            jobs.push(tokio::spawn(async move {
                pool.run(move |h| {
                    if (round + n) % 2 == 0 {
                        h.hash(&password).map(|_| ())
                    } else {
                        h.verify(&password, &stored).map(|v| assert!(v.is_match()))
                    }
                })
                .await
            }));
        }
        for job in jobs {
            job.await.unwrap().unwrap().unwrap();
        }
    }
    let grown = resident().saturating_sub(before);
    let bound = (WORKERS as u64 * ARGON2_MIB + 16) << 20;
    eprintln!(
        "resident memory grew by {} KiB over 100 hashes",
        grown >> 10
    );
    assert!(
        grown < bound,
        "100 hashes grew the resident memory by {} MiB (bound {} MiB)",
        grown >> 20,
        bound >> 20
    );
}
