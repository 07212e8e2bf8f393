//! The bounded pool that runs password hashing.
//!
//! Argon2id is deliberately slow and memory-hard. Running it on the async
//! runtime would stall every other request, and running an unbounded number at
//! once would let a login flood exhaust memory and starve signed-in users. So
//! exactly `workers` dedicated OS threads (one per core by default) run the
//! hashes, at most `queue` more jobs wait in a bounded channel, and anything
//! beyond that is refused at once with [`PoolBusy`] (the web layer answers
//! 503 + Retry-After).
//!
//! Dedicated long-lived threads rather than tokio's `spawn_blocking`: each
//! thread owns its Argon2id working memory (19 MiB, `rampart_crypto`'s
//! per-thread blocks) and reuses it for every hash and verification, so the
//! pool's memory is `workers` × Argon2id memory whatever the load
//! (`tests/hash_memory.rs`; figures in `docs/benchmarks.md`).
//!
//! During a wrong-password flood the last thread takes no new job while
//! signed-in people are being served and the pool is saturated, unless
//! sign-ins would wait too long (see `flood`): signed-in people keep a core.

use super::flood::FloodWatch;
use rampart_crypto::PasswordHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// The pool is full; try again shortly.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the password hashing pool is at capacity; retry in a moment")]
pub struct PoolBusy;

type Job = Box<dyn FnOnce(&PasswordHasher) + Send>;

/// Runs [`PasswordHasher`] work on dedicated threads with a bounded queue.
#[derive(Clone)]
pub struct HashPool {
    jobs: mpsc::Sender<Job>,
    admitted: Arc<AtomicUsize>,
    capacity: usize,
    workers: usize,
    waits: Arc<WaitStats>,
    flood: Arc<FloodWatch>,
}

/// How long jobs waited for a hashing thread (for `/metrics`).
#[derive(Debug, Default)]
pub struct WaitStats {
    jobs: AtomicU64,
    waited_micros: AtomicU64,
    /// The wait of the job started last.
    latest_micros: AtomicU64,
}

impl WaitStats {
    fn record(&self, waited: std::time::Duration) {
        let micros = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        self.jobs.fetch_add(1, Ordering::Relaxed);
        self.waited_micros.fetch_add(micros, Ordering::Relaxed);
        self.latest_micros.store(micros, Ordering::Relaxed);
    }

    /// How long the job started last waited for a thread.
    fn latest(&self) -> std::time::Duration {
        std::time::Duration::from_micros(self.latest_micros.load(Ordering::Relaxed))
    }

    /// Jobs started so far, and their total wait in seconds.
    pub fn totals(&self) -> (u64, f64) {
        (
            self.jobs.load(Ordering::Relaxed),
            self.waited_micros.load(Ordering::Relaxed) as f64 / 1e6,
        )
    }
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool")
            .field("capacity", &self.capacity)
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

/// Releases a slot of the admission counter when dropped.
struct Admission(Arc<AtomicUsize>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How often the last hashing thread, leaving its core during a flood,
/// looks again whether it may hash.
const YIELD_POLL: std::time::Duration = std::time::Duration::from_millis(5);

/// The last hashing thread leaves its core during a flood only while the
/// job started last waited less than this: what stepping aside may cost a
/// sign-in is bounded (see `flood`).
pub const YIELD_WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(1);

/// The niceness of a hashing thread: 5, where request handling has 0.
pub const HASHING_NICENESS: i32 = 5;

/// Lowers the calling (hashing) thread's scheduling priority to
/// [`HASHING_NICENESS`]. Hashes take every core a flood of wrong passwords
/// gives them; at nice 5 the kernel gives a runnable request thread about
/// three times the CPU share of a hashing one, so signed-in people's pages
/// stay fast during such a flood while hashing still takes every idle cycle.
/// Lowering a priority needs no privilege; if it fails, hashing runs at the
/// normal priority.
fn yield_to_requests() {
    use thread_priority::{ThreadPriority, ThreadPriorityValue};
    // The crate maps 0..=99 onto niceness 19..=-20 (rounding down): 35 is
    // nice 5 (the unit test reads it back from the kernel).
    let lowered = ThreadPriorityValue::try_from(35_u8)
        .map_err(|e| e.to_string())
        .and_then(|value| {
            ThreadPriority::Crossplatform(value)
                .set_for_current()
                .map_err(|e| format!("{e:?}"))
        });
    if let Err(error) = lowered {
        tracing::warn!(error, "could not lower a hashing thread's priority");
    }
}

impl HashPool {
    /// A pool of `workers` threads with room for `queue` waiting jobs. The
    /// threads end when the last handle to the pool is dropped.
    pub fn new(hasher: PasswordHasher, workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        let (jobs, rx) = mpsc::channel::<Job>(workers + queue);
        let rx = Arc::new(Mutex::new(rx));
        let flood = Arc::new(FloodWatch::default());
        let admitted = Arc::new(AtomicUsize::new(0));
        let waits = Arc::new(WaitStats::default());
        for n in 0..workers {
            let rx = rx.clone();
            let hasher = hasher.clone();
            // With one thread there is no core to leave.
            let last = (workers > 1 && n == workers - 1)
                .then(|| (flood.clone(), admitted.clone(), waits.clone()));
            let spawned = std::thread::Builder::new()
                .name(format!("rampart-hash-{n}"))
                .spawn(move || {
                    yield_to_requests();
                    loop {
                        if let Some((flood, admitted, waits)) = &last {
                            // Saturated, and sign-ins not kept waiting long.
                            let spares = || {
                                admitted.load(Ordering::Acquire) >= workers
                                    && waits.latest() < YIELD_WAIT_LIMIT
                            };
                            flood.wait_while_yielding(YIELD_POLL, spares);
                        }
                        let job = match rx.lock() {
                            Ok(mut rx) => rx.blocking_recv(),
                            Err(_) => None,
                        };
                        match job {
                            Some(job) => job(&hasher),
                            None => return,
                        }
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(error = %err, "could not start a password hashing thread");
            }
        }
        Self {
            jobs,
            admitted,
            capacity: workers + queue,
            workers,
            waits,
            flood,
        }
    }

    /// What the last hashing thread watches during a flood: the session
    /// check notes signed-in requests on it, the sign-in refused passwords.
    pub fn flood_watch(&self) -> &Arc<FloodWatch> {
        &self.flood
    }

    /// Jobs running or waiting at most (workers + queue).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many hashing threads run jobs.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// How long jobs have waited for a thread.
    pub fn waits(&self) -> &WaitStats {
        &self.waits
    }

    /// How many jobs are running or waiting right now.
    pub fn in_flight(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }

    /// Runs `job` with the hasher on a hashing thread, or refuses at once when
    /// the workers and the queue are full.
    pub async fn run<T, F>(&self, job: F) -> Result<T, PoolBusy>
    where
        F: FnOnce(&PasswordHasher) -> T + Send + 'static,
        T: Send + 'static,
    {
        let before = self.admitted.fetch_add(1, Ordering::AcqRel);
        let admission = Admission(self.admitted.clone());
        if before >= self.capacity {
            return Err(PoolBusy);
        }
        let (done, result) = oneshot::channel();
        let queued_at = std::time::Instant::now();
        let waits = self.waits.clone();
        // The admission moves into the job, so a request cancelled while its
        // hash runs still counts until the hash really ends.
        // The slot is given back before the answer is sent, so a caller that
        // has its answer never sees its own job still counted.
        let wrapped: Job = Box::new(move |hasher| {
            waits.record(queued_at.elapsed());
            let answer = job(hasher);
            drop(admission);
            let _ = done.send(answer);
        });
        self.jobs.try_send(wrapped).map_err(|_| PoolBusy)?;
        result.await.map_err(|_| PoolBusy)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// The hashing threads run at nice 5 (read back from the kernel), the
    /// rest of the process at 0: a flood of wrong passwords cannot take the
    /// request threads' share of the cores.
    #[cfg(target_os = "linux")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_threads_yield_to_request_threads() {
        let niceness = |stat: &str| -> i32 {
            // Field 19 of /proc/…/stat, counted after the parenthesised name.
            let after_name = &stat[stat.rfind(')').unwrap() + 2..];
            after_name.split(' ').nth(16).unwrap().parse().unwrap()
        };
        // Read by the pool's own threads (other tests' pools may be alive
        // in this process too): jobs sent at once reach both.
        let pool = new_pool();
        let mut running = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let pool = pool.clone();
            running.spawn(async move {
                pool.run(move |_| {
                    std::thread::sleep(Duration::from_millis(20));
                    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
                    let name = std::thread::current().name().unwrap_or_default().to_owned();
                    (name, niceness(&stat))
                })
                .await
                .unwrap()
            });
        }
        let mut seen = std::collections::BTreeMap::new();
        while let Some(done) = running.join_next().await {
            let (name, nice) = done.unwrap();
            seen.insert(name, nice);
        }
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            [
                ("rampart-hash-0".to_owned(), HASHING_NICENESS),
                ("rampart-hash-1".to_owned(), HASHING_NICENESS)
            ],
            "both hashing threads at nice {HASHING_NICENESS}"
        );
        let me = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        assert_eq!(niceness(&me), 0, "the caller keeps its priority");
    }

    /// A pool of two threads, as on a two-core machine.
    fn new_pool() -> HashPool {
        HashPool::new(PasswordHasher::new(64, 1, 1).unwrap(), 2, 64)
    }

    /// The same, with a flood on.
    fn flooded_pool() -> HashPool {
        let pool = new_pool();
        for _ in 0..super::super::flood::FLOOD_REFUSALS {
            pool.flood_watch().refused_password();
        }
        pool
    }

    /// A job that takes `each` and answers the name of the thread it ran on.
    fn named_job(each: Duration) -> impl FnOnce(&PasswordHasher) -> String + Send + 'static {
        move |_| {
            std::thread::sleep(each);
            std::thread::current().name().unwrap_or_default().to_owned()
        }
    }

    /// How many of `names` are the last hashing thread's.
    fn on_last(names: &[String]) -> usize {
        names.iter().filter(|n| *n == "rampart-hash-1").count()
    }

    /// Which hashing threads ran `jobs` jobs of `each`, sent at once, with
    /// signed-in people served meanwhile (`signed_in`) or not.
    async fn threads_that_hashed(
        pool: &HashPool,
        jobs: usize,
        each: Duration,
        signed_in: bool,
    ) -> Vec<String> {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let serving = {
            let (stop, flood) = (stop.clone(), pool.flood_watch().clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if signed_in {
                        flood.signed_in_request();
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        };
        // Signed-in traffic seen before the jobs come.
        std::thread::sleep(Duration::from_millis(20));
        let mut running = tokio::task::JoinSet::new();
        for _ in 0..jobs {
            let pool = pool.clone();
            running.spawn(async move { pool.run(named_job(each)).await.unwrap() });
        }
        let mut names = Vec::new();
        while let Some(name) = running.join_next().await {
            names.push(name.unwrap());
        }
        stop.store(true, Ordering::Relaxed);
        serving.join().unwrap();
        names
    }

    /// During a flood, while signed-in people are served, the last hashing
    /// thread takes no new job (at most the one it was already waiting
    /// for); with the flood over, or nobody signed in, both threads hash.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_last_thread_leaves_its_core_to_signed_in_people_during_a_flood() {
        // 12 jobs of 20 ms on two threads: about 6 each when both hash.
        let each = Duration::from_millis(20);
        for (pool, signed_in, case) in [
            (new_pool(), true, "no flood"),
            (flooded_pool(), false, "nobody signed in"),
        ] {
            let names = threads_that_hashed(&pool, 12, each, signed_in).await;
            assert!(
                on_last(&names) >= 3,
                "{case}, yet one thread hashed: {names:?}"
            );
            assert_eq!(pool.flood_watch().yields(), 0, "{case}");
        }
        // The last thread runs the job it was already waiting for, and may
        // take the very last (the pool no longer saturated), no more.
        let pool = flooded_pool();
        let names = threads_that_hashed(&pool, 12, each, true).await;
        assert_eq!(names.len(), 12);
        assert!(
            on_last(&names) <= 2,
            "the last thread kept hashing: {names:?}"
        );
        assert!(pool.flood_watch().yields() >= 1);
    }

    /// Stepping aside costs a sign-in at most about `YIELD_WAIT_LIMIT`:
    /// once jobs wait longer for the one thread left, the last one hashes
    /// again, flood or not.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_last_thread_comes_back_before_sign_ins_wait_too_long() {
        let pool = flooded_pool();
        // 60 jobs of 40 ms: on one thread the last would wait 2.4 s.
        let names = threads_that_hashed(&pool, 60, Duration::from_millis(40), true).await;
        assert!(pool.flood_watch().yields() >= 1, "it never stepped aside");
        assert!(on_last(&names) >= 3, "it stayed aside: {names:?}");
    }

    /// A few refused passwords do not take a core from the sign-ins: with
    /// jobs coming one at a time (the pool never saturated), the last
    /// thread hashes on, flood or not.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_last_thread_leaves_its_core_only_while_the_pool_is_saturated() {
        let pool = flooded_pool();
        let mut names = Vec::new();
        for _ in 0..12 {
            pool.flood_watch().signed_in_request();
            // 5 ms: long enough for the other thread to wait for the next.
            names.push(pool.run(named_job(Duration::from_millis(5))).await.unwrap());
        }
        assert!(
            on_last(&names) >= 2,
            "the last thread stopped hashing: {names:?}"
        );
        assert_eq!(pool.flood_watch().yields(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn overflow_is_refused_not_queued_forever() {
        let pool = HashPool::new(PasswordHasher::new(64, 1, 1).unwrap(), 1, 1);
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(std::sync::Mutex::new(release_rx));
        let mut running = Vec::new();
        for _ in 0..2 {
            let pool = pool.clone();
            let rx = release_rx.clone();
            running.push(tokio::spawn(async move {
                pool.run(move |_| {
                    let _ = rx.lock().unwrap().recv_timeout(Duration::from_secs(10));
                })
                .await
            }));
        }
        while pool.in_flight() < 2 {
            tokio::task::yield_now().await;
        }
        assert!(pool.run(|_| ()).await.is_err(), "third job must be refused");
        release_tx.send(()).unwrap();
        release_tx.send(()).unwrap();
        for job in running {
            job.await.unwrap().unwrap();
        }
        assert_eq!(pool.in_flight(), 0);
        assert!(pool.run(|_| 7).await.is_ok());
    }
}
