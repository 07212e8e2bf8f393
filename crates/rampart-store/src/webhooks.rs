//! Statements on `webhook_deliveries`.

use crate::backend::{Store, on_pool};
use crate::error::repo_error;
use async_trait::async_trait;
use rampart_core::ports::{QueuedWebhook, RepoError, WebhookRepo};
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    kind: String,
    body: String,
    attempts: i64,
    created_at: i64,
}

#[async_trait]
impl WebhookRepo for Store {
    async fn enqueue_webhook(
        &self,
        id: &str,
        kind: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let now = now.unix_timestamp();
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO webhook_deliveries (id, kind, body, created_at, attempts, next_attempt_at) \
             VALUES ($1, $2, $3, $4, 0, $4)"
        )
        .bind(id)
        .bind(kind)
        .bind(body)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error)
        })
    }

    async fn claim_due_webhooks(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<QueuedWebhook>, RepoError> {
        // Claimed as the mail outbox is (see `claim_due`).
        let sql = match self {
            Store::Postgres(_) => {
                "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id IN \
                 (SELECT id FROM webhook_deliveries \
                  WHERE delivered_at IS NULL AND next_attempt_at <= $2 \
                  ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, kind, body, attempts, created_at"
            }
            Store::Sqlite(_) => {
                "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id IN \
                 (SELECT id FROM webhook_deliveries \
                  WHERE delivered_at IS NULL AND next_attempt_at <= $2 \
                  ORDER BY created_at, id LIMIT $3) \
                 RETURNING id, kind, body, attempts, created_at"
            }
        };
        let mut rows: Vec<Row> = on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(lease_until.unix_timestamp())
            .bind(now.unix_timestamp())
            .bind(limit)
            .fetch_all(pool)
            .await
            .map_err(repo_error))?;
        rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(rows
            .into_iter()
            .map(|r| QueuedWebhook {
                id: r.id,
                kind: r.kind,
                body: r.body,
                attempts: r.attempts,
            })
            .collect())
    }

    async fn webhook_delivered(
        &self,
        id: &str,
        at: OffsetDateTime,
        status: u16,
    ) -> Result<(), RepoError> {
        on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE webhook_deliveries SET delivered_at = $1, last_status = $2, attempts = attempts + 1 WHERE id = $3"
        )
        .bind(at.unix_timestamp())
        .bind(i64::from(status))
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error)
        })
    }

    async fn webhook_failed(
        &self,
        id: &str,
        next_attempt_at: OffsetDateTime,
        status: Option<u16>,
        error: &str,
    ) -> Result<(), RepoError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $1, \
             last_status = $2, last_error = $3 WHERE id = $4"
        )
        .bind(next_attempt_at.unix_timestamp())
        .bind(status.map(i64::from))
        .bind(error)
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(repo_error))
    }
}
