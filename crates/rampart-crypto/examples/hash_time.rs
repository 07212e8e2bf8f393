//! Times one Argon2id verification with the OWASP parameters, the unit of work
//! of a sign-in. Used by `bench/login.sh` to compute the hash-bound limit
//! (cores ÷ one hash time). Run: `cargo run --release -p rampart-crypto --example hash_time`.
//! With the argument `forever` it only verifies, one after another, until
//! killed: `bench/floor.sh`'s stand-in for a hashing thread with no HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_crypto::PasswordHasher;
use secrecy::SecretString;
use std::time::Instant;

fn main() {
    let hasher = PasswordHasher::owasp();
    let password = SecretString::from("a long unusual phrase 42");
    let stored = hasher.hash(&password).unwrap();
    if std::env::args().nth(1).as_deref() == Some("forever") {
        loop {
            hasher.verify(&password, &stored).unwrap();
        }
    }
    for _ in 0..5 {
        hasher.verify(&password, &stored).unwrap();
    }
    let rounds = 50;
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        hasher.verify(&password, &stored).unwrap();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let median = times[rounds / 2];
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("argon2id m=19456 t=2 p=1 verify: median {median:.2} ms over {rounds} runs");
    println!(
        "cores: {cores}; hash-bound limit: {:.1} logins/s",
        cores as f64 * 1000.0 / median
    );

    // The same work on every core at once: what the hardware really sustains
    // when hashes compete for memory bandwidth and cache.
    let per_thread = 40;
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..cores {
            scope.spawn(|| {
                for _ in 0..per_thread {
                    hasher.verify(&password, &stored).unwrap();
                }
            });
        }
    });
    let rate = (cores * per_thread) as f64 / start.elapsed().as_secs_f64();
    println!("all {cores} cores hashing at once: {rate:.1} verifications/s");
}
