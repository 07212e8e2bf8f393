//! Keeping the in-process caches (sessions, tokens, and the users and roles
//! they carry) true when the data changes elsewhere: on another instance
//! sharing the PostgreSQL database, or through the CLI on the same SQLite
//! file. The store turns each committed change into "this account changed"
//! (a trigger in the changing transaction: `LISTEN/NOTIFY` on PostgreSQL, a
//! polled table on SQLite) and calls [`CacheCoherence`]; while that feed is
//! down the caches are off, so nothing stale is served until it is back.

use crate::model::UserId;
use crate::session::SessionService;
use crate::token::TokenService;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Whether a cache may keep entries, and a count of invalidations, so a
/// database read that started before an invalidation cannot put back what
/// the invalidation removed: take a [`CacheGate::ticket`] before reading,
/// and store the result only if [`CacheGate::admits`] it.
#[derive(Debug, Default)]
pub struct CacheGate {
    off: AtomicBool,
    generation: AtomicU64,
}

impl CacheGate {
    /// The state before a database read.
    pub fn ticket(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// True when what was read under `ticket` may be cached.
    pub fn admits(&self, ticket: u64) -> bool {
        !self.off.load(Ordering::Acquire) && self.generation.load(Ordering::Acquire) == ticket
    }

    /// True while the cache may answer.
    pub fn is_on(&self) -> bool {
        !self.off.load(Ordering::Acquire)
    }

    /// Marks an invalidation (reads in flight are not cached).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Turns the cache on or off; either way, reads in flight are not cached.
    pub fn set_on(&self, on: bool) {
        self.off.store(!on, Ordering::Release);
        self.invalidate();
    }
}

/// The caches an invalidation feed keeps true.
pub struct CacheCoherence {
    sessions: Arc<SessionService>,
    tokens: Arc<TokenService>,
    feed_losses: AtomicU64,
}

impl CacheCoherence {
    /// Coherence for these caches.
    pub fn new(sessions: Arc<SessionService>, tokens: Arc<TokenService>) -> Self {
        Self {
            sessions,
            tokens,
            feed_losses: AtomicU64::new(0),
        }
    }

    /// An account changed: its cached sessions are marked stale (re-read,
    /// keeping their unwritten activity) and its cached tokens dropped, so
    /// the next request re-reads them.
    pub fn account_changed(&self, user: UserId) {
        self.sessions.forget_user(user);
        self.tokens.forget_user(user);
    }

    /// The feed is lost: the caches are emptied and stay off until
    /// [`CacheCoherence::feed_restored`].
    pub fn feed_lost(&self) {
        self.feed_losses.fetch_add(1, Ordering::AcqRel);
        self.sessions.set_caching(false);
        self.tokens.set_caching(false);
    }

    /// The feed is back (or started): every cached entry is re-read before
    /// it answers again.
    pub fn feed_restored(&self) {
        self.sessions.set_caching(true);
        self.tokens.set_caching(true);
    }

    /// How often the feed was lost since start (for `/metrics`).
    pub fn feed_losses(&self) -> u64 {
        self.feed_losses.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::CacheGate;

    #[test]
    fn a_read_from_before_an_invalidation_is_not_cached() {
        let gate = CacheGate::default();
        let ticket = gate.ticket();
        assert!(gate.admits(ticket));
        gate.invalidate();
        assert!(!gate.admits(ticket));
        assert!(gate.admits(gate.ticket()));
        gate.set_on(false);
        assert!(!gate.admits(gate.ticket()));
        assert!(!gate.is_on());
        gate.set_on(true);
        assert!(gate.admits(gate.ticket()));
    }
}
