//! The audit trail: one row per security event (the names of API.md's list),
//! with time, type, user, client address, user agent and outcome.
//!
//! Events carry identifiers and outcomes only. A secret (password, code,
//! token) never goes into [`AuditEvent::details`]: callers build details from
//! fixed keys, and the integration tests grep the table for the secrets they
//! used.
//!
//! This module records; reading the trail back (filters, paging, export) is
//! the admin API's job. An event is written right after the change it records,
//! not in the same transaction (the repositories do not share one yet).

use crate::clock::Clock;
use crate::model::{User, UserId};
use crate::ports::{AuditRepo, RepoError};
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;
use time::OffsetDateTime;

/// Whether the action the event records succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was attempted and refused.
    Failure,
}

impl Outcome {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// Who made a request: what the audit trail records about the client.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    /// Client address (after trusted-proxy resolution).
    pub ip: Option<IpAddr>,
    /// User agent, as sent.
    pub user_agent: Option<String>,
}

impl ClientMeta {
    /// No client: an operator at the command line.
    pub fn operator() -> Self {
        Self::default()
    }
}

/// One security event.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Event type, e.g. `mfa.enabled`.
    pub kind: &'static str,
    /// The account concerned.
    pub user_id: Option<UserId>,
    /// Its username at the time.
    pub username: Option<String>,
    /// Client address.
    pub ip: Option<String>,
    /// Client user agent (truncated).
    pub user_agent: Option<String>,
    /// Success or failure.
    pub outcome: Outcome,
    /// Further facts (never a secret).
    pub details: Value,
    /// When.
    pub at: OffsetDateTime,
}

/// Writes events to the trail with the injected clock.
pub struct AuditTrail {
    repo: Arc<dyn AuditRepo>,
    clock: Arc<dyn Clock>,
}

impl AuditTrail {
    /// A trail over `repo`.
    pub fn new(repo: Arc<dyn AuditRepo>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    /// Records `kind` about `user` from `client`.
    pub async fn record(
        &self,
        kind: &'static str,
        user: &User,
        client: &ClientMeta,
        outcome: Outcome,
        details: Value,
    ) -> Result<(), RepoError> {
        let event = AuditEvent {
            kind,
            user_id: Some(user.id),
            username: Some(user.username.as_str().to_owned()),
            ip: client.ip.map(|ip| ip.to_string()),
            user_agent: client
                .user_agent
                .as_ref()
                .map(|ua| ua.chars().take(512).collect()),
            outcome,
            details,
            at: self.clock.now(),
        };
        tracing::info!(
            event = kind,
            user_id = %user.id,
            outcome = outcome.as_str(),
            "audit"
        );
        self.repo.insert_event(&event).await
    }
}
