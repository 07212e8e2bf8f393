//! Keeping the in-process caches (sessions, tokens, the users and roles they
//! carry, and the account facts pages show) true when the data changes
//! elsewhere: on another instance sharing the PostgreSQL database, or through
//! the CLI on the same SQLite file. The store turns each committed change into
//! "this account changed" (a trigger in the changing transaction:
//! `LISTEN/NOTIFY` on PostgreSQL, a polled table on SQLite) and calls
//! [`CacheCoherence`]; while that feed is down the caches are off, so nothing
//! stale is served until it is back.

use crate::model::UserId;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A service that keeps something per account in process.
pub trait AccountCaching: Send + Sync {
    /// The account changed: what is kept for it is re-read before it is
    /// used again.
    fn forget_user(&self, user: UserId);
    /// Turns keeping on or off; either way every kept entry is re-read
    /// before it answers again.
    fn set_caching(&self, on: bool);
}

/// The caches an invalidation feed keeps true.
pub struct CacheCoherence {
    caches: Vec<Arc<dyn AccountCaching>>,
    feed_losses: AtomicU64,
}

impl CacheCoherence {
    /// Coherence for these caches.
    pub fn new(caches: Vec<Arc<dyn AccountCaching>>) -> Self {
        Self {
            caches,
            feed_losses: AtomicU64::new(0),
        }
    }

    /// An account changed: every cache re-reads what it keeps for it (cached
    /// sessions are marked stale and keep their unwritten activity; tokens
    /// and account facts are dropped).
    pub fn account_changed(&self, user: UserId) {
        for cache in &self.caches {
            cache.forget_user(user);
        }
    }

    /// The feed is lost: the caches are emptied and stay off until
    /// [`CacheCoherence::feed_restored`].
    pub fn feed_lost(&self) {
        self.feed_losses.fetch_add(1, Ordering::AcqRel);
        for cache in &self.caches {
            cache.set_caching(false);
        }
    }

    /// The feed is back (or started): every cached entry is re-read before
    /// it answers again.
    pub fn feed_restored(&self) {
        for cache in &self.caches {
            cache.set_caching(true);
        }
    }

    /// How often the feed was lost since start (for `/metrics`).
    pub fn feed_losses(&self) -> u64 {
        self.feed_losses.load(Ordering::Acquire)
    }
}
