//! Statements on `login_throttle`. The failure count is incremented in one
//! upsert, so concurrent failures are all counted.

use crate::backend::{Store, on_pool};
use crate::error::repo_error;
use async_trait::async_trait;
use rampart_core::ports::{RepoError, ThrottleRepo};
use rampart_core::throttle::Counter;
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
struct CounterRow {
    failures: i64,
    last_failure_at: i64,
    locked_until: i64,
}

fn time_of(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[async_trait]
impl ThrottleRepo for Store {
    async fn throttle_counter(&self, key: &str) -> Result<Option<Counter>, RepoError> {
        let row: Option<CounterRow> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT failures, last_failure_at, locked_until FROM login_throttle WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(repo_error))?;
        Ok(row.map(|r| Counter {
            failures: r.failures,
            last_failure_at: time_of(r.last_failure_at),
            locked_until: time_of(r.locked_until),
        }))
    }

    async fn count_throttle_failure(
        &self,
        key: &str,
        now: OffsetDateTime,
        forget_before: OffsetDateTime,
    ) -> Result<i64, RepoError> {
        on_pool!(self, |pool| {
            sqlx::query_scalar(
            "INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES ($1, 1, $2, 0) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN login_throttle.last_failure_at < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
               last_failure_at = $2 \
             RETURNING failures"
        )
        .bind(key)
        .bind(now.unix_timestamp())
        .bind(forget_before.unix_timestamp())
        .fetch_one(pool)
        .await
        .map_err(repo_error)
        })
    }

    async fn lock_throttle(&self, key: &str, until: OffsetDateTime) -> Result<(), RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE login_throttle SET locked_until = $1 WHERE key = $2"
        )
        .bind(until.unix_timestamp())
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error))
    }

    async fn clear_throttle_counter(&self, key: &str) -> Result<(), RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM login_throttle WHERE key = $1"
        )
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error))
    }

    async fn clear_throttle_prefix(&self, prefix: &str) -> Result<(), RepoError> {
        // Keys are built by the domain from a lower-cased name; escape LIKE's
        // wildcards all the same.
        let pattern = format!(
            "{}%",
            prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM login_throttle WHERE key LIKE $1 ESCAPE '\\'"
        )
        .bind(pattern)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error))
    }
}
