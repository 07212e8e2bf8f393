//! `[login]`: the brute-force thresholds, and the sources the login form
//! tries (checked with the directory, in `federation`).

use super::{Problems, StringList};
use rampart_core::throttle::ThrottleConfig;
use serde::Deserialize;

/// `[login]` as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawLogin {
    /// Failed sign-ins for one name (per network) before lock-outs begin.
    pub lockout_after: Option<i64>,
    /// Failed sign-ins from one address before lock-outs begin.
    pub lockout_after_per_address: Option<i64>,
    /// Failed sign-ins from one network (/24 or /64) before it locks.
    pub lockout_after_per_network: Option<i64>,
    /// Failed sign-ins of one account, across networks, before it locks for
    /// browsers that are not its known devices.
    pub lockout_after_per_account: Option<i64>,
    /// Consecutive failures after which the account signs in only from a
    /// known device, after a reset or an operator's unlock.
    pub max_consecutive_failures: Option<i64>,
    /// The longest lock-out.
    pub max_lockout: Option<String>,
    /// The sources the login form tries, in order: `local`, `ldap`
    /// (default `local`, then `ldap` when `[ldap]` is configured).
    pub sources: Option<StringList>,
}

/// Checks the thresholds of `[login]` (its `sources` go to `federation`).
pub fn check(raw: &RawLogin, p: &mut Problems) -> ThrottleConfig {
    let RawLogin {
        lockout_after,
        lockout_after_per_address,
        lockout_after_per_network,
        lockout_after_per_account,
        max_consecutive_failures,
        max_lockout,
        sources: _,
    } = raw;
    let mut throttle = ThrottleConfig::default();
    p.at_least_one(
        "login.lockout_after",
        *lockout_after,
        &mut throttle.free_failures,
    );
    p.at_least_one(
        "login.lockout_after_per_address",
        *lockout_after_per_address,
        &mut throttle.free_failures_per_address,
    );
    p.at_least_one(
        "login.lockout_after_per_network",
        *lockout_after_per_network,
        &mut throttle.free_failures_per_network,
    );
    p.at_least_one(
        "login.lockout_after_per_account",
        *lockout_after_per_account,
        &mut throttle.free_failures_per_account,
    );
    p.at_least_one(
        "login.max_consecutive_failures",
        *max_consecutive_failures,
        &mut throttle.max_consecutive_failures,
    );
    throttle.max_lock = p.duration(
        "login.max_lockout",
        max_lockout.as_deref(),
        throttle.max_lock,
    );
    throttle
}
