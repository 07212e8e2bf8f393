//! Statements on `setup_tokens`.

use crate::backend::{Store, on_pool};
use crate::error::repo_error;
use async_trait::async_trait;
use rampart_core::ports::{RepoError, SetupRepo};
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

#[async_trait]
impl SetupRepo for Store {
    async fn replace_setup_token(
        &self,
        digest: &TokenDigest,
        expires_at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(repo_error)?;
            sqlx::query("DELETE FROM setup_tokens")
                .execute(&mut *tx)
                .await
                .map_err(repo_error)?;
            sqlx::query("INSERT INTO setup_tokens (token_hash, expires_at) VALUES ($1, $2)")
                .bind(digest.to_hex())
                .bind(expires_at.unix_timestamp())
                .execute(&mut *tx)
                .await
                .map_err(repo_error)?;
            tx.commit().await.map_err(repo_error)
        })
    }

    async fn setup_token_expiry(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, RepoError> {
        let at: Option<i64> = on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT expires_at FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2"
        )
        .bind(digest.to_hex())
        .bind(now.unix_timestamp())
        .fetch_optional(pool)
        .await
        .map_err(repo_error))?;
        Ok(at.map(crate::time::time_of))
    }

    async fn take_setup_token(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2"
        )
        .bind(digest.to_hex())
        .bind(now.unix_timestamp())
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(repo_error))
    }
}
