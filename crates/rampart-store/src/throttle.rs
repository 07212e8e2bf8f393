//! Statements on `login_throttle`. The failure count is incremented in one
//! upsert, so concurrent failures are all counted.

use crate::backend::{Store, on_pool};
use crate::error::repo_error;
use crate::time::time_of;
use async_trait::async_trait;
use rampart_core::ports::{RepoError, ThrottleRepo};
use rampart_core::throttle::Counter;
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
struct CounterRow {
    key: String,
    locked_until: i64,
}

#[async_trait]
impl ThrottleRepo for Store {
    async fn throttle_counters(
        &self,
        name: &str,
        address: Option<&str>,
        network: Option<&str>,
    ) -> Result<(Option<Counter>, Option<Counter>, Option<Counter>), RepoError> {
        // One round trip for all three: this runs before every sign-in.
        let rows: Vec<CounterRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT key, locked_until FROM login_throttle WHERE key = $1 OR key = $2 OR key = $3",
            )
            .bind(name)
            .bind(address.unwrap_or(name))
            .bind(network.unwrap_or(name))
            .fetch_all(pool)
            .await
            .map_err(repo_error)
        })?;
        let find = |key: &str| {
            rows.iter().find(|r| r.key == key).map(|r| Counter {
                locked_until: time_of(r.locked_until),
            })
        };
        Ok((find(name), address.and_then(find), network.and_then(find)))
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
