//! Statements on `api_tokens`. Scopes are stored as one space-separated text.

use crate::audit::audited;
use crate::backend::{Store, exec, fetch, on_pool};
use crate::time::time_of;
use crate::users::UserRow;
use async_trait::async_trait;
use rampart_core::UserId;
use rampart_core::audit::AuditEvent;
use rampart_core::ports::{RepoError, TokenRepo};
use rampart_core::token::{ApiToken, NewApiToken, Scope, TokenId, TokenSummary};
use rampart_crypto::TokenDigest;
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
struct SummaryRow {
    token_id: String,
    name: String,
    scopes: String,
    t_created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    #[sqlx(flatten)]
    user: UserRow,
}

impl SummaryRow {
    fn into_summary(self) -> TokenSummary {
        TokenSummary {
            id: TokenId(self.token_id),
            name: self.name,
            scopes: self
                .scopes
                .split_whitespace()
                .filter_map(Scope::parse)
                .collect(),
            created_at: time_of(self.t_created_at),
            expires_at: time_of(self.expires_at),
            last_used_at: self.last_used_at.map(time_of),
        }
    }
}

#[async_trait]
impl TokenRepo for Store {
    async fn insert_token(&self, new: &NewApiToken, audit: &AuditEvent) -> Result<(), RepoError> {
        let s = &new.summary;
        let scopes: Vec<&str> = s.scopes.iter().map(|scope| scope.as_str()).collect();
        audited!(self, Some(audit), |tx| {
            exec!(
                &mut *tx,
                "INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &s.id.0,
                new.user_id.to_string(),
                &s.name,
                new.digest.to_hex(),
                scopes.join(" "),
                s.created_at.unix_timestamp(),
                s.expires_at.unix_timestamp(),
            )?;
            true
        })
        .map(|_| ())
    }

    async fn find_token(&self, digest: &TokenDigest) -> Result<Option<ApiToken>, RepoError> {
        let row: Option<TokenRow> = on_pool!(self, |pool| {
            fetch!(
                pool,
                query_as,
                fetch_optional,
                "SELECT t.id AS token_id, t.name, t.scopes, t.created_at AS t_created_at, t.expires_at, t.last_used_at, \
                 u.id, u.username, u.email, u.email_verified, u.locked, u.must_change_password, u.created_at \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND u.locked = $2",
                digest.to_hex(),
                false,
            )
        })?;
        let Some(row) = row else { return Ok(None) };
        let roles = self.roles_of(&row.user.id).await?;
        Ok(Some(ApiToken {
            summary: row.summary.into_summary(),
            user: row.user.into_user(roles)?,
        }))
    }

    async fn list_tokens(&self, owner: UserId) -> Result<Vec<TokenSummary>, RepoError> {
        let rows: Vec<SummaryRow> = on_pool!(self, |pool| {
            fetch!(
                pool,
                query_as,
                fetch_all,
                "SELECT t.id AS token_id, t.name, t.scopes, t.created_at AS t_created_at, t.expires_at, t.last_used_at \
                 FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.created_at DESC, t.id",
                owner.to_string(),
            )
        })?;
        Ok(rows.into_iter().map(SummaryRow::into_summary).collect())
    }

    async fn delete_token(
        &self,
        owner: UserId,
        id: &TokenId,
        audit: &AuditEvent,
    ) -> Result<bool, RepoError> {
        audited!(self, Some(audit), |tx| exec!(
            &mut *tx,
            "DELETE FROM api_tokens WHERE id = $1 AND user_id = $2",
            &id.0,
            owner.to_string()
        )? > 0)
    }

    async fn delete_user_tokens(&self, owner: UserId) -> Result<u64, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM api_tokens WHERE user_id = $1",
            owner.to_string()
        ))
    }

    async fn touch_token(&self, id: &TokenId, at: OffsetDateTime) -> Result<(), RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2",
            at.unix_timestamp(),
            &id.0
        )
        .map(drop))
    }
}
