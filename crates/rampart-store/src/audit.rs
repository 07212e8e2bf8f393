//! Statements on `audit_events`.

use crate::backend::{Store, on_pool};
use crate::error::repo_error;
use async_trait::async_trait;
use rampart_core::audit::AuditEvent;
use rampart_core::ports::{AuditRepo, RepoError};

#[async_trait]
impl AuditRepo for Store {
    async fn insert_event(&self, e: &AuditEvent) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO audit_events (id, at, kind, user_id, username, ip, user_agent, outcome, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(e.at.unix_timestamp())
        .bind(e.kind)
        .bind(e.user_id.map(|id| id.to_string()))
        .bind(e.username.as_deref())
        .bind(e.ip.as_deref())
        .bind(e.user_agent.as_deref())
        .bind(e.outcome.as_str())
        .bind(e.details.to_string())
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error)
        })
    }
}
