//! Statements on `webhook_deliveries`.

use crate::backend::{Store, claim_sql, exec, fetch, on_pool};
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
            exec!(
                pool,
                "INSERT INTO webhook_deliveries (id, kind, body, created_at, attempts, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, 0, $4)",
                id,
                kind,
                body,
                now,
            ).map(drop)
        })
    }

    async fn claim_due_webhooks(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<QueuedWebhook>, RepoError> {
        let sql = claim_sql!(
            self,
            "webhook_deliveries",
            "delivered_at IS NULL AND next_attempt_at <= $2",
            "id, kind, body, attempts, created_at"
        );
        let mut rows: Vec<Row> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_all,
            sql,
            lease_until.unix_timestamp(),
            now.unix_timestamp(),
            limit
        ))?;
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
            exec!(
                pool,
                "UPDATE webhook_deliveries SET delivered_at = $1, last_status = $2, attempts = attempts + 1 WHERE id = $3",
                at.unix_timestamp(),
                i64::from(status),
                id,
            ).map(drop)
        })
    }

    async fn webhook_failed(
        &self,
        id: &str,
        next_attempt_at: OffsetDateTime,
        status: Option<u16>,
        error: &str,
    ) -> Result<(), RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $1, \
             last_status = $2, last_error = $3 WHERE id = $4",
            next_attempt_at.unix_timestamp(),
            status.map(i64::from),
            error,
            id
        )
        .map(drop))
    }
}
