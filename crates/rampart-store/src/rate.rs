//! Statements on `rate_limits`: one GCRA step per request, in one statement.

use crate::backend::{Store, on_pool};
use crate::error::repo_error;
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
            sqlx::query_as(
            "INSERT INTO rate_limits (key, tat_ms, allowed) VALUES ($1, $2 + $3, TRUE) \
             ON CONFLICT (key) DO UPDATE SET \
               allowed = (CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END) + $3 - $2 <= $4, \
               tat_ms = CASE \
                 WHEN (CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END) + $3 - $2 <= $4 \
                 THEN (CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END) + $3 \
                 ELSE rate_limits.tat_ms END \
             RETURNING allowed, tat_ms"
        )
        .bind(key)
        .bind(now_ms)
        .bind(interval_ms)
        .bind(window_ms)
        .fetch_one(pool)
        .await
        .map_err(repo_error)
        })
    }

    async fn purge_drained(&self, now_ms: i64) -> Result<u64, RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM rate_limits WHERE tat_ms < $1"
        )
        .bind(now_ms)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        .map_err(repo_error))
    }
}
