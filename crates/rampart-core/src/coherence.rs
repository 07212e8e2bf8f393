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
use std::sync::atomic::{AtomicU64, Ordering};

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
