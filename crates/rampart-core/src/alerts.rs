//! Alerts: the default rules that turn audit events into a mail to the user
//! (events about their account) and a signed webhook call to the operators
//! (events about the whole installation).
//!
//! | event | mail the user | webhook |
//! |---|---|---|
//! | `login.locked_out` (repeated failures) | yes | yes |
//! | `account.locked_out` (the account-wide limit) | yes | yes |
//! | `attack.suspected` (credential stuffing) | | yes |
//! | `remember_me.theft_detected` | (mailed by `remember`) | yes |
//! | `roles.changed` granting `admin` | | yes |
//! | `login.succeeded` from a device and network not seen before | yes | |
//! | `login.failed`/`mfa.failed` for a passkey whose counter went backwards | yes | yes |
//! | `passkey.added`, `passkey.removed` | yes | |
//!
//! Webhooks are queued in the database ([`WebhookRepo`]) and delivered,
//! signed and retried, by `rampart-notify`; nothing is queued when no
//! webhook is configured. An alert that cannot be queued is logged and does
//! not undo the action it reports.

use crate::audit::AuditEvent;
use crate::clock::Clock;
use crate::model::audit::AuditKind;
use crate::model::mail::{MailTemplate, OutgoingMail};
use crate::ports::{AuditRepo, EventRules, OutboxRepo, RepoError, UserRepo, WebhookRepo};
use serde_json::{Value, json};
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;

/// How many earlier sign-ins a new one is compared with.
const KNOWN_SIGN_INS: i64 = 50;

/// What [`Alerts`] reads and writes.
pub struct AlertsParts {
    /// Accounts (whom to tell).
    pub users: Arc<dyn UserRepo>,
    /// The mail queue.
    pub outbox: Arc<dyn OutboxRepo>,
    /// Earlier sign-ins, to compare a new one with.
    pub events: Arc<dyn AuditRepo>,
    /// The webhook queue; `None` when no webhook is configured.
    pub webhooks: Option<Arc<dyn WebhookRepo>>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The public base URL links in mails point at.
    pub base_url: String,
}

/// Decides and queues alerts.
pub struct Alerts {
    parts: AlertsParts,
}

fn network(ip: Option<&str>) -> String {
    ip.and_then(|ip| ip.parse().ok())
        .map(crate::client::network_of)
        .unwrap_or_default()
}

impl Alerts {
    /// The rules, with what they need.
    pub fn new(parts: AlertsParts) -> Self {
        Self { parts }
    }

    /// True when the user signed in before, but never from this user agent
    /// and network.
    async fn is_new_device(&self, event: &AuditEvent) -> Result<bool, RepoError> {
        let Some(user_id) = event.user_id else {
            return Ok(false);
        };
        let mut earlier = self
            .parts
            .events
            .recent_places_of_user(user_id, AuditKind::LoginSucceeded, KNOWN_SIGN_INS + 1)
            .await?;
        // The event itself is already in the trail.
        earlier.retain(|e| e.id != event.id);
        if earlier.is_empty() {
            return Ok(false);
        }
        let here = network(event.ip.as_deref());
        Ok(!earlier
            .iter()
            .any(|e| network(e.ip.as_deref()) == here && e.user_agent == event.user_agent))
    }

    async fn mail_user(&self, event: &AuditEvent, template: MailTemplate) -> Result<(), RepoError> {
        self.mail_user_with(event, template, json!({})).await
    }

    /// [`Self::mail_user`] with more facts for the template.
    async fn mail_user_with(
        &self,
        event: &AuditEvent,
        template: MailTemplate,
        extra: Value,
    ) -> Result<(), RepoError> {
        let Some(user_id) = event.user_id else {
            return Ok(());
        };
        let Some(user) = self.parts.users.find_by_id(user_id).await? else {
            return Ok(());
        };
        let mut facts = json!({
            "ip": event.ip,
            "user_agent": event.user_agent,
            "time": event.at.format(&Rfc3339).unwrap_or_default(),
        });
        if let (Some(facts), Value::Object(extra)) = (facts.as_object_mut(), extra) {
            facts.extend(extra);
        }
        self.parts
            .outbox
            .enqueue(
                &OutgoingMail::to_user(&user, template, &self.parts.base_url, facts),
                self.parts.clock.now(),
            )
            .await
    }

    async fn webhook(&self, alert: &str, event: &AuditEvent) -> Result<(), RepoError> {
        let Some(webhooks) = &self.parts.webhooks else {
            return Ok(());
        };
        let id = uuid::Uuid::new_v4().to_string();
        let body: Value = json!({
            "id": id,
            "alert": alert,
            "event": {
                "type": event.kind.as_str(),
                "time": event.at.format(&Rfc3339).unwrap_or_default(),
                "user_id": event.user_id.map(|u| u.to_string()),
                "username": event.username,
                "ip": event.ip,
                "user_agent": event.user_agent,
                "outcome": event.outcome.as_str(),
                "details": event.details,
            },
        });
        webhooks
            .enqueue_webhook(&id, alert, &body.to_string(), self.parts.clock.now())
            .await
    }
}

#[async_trait::async_trait]
impl EventRules for Alerts {
    /// Applies the rules to an event just recorded.
    async fn consider(&self, event: &AuditEvent) -> Result<(), RepoError> {
        match event.kind {
            AuditKind::LoginLockedOut | AuditKind::AccountLockedOut => {
                self.mail_user(event, MailTemplate::AccountLocked).await?;
                self.webhook("account_locked", event).await
            }
            AuditKind::AttackSuspected => self.webhook("credential_stuffing", event).await,
            AuditKind::RememberMeTheftDetected => self.webhook("remember_me_theft", event).await,
            AuditKind::RolesChanged => {
                let had = |key: &str| {
                    event.details[key]
                        .as_array()
                        .is_some_and(|roles| roles.iter().any(|r| r == "admin"))
                };
                if had("to") && !had("from") {
                    self.webhook("admin_granted", event).await?;
                }
                Ok(())
            }
            AuditKind::LoginFailed | AuditKind::MfaFailed
                if event.details["reason"] == "counter_regressed" =>
            {
                // The authenticator's counter went backwards: the passkey
                // may have been copied (see `passkey`).
                self.mail_user(event, MailTemplate::PasskeyCloneSuspected)
                    .await?;
                self.webhook("passkey_clone_suspected", event).await
            }
            // A sign-up's own passkey: the confirmation mail says enough
            // (and the address is not confirmed yet).
            AuditKind::PasskeyAdded if event.details["sign_up"] == true => Ok(()),
            AuditKind::PasskeyAdded | AuditKind::PasskeyRemoved => {
                // A passkey signs in on its own: its owner hears of every
                // one added or removed, as of a second factor's change.
                let change = if event.kind == AuditKind::PasskeyAdded {
                    "passkey-added"
                } else {
                    "passkey-removed"
                };
                let name = event.details["name"].as_str().unwrap_or_default();
                self.mail_user_with(
                    event,
                    MailTemplate::MfaChanged,
                    json!({"change": change, "name": name}),
                )
                .await
            }
            AuditKind::LoginSucceeded => {
                if self.is_new_device(event).await? {
                    self.mail_user(event, MailTemplate::NewSignIn).await?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
