//! Brute-force defence for sign-in: progressive lock-out, counted before the
//! check.
//!
//! Every attempt (a password, a second-factor code, the current password of
//! a password change) is counted under several keys at once:
//!
//! - the login name as tried from the client's network (/24 or /64), so an
//!   attacker on one network cannot lock the real user out elsewhere;
//! - the client address, and the client network, across names (credential
//!   stuffing);
//! - the account, across every network (`acct:`), so guesses spread over
//!   many networks still stop; a browser that is a known device of the
//!   account is not held back by this counter, but by one of its own
//!   (`dev:`), so the owner still signs in while a botnet is locked out.
//!
//! Past its free allowance a counter locks for 30 s, doubling with each
//! further failure up to `max_lock`. After `max_consecutive_failures` the
//! account counter locks until it is cleared: by a complete sign-in from a
//! known device, a password reset or an operator's unlock.
//!
//! **Counted first.** An attempt is reserved, as if it failed, before any
//! password is hashed: each counter is read and then written with a
//! compare-and-swap, so of N concurrent guesses exactly as many pass as N
//! sequential ones would; the lock a failure would set is set by the
//! reservation. A success takes its reservation back (the name, device and,
//! for a complete sign-in, account counters are cleared; the address and
//! network ones are decremented). A refused attempt is not counted.
//!
//! **Waiting, not refusing, for attempts in flight.** A reservation that
//! would set a lock while other attempts on the same counter are still being
//! checked in this process waits (up to 10 s) for them to settle, then reads
//! the counter again: they may succeed and clear it. So N concurrent correct
//! sign-ins of one account pass like N sequential ones, and N concurrent
//! guesses are still held to the sequential allowance. Across instances the
//! reservation alone decides (an instance cannot see another's attempts in
//! flight), which errs towards refusing.
//!
//! **One write in the common case.** When no counter is locked and no
//! reservation would set a lock (nothing to wait for), the attempt's
//! counters are written at once: one statement inserts those it found
//! absent, one swaps those it read, each still only if unchanged. If
//! another attempt changed one first, what the write reserved is taken back
//! and the counters are reserved one by one as above, in the attempt's key
//! order (so two attempts never wait on each other).
//!
//! Names are counted whether or not an account has them, and an unknown
//! name gets an account counter of its own, so a lock says nothing about
//! existence.

use crate::clock::Clock;
pub use crate::model::throttle::Counter;
use crate::ports::{RepoError, ThrottleRepo};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};
use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;

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
    /// Failures of one account, across every network, before it locks
    /// (default 10; `login.lockout_after_per_account`).
    pub free_failures_per_account: i64,
    /// Consecutive failures of one account after which only a known device,
    /// a password reset or an operator's unlock lets it in (default 100,
    /// NIST SP 800-63B-4; `login.max_consecutive_failures`).
    pub max_consecutive_failures: i64,
    /// The longest lock (default 1 h).
    pub max_lock: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            free_failures: 5,
            free_failures_per_address: 50,
            free_failures_per_network: 200,
            free_failures_per_account: 10,
            max_consecutive_failures: 100,
            max_lock: Duration::hours(1),
        }
    }
}

/// Sign-in is locked for this long.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("too many failed sign-ins; retry in {} s", .0.whole_seconds())]
pub struct Locked(pub Duration);

/// What a key counts, which decides its allowance and how a success
/// settles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Name,
    Address,
    Network,
    Account,
    Device,
}

/// Whom an attempt is about, beyond its login name and address.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The account's key (its id) when the name belongs to one; `None`
    /// counts the name itself account-wide.
    pub account: Option<String>,
    /// The known device the browser proved for that account, if any.
    pub device: Option<String>,
    /// A second-factor code: also counted under `mfa:NAME@NETWORK`,
    /// which a correct password does not clear.
    pub second_factor: bool,
}

#[derive(Debug, Clone)]
struct Reserved {
    key: String,
    kind: Kind,
    free: i64,
    /// The count this attempt made it.
    count: i64,
    /// The lock before this attempt, and the one it set: taking the
    /// attempt back restores the first if the second is still in place.
    locks: (OffsetDateTime, OffsetDateTime),
}

/// An attempt that has been counted: settle it with
/// [`LoginThrottle::succeeded`] or [`LoginThrottle::failed`].
#[derive(Debug)]
#[must_use = "an attempt stays counted as a failure until it is settled"]
pub struct Attempt {
    reserved: Vec<Reserved>,
    /// It waited for other attempts to settle: what was read about the
    /// account before it may have changed meanwhile.
    pub waited: bool,
    /// Leaves the in-flight count of each key when the attempt is settled
    /// or dropped.
    _flight: Flight,
}

/// The attempts of this process whose reservations are not settled yet,
/// per counter key, each key with the signal its waiters wait on.
#[derive(Debug, Default)]
struct InFlight {
    keys: Mutex<HashMap<String, (usize, Arc<Notify>)>>,
}

impl InFlight {
    /// When attempts are in flight on `key`, a wait for the next of them to
    /// settle. It is made under the lock that `leave` takes, so no
    /// settlement after this check can be missed (a `Notified` receives
    /// `notify_waiters` from its creation on, polled or not).
    fn settled(&self, key: &str) -> Option<OwnedNotified> {
        let keys = self.keys.lock().ok()?;
        keys.get(key)
            .map(|(_, settled)| settled.clone().notified_owned())
    }

    fn enter(&self, key: &str) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.entry(key.to_owned()).or_default().0 += 1;
        }
    }

    fn leave(&self, key: &str) {
        let Ok(mut keys) = self.keys.lock() else {
            return;
        };
        if let Some((count, settled)) = keys.get_mut(key) {
            *count -= 1;
            settled.notify_waiters();
            if *count == 0 {
                keys.remove(key);
            }
        }
    }
}

/// The keys one attempt is in flight on; leaves them when dropped.
#[derive(Debug)]
struct Flight {
    registry: Arc<InFlight>,
    keys: Vec<String>,
}

impl Flight {
    fn enter(&mut self, key: &str) {
        self.registry.enter(key);
        self.keys.push(key.to_owned());
    }

    /// Leaves `key` (its reservation did not happen).
    fn leave(&mut self, key: &str) {
        if let Some(place) = self.keys.iter().position(|entered| entered == key) {
            self.registry.leave(&self.keys.swap_remove(place));
        }
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        for key in &self.keys {
            self.registry.leave(key);
        }
    }
}

/// Reservations made so far by an attempt that is still reserving: if the
/// attempt is dropped before it is settled (the client went away while it
/// waited), they are taken back in the background.
struct Reserving {
    repo: Arc<dyn ThrottleRepo>,
    done: Vec<Reserved>,
}

impl Reserving {
    /// The reservations, now owned by the caller.
    fn take(mut self) -> Vec<Reserved> {
        std::mem::take(&mut self.done)
    }
}

impl Drop for Reserving {
    fn drop(&mut self) {
        let done = std::mem::take(&mut self.done);
        if done.is_empty() {
            return;
        }
        let repo = self.repo.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = repo.undo_throttles(&undo_list(&done)).await;
            });
        }
    }
}

/// How long a reservation waits for attempts in flight before it is refused.
const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What a counted failure set off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failure {
    /// The name (from this network) just became locked for the first time
    /// in this run of failures.
    pub name_locked: bool,
    /// The address or the whole network just became locked: many names
    /// failing from one place (credential stuffing).
    pub attack_suspected: bool,
    /// The account-wide counter just started locking (mail the owner).
    pub account_locked: bool,
    /// The account just reached `max_consecutive_failures`: only a known
    /// device, a reset or an unlock lets it in now.
    pub account_barred: bool,
}

/// Counts failed sign-ins and answers whether another attempt may proceed.
pub struct LoginThrottle {
    repo: Arc<dyn ThrottleRepo>,
    clock: Arc<dyn Clock>,
    config: ThrottleConfig,
    in_flight: Arc<InFlight>,
}

/// How many times a counter is re-read when another attempt changed it
/// between the read and the write.
const SWAP_TRIES: usize = 64;

/// A lock that only a reset, an unlock or a known device lifts.
fn barred_until() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(365 * 8000)
}

/// The account-wide key of an account (or, for a name no account has, of
/// the name).
pub fn account_key(account: Option<&str>, login: &str) -> String {
    match account {
        Some(id) => format!("acct:{id}"),
        None => format!("acct:name:{}", login.trim().to_lowercase()),
    }
}

impl LoginThrottle {
    /// A throttle over `repo`.
    pub fn new(repo: Arc<dyn ThrottleRepo>, clock: Arc<dyn Clock>, config: ThrottleConfig) -> Self {
        Self {
            repo,
            clock,
            config,
            in_flight: Arc::default(),
        }
    }

    /// Failures a name may have before its first lock.
    pub fn free_failures(&self) -> i64 {
        self.config.free_failures
    }

    /// Failures an account may have before its first account-wide lock.
    pub fn free_failures_per_account(&self) -> i64 {
        self.config.free_failures_per_account
    }

    fn keys(&self, login: &str, ip: Option<IpAddr>, target: &Target) -> Vec<Reserved> {
        let c = &self.config;
        let login = login.trim().to_lowercase();
        let key = |key: String, kind: Kind, free: i64| Reserved {
            key,
            kind,
            free,
            count: 0,
            locks: (OffsetDateTime::UNIX_EPOCH, OffsetDateTime::UNIX_EPOCH),
        };
        let mut keys = Vec::with_capacity(5);
        match ip {
            Some(ip) => {
                let network = crate::client::network_of(ip);
                keys.push(key(
                    format!("name:{login}@{network}"),
                    Kind::Name,
                    c.free_failures,
                ));
                keys.push(key(
                    format!("addr:{ip}"),
                    Kind::Address,
                    c.free_failures_per_address,
                ));
                keys.push(key(
                    format!("net:{network}"),
                    Kind::Network,
                    c.free_failures_per_network,
                ));
            }
            None => keys.push(key(
                format!("name:{login}@unknown"),
                Kind::Name,
                c.free_failures,
            )),
        }
        keys.push(key(
            account_key(target.account.as_deref(), &login),
            Kind::Account,
            c.free_failures_per_account,
        ));
        if target.second_factor {
            let network = ip.map_or_else(
                || "unknown".to_owned(),
                |ip| crate::client::network_of(ip).to_string(),
            );
            keys.push(key(
                format!("mfa:{login}@{network}"),
                Kind::Name,
                c.free_failures,
            ));
        }
        if let (Some(account), Some(device)) = (&target.account, &target.device) {
            keys.push(key(
                format!("dev:{account}:{device}"),
                Kind::Device,
                c.free_failures,
            ));
        }
        keys
    }

    fn lock_for(&self, count: i64, free: i64) -> Duration {
        let doublings = u32::try_from((count - free).clamp(0, 20)).unwrap_or(20);
        Duration::seconds(30_i64.saturating_mul(1_i64 << doublings)).min(self.config.max_lock)
    }

    /// The counter after one more attempt at `now`.
    fn next(&self, old: Option<Counter>, reserved: &Reserved, now: OffsetDateTime) -> Counter {
        // Name, address and network counters forget a day without failures;
        // the account counter counts consecutive failures until a success.
        // A known device, like the account, is not forgiven by time either:
        // a stolen device cookie must not yield guesses every day for ever.
        let consecutive = matches!(reserved.kind, Kind::Account | Kind::Device);
        let stale = old.is_none_or(|o| !consecutive && o.last_failure_at < now - Duration::days(1));
        let failures = if stale {
            1
        } else {
            old.map_or(1, |o| o.failures + 1)
        };
        let previous_lock = old.map_or(OffsetDateTime::UNIX_EPOCH, |o| o.locked_until);
        let locked_until = if consecutive && failures >= self.config.max_consecutive_failures {
            barred_until()
        } else if failures >= reserved.free {
            now + self.lock_for(failures, reserved.free)
        } else {
            previous_lock
        };
        Counter {
            failures,
            locked_until,
            last_failure_at: now,
        }
    }

    /// Counts an attempt at `login` from `ip` (about `target`) before it is
    /// checked; `Err(Locked)` when a counter is locked (nothing counted),
    /// else the attempt, to settle once the check is done.
    pub async fn attempt(
        &self,
        login: &str,
        ip: Option<IpAddr>,
        target: &Target,
    ) -> Result<Result<Attempt, Locked>, RepoError> {
        let keys = self.keys(login, ip, target);
        let known_device = target.device.is_some();
        let names: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
        let rows = self.repo.throttle_counters(&names).await?;
        // Every lock first: a refused attempt writes nothing.
        let now = self.clock.now();
        let wait = keys
            .iter()
            .filter(|k| !k.exempt(known_device))
            .filter_map(|k| counter_of(&rows, &k.key))
            .map(|c| c.locked_until - now)
            .fold(Duration::ZERO, Duration::max);
        if wait > Duration::ZERO {
            return Ok(Err(Locked(whole_seconds(wait))));
        }
        let mut flight = Flight {
            registry: self.in_flight.clone(),
            keys: Vec::with_capacity(keys.len()),
        };
        let mut reserving = Reserving {
            repo: self.repo.clone(),
            done: Vec::with_capacity(keys.len()),
        };
        let mut waited = false;
        let reserved = self
            .reserve(
                keys,
                rows,
                known_device,
                &mut reserving.done,
                &mut flight,
                &mut waited,
            )
            .await;
        let done = reserving.take();
        match reserved {
            Ok(Ok(())) => Ok(Ok(Attempt {
                reserved: done,
                waited,
                _flight: flight,
            })),
            Ok(Err(locked)) => {
                self.undo(&done).await?;
                Ok(Err(locked))
            }
            Err(err) => {
                // Take back what was reserved (best effort), then report.
                let _ = self.undo(&done).await;
                Err(err)
            }
        }
    }

    /// Reserves each key in turn; what was reserved is in `done` whatever
    /// the outcome.
    async fn reserve(
        &self,
        keys: Vec<Reserved>,
        mut rows: Vec<(String, Counter)>,
        known_device: bool,
        done: &mut Vec<Reserved>,
        flight: &mut Flight,
        waited: &mut bool,
    ) -> Result<Result<(), Locked>, RepoError> {
        let deadline = tokio::time::Instant::now() + MAX_WAIT;
        let keys = self
            .reserve_at_once(keys, &mut rows, known_device, done, flight)
            .await?;
        for mut reserved in keys {
            let mut tries = 0;
            loop {
                let now = self.clock.now();
                let old = counter_of(&rows, &reserved.key);
                let exempt = reserved.exempt(known_device);
                if let Some(o) = old
                    && o.locked_until > now
                    && !exempt
                {
                    return Ok(Err(Locked(whole_seconds(o.locked_until - now))));
                }
                let new = self.next(old, &reserved, now);
                // This reservation would set a lock while other attempts on
                // the counter are being checked: wait for them to settle
                // (they may succeed and clear it), then read it again.
                let settled = (new.locked_until > now && !exempt)
                    .then(|| self.in_flight.settled(&reserved.key))
                    .flatten();
                if let Some(settled) = settled {
                    if tokio::time::timeout_at(deadline, settled).await.is_err() {
                        return Ok(Err(Locked(Duration::seconds(1))));
                    }
                    *waited = true;
                    self.reread(&reserved.key, &mut rows).await?;
                    continue;
                }
                // In flight before the write: an attempt that reads the
                // new count also sees this one in flight, and waits.
                flight.enter(&reserved.key);
                let swapped = self.repo.swap_throttle(&reserved.key, old, new).await;
                if !matches!(swapped, Ok(true)) {
                    flight.leave(&reserved.key);
                }
                if swapped? {
                    reserved.made(old, new);
                    break;
                }
                tries += 1;
                if tries >= SWAP_TRIES {
                    // Contended beyond reason: refuse rather than guess.
                    return Ok(Err(Locked(Duration::seconds(1))));
                }
                // Another attempt changed the counter: read it again.
                self.reread(&reserved.key, &mut rows).await?;
            }
            done.push(reserved);
        }
        Ok(Ok(()))
    }

    /// The common case in one write: no counter is locked and no
    /// reservation would set a lock, so none has to wait for attempts in
    /// flight. The counters expected absent are inserted, those read are
    /// swapped ([`ThrottleRepo::swap_throttles`]); each still changes only
    /// if it is as read. Returns the keys left for [`Self::reserve`]'s loop: none
    /// when every swap went through; all of them when the case does not
    /// hold, or when another attempt changed a counter first. Then what
    /// this write reserved is taken back and the counters read again: the
    /// loop reserves keys in their order and waits only on later ones, so
    /// two attempts never wait on each other, which keeping some of this
    /// write's reservations could make them do.
    async fn reserve_at_once(
        &self,
        keys: Vec<Reserved>,
        rows: &mut Vec<(String, Counter)>,
        known_device: bool,
        done: &mut Vec<Reserved>,
        flight: &mut Flight,
    ) -> Result<Vec<Reserved>, RepoError> {
        let now = self.clock.now();
        let mut planned = Vec::with_capacity(keys.len());
        for (place, reserved) in keys.iter().enumerate() {
            let old = counter_of(rows, &reserved.key);
            let new = self.next(old, reserved, now);
            let locked = old.is_some_and(|o| o.locked_until > now);
            if (locked || new.locked_until > now) && !reserved.exempt(known_device) {
                return Ok(keys);
            }
            planned.push((place, old, new));
        }
        // In flight before the write, as in the loop.
        for reserved in &keys {
            flight.enter(&reserved.key);
        }
        let start = done.len();
        let pending: Vec<_> = keys.into_iter().zip(planned).collect();
        let mut left = Vec::new();
        // Where in the attempt's keys each of this write's reservations in
        // `done` came (they follow `start`).
        let mut won_places = Vec::new();
        // The absent and the read in one write (on SQLite one transaction,
        // one round trip to its worker thread). On an error the attempt
        // ends: its flight is left when dropped, and what `done` holds is
        // taken back; a write of several statements (PostgreSQL) may leave
        // the first one's counted, never too little.
        let swaps: Vec<_> = pending
            .iter()
            .map(|(reserved, (_, old, new))| (reserved.key.as_str(), *old, *new))
            .collect();
        let swapped = self.repo.swap_throttles(&swaps).await?;
        for (mut reserved, (place, old, new)) in pending {
            if swapped.contains(&reserved.key) {
                reserved.made(old, new);
                done.push(reserved);
                won_places.push(place);
            } else {
                flight.leave(&reserved.key);
                left.push((place, reserved));
            }
        }
        if left.is_empty() {
            return Ok(Vec::new());
        }
        // Another attempt came first: back to the loop, from a clean start.
        let won = done.split_off(start);
        for reserved in &won {
            flight.leave(&reserved.key);
        }
        // Should taking them back fail, the caller will not try again
        // (they are out of `done`): counted too much, never too little.
        self.undo(&won).await?;
        left.extend(
            won_places
                .into_iter()
                .zip(won.into_iter().map(Reserved::unreserved)),
        );
        // In the order the attempt's keys came in, which the loop keeps.
        left.sort_by_key(|(place, _)| *place);
        let left: Vec<Reserved> = left.into_iter().map(|(_, reserved)| reserved).collect();
        let names: Vec<&str> = left.iter().map(|k| k.key.as_str()).collect();
        *rows = self.repo.throttle_counters(&names).await?;
        Ok(left)
    }

    /// Reads one counter again into `rows`.
    async fn reread(&self, key: &str, rows: &mut Vec<(String, Counter)>) -> Result<(), RepoError> {
        let fresh = self.repo.throttle_counters(&[key]).await?;
        rows.retain(|(k, _)| k != key);
        rows.extend(fresh);
        Ok(())
    }

    /// Takes back reservations of an attempt that will not be made.
    async fn undo(&self, reserved: &[Reserved]) -> Result<(), RepoError> {
        self.repo.undo_throttles(&undo_list(reserved)).await
    }

    /// The attempt was not checked after all (busy, storage failure): its
    /// reservations are taken back.
    pub async fn cancel(&self, attempt: Attempt) -> Result<(), RepoError> {
        self.undo(&attempt.reserved).await
    }

    /// The attempt succeeded: its reservation is taken back. `complete` is
    /// true when every factor is proved; a password that still needs its
    /// second factor does not clear the account's counter, so knowing the
    /// password never resets the count of guessed codes.
    pub async fn succeeded(&self, attempt: Attempt, complete: bool) -> Result<(), RepoError> {
        let (cleared, taken_back): (Vec<&Reserved>, Vec<&Reserved>) =
            attempt.reserved.iter().partition(|r| match r.kind {
                Kind::Name | Kind::Device => true,
                Kind::Account => complete,
                Kind::Address | Kind::Network => false,
            });
        let cleared: Vec<&str> = cleared.iter().map(|r| r.key.as_str()).collect();
        let taken_back: Vec<_> = taken_back.into_iter().map(Reserved::take_back).collect();
        self.repo.settle_throttles(&cleared, &taken_back).await
    }

    /// The attempt failed: it stays counted (its lock, if any, is already
    /// set); says what it set off.
    pub fn failed(&self, attempt: Attempt) -> Failure {
        let reached = |kind: Kind| {
            attempt
                .reserved
                .iter()
                .any(|r| r.kind == kind && r.count == r.free)
        };
        Failure {
            name_locked: reached(Kind::Name),
            attack_suspected: reached(Kind::Address) || reached(Kind::Network),
            account_locked: reached(Kind::Account),
            account_barred: attempt.reserved.iter().any(|r| {
                r.kind == Kind::Account && r.count == self.config.max_consecutive_failures
            }),
        }
    }

    /// Clears every counter of a login name (operator unlock): its
    /// password and second-factor counters, from every network.
    pub async fn clear_name(&self, login: &str) -> Result<(), RepoError> {
        let login = login.trim().to_lowercase();
        self.repo
            .clear_throttle_prefix(&format!("name:{login}@"))
            .await?;
        self.repo
            .clear_throttle_prefix(&format!("mfa:{login}@"))
            .await
    }

    /// The account's owner proved every factor with a passkey: the
    /// account-wide counter starts again, as after a correct code.
    pub async fn account_proved(&self, account: &str) -> Result<(), RepoError> {
        self.repo
            .clear_throttle_counters(&[&account_key(Some(account), "")])
            .await
    }

    /// Clears the account-wide counters of an account (operator unlock,
    /// password reset): its own, and those counted under its names before
    /// it existed locally (a directory user's first sign-ins).
    pub async fn clear_account(&self, account: &str, names: &[&str]) -> Result<(), RepoError> {
        self.repo
            .clear_throttle_prefix(&format!("dev:{account}:"))
            .await?;
        let mut keys = vec![account_key(Some(account), "")];
        keys.extend(names.iter().map(|name| account_key(None, name)));
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.repo.clear_throttle_counters(&keys).await
    }
}

/// The counter under `key` among `rows`, if there is one.
fn counter_of(rows: &[(String, Counter)], key: &str) -> Option<Counter> {
    rows.iter().find(|(k, _)| k == key).map(|(_, c)| *c)
}

/// What taking `reserved` back writes ([`Reserved::take_back`] of each).
fn undo_list(reserved: &[Reserved]) -> Vec<(&str, OffsetDateTime, OffsetDateTime)> {
    reserved.iter().map(Reserved::take_back).collect()
}

impl Reserved {
    /// A known device is not held back by the account's lock.
    fn exempt(&self, known_device: bool) -> bool {
        self.kind == Kind::Account && known_device
    }

    /// Records that the attempt moved the counter from `old` to `new`.
    fn made(&mut self, old: Option<Counter>, new: Counter) {
        self.count = new.failures;
        let before = old.map_or(OffsetDateTime::UNIX_EPOCH, |o| o.locked_until);
        self.locks = (before, new.locked_until);
    }

    /// The key as before it was reserved.
    fn unreserved(self) -> Self {
        Reserved {
            count: 0,
            locks: (OffsetDateTime::UNIX_EPOCH, OffsetDateTime::UNIX_EPOCH),
            ..self
        }
    }

    /// What taking this reservation back writes: its key, the lock it set
    /// and the one before.
    fn take_back(&self) -> (&str, OffsetDateTime, OffsetDateTime) {
        (self.key.as_str(), self.locks.1, self.locks.0)
    }
}

/// Whole seconds, rounded up, as `Retry-After` counts them.
fn whole_seconds(wait: Duration) -> Duration {
    Duration::seconds(wait.whole_seconds() + i64::from(wait.subsec_nanoseconds() > 0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use async_trait::async_trait;

    /// Counters in memory, as the store keeps them, counting the writes;
    /// `meddle` is one change another attempt makes just before the first
    /// write of several counters at once lands.
    #[derive(Default)]
    struct Counters {
        rows: Mutex<HashMap<String, Counter>>,
        meddle: Mutex<Option<(String, Counter)>>,
        one_by_one: Mutex<Vec<String>>,
        at_once: Mutex<usize>,
        /// The write of several counters at once (counted from 1) that
        /// fails, as a database that went away would.
        failing: Mutex<Option<usize>>,
    }

    impl Counters {
        fn get(&self, key: &str) -> Option<Counter> {
            self.rows.lock().unwrap().get(key).copied()
        }

        fn swap(&self, key: &str, expected: Option<Counter>, new: Counter) -> bool {
            let mut rows = self.rows.lock().unwrap();
            if rows.get(key).copied() != expected {
                return false;
            }
            rows.insert(key.to_owned(), new);
            true
        }
    }

    #[async_trait]
    impl ThrottleRepo for Counters {
        async fn throttle_counters(
            &self,
            keys: &[&str],
        ) -> Result<Vec<(String, Counter)>, RepoError> {
            let rows = self.rows.lock().unwrap();
            Ok(keys
                .iter()
                .filter_map(|k| rows.get(*k).map(|c| ((*k).to_owned(), *c)))
                .collect())
        }

        async fn swap_throttle(
            &self,
            key: &str,
            expected: Option<Counter>,
            new: Counter,
        ) -> Result<bool, RepoError> {
            self.one_by_one.lock().unwrap().push(key.to_owned());
            Ok(self.swap(key, expected, new))
        }

        async fn swap_throttles(
            &self,
            swaps: &[(&str, Option<Counter>, Counter)],
        ) -> Result<Vec<String>, RepoError> {
            let nth = {
                let mut at_once = self.at_once.lock().unwrap();
                *at_once += 1;
                *at_once
            };
            if *self.failing.lock().unwrap() == Some(nth) {
                return Err(RepoError::Unavailable("the database went away".into()));
            }
            if let Some((key, counter)) = self.meddle.lock().unwrap().take() {
                self.rows.lock().unwrap().insert(key, counter);
            }
            Ok(swaps
                .iter()
                .filter(|(key, expected, new)| self.swap(key, *expected, *new))
                .map(|(key, _, _)| (*key).to_owned())
                .collect())
        }

        async fn undo_throttles(
            &self,
            undo: &[(&str, OffsetDateTime, OffsetDateTime)],
        ) -> Result<(), RepoError> {
            let mut rows = self.rows.lock().unwrap();
            for (key, set, previous) in undo {
                if let Some(c) = rows.get_mut(*key) {
                    c.failures = (c.failures - 1).max(0);
                    if c.locked_until == *set {
                        c.locked_until = *previous;
                    }
                }
            }
            Ok(())
        }

        async fn clear_throttle_counters(&self, keys: &[&str]) -> Result<(), RepoError> {
            let mut rows = self.rows.lock().unwrap();
            keys.iter().for_each(|k| {
                rows.remove(*k);
            });
            Ok(())
        }

        async fn clear_throttle_prefix(&self, prefix: &str) -> Result<(), RepoError> {
            self.rows
                .lock()
                .unwrap()
                .retain(|k, _| !k.starts_with(prefix));
            Ok(())
        }
    }

    const KEYS: [&str; 4] = [
        "name:vic@10.9.0.0/24",
        "addr:10.9.0.1",
        "net:10.9.0.0/24",
        "acct:vic",
    ];

    fn throttle(counters: &Arc<Counters>) -> LoginThrottle {
        let clock = Arc::new(ManualClock::new(
            time::macros::datetime!(2026-12-07 03:00 UTC),
        ));
        LoginThrottle::new(counters.clone(), clock, ThrottleConfig::default())
    }

    fn target() -> Target {
        Target {
            account: Some("vic".to_owned()),
            ..Target::default()
        }
    }

    fn ip() -> Option<IpAddr> {
        Some("10.9.0.1".parse().unwrap())
    }

    /// An attempt of `name` on vic's account from [`ip`], let through.
    async fn attempt(throttle: &LoginThrottle, name: &str) -> Attempt {
        throttle
            .attempt(name, ip(), &target())
            .await
            .unwrap()
            .unwrap()
    }

    fn failures(counters: &Counters) -> Vec<i64> {
        KEYS.iter()
            .map(|k| counters.get(k).map_or(-1, |c| c.failures))
            .collect()
    }

    /// The common case: every counter of an attempt counted in one write,
    /// absent ones and those read alike, none one by one.
    #[tokio::test]
    async fn an_attempt_is_counted_in_one_write() {
        let counters = Arc::new(Counters::default());
        let throttle = throttle(&counters);
        assert_eq!(account_key(Some("vic"), "vic"), KEYS[3]);
        let first = attempt(&throttle, "Vic").await;
        assert_eq!(failures(&counters), [1, 1, 1, 1]);
        assert_eq!(
            *counters.at_once.lock().unwrap(),
            1,
            "all four absent: one write"
        );
        let second = attempt(&throttle, "vic").await;
        assert_eq!(failures(&counters), [2, 2, 2, 2]);
        assert_eq!(*counters.at_once.lock().unwrap(), 2);
        throttle.failed(first);
        throttle.failed(second);
        // A success clears the name and the account: the next attempt has
        // two counters absent and two read, still one write.
        let right = attempt(&throttle, "vic").await;
        throttle.succeeded(right, true).await.unwrap();
        assert_eq!(failures(&counters), [-1, 2, 2, -1]);
        let mixed = attempt(&throttle, "vic").await;
        assert_eq!(failures(&counters), [1, 3, 3, 1]);
        assert_eq!(*counters.at_once.lock().unwrap(), 4, "one write each");
        assert!(counters.one_by_one.lock().unwrap().is_empty());
        throttle.failed(mixed);
    }

    /// Another attempt changes a counter between this one's read and its
    /// write: what the write reserved is taken back and every counter is
    /// counted again key by key, each exactly once on top of the other
    /// attempt's count; nothing stays in flight.
    #[tokio::test]
    async fn a_counter_changed_first_is_counted_again_key_by_key() {
        let counters = Arc::new(Counters::default());
        let throttle = throttle(&counters);
        let first = attempt(&throttle, "vic").await;
        throttle.failed(first);
        let mut changed = counters.get(KEYS[2]).unwrap();
        changed.failures += 5;
        *counters.meddle.lock().unwrap() = Some((KEYS[2].to_owned(), changed));
        let attempt = attempt(&throttle, "vic").await;
        assert_eq!(failures(&counters), [2, 2, 7, 2]);
        assert_eq!(
            *counters.one_by_one.lock().unwrap(),
            KEYS,
            "all four again, in the attempt's order"
        );
        assert!(!attempt.waited);
        // Settled as a success: the name and the account cleared, the
        // address and the network taken back.
        throttle.succeeded(attempt, true).await.unwrap();
        assert_eq!(failures(&counters), [-1, 1, 6, -1]);
        assert!(throttle.in_flight.keys.lock().unwrap().is_empty());
    }

    /// A reservation that would lock a counter never takes the one write:
    /// the key-by-key loop decides, as before.
    #[tokio::test]
    async fn a_reservation_that_would_lock_goes_key_by_key() {
        let counters = Arc::new(Counters::default());
        let throttle = throttle(&counters);
        for _ in 0..4 {
            let attempt = attempt(&throttle, "vic").await;
            throttle.failed(attempt);
        }
        assert_eq!(*counters.at_once.lock().unwrap(), 4, "each at once");
        // The fifth failure of the name locks it (five are free).
        let fifth = attempt(&throttle, "vic").await;
        assert_eq!(*counters.at_once.lock().unwrap(), 4, "not at once");
        assert_eq!(*counters.one_by_one.lock().unwrap(), KEYS);
        assert_eq!(failures(&counters), [5, 5, 5, 5]);
        assert!(counters.get(KEYS[0]).unwrap().locked_until > OffsetDateTime::UNIX_EPOCH);
        throttle.failed(fifth);
    }

    /// The write of an attempt fails (absent and read counters in one):
    /// the attempt fails, nothing is reserved, and it is in flight on no
    /// key.
    #[tokio::test]
    async fn a_write_that_fails_leaves_nothing_reserved_or_in_flight() {
        let counters = Arc::new(Counters::default());
        let throttle = throttle(&counters);
        let read = Counter {
            failures: 1,
            locked_until: OffsetDateTime::UNIX_EPOCH,
            last_failure_at: time::macros::datetime!(2026-12-07 02:59 UTC),
        };
        for key in [KEYS[0], KEYS[3]] {
            counters.rows.lock().unwrap().insert(key.to_owned(), read);
        }
        *counters.failing.lock().unwrap() = Some(1);
        let failed = throttle.attempt("vic", ip(), &target()).await;
        assert!(matches!(failed, Err(RepoError::Unavailable(_))));
        assert_eq!(
            *counters.at_once.lock().unwrap(),
            1,
            "absent and read at once"
        );
        assert_eq!(failures(&counters), [1, -1, -1, 1], "nothing counted");
        assert!(throttle.in_flight.keys.lock().unwrap().is_empty());
        // The next attempt counts every key once.
        *counters.failing.lock().unwrap() = None;
        let next = attempt(&throttle, "vic").await;
        assert_eq!(failures(&counters), [2, 1, 1, 2]);
        throttle.failed(next);
    }
}
