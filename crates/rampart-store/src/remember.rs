//! Statements on `remember_tokens`.

use crate::audit::audited;
use crate::backend::{Store, exec, fetch, on_pool};
use crate::time::time_of;
use async_trait::async_trait;
use rampart_core::UserId;
use rampart_core::audit::AuditEvent;
use rampart_core::ports::{RememberRepo, RepoError};
use rampart_core::remember::RememberRecord;
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
struct RememberRow {
    selector: String,
    validator_hash: String,
    series: String,
    user_id: String,
    created_at: i64,
    expires_at: i64,
    rotated_at: Option<i64>,
}

#[async_trait]
impl RememberRepo for Store {
    async fn insert_remember(&self, r: &RememberRecord) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            exec!(
                pool,
                "INSERT INTO remember_tokens (selector, validator_hash, series, user_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &r.selector,
                r.validator_digest.to_hex(),
                &r.series,
                r.user_id.to_string(),
                r.created_at.unix_timestamp(),
                r.expires_at.unix_timestamp(),
            ).map(drop)
        })
    }

    async fn find_remember(&self, selector: &str) -> Result<Option<RememberRecord>, RepoError> {
        let row: Option<RememberRow> = on_pool!(self, |pool| {
            fetch!(
                pool,
                query_as,
                fetch_optional,
                "SELECT selector, validator_hash, series, user_id, created_at, expires_at, rotated_at FROM remember_tokens WHERE selector = $1",
                selector,
            )
        })?;
        let Some(row) = row else { return Ok(None) };
        let corrupt =
            || RepoError::Unavailable(format!("corrupt remember-me row {:?}", row.series).into());
        Ok(Some(RememberRecord {
            validator_digest: TokenDigest::from_hex(&row.validator_hash).ok_or_else(corrupt)?,
            user_id: UserId::parse(&row.user_id).ok_or_else(corrupt)?,
            selector: row.selector,
            series: row.series.clone(),
            created_at: time_of(row.created_at),
            expires_at: time_of(row.expires_at),
            rotated_at: row.rotated_at.map(time_of),
        }))
    }

    async fn mark_remember_rotated(
        &self,
        selector: &str,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "UPDATE remember_tokens SET rotated_at = $1 WHERE selector = $2 AND rotated_at IS NULL",
            at.unix_timestamp(),
            selector
        )
        .map(|n| n == 1))
    }

    async fn delete_remember_series(
        &self,
        series: &str,
        audit: Option<&AuditEvent>,
    ) -> Result<(), RepoError> {
        audited!(self, audit, |tx| {
            exec!(
                &mut *tx,
                "DELETE FROM remember_tokens WHERE series = $1",
                series
            )?;
            true
        })
        .map(|_| ())
    }

    async fn delete_remember_for_user(&self, user: UserId) -> Result<(), RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM remember_tokens WHERE user_id = $1",
            user.to_string()
        )
        .map(drop))
    }
}
