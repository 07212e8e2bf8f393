//! The audit trail: one row per security event (the names listed in `docs/api.md`),
//! with time, type, user, client address, user agent and outcome.
//!
//! Events carry identifiers and outcomes only. A secret (password, code,
//! token) never goes into [`AuditEvent::details`]: callers build details from
//! fixed keys, and the integration tests grep the table for the secrets they
//! used.
//!
//! An event that records a change is written in the same transaction as the
//! change: the domain builds it first ([`AuditTrail::event`]), hands it to the
//! repository method that makes the change (which inserts it beside its own
//! statements, or not at all when nothing changed), and, once that has
//! committed, tells the trail ([`AuditTrail::committed`]) so that the log line,
//! the metrics and the alert rules follow. A refusal changes nothing; its event
//! is written alone ([`AuditTrail::record`]).

use crate::clock::Clock;
pub use crate::model::audit::{
    AuditEvent, AuditKind, ClientMeta, EventPlace, EventQuery, Outcome, StoredEvent,
};
use crate::model::{User, UserId};
use crate::ports::{AuditRepo, EventRules, RepoError};
use serde_json::Value;
use std::sync::Arc;

/// Told of every recorded event (the server counts them for `/metrics`).
pub trait EventObserver: Send + Sync + 'static {
    /// An event of `kind` with `outcome` was recorded.
    fn observed(&self, kind: &str, outcome: Outcome);
}

/// Writes events to the trail with the injected clock.
pub struct AuditTrail {
    repo: Arc<dyn AuditRepo>,
    clock: Arc<dyn Clock>,
    observer: std::sync::OnceLock<Arc<dyn EventObserver>>,
    alerts: std::sync::OnceLock<Arc<dyn EventRules>>,
}

impl AuditTrail {
    /// A trail over `repo`.
    pub fn new(repo: Arc<dyn AuditRepo>, clock: Arc<dyn Clock>) -> Self {
        Self {
            repo,
            clock,
            observer: std::sync::OnceLock::new(),
            alerts: std::sync::OnceLock::new(),
        }
    }

    /// Applies the alert rules to every event from now on (once).
    pub fn alert_with(&self, alerts: Arc<dyn EventRules>) {
        let _ = self.alerts.set(alerts);
    }

    /// Tells `observer` of every event from now on (once; later calls are
    /// ignored).
    pub fn observe(&self, observer: Arc<dyn EventObserver>) {
        let _ = self.observer.set(observer);
    }

    /// Events matching `query`, newest first (the limit is clamped to 1–1000).
    pub async fn events(&self, mut query: EventQuery) -> Result<Vec<StoredEvent>, RepoError> {
        query.limit = query.limit.clamp(1, 1000);
        self.repo.list_events(&query).await
    }

    /// Deletes events older than `retention`; returns how many.
    pub async fn purge(&self, retention: time::Duration) -> Result<u64, RepoError> {
        self.repo
            .delete_events_before(self.clock.now() - retention)
            .await
    }

    /// Records `kind` about `user` from `client`, alone: for events that
    /// change nothing (refusals). An event about a change goes through
    /// [`Self::event`] and the repository method that makes the change.
    pub async fn record(
        &self,
        kind: AuditKind,
        user: &User,
        client: &ClientMeta,
        outcome: Outcome,
        details: Value,
    ) -> Result<(), RepoError> {
        let event = self.event(kind, user, client, outcome, details);
        self.write_alone(event).await
    }

    /// Records `kind` about an account that may not exist (a failed sign-in
    /// under an unknown name), alone; see [`Self::event_about`].
    pub async fn record_about(
        &self,
        kind: AuditKind,
        user_id: Option<UserId>,
        username: Option<&str>,
        client: &ClientMeta,
        outcome: Outcome,
        details: Value,
    ) -> Result<(), RepoError> {
        let event = self.event_about(kind, user_id, username, client, outcome, details);
        self.write_alone(event).await
    }

    async fn write_alone(&self, event: AuditEvent) -> Result<(), RepoError> {
        self.repo.insert_event(&event).await?;
        self.committed(&event).await;
        Ok(())
    }

    /// An event about `user`, stamped now, to be written by the repository
    /// method that makes the change it records.
    pub fn event(
        &self,
        kind: AuditKind,
        user: &User,
        client: &ClientMeta,
        outcome: Outcome,
        details: Value,
    ) -> AuditEvent {
        self.event_about(
            kind,
            Some(user.id),
            Some(user.username.as_str()),
            client,
            outcome,
            details,
        )
    }

    /// A successful [`Self::event`]: what most changes record.
    pub fn success(
        &self,
        kind: AuditKind,
        user: &User,
        client: &ClientMeta,
        details: Value,
    ) -> AuditEvent {
        self.event(kind, user, client, Outcome::Success, details)
    }

    /// An event about an account that may not exist: `username` is what was
    /// typed, kept only if it is shaped like a username or e-mail address (a
    /// password typed into the name field is never recorded).
    pub fn event_about(
        &self,
        kind: AuditKind,
        user_id: Option<UserId>,
        username: Option<&str>,
        client: &ClientMeta,
        outcome: Outcome,
        details: Value,
    ) -> AuditEvent {
        let username = username.filter(|name| {
            crate::model::Username::parse(name).is_ok() || crate::model::Email::parse(name).is_ok()
        });
        AuditEvent {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            user_id,
            username: username.map(str::to_owned),
            ip: client.ip.map(|ip| ip.to_string()),
            user_agent: client
                .user_agent
                .as_ref()
                .map(|ua| ua.chars().take(512).collect()),
            outcome,
            details,
            at: self.clock.now(),
        }
    }

    /// The event has been written with its change: log it, count it and
    /// apply the alert rules. (An alert that cannot be queued is logged; the
    /// action happened and stays.)
    pub async fn committed(&self, event: &AuditEvent) {
        tracing::info!(
            event = event.kind.as_str(),
            user_id = event.user_id.map(|id| id.to_string()),
            outcome = event.outcome.as_str(),
            "audit"
        );
        if let Some(observer) = self.observer.get() {
            observer.observed(event.kind.as_str(), event.outcome);
        }
        if let Some(alerts) = self.alerts.get()
            && let Err(err) = alerts.consider(event).await
        {
            tracing::error!(event = event.kind.as_str(), error = %err, "could not queue the alert for an event");
        }
    }
}
