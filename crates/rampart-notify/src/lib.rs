//! Mail delivery: renders queued mails with their text and HTML templates
//! (built in, each replaceable by `TEMPLATES_DIR/mail/NAME.txt|html`) and
//! sends them by SMTP (lettre, STARTTLS or implicit TLS per the URL), or in
//! development writes `.eml` files to the outbox folder.
//!
//! The [`Sender`] runs in the background: it takes due mails from the outbox
//! table, delivers each, deletes it when delivered, and on failure tries again
//! with exponential back-off (5 s doubling up to 1 h). A request that queues a
//! mail never waits for SMTP, and an SMTP outage loses nothing.

pub mod webhook;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::{AutoEscape, Environment};
use rampart_core::Clock;
use rampart_core::mail::{MailTemplate, QueuedMail};
use rampart_core::ports::OutboxRepo;
use std::path::PathBuf;
use std::sync::Arc;
use time::Duration;

/// Embeds `templates/mail/NAME` for each name.
macro_rules! built_in {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/mail/", $name)))),*]
    };
}

/// How long a claimed mail or webhook stays hidden from other instances: a
/// sender that vanishes mid-delivery leaves it for a retry after this.
pub(crate) const CLAIM_LEASE: Duration = Duration::minutes(10);

const BUILT_IN: &[(&str, &str)] = built_in!(
    "verify_email.txt",
    "verify_email.html",
    "password_reset.txt",
    "password_reset.html",
    "password_changed.txt",
    "password_changed.html",
    "remember_me_theft.txt",
    "remember_me_theft.html",
    "email_change_confirm.txt",
    "email_change_confirm.html",
    "email_change_notice.txt",
    "email_change_notice.html",
    "recovery_code_used.txt",
    "recovery_code_used.html",
    "mfa_changed.txt",
    "mfa_changed.html",
    "account_locked.txt",
    "account_locked.html",
    "new_sign_in.txt",
    "new_sign_in.html",
    "passkey_clone_suspected.txt",
    "passkey_clone_suspected.html",
);

fn subject(template: MailTemplate) -> &'static str {
    match template {
        MailTemplate::VerifyEmail => "Confirm your e-mail address",
        MailTemplate::PasswordReset => "Reset your password",
        MailTemplate::PasswordChanged => "Your password was changed",
        MailTemplate::RememberMeTheft => "A copy of your sign-in cookie was used",
        MailTemplate::EmailChangeConfirm => "Confirm your new e-mail address",
        MailTemplate::EmailChangeNotice => "Your e-mail address is being changed",
        MailTemplate::RecoveryCodeUsed => "A recovery code of your account was used",
        MailTemplate::MfaChanged => "Your two-factor authentication changed",
        MailTemplate::AccountLocked => "Sign-in to your account was paused",
        MailTemplate::NewSignIn => "A sign-in from a new device",
        MailTemplate::PasskeyCloneSuspected => "A copy of one of your passkeys may exist",
    }
}

/// Why mail could not be set up or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The SMTP URL or sender address is unusable.
    #[error("mail is misconfigured: {0}")]
    Config(String),
    /// A template is broken.
    #[error("mail template {0} is invalid: {1}")]
    Template(String, String),
    /// Delivery failed.
    #[error("delivery failed: {0}")]
    Delivery(String),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// Delivers the outbox.
pub struct Sender {
    outbox: Arc<dyn OutboxRepo>,
    clock: Arc<dyn Clock>,
    transport: Transport,
    from: Mailbox,
    templates: Environment<'static>,
}

/// Where mail goes.
pub enum Destination {
    /// An SMTP server URL (`smtp://host:port`, `smtp://…?tls=required`, `smtps://…`).
    Smtp(String),
    /// A folder for `.eml` files (development).
    Folder(PathBuf),
}

impl Sender {
    /// Sets up delivery; checks every template now.
    pub fn new(
        outbox: Arc<dyn OutboxRepo>,
        clock: Arc<dyn Clock>,
        destination: Destination,
        from: &str,
        templates_dir: Option<PathBuf>,
    ) -> Result<Self, MailError> {
        let transport = match destination {
            Destination::Smtp(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    // The URL may carry a password: never echo it or its parse error.
                    .map_err(|_| {
                        MailError::Config(
                            "smtp_url is not a usable SMTP URL; use smtp://HOST:PORT, smtp://USER:PASSWORD@HOST:587?tls=required or smtps://HOST".to_owned(),
                        )
                    })?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
            ),
            Destination::Folder(dir) => Transport::Files(AsyncFileTransport::new(dir)),
        };
        let from: Mailbox = from
            .parse()
            .map_err(|e| MailError::Config(format!("smtp_from {from:?}: {e}")))?;
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.add_filter("when", exact_time);
        env.set_loader(move |name| {
            let Some((_, built_in)) = BUILT_IN.iter().find(|(n, _)| *n == name) else {
                return Ok(None);
            };
            if let Some(dir) = &templates_dir {
                let path = dir.join("mail").join(name);
                if path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("cannot read {}: {e}", path.display()),
                        )
                    });
                }
            }
            Ok(Some((*built_in).to_owned()))
        });
        for (name, _) in BUILT_IN {
            env.get_template(name)
                .map_err(|e| MailError::Template((*name).to_owned(), e.to_string()))?;
        }
        Ok(Self {
            outbox,
            clock,
            transport,
            from,
            templates: env,
        })
    }

    fn render(&self, queued: &QueuedMail) -> Result<Message, MailError> {
        let name = queued.mail.template.name();
        let ctx = minijinja::Value::from(minijinja::value::Serde(&queued.mail.context));
        let render = |ext: &str| {
            self.templates
                .get_template(&format!("{name}.{ext}"))
                .and_then(|t| t.render(ctx.clone()))
                .map_err(|e| MailError::Template(format!("{name}.{ext}"), e.to_string()))
        };
        let to: Mailbox = queued
            .mail
            .to
            .as_str()
            .parse()
            .map_err(|e| MailError::Delivery(format!("recipient address: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject(queued.mail.template))
            .multipart(MultiPart::alternative_plain_html(
                render("txt")?,
                render("html")?,
            ))
            .map_err(|e| MailError::Delivery(e.to_string()))
    }

    async fn deliver(&self, queued: &QueuedMail) -> Result<(), MailError> {
        let message = self.render(queued)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Delivery(e.to_string())),
            Transport::Files(files) => files
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Delivery(e.to_string())),
        }
    }

    /// Delivers every due mail once (claimed, so no other instance sends
    /// it); returns how many went out.
    pub async fn deliver_due(&self) -> usize {
        let now = self.clock.now();
        let due = match self.outbox.claim_due(now, now + CLAIM_LEASE, 50).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the mail outbox");
                return 0;
            }
        };
        let mut sent = 0;
        for queued in due {
            match self.deliver(&queued).await {
                Ok(()) => {
                    sent += 1;
                    if let Err(err) = self.outbox.delivered(&queued.id).await {
                        tracing::warn!(error = %err, "mail sent but not removed from the outbox; it may be sent twice");
                    }
                    tracing::info!(
                        template = queued.mail.template.name(),
                        attempts = queued.attempts + 1,
                        "mail delivered"
                    );
                }
                Err(err) => {
                    let shift = u32::try_from(queued.attempts.clamp(0, 10)).unwrap_or(10);
                    let delay = Duration::seconds((5_i64 << shift).min(3600));
                    tracing::warn!(template = queued.mail.template.name(), attempts = queued.attempts + 1, error = %err, retry_in_s = delay.whole_seconds(), "mail delivery failed; will retry");
                    if let Err(err) = self
                        .outbox
                        .failed(&queued.id, now + delay, &err.to_string())
                        .await
                    {
                        tracing::warn!(error = %err, "could not record the failed delivery");
                    }
                }
            }
        }
        sent
    }

    /// Delivers the outbox every `interval` until `shutdown` resolves.
    pub async fn run(
        self,
        interval: std::time::Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        every(interval, shutdown, || self.deliver_due()).await;
    }
}

/// Runs `round` every `interval` until `shutdown` resolves (the delivery
/// loop of mail and webhooks).
pub(crate) async fn every<F, Fut>(
    interval: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
    mut round: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = tick.tick() => { round().await; }
            () = &mut shutdown => return,
        }
    }
}

/// `{{ t | when }}` in a mail: an RFC 3339 time as people read it, exactly
/// (`3 December 2026, 06:49:48 UTC`); a mail is read later, so never
/// "3 minutes ago". Anything else is left as it is.
fn exact_time(value: minijinja::Value) -> minijinja::Value {
    use time::format_description::well_known::Rfc3339;
    match value
        .as_str()
        .and_then(|text| time::OffsetDateTime::parse(text, &Rfc3339).ok())
    {
        Some(at) => minijinja::Value::from(rampart_core::when::exact(at)),
        None => value,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn mails_show_times_for_people() {
        let mut env = minijinja::Environment::new();
        env.add_filter("when", super::exact_time);
        let said = |t: &str| {
            env.render_str("at {{ t | when }}", minijinja::context! { t => t })
                .unwrap_or_default()
        };
        assert_eq!(
            said("2026-12-03T06:49:48.031400078Z"),
            "at 3 December 2026, 06:49:48 UTC"
        );
        assert_eq!(said("soon"), "at soon");
    }
}
