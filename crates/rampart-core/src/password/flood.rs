//! During a wrong-password flood, one core is left to signed-in people.
//!
//! The hashing threads run at a lower priority than request handling (see
//! `pool`), yet two of them on two busy cores still make a signed-in page
//! wait 5–6 times longer than alone: the kernel lets a running hash finish
//! its slice, and the two cores' caches and memory are shared. No priority
//! Linux has closes that gap (`bench/floor.sh`); a core with no hash on it
//! does (`docs/benchmarks.md`). So while a flood is on, signed-in people
//! are being served and the pool is saturated, the last hashing thread
//! takes no new job; the others hash on, first come first served, so every
//! sign-in is still answered, more slowly.
//!
//! What that may cost a sign-in is bounded: the thread steps aside only
//! while the job started last waited less than `pool`'s limit (a second).
//! A flood that would make sign-ins wait longer with one thread fewer gets
//! every thread back, so an attacker gains nothing over flooding the
//! whole pool, as before, beyond that second.
//!
//! A flood is told from a burst of honest sign-ins by what the checks
//! answer: at least `FLOOD_REFUSALS` refused sign-ins (every source
//! refused: a wrong password, an unknown name, a locked account) in the
//! current and the previous second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Refused password checks within the current and the previous second
/// that make a flood.
pub const FLOOD_REFUSALS: u64 = 10;

/// How long after a signed-in request the last hashing thread still keeps
/// off its core (during a flood only): long enough that a page answered
/// slowly, or a person's next click, still finds the core free.
pub const SIGNED_IN_WINDOW: Duration = Duration::from_millis(500);

/// What the last hashing thread watches: when signed-in people were last
/// served, and how many password checks were refused lately.
#[derive(Debug)]
pub struct FloodWatch {
    started: Instant,
    /// When a signed-in request was last served: milliseconds since
    /// `started`, plus one (0: never).
    signed_in_at: AtomicU64,
    /// Refused checks: the second (since `started`) in the high half, the
    /// count within it in the low half.
    refused_now: AtomicU64,
    /// The count of the second before `refused_now`'s, and that second, as
    /// in `refused_now`.
    refused_before: AtomicU64,
    /// How many times the last hashing thread has left its core.
    yields: AtomicU64,
}

impl Default for FloodWatch {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            signed_in_at: AtomicU64::new(0),
            refused_now: AtomicU64::new(0),
            refused_before: AtomicU64::new(0),
            yields: AtomicU64::new(0),
        }
    }
}

fn packed(second: u64, count: u64) -> u64 {
    (second << 32) | count.min(u64::from(u32::MAX))
}

fn unpacked(value: u64) -> (u64, u64) {
    (value >> 32, value & u64::from(u32::MAX))
}

impl FloodWatch {
    /// Notes a request served to a signed-in person. Cheap: one read, and
    /// a write at most once a millisecond.
    pub fn signed_in_request(&self) {
        self.signed_in_request_at(self.started.elapsed());
    }

    /// Notes a refused password check (a wrong password, or an unknown
    /// name answered after the dummy hash).
    pub fn refused_password(&self) {
        self.refused_password_at(self.started.elapsed());
    }

    /// Whether a flood is on (for `/metrics`).
    pub fn flood(&self) -> bool {
        self.flood_at(self.started.elapsed())
    }

    /// Holds the calling (last hashing) thread while it should leave its
    /// core and the pool can spare it (`pool_spares`: saturated, and
    /// sign-ins not kept waiting too long), looking again every `poll`;
    /// counts each time it had to.
    pub fn wait_while_yielding(&self, poll: Duration, pool_spares: impl Fn() -> bool) {
        let yields = || pool_spares() && self.last_thread_yields_at(self.started.elapsed());
        if !yields() {
            return;
        }
        self.yields.fetch_add(1, Ordering::Relaxed);
        while yields() {
            std::thread::sleep(poll);
        }
    }

    /// How many times the last hashing thread has left its core (for
    /// `/metrics`).
    pub fn yields(&self) -> u64 {
        self.yields.load(Ordering::Relaxed)
    }

    // The same, at `now` since `started`.

    /// Whether the last hashing thread should leave its core: a flood is
    /// on and signed-in people are being served.
    fn last_thread_yields_at(&self, now: Duration) -> bool {
        self.flood_at(now) && self.signed_in_recently_at(now)
    }

    fn signed_in_request_at(&self, now: Duration) {
        let now = millis(now) + 1;
        if self.signed_in_at.load(Ordering::Relaxed) < now {
            // Never back: a thread that read the clock earlier may write late.
            self.signed_in_at.fetch_max(now, Ordering::Relaxed);
        }
    }

    fn refused_password_at(&self, now: Duration) {
        let second = now.as_secs();
        let mut current = self.refused_now.load(Ordering::Relaxed);
        loop {
            let (at, count) = unpacked(current);
            // A thread that read the clock before another's count of a
            // later second adds to that second rather than turn it back.
            let second = second.max(at);
            let next = if at == second {
                packed(second, count + 1)
            } else {
                packed(second, 1)
            };
            match self.refused_now.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    if at != second {
                        // The second that just ended becomes the one before.
                        self.refused_before.store(current, Ordering::Relaxed);
                    }
                    return;
                }
                Err(seen) => current = seen,
            }
        }
    }

    /// Whether signed-in people were served within `SIGNED_IN_WINDOW`.
    fn signed_in_recently_at(&self, now: Duration) -> bool {
        let at = self.signed_in_at.load(Ordering::Relaxed);
        at != 0 && (millis(now) + 1).saturating_sub(at) < millis(SIGNED_IN_WINDOW)
    }

    /// Whether a flood is on: `FLOOD_REFUSALS` or more refused checks in
    /// this second and the one before.
    fn flood_at(&self, now: Duration) -> bool {
        let second = now.as_secs();
        let (now_at, now_count) = unpacked(self.refused_now.load(Ordering::Relaxed));
        let (before_at, before_count) = unpacked(self.refused_before.load(Ordering::Relaxed));
        // `refused_now` counts while its second is this one or the one
        // before; `refused_before` only while it is the second before this
        // one and `refused_now`'s is this one (an older one is left over
        // from a quiet spell).
        let mut counted = 0;
        if now_at == second || now_at + 1 == second {
            counted += now_count;
        }
        if now_at == second && before_at + 1 == second {
            counted += before_count;
        }
        counted >= FLOOD_REFUSALS
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn signed_in_traffic_is_recent_for_a_moment() {
        let watch = FloodWatch::default();
        assert!(!watch.signed_in_recently_at(ms(0)), "never seen");
        assert!(!watch.signed_in_recently_at(ms(5000)), "never seen");
        watch.signed_in_request_at(ms(1000));
        assert!(watch.signed_in_recently_at(ms(1000)));
        assert!(watch.signed_in_recently_at(ms(1000) + SIGNED_IN_WINDOW - ms(1)));
        assert!(!watch.signed_in_recently_at(ms(1000) + SIGNED_IN_WINDOW));
    }

    #[test]
    fn a_flood_is_refusals_in_numbers_and_yields_only_to_signed_in_people() {
        let watch = FloodWatch::default();
        let now = ms(7300);
        for _ in 0..FLOOD_REFUSALS - 1 {
            watch.refused_password_at(now);
        }
        assert!(!watch.flood_at(now), "one refusal short of a flood");
        watch.refused_password_at(now);
        assert!(watch.flood_at(now));
        assert!(!watch.last_thread_yields_at(now), "nobody signed in");
        watch.signed_in_request_at(now);
        assert!(watch.last_thread_yields_at(now + ms(10)));
        assert!(
            !watch.last_thread_yields_at(now + SIGNED_IN_WINDOW),
            "signed-in people gone"
        );
        // Signed-in people and no flood: every thread hashes.
        let quiet = FloodWatch::default();
        quiet.signed_in_request_at(now);
        quiet.refused_password_at(now);
        assert!(!quiet.last_thread_yields_at(now));
    }

    /// Refusals from many threads at once are each counted once: the
    /// count is one compare-and-swap, never a lost update.
    #[test]
    fn refusals_at_once_from_many_threads_are_all_counted() {
        let watch = FloodWatch::default();
        std::thread::scope(|threads| {
            for _ in 0..8 {
                threads.spawn(|| {
                    for _ in 0..1000 {
                        watch.refused_password_at(ms(3500));
                    }
                });
            }
        });
        assert_eq!(
            unpacked(watch.refused_now.load(Ordering::Relaxed)),
            (3, 8000)
        );
    }

    #[test]
    fn a_flood_ends_when_refusals_stop() {
        let watch = FloodWatch::default();
        for _ in 0..FLOOD_REFUSALS {
            watch.refused_password_at(ms(4900));
        }
        assert!(watch.flood_at(ms(4900)));
        assert!(watch.flood_at(ms(5999)), "the second after still counts");
        assert!(!watch.flood_at(ms(6000)), "two seconds on, still a flood");
    }

    #[test]
    fn refusals_either_side_of_a_second_add_up_and_older_ones_do_not() {
        let watch = FloodWatch::default();
        let half = FLOOD_REFUSALS / 2;
        for _ in 0..half {
            watch.refused_password_at(ms(2900));
        }
        for _ in 0..FLOOD_REFUSALS - half {
            watch.refused_password_at(ms(3100));
        }
        assert!(
            watch.flood_at(ms(3100)),
            "refusals over two seconds not added"
        );
        // A quiet second, then a few more: the old ones no longer count.
        let older = FloodWatch::default();
        for _ in 0..FLOOD_REFUSALS - 1 {
            older.refused_password_at(ms(2900));
        }
        older.refused_password_at(ms(4100));
        assert!(
            !older.flood_at(ms(4100)),
            "refusals from two seconds ago counted"
        );
    }
}
