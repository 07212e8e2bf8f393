//! The gate every in-process cache (sessions, tokens) passes its writes
//! through: it can be switched off while the invalidation feed is down (see
//! [`crate::coherence`]), and it refuses to store what was read before an
//! invalidation.

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
