//! Statements on `rate_limits`: one GCRA step per request, in one statement.

use crate::backend::{Store, exec, fetch, on_pool};
use async_trait::async_trait;
use rampart_core::ports::{RateRepo, RepoError};

#[async_trait]
impl RateRepo for Store {
    async fn gcra_step(
        &self,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
        window_ms: i64,
    ) -> Result<(bool, i64), RepoError> {
        // `base` is max(tat, now); the request fits when base + interval
        // lies within one window of now. Every SET expression reads the old row.
        on_pool!(self, |pool| {
            fetch!(
                pool,
                query_as,
                fetch_one,
                "INSERT INTO rate_limits (key, tat_ms, allowed) VALUES ($1, $2 + $3, TRUE) \
                 ON CONFLICT (key) DO UPDATE SET \
                 allowed = (CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END) + $3 - $2 <= $4, \
                 tat_ms = CASE \
                 WHEN (CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END) + $3 - $2 <= $4 \
                 THEN (CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END) + $3 \
                 ELSE rate_limits.tat_ms END \
                 RETURNING allowed, tat_ms",
                key,
                now_ms,
                interval_ms,
                window_ms,
            )
        })
    }

    async fn purge_drained(&self, now_ms: i64) -> Result<u64, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM rate_limits WHERE tat_ms < $1",
            now_ms
        ))
    }
}
