//! Brute-force defence for sign-in: progressive lock-out.
//!
//! Two counters are kept for every failed sign-in: one for the login name as
//! tried from the client's network (/24 or /64), one for the client address
//! alone. Past `free_failures` failures a counter locks for 30 s, doubling
//! with each further failure up to `max_lock` (1 h), never for ever; a
//! successful sign-in clears the name's counter, and a day without failures
//! forgets both. While locked, every attempt, even with the right password,
//! gets the same 429 with `Retry-After` before any password is hashed.
//!
//! Counting the name per network means an attacker on one network cannot lock
//! the real user, elsewhere, out of their account; the address counter
//! (higher threshold) slows one client trying many names. Names are counted
//! whether or not an account has them, so a lock says nothing about existence.

use crate::clock::Clock;
use crate::ports::{RepoError, ThrottleRepo};
use std::net::IpAddr;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Lock-out thresholds.
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Failures for a login name (per network) before locks begin (default 5).
    pub free_failures: i64,
    /// Failures from one address, across names, before locks begin (default 50).
    pub free_failures_per_address: i64,
    /// Failures from one network (/24 or /64), across names and addresses,
    /// before the network locks (default 200): credential stuffing.
    pub free_failures_per_network: i64,
    /// The longest lock (default 1 h).
    pub max_lock: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            free_failures: 5,
            free_failures_per_address: 50,
            free_failures_per_network: 200,
            max_lock: Duration::hours(1),
        }
    }
}

/// A stored counter, as far as the check needs it (the count itself is
/// kept and incremented by the store).
#[derive(Debug, Clone, Copy)]
pub struct Counter {
    /// Locked until then (in the past when not locked).
    pub locked_until: OffsetDateTime,
}

/// An attempt may proceed; remembers whether the name had failures to clear.
#[derive(Debug, Clone, Copy)]
pub struct Admitted {
    name_has_failures: bool,
}

/// Sign-in is locked for this long.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("too many failed sign-ins; retry in {} s", .0.whole_seconds())]
pub struct Locked(pub Duration);

/// Counts failed sign-ins and answers whether another attempt may proceed.
pub struct LoginThrottle {
    repo: Arc<dyn ThrottleRepo>,
    clock: Arc<dyn Clock>,
    config: ThrottleConfig,
}

/// What a counted failure set off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failure {
    /// The name (from this network) just became locked for the first time
    /// in this run of failures.
    pub name_locked: bool,
    /// The address or the whole network just became locked: many names
    /// failing from one place (credential stuffing).
    pub attack_suspected: bool,
}

fn network_key(ip: Option<IpAddr>) -> Option<String> {
    ip.map(|ip| format!("net:{}", crate::client::network_of(ip)))
}

fn keys(login: &str, ip: Option<IpAddr>) -> (String, Option<String>) {
    let login = login.trim().to_lowercase();
    match ip {
        Some(ip) => (
            format!("name:{login}@{}", crate::client::network_of(ip)),
            Some(format!("addr:{ip}")),
        ),
        None => (format!("name:{login}@unknown"), None),
    }
}

impl LoginThrottle {
    /// A throttle over `repo`.
    pub fn new(repo: Arc<dyn ThrottleRepo>, clock: Arc<dyn Clock>, config: ThrottleConfig) -> Self {
        Self {
            repo,
            clock,
            config,
        }
    }

    /// Failures a name may have before its first lock.
    pub fn free_failures(&self) -> i64 {
        self.config.free_failures
    }

    /// Refuses when the name (from this network) or the address is locked.
    pub async fn check(
        &self,
        login: &str,
        ip: Option<IpAddr>,
    ) -> Result<Result<Admitted, Locked>, RepoError> {
        let now = self.clock.now();
        let (name, addr) = keys(login, ip);
        let net = network_key(ip);
        let (name_counter, addr_counter, net_counter) = self
            .repo
            .throttle_counters(&name, addr.as_deref(), net.as_deref())
            .await?;
        let name_has_failures = name_counter.is_some();
        let wait = [name_counter, addr_counter, net_counter]
            .into_iter()
            .flatten()
            .map(|c| c.locked_until - now)
            .fold(Duration::ZERO, Duration::max);
        // Whole seconds, rounded up, as Retry-After counts them.
        let whole =
            Duration::seconds(wait.whole_seconds() + i64::from(wait.subsec_nanoseconds() > 0));
        Ok(if wait > Duration::ZERO {
            Err(Locked(whole))
        } else {
            Ok(Admitted { name_has_failures })
        })
    }

    fn lock_after(&self, failures: i64, free: i64, now: OffsetDateTime) -> OffsetDateTime {
        if failures < free {
            return now;
        }
        let doublings = u32::try_from((failures - free).min(20)).unwrap_or(20);
        let lock =
            Duration::seconds(30_i64.saturating_mul(1_i64 << doublings)).min(self.config.max_lock);
        now + lock
    }

    /// Records a failed attempt; says whether it started a lock.
    pub async fn failed(&self, login: &str, ip: Option<IpAddr>) -> Result<Failure, RepoError> {
        let (name, addr) = keys(login, ip);
        let started = self
            .count(&[
                (Some(name), self.config.free_failures),
                (addr, self.config.free_failures_per_address),
                (network_key(ip), self.config.free_failures_per_network),
            ])
            .await?;
        Ok(Failure {
            name_locked: started[0],
            attack_suspected: started[1] || started[2],
        })
    }

    /// Records a failure under `login` (from this network) only, for a
    /// failure that [`Self::failed`] already counted for the address.
    pub async fn failed_name_only(&self, login: &str, ip: Option<IpAddr>) -> Result<(), RepoError> {
        let (name, _) = keys(login, ip);
        self.count(&[(Some(name), self.config.free_failures)])
            .await
            .map(|_| ())
    }

    /// Counts each failure; for each key, whether this failure started its
    /// first lock (the count reached the free allowance).
    async fn count(&self, counted: &[(Option<String>, i64)]) -> Result<Vec<bool>, RepoError> {
        let now = self.clock.now();
        let mut started = Vec::with_capacity(counted.len());
        for (key, free) in counted {
            let (Some(key), free) = (key, *free) else {
                started.push(false);
                continue;
            };
            let failures = self
                .repo
                .count_throttle_failure(key, now, now - Duration::days(1))
                .await?;
            let locked_until = self.lock_after(failures, free, now);
            if locked_until > now {
                self.repo.lock_throttle(key, locked_until).await?;
                tracing::warn!(
                    failures,
                    lock_s = (locked_until - now).whole_seconds(),
                    "sign-in locked after repeated failures"
                );
            }
            started.push(failures == free);
        }
        Ok(started)
    }

    /// Clears the name's counter after a successful sign-in.
    /// (A write only when there were failures to forget.)
    pub async fn succeeded(
        &self,
        admitted: Admitted,
        login: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), RepoError> {
        if !admitted.name_has_failures {
            return Ok(());
        }
        let (name, _) = keys(login, ip);
        self.repo.clear_throttle_counter(&name).await
    }

    /// Clears every counter of a login name (operator unlock).
    pub async fn clear_name(&self, login: &str) -> Result<(), RepoError> {
        self.repo
            .clear_throttle_prefix(&format!("name:{}@", login.trim().to_lowercase()))
            .await
    }
}
