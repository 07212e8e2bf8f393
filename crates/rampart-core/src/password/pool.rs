//! The bounded pool that runs password hashing.
//!
//! Argon2id is deliberately slow and memory-hard. Running it on the async
//! runtime would stall every other request, and running an unbounded number at
//! once would let a login flood exhaust memory and starve signed-in users. So
//! at most `workers` hashes run at a time (one per core by default) on tokio's
//! blocking threads, at most `queue` more wait, and anything beyond that is
//! refused at once with [`PoolBusy`] (the web layer answers 503 + Retry-After).

use rampart_crypto::PasswordHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// The pool is full; try again shortly.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the password hashing pool is at capacity; retry in a moment")]
pub struct PoolBusy;

/// Runs [`PasswordHasher`] work with bounded concurrency and a bounded queue.
#[derive(Clone)]
pub struct HashPool {
    hasher: PasswordHasher,
    workers: Arc<Semaphore>,
    admitted: Arc<AtomicUsize>,
    capacity: usize,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool")
            .field("hasher", &self.hasher)
            .field("capacity", &self.capacity)
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

impl HashPool {
    /// A pool of `workers` concurrent hashes with room for `queue` waiting ones.
    pub fn new(hasher: PasswordHasher, workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Self {
            hasher,
            workers: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(AtomicUsize::new(0)),
            capacity: workers + queue,
        }
    }

    /// How many jobs are running or waiting right now.
    pub fn in_flight(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }

    /// Runs `job` with the hasher on a blocking thread, or refuses at once when
    /// the pool and its queue are full.
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
        let permit = self
            .workers
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| PoolBusy)?;
        let hasher = self.hasher.clone();
        // The permit and admission move into the blocking task, so a request
        // cancelled mid-hash still counts until the hash really ends.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _admission = admission;
            job(&hasher)
        })
        .await
        .map_err(|_| PoolBusy)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

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
