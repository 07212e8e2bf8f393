//! Statements on `rate_windows`.

use crate::backend::{Store, on_pool};
use crate::error::repo_error;
use crate::time::time_of;
use async_trait::async_trait;
use rampart_core::ports::{RateRepo, RepoError};
use time::OffsetDateTime;

#[async_trait]
impl RateRepo for Store {
    async fn hit_rate_window(
        &self,
        key: &str,
        now: OffsetDateTime,
        window_start_after: OffsetDateTime,
    ) -> Result<(i64, OffsetDateTime), RepoError> {
        let (hits, started): (i64, i64) = on_pool!(self, |pool| {
            sqlx::query_as(
            "INSERT INTO rate_windows (key, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               hits = CASE WHEN rate_windows.window_start <= $3 THEN 1 ELSE rate_windows.hits + 1 END, \
               window_start = CASE WHEN rate_windows.window_start <= $3 THEN $2 ELSE rate_windows.window_start END \
             RETURNING hits, window_start"
        )
        .bind(key)
        .bind(now.unix_timestamp())
        .bind(window_start_after.unix_timestamp())
        .fetch_one(pool)
        .await
        .map_err(repo_error)
        })?;
        Ok((hits, time_of(started)))
    }
}
