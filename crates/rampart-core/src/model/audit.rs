//! Audit records: an event as built, as stored and as queried, and the
//! client facts it carries.

use crate::model::UserId;
use serde_json::Value;
use std::net::IpAddr;
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
    /// The known-device cookie the browser presented, unchecked (see
    /// [`crate::device`]); never written to the trail.
    pub known_device: Option<secrecy::SecretString>,
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
    /// Identifier, chosen when the event is built (the row's primary key).
    pub id: String,
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

/// An event as read back.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Identifier (the paging cursor).
    pub id: String,
    /// The event.
    pub event: AuditEvent,
    /// Its type as stored (events read back may be of any type).
    pub kind: String,
    /// Its outcome as stored.
    pub outcome: String,
}

/// Which events to read: every filter is optional; newest first.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Events of this account (by id); with `username` too, events matching
    /// either.
    pub user_id: Option<UserId>,
    /// Events recorded under this username (case-insensitive); with
    /// `user_id` too, events matching either.
    pub username: Option<String>,
    /// Events of this type.
    pub kind: Option<String>,
    /// Events at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Events older than this event (paging cursor).
    pub before: Option<String>,
    /// At most this many (1 to 1000).
    pub limit: i64,
}
