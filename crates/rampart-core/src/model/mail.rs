//! Mail the domain wants sent. Services put an [`OutgoingMail`] in the outbox
//! (a table, so nothing is lost when SMTP is down or the process restarts);
//! `rampart-notify` renders and delivers it in the background with retries.
//! The domain names a template and gives its context; it never formats mail.

use crate::model::{Email, UserId};
use serde_json::Value;

/// Which mail to send; each has a text and an HTML template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailTemplate {
    /// "Confirm your e-mail address" with a link.
    VerifyEmail,
    /// "Reset your password" with a link.
    PasswordReset,
    /// "Your password was changed".
    PasswordChanged,
    /// "Someone used a copy of your sign-in cookie".
    RememberMeTheft,
    /// "Confirm your new e-mail address" (to the new address).
    EmailChangeConfirm,
    /// "A change of your e-mail address was requested" (to the old address).
    EmailChangeNotice,
    /// "A recovery code was used to sign in".
    RecoveryCodeUsed,
    /// "Two-factor authentication was enabled / disabled / reset".
    MfaChanged,
    /// "Sign-in was paused after repeated failures".
    AccountLocked,
    /// "A sign-in from a new device or network".
    NewSignIn,
    /// "A copy of one of your passkeys may exist" (its signature counter
    /// went backwards).
    PasskeyCloneSuspected,
}

impl MailTemplate {
    /// Every template.
    pub const ALL: [MailTemplate; 11] = [
        MailTemplate::VerifyEmail,
        MailTemplate::PasswordReset,
        MailTemplate::PasswordChanged,
        MailTemplate::RememberMeTheft,
        MailTemplate::EmailChangeConfirm,
        MailTemplate::EmailChangeNotice,
        MailTemplate::RecoveryCodeUsed,
        MailTemplate::MfaChanged,
        MailTemplate::AccountLocked,
        MailTemplate::NewSignIn,
        MailTemplate::PasskeyCloneSuspected,
    ];

    /// The template's file stem.
    pub fn name(self) -> &'static str {
        match self {
            MailTemplate::VerifyEmail => "verify_email",
            MailTemplate::PasswordReset => "password_reset",
            MailTemplate::PasswordChanged => "password_changed",
            MailTemplate::RememberMeTheft => "remember_me_theft",
            MailTemplate::EmailChangeConfirm => "email_change_confirm",
            MailTemplate::EmailChangeNotice => "email_change_notice",
            MailTemplate::RecoveryCodeUsed => "recovery_code_used",
            MailTemplate::MfaChanged => "mfa_changed",
            MailTemplate::AccountLocked => "account_locked",
            MailTemplate::NewSignIn => "new_sign_in",
            MailTemplate::PasskeyCloneSuspected => "passkey_clone_suspected",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A mail waiting in the outbox.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// The account it concerns (its queued mails go when it is deleted).
    pub user_id: Option<UserId>,
    /// Recipient.
    pub to: Email,
    /// What to send.
    pub template: MailTemplate,
    /// Values for the template (`username`, `link`, …).
    pub context: Value,
}

impl OutgoingMail {
    /// A mail to `user` at their address, whose context has `username` and
    /// `base_url` and the fields of `extra`.
    pub fn to_user(
        user: &crate::model::User,
        template: MailTemplate,
        base_url: &str,
        extra: Value,
    ) -> Self {
        let mut context = serde_json::json!({
            "username": user.username.as_str(),
            "base_url": base_url,
        });
        if let (Some(context), Value::Object(extra)) = (context.as_object_mut(), extra) {
            context.extend(extra);
        }
        Self::for_user(user, template, context)
    }

    /// A mail to `user` at their address, with `context` as it is.
    pub fn for_user(user: &crate::model::User, template: MailTemplate, context: Value) -> Self {
        Self {
            user_id: Some(user.id),
            to: user.email.clone(),
            template,
            context,
        }
    }
}

/// A queued mail as read back for delivery.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    /// Outbox row id.
    pub id: String,
    /// The mail.
    pub mail: OutgoingMail,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// The language of the account it goes to, as it was when the mail was
    /// queued (a later change does not reach mails already on their way),
    /// if known: the mail is written in it.
    pub language: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::MailTemplate;

    #[test]
    fn every_template_name_parses_back() {
        for name in [
            "verify_email",
            "password_reset",
            "password_changed",
            "remember_me_theft",
            "email_change_confirm",
            "email_change_notice",
            "recovery_code_used",
            "mfa_changed",
            "account_locked",
            "new_sign_in",
        ] {
            let template = MailTemplate::parse(name);
            assert_eq!(template.map(MailTemplate::name), Some(name));
        }
    }
}
