//! `rampart hash calibrate --target-ms N`: measures Argon2id on this machine
//! and suggests the `[password]` cost that makes one hash take about N ms.
//!
//! Memory stays at OWASP's 19 MiB (`m = 19456`) and parallelism at 1; the
//! iteration count `t` is what grows (never below OWASP's 2). The hash pool
//! runs at most `hash_workers` hashes at once, so the memory hashing can
//! take is bounded by `hash_workers × m`; the suggestion prints that bound.

use anyhow::Context as _;
use rampart_crypto::PasswordHasher;
use rampart_crypto::password::{OWASP_M_COST, OWASP_P_COST, OWASP_T_COST};
use secrecy::SecretString;
use std::time::Instant;

/// Milliseconds of one hash at these costs: the median of `runs`.
fn measure(m: u32, t: u32, runs: usize) -> anyhow::Result<f64> {
    let hasher = PasswordHasher::new(m, t, OWASP_P_COST).context("invalid Argon2id parameters")?;
    let password = SecretString::from("calibration passphrase 1234");
    hasher.hash(&password).context("hashing failed")?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        hasher.hash(&password).context("hashing failed")?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[runs / 2])
}

/// The suggestion as TOML with comments.
pub fn calibrate(target_ms: u64, workers: usize) -> anyhow::Result<String> {
    if !(1..=10_000).contains(&target_ms) {
        anyhow::bail!("--target-ms must be from 1 to 10000");
    }
    let base = measure(OWASP_M_COST, OWASP_T_COST, 5)?;
    let per_pass = base / f64::from(OWASP_T_COST);
    let ideal = (target_ms as f64 / per_pass).round();
    let t = if ideal.is_finite() {
        (ideal as u32).clamp(OWASP_T_COST, 100)
    } else {
        OWASP_T_COST
    };
    let measured = measure(OWASP_M_COST, t, 5)?;
    let memory_mib = workers as f64 * f64::from(OWASP_M_COST) / 1024.0;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = format!(
        "# Argon2id on this machine: m = {OWASP_M_COST} KiB, t = {OWASP_T_COST}: {base:.1} ms per hash.\n\
         # Suggested for a target of {target_ms} ms: t = {t}, measured {measured:.1} ms per hash.\n\
         # Sign-ins per second are bounded by {cores} cores / {measured:.1} ms = {:.0}/s;\n\
         # at most {workers} hashes run at once, so hashing uses at most {memory_mib:.0} MiB.\n",
        cores as f64 * 1000.0 / measured
    );
    if t == OWASP_T_COST && base > target_ms as f64 {
        out.push_str("# The OWASP minimum already takes longer than the target: keep it (do not go below).\n");
    }
    out.push_str(&format!(
        "[password]\nargon2_m_cost = {OWASP_M_COST}\nargon2_t_cost = {t}\nargon2_p_cost = {OWASP_P_COST}\n"
    ));
    Ok(out)
}
