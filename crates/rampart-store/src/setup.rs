//! Statements on `setup_tokens`.

use crate::backend::{Store, exec, fetch, on_pool};
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
            crate::backend::begin!(pool, tx);
            exec!(&mut *tx, "DELETE FROM setup_tokens")?;
            exec!(
                &mut *tx,
                "INSERT INTO setup_tokens (token_hash, expires_at) VALUES ($1, $2)",
                digest.to_hex(),
                expires_at.unix_timestamp()
            )?;
            tx.commit().await.map_err(repo_error)
        })
    }

    async fn setup_token_expiry(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, RepoError> {
        let at: Option<i64> = on_pool!(self, |pool| fetch!(
            pool,
            query_scalar,
            fetch_optional,
            "SELECT expires_at FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2",
            digest.to_hex(),
            now.unix_timestamp()
        ))?;
        Ok(at.map(crate::time::time_of))
    }

    async fn take_setup_token(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2",
            digest.to_hex(),
            now.unix_timestamp()
        )
        .map(|n| n == 1))
    }
}
