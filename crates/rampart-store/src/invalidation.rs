//! The invalidation feed (see `rampart_core::coherence`): on PostgreSQL a
//! `LISTEN rampart_invalidate` connection, on SQLite a poll of the
//! `cache_invalidations` table. Both are filled by triggers in the changing
//! transaction (migration 0015). When the feed is lost the caches go off,
//! and the feed reconnects with back-off; when it is back every cached
//! entry is re-read before it answers again.

use crate::backend::Store;
use crate::embedded::EmbeddedPool;
use rampart_core::UserId;
use rampart_core::coherence::CacheCoherence;
use sqlx::postgres::{PgListener, PgPool};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The PostgreSQL channel the triggers notify.
pub const CHANNEL: &str = "rampart_invalidate";

/// The most rows of SQLite's table read at once.
const BATCH: i64 = 1000;

/// How often SQLite's table is read.
const POLL_EVERY: Duration = Duration::from_millis(200);

/// SQLite's table is pruned every this many polls (about 5 minutes).
const PRUNE_EVERY_POLLS: u64 = 1500;

/// Rows older than this are pruned from SQLite's table.
const KEEP_SECONDS: i64 = 300;

/// Back-off between reconnection attempts: doubles from 100 ms up to 10 s.
struct Backoff(Duration);

impl Backoff {
    fn new() -> Self {
        Self(Duration::from_millis(100))
    }

    fn next(&mut self) -> Duration {
        let wait = self.0;
        self.0 = (self.0 * 2).min(Duration::from_secs(10));
        wait
    }
}

impl Store {
    /// Follows committed changes until `shutdown` resolves, telling `caches`
    /// about each; `on_loss` is called each time the feed is lost.
    pub async fn follow_invalidations(
        &self,
        caches: Arc<CacheCoherence>,
        on_loss: impl Fn() + Send + Sync,
        shutdown: impl Future<Output = ()> + Send,
    ) {
        match self {
            Store::Postgres(pool) => {
                tokio::select! {
                    () = listen(pool, &caches, &on_loss) => {}
                    () = shutdown => {}
                }
            }
            Store::Sqlite(pool) => {
                tokio::select! {
                    () = poll(pool, &caches, &on_loss) => {}
                    () = shutdown => {}
                }
            }
        }
    }
}

fn lost(caches: &CacheCoherence, on_loss: &(impl Fn() + Send + Sync)) {
    caches.feed_lost();
    on_loss();
}

fn changed(caches: &CacheCoherence, payload: &str) {
    match UserId::parse(payload) {
        Some(user) => caches.account_changed(user),
        None => tracing::warn!(payload, "an invalidation names no account id; ignored"),
    }
}

/// Connects and listens; `None` (after logging) when that fails.
async fn listener(pool: &PgPool) -> Option<PgListener> {
    let attempt = async {
        let mut listener = PgListener::connect_with(pool).await?;
        // A lost connection is reported at once (not silently re-made
        // inside `try_recv`), so the caches go off before anything is missed.
        listener.eager_reconnect(false);
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    match attempt.await {
        Ok(listener) => Some(listener),
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for cache invalidations; the caches stay off");
            None
        }
    }
}

async fn listen(pool: &PgPool, caches: &CacheCoherence, on_loss: &(impl Fn() + Send + Sync)) {
    let mut backoff = Backoff::new();
    let mut first = true;
    loop {
        let Some(mut listener) = listener(pool).await else {
            if first {
                lost(caches, on_loss);
                first = false;
            }
            tokio::time::sleep(backoff.next()).await;
            continue;
        };
        // Changes made before LISTEN took effect were not heard: re-read all.
        caches.feed_restored();
        if !first {
            tracing::info!("listening for cache invalidations again");
        }
        first = false;
        backoff = Backoff::new();
        loop {
            match listener.try_recv().await {
                Ok(Some(notice)) => changed(caches, notice.payload()),
                Ok(None) => {
                    tracing::warn!(
                        "the cache invalidation connection was lost; caches off until it is back"
                    );
                    break;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the cache invalidation connection failed; caches off until it is back");
                    break;
                }
            }
        }
        lost(caches, on_loss);
        drop(listener);
        tokio::time::sleep(backoff.next()).await;
    }
}

async fn poll(pool: &EmbeddedPool, caches: &CacheCoherence, on_loss: &(impl Fn() + Send + Sync)) {
    let mut backoff = Backoff::new();
    let mut last: Option<i64> = None;
    let mut healthy = true;
    let mut polls: u64 = 0;
    loop {
        let result = async {
            let since = match last {
                Some(seq) => seq,
                None => {
                    sqlx::query_scalar::<_, i64>(
                        "SELECT COALESCE(MAX(seq), 0) FROM cache_invalidations",
                    )
                    .fetch_one(pool)
                    .await?
                }
            };
            let rows: Vec<(i64, String)> = sqlx::query_as(
                "SELECT seq, user_id FROM cache_invalidations WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(since)
            .bind(BATCH)
            .fetch_all(pool)
            .await?;
            Ok::<_, sqlx::Error>((since, rows))
        }
        .await;
        match result {
            Ok((since, rows)) => {
                if !healthy {
                    tracing::info!("reading cache invalidations again");
                    caches.feed_restored();
                    healthy = true;
                    backoff = Backoff::new();
                }
                last = Some(rows.last().map_or(since, |(seq, _)| *seq));
                let accounts: std::collections::BTreeSet<&str> =
                    rows.iter().map(|(_, user)| user.as_str()).collect();
                for user in accounts {
                    changed(caches, user);
                }
                if rows.len() == BATCH as usize {
                    // A burst (a purge of many sessions): read on at once.
                    continue;
                }
            }
            Err(err) => {
                if healthy {
                    tracing::warn!(error = %err, "cannot read cache invalidations; caches off until it works");
                    lost(caches, on_loss);
                    healthy = false;
                }
                tokio::time::sleep(backoff.next()).await;
                continue;
            }
        }
        polls += 1;
        if polls.is_multiple_of(PRUNE_EVERY_POLLS)
            && let Err(err) = sqlx::query(
                "DELETE FROM cache_invalidations WHERE at < CAST(strftime('%s', 'now') AS INTEGER) - $1",
            )
            .bind(KEEP_SECONDS)
            .execute(pool)
            .await
        {
            tracing::warn!(error = %err, "could not prune old cache invalidations");
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
