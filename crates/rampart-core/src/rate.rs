//! Request rate limits that are not sign-ins: mails (password reset and
//! verification) per e-mail address and per client address, and
//! registrations per client address. A GCRA (generic cell rate algorithm,
//! the token bucket without a timer) per key: `limit` requests per window
//! sustained, bursts of up to `limit`, with the state (one timestamp per
//! key) in the database, so every instance shares it.
//!
//! A mail limit counts the address as typed, whether or not an account has
//! it, so a refusal tells nothing about who is registered.

use crate::clock::Clock;
use crate::ports::{RateRepo, RepoError};
use std::net::IpAddr;
use std::sync::Arc;
use time::Duration;

/// The limits, per window.
#[derive(Debug, Clone)]
pub struct RateConfig {
    /// Mails to one address (default 5).
    pub mail_per_address: i64,
    /// Mail requests from one client address (default 20).
    pub mail_per_client: i64,
    /// Registrations from one client address (default 10).
    pub registrations_per_client: i64,
    /// The window (default 1 h).
    pub window: Duration,
}

impl Default for RateConfig {
    fn default() -> Self {
        Self {
            mail_per_address: 5,
            mail_per_client: 20,
            registrations_per_client: 10,
            window: Duration::hours(1),
        }
    }
}

/// Over the limit; retry after this long.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("too many requests; retry in {} s", .0.whole_seconds())]
pub struct Limited(pub Duration);

/// Checks and counts requests.
pub struct RateLimits {
    repo: Arc<dyn RateRepo>,
    clock: Arc<dyn Clock>,
    config: RateConfig,
}

/// Why a rate check failed.
#[derive(Debug, thiserror::Error)]
pub enum RateError {
    /// Over the limit.
    #[error(transparent)]
    Limited(#[from] Limited),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] RepoError),
}

impl RateLimits {
    /// Limits over `repo`.
    pub fn new(repo: Arc<dyn RateRepo>, clock: Arc<dyn Clock>, config: RateConfig) -> Self {
        Self {
            repo,
            clock,
            config,
        }
    }

    fn now_ms(&self) -> i64 {
        i64::try_from(self.clock.now().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }

    async fn hit(&self, key: &str, limit: i64) -> Result<(), RateError> {
        let window_ms = i64::try_from(self.config.window.whole_milliseconds()).unwrap_or(i64::MAX);
        let interval_ms = (window_ms / limit.max(1)).max(1);
        self.step(key, interval_ms, window_ms).await
    }

    async fn step(&self, key: &str, interval_ms: i64, window_ms: i64) -> Result<(), RateError> {
        let now_ms = self.now_ms();
        let (allowed, tat_ms) = self
            .repo
            .gcra_step(key, now_ms, interval_ms, window_ms)
            .await?;
        if allowed {
            return Ok(());
        }
        // The next request fits once max(TAT, now) + interval − now ≤ window.
        let wait_ms = tat_ms + interval_ms - window_ms - now_ms;
        let seconds = (wait_ms + 999) / 1000;
        Err(Limited(Duration::seconds(seconds.max(1))).into())
    }

    /// One mail (reset or verification) to `email` asked for from `client`.
    pub async fn mail(&self, email: &str, client: Option<IpAddr>) -> Result<(), RateError> {
        if let Some(ip) = client {
            self.hit(&format!("mail-client:{ip}"), self.config.mail_per_client)
                .await?;
        }
        self.hit(
            &format!("mail-to:{}", email.trim().to_lowercase()),
            self.config.mail_per_address,
        )
        .await
    }

    /// One API call by `caller` (a token digest or client address), shared
    /// by every instance: `per_second` sustained, bursts of `burst`. The
    /// in-process limiter in front of it refuses floods without a database
    /// write.
    pub async fn api_call(
        &self,
        caller: &str,
        per_second: u32,
        burst: u32,
    ) -> Result<(), RateError> {
        let interval_ms = (1000 / i64::from(per_second.max(1))).max(1);
        self.step(
            &format!("api:{caller}"),
            interval_ms,
            interval_ms * i64::from(burst.max(1)),
        )
        .await
    }

    /// Forgets keys whose limits have fully recovered.
    pub async fn purge_drained(&self) -> Result<u64, RepoError> {
        self.repo.purge_drained(self.now_ms()).await
    }

    /// One registration from `client`.
    pub async fn registration(&self, client: Option<IpAddr>) -> Result<(), RateError> {
        match client {
            Some(ip) => {
                self.hit(
                    &format!("register-client:{ip}"),
                    self.config.registrations_per_client,
                )
                .await
            }
            None => Ok(()),
        }
    }
}
