//! The gate every in-process cache (sessions, tokens, account facts) passes
//! its writes through: it can be switched off while the invalidation feed is
//! down (see [`crate::coherence`]), and it refuses to store what was read
//! before an invalidation. [`AccountCache`] is the per-account cache built on
//! it, for facts a signed-in page shows on every visit.

use crate::model::UserId;
use std::collections::HashMap;
use std::future::Future;
use std::sync::RwLock;
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

/// At most this many accounts are kept; past it the cache starts again
/// empty (a bound on memory, not an eviction policy worth more code).
const MOST_ACCOUNTS: usize = 100_000;

/// One fact per account (its linked identities, its second-factor status),
/// read from the store once and kept until the account changes. The service
/// that writes the fact calls [`AccountCache::forget`] after its write
/// commits; changes made elsewhere arrive through the invalidation feed.
#[derive(Debug)]
pub struct AccountCache<V> {
    entries: RwLock<HashMap<UserId, V>>,
    gate: CacheGate,
}

impl<V> Default for AccountCache<V> {
    fn default() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            gate: CacheGate::default(),
        }
    }
}

impl<V: Clone> AccountCache<V> {
    /// The account's fact: kept, or read by `read` (and kept unless the
    /// account changed while it was being read).
    pub async fn get_or_read<E, F>(&self, user: UserId, read: impl FnOnce() -> F) -> Result<V, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        if self.gate.is_on()
            && let Some(kept) = self
                .entries
                .read()
                .ok()
                .and_then(|entries| entries.get(&user).cloned())
        {
            return Ok(kept);
        }
        let ticket = self.gate.ticket();
        let value = read().await?;
        if let Ok(mut entries) = self.entries.write()
            && self.gate.admits(ticket)
        {
            if entries.len() >= MOST_ACCOUNTS {
                entries.clear();
            }
            entries.insert(user, value.clone());
        }
        Ok(value)
    }

    /// The account changed: its fact is read again next time, and reads in
    /// flight are not kept. Call after the change has committed.
    pub fn forget(&self, user: UserId) {
        if let Ok(mut entries) = self.entries.write() {
            self.gate.invalidate();
            entries.remove(&user);
        }
    }

    /// Turns the cache on or off; either way it starts again empty.
    pub fn set_caching(&self, on: bool) {
        if let Ok(mut entries) = self.entries.write() {
            self.gate.set_on(on);
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{AccountCache, CacheGate};
    use crate::model::UserId;
    use std::sync::atomic::{AtomicUsize, Ordering};

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

    #[tokio::test]
    async fn an_account_fact_is_read_once_until_it_is_forgotten() {
        let cache = AccountCache::<u32>::default();
        let reads = AtomicUsize::new(0);
        let (alice, bob) = (UserId::new(), UserId::new());
        let read = |value: u32| {
            reads.fetch_add(1, Ordering::SeqCst);
            async move { Ok::<_, ()>(value) }
        };
        assert_eq!(cache.get_or_read(alice, || read(1)).await, Ok(1));
        assert_eq!(cache.get_or_read(alice, || read(2)).await, Ok(1));
        assert_eq!(cache.get_or_read(bob, || read(7)).await, Ok(7));
        assert_eq!(reads.load(Ordering::SeqCst), 2);
        cache.forget(alice);
        assert_eq!(cache.get_or_read(alice, || read(3)).await, Ok(3));
        assert_eq!(cache.get_or_read(bob, || read(8)).await, Ok(7));
        // Off: every call reads, nothing is kept.
        cache.set_caching(false);
        assert_eq!(cache.get_or_read(alice, || read(4)).await, Ok(4));
        assert_eq!(cache.get_or_read(alice, || read(5)).await, Ok(5));
        cache.set_caching(true);
        assert_eq!(cache.get_or_read(alice, || read(6)).await, Ok(6));
        assert_eq!(cache.get_or_read(alice, || read(9)).await, Ok(6));
        // A failed read is not kept.
        cache.forget(alice);
        assert_eq!(
            cache
                .get_or_read(alice, || async { Err::<u32, _>(()) })
                .await,
            Err(())
        );
        assert_eq!(cache.get_or_read(alice, || read(10)).await, Ok(10));
    }

    #[tokio::test]
    async fn a_read_overtaken_by_a_change_is_not_kept() {
        let cache = AccountCache::<u32>::default();
        let alice = UserId::new();
        // The read sees the old value; the change commits and forgets the
        // account while the read is in flight.
        let value = cache
            .get_or_read(alice, || async {
                cache.forget(alice);
                Ok::<_, ()>(1)
            })
            .await;
        assert_eq!(value, Ok(1));
        assert_eq!(
            cache.get_or_read(alice, || async { Ok::<_, ()>(2) }).await,
            Ok(2)
        );
    }
}
