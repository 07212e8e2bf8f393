//! Statements on `audit_events`. The listing is one fixed statement whose
//! filters each fall away when their parameter is NULL.
//!
//! [`audited!`] is how every audited change is written: the change's
//! statements and the event's row in one transaction, so that neither is
//! kept without the other.

use crate::backend::{Store, exec, fetch, on_pool};
use crate::time::time_of;
use async_trait::async_trait;
use rampart_core::UserId;
use rampart_core::audit::{AuditEvent, AuditKind, EventPlace, EventQuery, StoredEvent};
use rampart_core::ports::{AuditRepo, RepoError};
use time::OffsetDateTime;

/// The statement that inserts an audit event, its nine values in the
/// placeholders given (`"$1"` … `"$9"` alone; later numbers where it
/// follows other statements in one execution), bound by `bind_event!`.
macro_rules! insert_event_sql {
    ($first:literal $(, $rest:literal)*) => {
        concat!(
            "INSERT INTO audit_events (id, at, kind, user_id, username, ip, user_agent, outcome, details) VALUES (",
            $first,
            $(", ", $rest,)*
            ")"
        )
    };
}
pub(crate) use insert_event_sql;

/// `$query` with the event `$e`'s values bound next, in the order of
/// `insert_event_sql!`.
macro_rules! bind_event {
    ($query:expr, $e:expr) => {{
        let e: &rampart_core::audit::AuditEvent = $e;
        $query
            .bind(e.id.as_str())
            .bind(e.at.unix_timestamp())
            .bind(e.kind.as_str())
            .bind(e.user_id.map(|id| id.to_string()))
            .bind(e.username.as_deref())
            .bind(e.ip.as_deref())
            .bind(e.user_agent.as_deref())
            .bind(e.outcome.as_str())
            .bind(e.details.to_string())
    }};
}
pub(crate) use bind_event;

/// Inserts the event `$e` through `$exec` (a pool, or a transaction's
/// connection); expanded per backend inside `on_pool!`.
macro_rules! insert_event {
    ($exec:expr, $e:expr) => {{
        $crate::audit::bind_event!(
            sqlx::query($crate::audit::insert_event_sql!(
                "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9"
            )),
            $e
        )
        .execute($exec)
        .await
        .map(drop)
        .map_err($crate::error::repo_error)
    }};
}
pub(crate) use insert_event;

/// Runs `$body` (statements on the open transaction `$tx`, using
/// `.map_err(repo_error)?`, and ending in whether anything changed) and, when
/// it changed something, inserts `$event` (an `Option<&AuditEvent>`) in the
/// same transaction before committing. Yields `Result<bool, RepoError>`.
macro_rules! audited {
    ($store:expr, $event:expr, |$tx:ident| $body:expr) => {
        $crate::backend::on_pool!($store, |pool| {
            async {
                $crate::backend::begin!(pool, $tx);
                let changed: bool = $body;
                if changed {
                    if let Some(event) = $event {
                        $crate::audit::insert_event!(&mut *$tx, event)?;
                    }
                }
                $tx.commit().await.map_err($crate::error::repo_error)?;
                Ok::<bool, rampart_core::ports::RepoError>(changed)
            }
            .await
        })
    };
}
pub(crate) use audited;

#[derive(sqlx::FromRow)]
struct EventRow {
    id: String,
    at: i64,
    kind: String,
    user_id: Option<String>,
    username: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    outcome: String,
    details: String,
}

impl EventRow {
    fn into_event(self) -> StoredEvent {
        StoredEvent {
            id: self.id,
            kind: self.kind,
            outcome: self.outcome,
            user_id: self.user_id.as_deref().and_then(UserId::parse),
            username: self.username,
            ip: self.ip,
            user_agent: self.user_agent,
            details: serde_json::from_str(&self.details).unwrap_or(serde_json::Value::Null),
            at: time_of(self.at),
        }
    }
}

#[async_trait]
impl AuditRepo for Store {
    async fn insert_event(&self, e: &AuditEvent) -> Result<(), RepoError> {
        on_pool!(self, |pool| insert_event!(pool, e))
    }

    async fn list_events(&self, q: &EventQuery) -> Result<Vec<StoredEvent>, RepoError> {
        let rows: Vec<EventRow> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_all,
            "SELECT id, at, kind, user_id, username, ip, user_agent, outcome, details \
             FROM audit_events \
             WHERE (($1 IS NULL AND $2 IS NULL) OR user_id = $1 OR LOWER(username) = $2) \
               AND ($3 IS NULL OR kind = $3) \
               AND ($4 IS NULL OR at >= $4) \
               AND ($5 IS NULL OR (at, id) < (SELECT at, id FROM audit_events WHERE id = $5)) \
             ORDER BY at DESC, id DESC LIMIT $6",
            q.user_id.map(|id| id.to_string()),
            q.username.as_ref().map(|n| n.to_lowercase()),
            q.kind.as_deref(),
            q.since.map(|t| t.unix_timestamp()),
            q.before.as_deref(),
            q.limit
        ))?;
        Ok(rows.into_iter().map(EventRow::into_event).collect())
    }

    async fn recent_places_of_user(
        &self,
        user: UserId,
        kind: AuditKind,
        limit: i64,
    ) -> Result<Vec<EventPlace>, RepoError> {
        let rows: Vec<(String, Option<String>, Option<String>)> = on_pool!(self, |pool| fetch!(
            pool,
            query_as,
            fetch_all,
            "SELECT id, ip, user_agent FROM audit_events WHERE user_id = $1 AND kind = $2 \
             ORDER BY at DESC, id DESC LIMIT $3",
            user.to_string(),
            kind.as_str(),
            limit
        ))?;
        Ok(rows
            .into_iter()
            .map(|(id, ip, user_agent)| EventPlace { id, ip, user_agent })
            .collect())
    }

    async fn count_events_by_hour(
        &self,
        kinds: &[AuditKind],
        since: OffsetDateTime,
    ) -> Result<Vec<(i64, AuditKind, i64)>, RepoError> {
        let mut counts = Vec::new();
        for kind in kinds {
            let rows: Vec<(i64, i64)> = on_pool!(self, |pool| fetch!(
                pool,
                query_as,
                fetch_all,
                "SELECT (at / 3600) * 3600 AS hour, COUNT(*) FROM audit_events \
                 WHERE kind = $1 AND at >= $2 GROUP BY at / 3600 ORDER BY hour",
                kind.as_str(),
                since.unix_timestamp()
            ))?;
            counts.extend(rows.into_iter().map(|(h, n)| (h, *kind, n)));
        }
        Ok(counts)
    }

    async fn delete_events_before(&self, cutoff: OffsetDateTime) -> Result<u64, RepoError> {
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM audit_events WHERE at < $1",
            cutoff.unix_timestamp()
        ))
    }
}
