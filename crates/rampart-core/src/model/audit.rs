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
    /// The language the client asked for (`Accept-Language`, negotiated
    /// against the catalogues there are): a registration records it as the
    /// account's, for its mails, and a sign-in does when the account has
    /// none yet. Never written to the trail.
    pub language: Option<String>,
}

impl ClientMeta {
    /// No client: an operator at the command line.
    pub fn operator() -> Self {
        Self::default()
    }
}

/// Every kind of security event the trail records (the names of
/// `docs/api.md`); stored and exported as [`AuditKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// `account.locked_out`.
    AccountLockedOut,
    /// `attack.suspected`.
    AttackSuspected,
    /// `email.verified`.
    EmailVerified,
    /// `identity.linked`.
    IdentityLinked,
    /// `identity.unlinked`.
    IdentityUnlinked,
    /// `login.failed`.
    LoginFailed,
    /// `login.locked_out`.
    LoginLockedOut,
    /// `login.succeeded`.
    LoginSucceeded,
    /// `login.throttled`.
    LoginThrottled,
    /// `logout`.
    Logout,
    /// `mfa.disabled`.
    MfaDisabled,
    /// `mfa.enabled`.
    MfaEnabled,
    /// `mfa.failed`.
    MfaFailed,
    /// `passkey.added`.
    PasskeyAdded,
    /// `passkey.removed`.
    PasskeyRemoved,
    /// `password.changed`.
    PasswordChanged,
    /// `password.reset`.
    PasswordReset,
    /// `password.reset_requested`.
    PasswordResetRequested,
    /// `recovery_code.used`.
    RecoveryCodeUsed,
    /// `recovery_codes.regenerated`.
    RecoveryCodesRegenerated,
    /// `remember_me.theft_detected`.
    RememberMeTheftDetected,
    /// `roles.changed`.
    RolesChanged,
    /// `session.revoked`.
    SessionRevoked,
    /// `sessions.revoked_all`: an account, or everyone, signed out everywhere.
    SessionsRevokedAll,
    /// `token.created`.
    TokenCreated,
    /// `token.revoked`.
    TokenRevoked,
    /// `user.deleted`.
    UserDeleted,
    /// `user.locked`.
    UserLocked,
    /// `user.registered`.
    UserRegistered,
    /// `user.unlocked`.
    UserUnlocked,
}

impl AuditKind {
    /// Every kind.
    pub const ALL: [AuditKind; 30] = [
        AuditKind::AccountLockedOut,
        AuditKind::AttackSuspected,
        AuditKind::EmailVerified,
        AuditKind::IdentityLinked,
        AuditKind::IdentityUnlinked,
        AuditKind::LoginFailed,
        AuditKind::LoginLockedOut,
        AuditKind::LoginSucceeded,
        AuditKind::LoginThrottled,
        AuditKind::Logout,
        AuditKind::MfaDisabled,
        AuditKind::MfaEnabled,
        AuditKind::MfaFailed,
        AuditKind::PasskeyAdded,
        AuditKind::PasskeyRemoved,
        AuditKind::PasswordChanged,
        AuditKind::PasswordReset,
        AuditKind::PasswordResetRequested,
        AuditKind::RecoveryCodeUsed,
        AuditKind::RecoveryCodesRegenerated,
        AuditKind::RememberMeTheftDetected,
        AuditKind::RolesChanged,
        AuditKind::SessionRevoked,
        AuditKind::SessionsRevokedAll,
        AuditKind::TokenCreated,
        AuditKind::TokenRevoked,
        AuditKind::UserDeleted,
        AuditKind::UserLocked,
        AuditKind::UserRegistered,
        AuditKind::UserUnlocked,
    ];

    /// The stored name, e.g. `login.succeeded`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::AccountLockedOut => "account.locked_out",
            AuditKind::AttackSuspected => "attack.suspected",
            AuditKind::EmailVerified => "email.verified",
            AuditKind::IdentityLinked => "identity.linked",
            AuditKind::IdentityUnlinked => "identity.unlinked",
            AuditKind::LoginFailed => "login.failed",
            AuditKind::LoginLockedOut => "login.locked_out",
            AuditKind::LoginSucceeded => "login.succeeded",
            AuditKind::LoginThrottled => "login.throttled",
            AuditKind::Logout => "logout",
            AuditKind::MfaDisabled => "mfa.disabled",
            AuditKind::MfaEnabled => "mfa.enabled",
            AuditKind::MfaFailed => "mfa.failed",
            AuditKind::PasskeyAdded => "passkey.added",
            AuditKind::PasskeyRemoved => "passkey.removed",
            AuditKind::PasswordChanged => "password.changed",
            AuditKind::PasswordReset => "password.reset",
            AuditKind::PasswordResetRequested => "password.reset_requested",
            AuditKind::RecoveryCodeUsed => "recovery_code.used",
            AuditKind::RecoveryCodesRegenerated => "recovery_codes.regenerated",
            AuditKind::RememberMeTheftDetected => "remember_me.theft_detected",
            AuditKind::RolesChanged => "roles.changed",
            AuditKind::SessionRevoked => "session.revoked",
            AuditKind::SessionsRevokedAll => "sessions.revoked_all",
            AuditKind::TokenCreated => "token.created",
            AuditKind::TokenRevoked => "token.revoked",
            AuditKind::UserDeleted => "user.deleted",
            AuditKind::UserLocked => "user.locked",
            AuditKind::UserRegistered => "user.registered",
            AuditKind::UserUnlocked => "user.unlocked",
        }
    }

    /// The kind a stored name names.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One security event.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Identifier, chosen when the event is built (the row's primary key).
    pub id: String,
    /// Event type.
    pub kind: AuditKind,
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

/// Where an event came from, as the new-device rule reads it back for each
/// of a user's recent sign-ins: the identifier, address and user agent only
/// (no details to parse, no timestamp to convert, for fifty rows a sign-in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPlace {
    /// Identifier.
    pub id: String,
    /// Client address.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
}

/// An event as read back.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Identifier (the paging cursor).
    pub id: String,
    /// Its type as stored (a trail may hold types this version does not
    /// record any more).
    pub kind: String,
    /// Its outcome as stored.
    pub outcome: String,
    /// The account concerned.
    pub user_id: Option<UserId>,
    /// Its username at the time.
    pub username: Option<String>,
    /// Client address.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// Further facts.
    pub details: Value,
    /// When.
    pub at: OffsetDateTime,
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

#[cfg(test)]
mod tests {
    use super::AuditKind;
    use std::collections::BTreeSet;

    #[test]
    fn every_kind_is_documented_and_every_documented_kind_exists() {
        let doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md"));
        let section = doc
            .split("## Audit events")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap_or_default();
        let documented: BTreeSet<&str> = section
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split('`').next())
            .collect();
        let kinds: BTreeSet<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            documented, kinds,
            "docs/api.md's audit events and AuditKind differ"
        );
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AuditKind::parse("login.success"), None);
    }
}
