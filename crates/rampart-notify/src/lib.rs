//! Mail delivery: renders queued mails with their text and HTML templates
//! (built in, each replaceable by `TEMPLATES_DIR/mail/NAME.txt|html`), in
//! the language of the account they go to (its words from the shared
//! catalogues of `rampart-i18n`, subject included), and
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
use minijinja::Environment;
use rampart_core::Clock;
use rampart_core::mail::QueuedMail;
use rampart_core::ports::OutboxRepo;
use rampart_i18n::Catalogues;
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
    catalogues: Arc<Catalogues>,
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
        catalogues: Arc<Catalogues>,
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
        let templates = environment(templates_dir, catalogues.clone());
        for (name, _) in BUILT_IN {
            templates
                .get_template(name)
                .map_err(|e| MailError::Template((*name).to_owned(), e.to_string()))?;
        }
        Ok(Self {
            outbox,
            clock,
            transport,
            from,
            templates,
            catalogues,
        })
    }

    fn render(&self, queued: &QueuedMail) -> Result<Message, MailError> {
        let name = queued.mail.template.name();
        let lang = self.language(queued.language.as_deref());
        let ctx = minijinja::context! {
            lang => lang.as_str(),
            ..minijinja::Value::from(minijinja::value::Serde(&queued.mail.context))
        };
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
            .subject(
                self.catalogues
                    .say(&lang, &format!("mail-subject-{name}"), None),
            )
            .multipart(MultiPart::alternative_plain_html(
                render("txt")?,
                render("html")?,
            ))
            .map_err(|e| MailError::Delivery(e.to_string()))
    }

    /// The language a mail is written in: its account's, if there is a
    /// catalogue for it, else the site's default.
    fn language(&self, account: Option<&str>) -> String {
        self.catalogues.negotiate(account)
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

/// The mail templates: the built-in ones, each replaceable by
/// `TEMPLATES_DIR/mail/NAME`, with `t("key")` and `| when` in the mail's
/// language (its `lang`).
fn environment(
    templates_dir: Option<PathBuf>,
    catalogues: Arc<Catalogues>,
) -> Environment<'static> {
    let mut env = rampart_i18n::environment(
        catalogues.clone(),
        BUILT_IN,
        templates_dir.map(|d| d.join("mail")),
        None,
    );
    env.add_filter(
        "when",
        move |state: &mut minijinja::State, value: minijinja::Value| {
            exact_time(&catalogues, state, value)
        },
    );
    env
}

/// `{{ t | when }}` in a mail: an RFC 3339 time as people read it, exactly,
/// in the mail's language (`3 December 2026, 06:49:48 UTC`); a mail is read
/// later, so never "3 minutes ago". Anything else is left as it is.
fn exact_time(
    catalogues: &Catalogues,
    state: &mut minijinja::State,
    value: minijinja::Value,
) -> minijinja::Value {
    use time::format_description::well_known::Rfc3339;
    match value
        .as_str()
        .and_then(|text| time::OffsetDateTime::parse(text, &Rfc3339).ok())
    {
        Some(at) => {
            let lang = rampart_i18n::language(catalogues, state);
            minijinja::Value::from(catalogues.exact(&lang, at))
        }
        None => value,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use rampart_core::mail::MailTemplate;

    fn catalogues() -> Arc<Catalogues> {
        Arc::new(Catalogues::load(None, "en").unwrap())
    }

    /// A context with every field some mail uses.
    fn context(lang: &str) -> minijinja::Value {
        minijinja::context! {
            lang => lang,
            username => "alice",
            base_url => "https://auth.example.com",
            link => "https://auth.example.com/verify-email?token=x",
            minutes => 30,
            reset => true,
            new_email => "new@example.com",
            remaining => 9,
            change => "passkey-added",
            name => "<b>Laptop</b>",
            ip => "192.0.2.1",
            user_agent => "Firefox",
            time => "2026-12-03T06:49:48.031400078Z",
        }
    }

    #[test]
    fn mails_show_times_for_people_in_their_language() {
        let env = environment(None, catalogues());
        let said = |t: &str, lang: &str| {
            env.render_str(
                "at {{ t | when }}",
                minijinja::context! { t => t, lang => lang },
            )
            .unwrap_or_default()
        };
        assert_eq!(
            said("2026-12-03T06:49:48.031400078Z", "en"),
            "at 3 December 2026, 06:49:48 UTC"
        );
        assert_eq!(
            said("2026-12-03T06:49:48Z", "de"),
            "at 3. Dezember 2026, 06:49:48 UTC"
        );
        assert_eq!(said("soon", "en"), "at soon");
    }

    #[test]
    fn every_mail_renders_whole_in_every_shipped_language() {
        let catalogues = catalogues();
        let env = environment(None, catalogues.clone());
        for (lang, _) in rampart_i18n::BUILT_IN {
            // The language's own catalogue has every word (no fallback).
            let has = catalogues.keys(lang);
            for (name, text) in BUILT_IN {
                for key in rampart_i18n::keys_asked_by(text) {
                    assert!(
                        has.iter().any(|k| k == key),
                        "{name} asks for {key} in {lang}"
                    );
                }
                // Every value a mail quotes is escaped in HTML.
                let ctx = context(lang);
                let hostile = minijinja::context! {
                    username => "al<i>ce",
                    new_email => "n<i>@example.com",
                    ip => "<i>192.0.2.1",
                    user_agent => "<i>Firefox",
                    ..ctx
                };
                let mail = env
                    .get_template(name)
                    .unwrap()
                    .render(hostile)
                    .unwrap_or_else(|e| panic!("{name} in {lang}: {e:#}"));
                assert!(!mail.contains('⟦'), "{name} in {lang}: {mail}");
                if name.ends_with(".html") {
                    assert!(mail.contains("al&lt;i&gt;ce"), "{name} in {lang}: {mail}");
                    assert!(!mail.contains("<i>"), "{name} in {lang} escapes: {mail}");
                } else {
                    assert!(mail.contains("al<i>ce"), "{name} in {lang}: {mail}");
                }
            }
            for template in MailTemplate::ALL {
                let key = format!("mail-subject-{}", template.name());
                assert!(has.contains(&key), "{key} in {lang}");
            }
        }
    }

    #[test]
    fn a_mail_is_written_in_its_language_and_escapes_what_it_quotes() {
        let env = environment(None, catalogues());
        let render = |name: &str, lang: &str| {
            env.get_template(name)
                .unwrap()
                .render(context(lang))
                .unwrap()
        };
        let german = render("mfa_changed.txt", "de");
        assert!(german.starts_with("Hallo alice,"), "{german}");
        assert!(
            german.contains("Der Passkey „<b>Laptop</b>“ wurde hinzugefügt"),
            "{german}"
        );
        let html = render("mfa_changed.html", "de");
        assert!(html.contains("„&lt;b&gt;Laptop&lt;&#x2f;b&gt;“"), "{html}");
        assert!(
            html.contains(
                "<a href=\"https:&#x2f;&#x2f;auth.example.com&#x2f;password&#x2f;forgot\">"
            ),
            "{html}"
        );
        let english = render("recovery_code_used.txt", "en");
        assert!(
            english.contains("9 unused recovery codes are left."),
            "{english}"
        );
        let german = render("new_sign_in.txt", "de");
        assert!(
            german.contains("Zeit: 3. Dezember 2026, 06:49:48 UTC"),
            "{german}"
        );
    }
}
