//! Page templates: minijinja with HTML auto-escaping, built into the binary,
//! each replaceable by a file of the same name in `RAMPART_TEMPLATES_DIR` so
//! operators can brand the pages without rebuilding.

use crate::i18n::{CatalogueError, Catalogues};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::value::{Enumerator, Object, Value};
use minijinja::{Environment, HtmlEscape};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use time::OffsetDateTime;

/// What every page's header shows about the visitor: for a signed-in
/// person the menu and a sign-out button (a POST with the CSRF token), for
/// anyone else the ways in. The session middleware sets, once per request
/// ([`with_chrome`]), how to build it; it is built only when a page is
/// rendered (not for redirects, POSTs or JSON), at most once a request, so no
/// handler has to pass it (ASVS 7.4.4). Templates read it as `chrome`, a
/// minijinja object answering each field as asked (no map built per page).
#[derive(Clone, Default)]
pub struct Chrome {
    /// Someone is signed in.
    pub signed_in: bool,
    /// They may open the console.
    pub is_staff: bool,
    /// The request's CSRF token, for the sign-out form.
    pub csrf_token: String,
    /// Anyone may create an account.
    pub registration_open: bool,
    /// The request's time (the server's clock): what `{{ t | when }}`
    /// counts from; none outside a request. Templates read it as RFC 3339.
    pub now: Option<OffsetDateTime>,
    /// The page's language (negotiated from `Accept-Language`): `<html
    /// lang>`, and the catalogue `t("key")` reads.
    pub lang: String,
}

impl std::fmt::Debug for Chrome {
    /// Without the CSRF token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chrome")
            .field("signed_in", &self.signed_in)
            .field("is_staff", &self.is_staff)
            .field("registration_open", &self.registration_open)
            .field("now", &self.now)
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

/// The fields of [`Chrome`] as templates name them.
const CHROME_FIELDS: &[&str] = &[
    "signed_in",
    "is_staff",
    "csrf_token",
    "registration_open",
    "now",
    "lang",
];

impl Object for Chrome {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        Some(match key {
            "signed_in" => Value::from(self.signed_in),
            "is_staff" => Value::from(self.is_staff),
            "csrf_token" => Value::from(self.csrf_token.as_str()),
            "registration_open" => Value::from(self.registration_open),
            "now" => Value::from(self.now.map(crate::api::me::rfc3339).unwrap_or_default()),
            "lang" => Value::from(self.lang.as_str()),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(CHROME_FIELDS)
    }

    /// As its `Debug`, without the CSRF token (a `Value`'s `Debug` would
    /// list every field).
    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// A page's rendering context: its own fields (serialized) and the
/// request's [`Chrome`] as `chrome`, which a page field of that name cannot
/// replace. One lookup per name, and no map merged or copied per page.
#[derive(Debug)]
struct PageContext {
    page: Value,
    chrome: Value,
}

impl Object for PageContext {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        if key == "chrome" {
            return Some(self.chrome.clone());
        }
        self.page
            .get_attr(key)
            .ok()
            .filter(|value| !value.is_undefined())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut names: Vec<Value> = self
            .page
            .try_iter()
            .map(|names| {
                names
                    .filter(|name| name.as_str() != Some("chrome"))
                    .collect()
            })
            .unwrap_or_default();
        names.push(Value::from("chrome"));
        Enumerator::Values(names)
    }
}

/// Room reserved for a page before it is rendered (the account page weighs
/// about 2 KiB): most pages are written without growing the buffer.
const PAGE_ROOM: usize = 8 * 1024;

/// Headers a page's response carries: its type, the security headers
/// (`middleware::headers`), the request id, and a cookie or two.
const PAGE_HEADERS: usize = 12;

/// Builds the request's [`Chrome`] when a page needs it (the first time;
/// after that, the same one: see [`built_once`]).
pub type ChromeSource = Arc<dyn Fn() -> Arc<Chrome> + Send + Sync>;

/// The [`ChromeSource`] that calls `build` the first time a page asks
/// and hands out that [`Chrome`] ever after: its clock (`now`, which
/// `| when` counts from) is the time of the first ask.
pub fn built_once(build: impl Fn() -> Chrome + Send + Sync + 'static) -> ChromeSource {
    let built = std::sync::OnceLock::new();
    Arc::new(move || built.get_or_init(|| Arc::new(build())).clone())
}

tokio::task_local! {
    static CHROME: ChromeSource;
}

/// Runs `handler` (a request's handling) with `chrome` for its pages.
pub async fn with_chrome<F: std::future::Future>(chrome: ChromeSource, handler: F) -> F::Output {
    CHROME.scope(chrome, handler).await
}

/// Runs `render` (a page's rendering outside the request's handling: an
/// error page) with `chrome` for its header.
pub fn with_chrome_now<R>(chrome: ChromeSource, render: impl FnOnce() -> R) -> R {
    CHROME.sync_scope(chrome, render)
}

/// Embeds `templates/NAME` for each name.
macro_rules! built_in {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// The built-in templates, by name.
pub const BUILT_IN: &[(&str, &str)] = built_in!(
    "base.html",
    "login.html",
    "register.html",
    "account.html",
    "error.html",
    "password_forgot.html",
    "password_reset.html",
    "verify_email.html",
    "account_password.html",
    "reauth.html",
    "sessions.html",
    "tokens.html",
    "account_delete.html",
    "account_email.html",
    "email_confirm.html",
    "login_mfa.html",
    "mfa_totp.html",
    "admin_nav.html",
    "admin_dashboard.html",
    "admin_users.html",
    "admin_user.html",
    "sign_out_others.html",
    "account_passkeys.html",
    "account_language.html",
    "passkey_words.html",
);

/// The compiled template set, and the catalogues of its words.
pub struct Templates {
    /// For each language there is a catalogue for, the templates with its
    /// plain words written in: a page says most of its words without
    /// calling `t()`. Written-in words are in the page's language
    /// (`chrome.lang`) whatever a template sets `lang` to.
    written: Vec<(String, Environment<'static>)>,
    /// Which of `written` is the default language's.
    default: usize,
    catalogues: Arc<Catalogues>,
}

/// The templates, overridden by files in `override_dir`, with the plain
/// words of `written_in` written in (none: as written, every word a `t()`
/// call).
fn template_environment(
    catalogues: &Arc<Catalogues>,
    override_dir: Option<PathBuf>,
    site_name: &str,
    written_in: Option<String>,
) -> Environment<'static> {
    let mut env = crate::i18n::environment(catalogues.clone(), BUILT_IN, override_dir, written_in);
    env.add_global("site_name", site_name.to_owned());
    let words = catalogues.clone();
    env.add_filter("when", move |state: &mut minijinja::State, value: Value| {
        when(&words, state, value)
    });
    env
}

/// Why the templates could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// A template does not compile.
    #[error("template {name} is invalid: {source}")]
    Invalid {
        /// Which one.
        name: String,
        /// What minijinja said.
        #[source]
        source: minijinja::Error,
    },
    /// A catalogue of words does not load.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
}

impl Templates {
    /// Loads the built-in templates and catalogues, overridden by files in
    /// `override_dir` (`NAME.html`, `locales/LANG.ftl`); `default_language`
    /// answers requests that ask for no language there is. Every template
    /// is compiled now, so a broken override stops start-up instead of
    /// breaking a page later.
    pub fn load(
        override_dir: Option<PathBuf>,
        site_name: &str,
        default_language: &str,
    ) -> Result<Self, TemplateError> {
        let catalogues = Arc::new(Catalogues::load(override_dir.as_deref(), default_language)?);
        let written: Vec<_> = catalogues
            .languages()
            .into_iter()
            .map(|(lang, _)| {
                let env = template_environment(
                    &catalogues,
                    override_dir.clone(),
                    site_name,
                    Some(lang.clone()),
                );
                (lang, env)
            })
            .collect();
        let default_language = catalogues.negotiate(None);
        let default = written
            .iter()
            .position(|(lang, _)| *lang == default_language)
            .unwrap_or(0);
        // Every template compiles now in each language, so a broken
        // override stops start-up. There is no environment of templates as
        // written: every page renders in a language of the catalogues, and
        // writing words in only replaces whole `t(...)` calls, so a template
        // that does not compile as written does not compile in any language
        // either (about 1 MiB of compiled instructions no page would use,
        // #20 idle memory).
        for (_, env) in &written {
            for (name, _) in BUILT_IN {
                env.get_template(name)
                    .map_err(|source| TemplateError::Invalid {
                        name: (*name).to_owned(),
                        source,
                    })?;
            }
        }
        Ok(Self {
            written,
            default,
            catalogues,
        })
    }

    /// `words` in the language of the request being handled (English
    /// when they are for operators only).
    pub fn say(&self, words: &rampart_core::Words) -> String {
        self.say_in(&self.language(), words)
    }

    /// The language of the request being handled (the default outside
    /// one). Building it builds the page header's facts: a handler saying
    /// many things asks once and uses [`Self::say_in`].
    pub fn language(&self) -> String {
        CHROME
            .try_with(|build| build().lang.clone())
            .ok()
            .filter(|lang| !lang.is_empty())
            .unwrap_or_else(|| self.catalogues.negotiate(None))
    }

    /// `words` in `lang` (English when they are for operators only).
    pub fn say_in(&self, lang: &str, words: &rampart_core::Words) -> String {
        let Some(key) = words.key else {
            return words.english.clone();
        };
        self.catalogues
            .message(lang, key, Some(&crate::i18n::fluent_args(&words.args)))
            .unwrap_or_else(|| words.english.clone())
    }

    /// The catalogues of the pages' words (mails share them).
    pub fn catalogues(&self) -> Arc<Catalogues> {
        self.catalogues.clone()
    }

    /// The language to answer a request that sent `accept_language` in.
    pub fn negotiate(&self, accept_language: Option<&str>) -> String {
        self.catalogues.negotiate(accept_language)
    }

    /// Renders a template to a string; its header gets the request's
    /// [`Chrome`] as `chrome`.
    pub fn render_to_string(
        &self,
        name: &str,
        ctx: impl Serialize,
    ) -> Result<String, minijinja::Error> {
        let (ctx, lang) = self.context(ctx);
        self.environment(&lang).get_template(name)?.render(ctx)
    }

    /// Renders a page into a buffer with [`PAGE_ROOM`] reserved, so that
    /// it grows without a copy: minijinja's own guess is made from the
    /// page's template alone, without the layout it extends.
    fn render_page(&self, name: &str, ctx: impl Serialize) -> Result<Vec<u8>, minijinja::Error> {
        let (ctx, lang) = self.context(ctx);
        let mut page = Vec::with_capacity(PAGE_ROOM);
        self.environment(&lang)
            .get_template(name)?
            .render_captured_to(ctx, &mut page)?;
        Ok(page)
    }

    /// The rendering context of a page's fields, with the request's
    /// [`Chrome`] as `chrome`, and the page's language.
    fn context(&self, ctx: impl Serialize) -> (Value, String) {
        // The page header's `chrome`: the request's, or an anonymous one.
        let mut chrome = CHROME.try_with(|build| build()).unwrap_or_default();
        // Rendered outside a request's handling (a timeout, a caught
        // panic): the default language, said in `<html lang>` too.
        if chrome.lang.is_empty() {
            let lang = self.catalogues.negotiate(None);
            Arc::make_mut(&mut chrome).lang = lang;
        }
        let lang = chrome.lang.clone();
        let ctx = Value::from_object(PageContext {
            page: Value::from(minijinja::value::Serde(ctx)),
            chrome: Value::from_dyn_object(chrome),
        });
        (ctx, lang)
    }

    /// The templates to render a page in `lang` with: those with its words
    /// written in, or the default language's for a language without a
    /// catalogue (a request's language is always one of the catalogues').
    fn environment(&self, lang: &str) -> &Environment<'static> {
        let (_, env) = self
            .written
            .iter()
            .find(|(written_in, _)| written_in == lang)
            .unwrap_or(&self.written[self.default]);
        env
    }

    /// Renders a full HTML response with `status`.
    pub fn page(&self, status: StatusCode, name: &str, ctx: impl Serialize) -> Response {
        match self.render_page(name, ctx) {
            Ok(html) => {
                let mut page = Response::new(axum::body::Body::from(html));
                *page.status_mut() = status;
                let headers = page.headers_mut();
                // Room for the headers the layers add on the way out, so
                // the map is not grown and rehashed on every page.
                headers.reserve(PAGE_HEADERS);
                headers.insert(
                    header::CONTENT_TYPE,
                    header::HeaderValue::from_static("text/html; charset=utf-8"),
                );
                page
            }
            Err(err) => {
                tracing::error!(template = name, error = %err, "template rendering failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "The page could not be rendered. The operator has been told.",
                )
                    .into_response()
            }
        }
    }
}

/// The catalogues' keys for a count of `unit`s ago and in a count of
/// them (`when-minutes-ago`, `when-in-minutes`).
fn unit_keys(unit: rampart_core::when::Unit) -> (&'static str, &'static str) {
    use rampart_core::when::Unit;
    match unit {
        Unit::Minute => ("when-minutes-ago", "when-in-minutes"),
        Unit::Hour => ("when-hours-ago", "when-in-hours"),
        Unit::Day => ("when-days-ago", "when-in-days"),
    }
}

/// `{{ t | when }}`: an RFC 3339 time as people read it, in the page's
/// language, relative to the request's clock (`chrome.now`), with the
/// exact time as its tooltip and the machine-readable one in `datetime`:
/// `<time datetime="2026-12-03T06:49:48Z" title="3 December 2026, 06:49:48 UTC">3 minutes ago</time>`.
/// Anything else ("never") is left as it is.
fn when(catalogues: &Catalogues, state: &mut minijinja::State, value: Value) -> Value {
    use rampart_core::when::{Relative, relative};
    use time::format_description::well_known::Rfc3339;
    let parse = |text: &str| OffsetDateTime::parse(text, &Rfc3339).ok();
    let Some(at) = value.as_str().and_then(parse) else {
        // A time that never was ("last used never") in the page's words.
        if value.as_str() == Some("never") {
            let lang = crate::i18n::language(catalogues, state);
            return Value::from(catalogues.say(&lang, "when-never", None));
        }
        return value;
    };
    // The request's clock, from its page header (every page's context has
    // one; mails have no `| when`).
    let now = state
        .lookup("chrome")
        .and_then(|chrome| chrome.downcast_object_ref::<Chrome>().and_then(|c| c.now));
    // A time past the year 9999 once in UTC cannot be said: left as it is.
    let Some(at) = at.checked_to_offset(time::UtcOffset::UTC) else {
        return value;
    };
    let at = at.replace_nanosecond(0).unwrap_or(at);
    let lang = crate::i18n::language(catalogues, state);
    let say = |key: &str, args: &[(&str, fluent_bundle::FluentValue)]| {
        catalogues.say_with(&lang, key, args)
    };
    let date = |at: OffsetDateTime| catalogues.date(&lang, at);
    let exact = catalogues.exact(&lang, at);
    let said = match now.map(|now| relative(at, now)) {
        None => exact.clone(),
        Some(Relative::JustNow) => say("when-just-now", &[]),
        Some(Relative::On(day)) => say("when-on", &[("date", date(day).into())]),
        Some(Relative::Ago(unit, count)) => catalogues.say_count(&lang, unit_keys(unit).0, count),
        Some(Relative::In(unit, count)) => catalogues.say_count(&lang, unit_keys(unit).1, count),
    };
    let machine = at.format(&Rfc3339).unwrap_or_default();
    Value::from_safe_string(format!(
        "<time datetime=\"{machine}\" title=\"{}\">{}</time>",
        HtmlEscape(&exact),
        HtmlEscape(&said)
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// The built-in templates as written (every word a `t()` call), as
    /// `Templates::load(None, "Rampart", ..)` would build them.
    fn as_written(templates: &Templates) -> Environment<'static> {
        template_environment(&templates.catalogues, None, "Rampart", None)
    }

    /// ASVS 6.2.6 and 6.2.7: every password field is masked and tells
    /// password managers what it holds; nothing stops pasting or limits
    /// the length the policy allows.
    #[test]
    fn password_fields_are_masked_and_manager_friendly() {
        let mut seen = 0;
        for (name, text) in BUILT_IN {
            for input in text.split("<input").skip(1) {
                let tag = &input[..input.find('>').unwrap()];
                let field = tag
                    .split("name=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_default();
                if !field.contains("password") {
                    continue;
                }
                seen += 1;
                assert!(tag.contains("type=\"password\""), "{name}: {tag}");
                assert!(
                    tag.contains("autocomplete=\"current-password\"")
                        || tag.contains("autocomplete=\"new-password\""),
                    "{name}: {tag}"
                );
                for banned in [
                    "maxlength",
                    "onpaste",
                    "oncopy",
                    "autocomplete=\"off\"",
                    "readonly",
                ] {
                    assert!(!tag.contains(banned), "{name}: {tag} has {banned}");
                }
            }
        }
        assert!(seen >= 10, "only {seen} password fields found");
    }

    #[test]
    fn every_key_a_template_asks_for_exists() {
        let catalogues = crate::i18n::Catalogues::load(None, "en").unwrap();
        let english = catalogues.keys("en");
        for (name, text) in BUILT_IN {
            for key in crate::i18n::keys_asked_by(text) {
                assert!(english.iter().any(|k| k == key), "{name} asks for {key}");
            }
        }
    }

    /// The keys the server's own code says things with (`Words::new`,
    /// `FieldProblem::new`, scopes, devices), read from the sources.
    fn keys_in_code() -> Vec<String> {
        let crates = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut keys = Vec::new();
        let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(crates)
            .unwrap()
            .map(|e| e.unwrap().path().join("src"))
            .collect();
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for path in entries.map(|e| e.unwrap().path()) {
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for part in text.split('"').skip(1).step_by(2) {
                        let prefix = [
                            "problem-", "error-", "device-", "scope-", "chart-", "notice-",
                        ];
                        if prefix.iter().any(|p| part.starts_with(p))
                            && part.len() > 8
                            && part
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        {
                            keys.push(part.to_owned());
                        }
                    }
                }
            }
        }
        keys.sort();
        keys.dedup();
        keys
    }

    #[test]
    fn every_key_the_server_says_exists_in_every_shipped_language() {
        let catalogues = crate::i18n::Catalogues::load(None, "en").unwrap();
        let keys = keys_in_code();
        assert!(keys.len() > 100, "{keys:?}");
        for (lang, _) in crate::i18n::BUILT_IN {
            let has = catalogues.keys(lang);
            let missing: Vec<_> = keys.iter().filter(|k| !has.contains(k)).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        }
    }

    /// A form problem says in English what the code's English sentence
    /// (the API's) says, and in German something else.
    #[test]
    fn form_problems_read_the_same_in_english_and_are_translated() {
        use rampart_core::password::PasswordPolicy;
        let catalogues = crate::i18n::Catalogues::load(None, "en").unwrap();
        let policy = PasswordPolicy::default();
        let mut problems = Vec::new();
        for (password, name, email) in [
            ("short", "bob", "bob@example.com"),
            ("password", "bob", "bob@example.com"),
            ("correct horse alice battery", "alice", "alice@example.com"),
            (
                "correct horse mailbox battery",
                "bob",
                "mailbox@example.com",
            ),
            ("alice", "alice", "alice@example.com"),
            (&"x".repeat(5000), "bob", "bob@example.com"),
        ] {
            problems.extend(policy.check(
                &secrecy::SecretString::from(password.to_owned()),
                Some(name),
                Some(email),
            ));
        }
        problems.extend(rampart_core::Username::parse("a").err());
        problems.extend(rampart_core::Username::parse("-abc").err());
        problems.extend(rampart_core::Email::parse("nobody").err());
        problems.extend(rampart_core::Email::parse("ü@example.com").err());
        problems.extend(rampart_core::RoleName::parse("Bad Role").err());
        problems.extend(rampart_core::passkey::parse_name("").err());
        problems.extend(rampart_core::passkey::parse_name(&"x".repeat(200)).err());
        assert!(problems.len() >= 12, "{problems:?}");
        for problem in problems {
            let words = &problem.words;
            let key = words.key.unwrap();
            let args = crate::i18n::fluent_args(&words.args);
            let english = catalogues.message("en", key, Some(&args)).unwrap();
            assert_eq!(english, problem.message, "{key}");
            let german = catalogues.message("de", key, Some(&args)).unwrap();
            assert_ne!(german, problem.message, "{key} is translated");
        }
    }

    #[test]
    fn every_template_file_is_built_in() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                BUILT_IN.iter().any(|(n, _)| *n == name),
                "{name} is not in BUILT_IN"
            );
        }
    }

    /// The instant written in RFC 3339.
    fn at(text: &str) -> Option<OffsetDateTime> {
        Some(OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap())
    }

    /// A page sees the request's header facts as `chrome` (the typed clock
    /// included, which `| when` counts from), built once however often it
    /// is asked for, and a page field named `chrome` cannot replace them.
    #[test]
    fn pages_get_the_request_chrome_built_once() {
        let templates = Templates::load(None, "Rampart", "en").unwrap();
        let builds = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let source = {
            let builds = builds.clone();
            built_once(move || {
                builds.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Chrome {
                    signed_in: true,
                    csrf_token: "the-token".to_owned(),
                    now: at("2026-12-03T06:49:48Z").map(|t| t + time::Duration::minutes(3)),
                    lang: "de".to_owned(),
                    ..Chrome::default()
                }
            })
        };
        assert!(
            !format!("{:?}", source()).contains("the-token"),
            "no CSRF token in debug output"
        );
        #[derive(Serialize)]
        struct Page {
            chrome: &'static str,
            signed_in_at: &'static str,
        }
        let env = &templates.written[0].1;
        let (ctx, lang, language) = with_chrome_now(source, || {
            let (ctx, lang) = templates.context(Page {
                chrome: "a page field",
                signed_in_at: "2026-12-03T06:49:48Z",
            });
            (ctx, lang, templates.language())
        });
        assert_eq!(language, "de");
        assert!(
            !format!("{ctx:?}").contains("the-token"),
            "no CSRF token in the context's debug output: {ctx:?}"
        );
        assert_eq!(lang, "de");
        let shown = env
            .render_str(
                "{{ chrome.lang }} {{ chrome.csrf_token }} {{ chrome.signed_in }} {{ chrome.now }} {{ signed_in_at | when }}",
                ctx,
            )
            .unwrap();
        assert_eq!(
            shown,
            "de the-token True 2026-12-03T06:52:48Z <time datetime=\"2026-12-03T06:49:48Z\" title=\"3. Dezember 2026, 06:49:48 UTC\">vor 3 Minuten</time>"
        );
        assert_eq!(builds.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn times_are_shown_for_people() {
        let templates = Templates::load(None, "Rampart", "en").unwrap();
        let mut env = as_written(&templates);
        let render = |env: &mut Environment<'static>, ctx: minijinja::Value| {
            env.render_str("{{ t | when }}", ctx).unwrap()
        };
        // The page header a request gives every page.
        let chrome = |now: &str, lang: &str| {
            minijinja::Value::from_object(Chrome {
                now: at(now),
                lang: lang.to_owned(),
                ..Chrome::default()
            })
        };
        let shown = render(
            &mut env,
            minijinja::context! {
                t => "2026-12-03T06:49:48.031400078Z",
                chrome => chrome("2026-12-03T06:52:50Z", "en"),
            },
        );
        assert_eq!(
            shown,
            "<time datetime=\"2026-12-03T06:49:48Z\" title=\"3 December 2026, 06:49:48 UTC\">3 minutes ago</time>"
        );
        let german = render(
            &mut env,
            minijinja::context! {
                t => "2026-12-03T06:49:48Z",
                chrome => chrome("2026-12-04T09:00:00Z", "de"),
            },
        );
        assert_eq!(
            german,
            "<time datetime=\"2026-12-03T06:49:48Z\" title=\"3. Dezember 2026, 06:49:48 UTC\">vor einem Tag</time>"
        );
        // Every unit, both ways, is said in words in both languages.
        for (now, en, de) in [
            ("2026-12-03T07:19:48Z", "30 minutes ago", "vor 30 Minuten"),
            ("2026-12-03T06:19:48Z", "in 30 minutes", "in 30 Minuten"),
            ("2026-12-03T11:49:48Z", "5 hours ago", "vor 5 Stunden"),
            ("2026-12-03T01:49:48Z", "in 5 hours", "in 5 Stunden"),
            ("2026-12-08T06:49:48Z", "5 days ago", "vor 5 Tagen"),
            ("2026-11-28T06:49:48Z", "in 5 days", "in 5 Tagen"),
        ] {
            for (lang, said) in [("en", en), ("de", de)] {
                let shown = render(
                    &mut env,
                    minijinja::context! { t => "2026-12-03T06:49:48Z", chrome => chrome(now, lang) },
                );
                assert!(
                    shown.ends_with(&format!(">{said}</time>")),
                    "{now} {lang}: {shown}"
                );
            }
        }
        let without_clock = render(
            &mut env,
            minijinja::context! { t => "2026-12-03T06:49:48Z" },
        );
        assert!(
            without_clock.contains(">3 December 2026, 06:49:48 UTC</time>"),
            "{without_clock}"
        );
        assert_eq!(
            render(&mut env, minijinja::context! { t => "never" }),
            "never"
        );
        // Late on the last day of 9999 west of UTC is the year 10000 in
        // UTC, which cannot be said: left as it is, not a panic.
        let last = "9999-12-31T23:30:00-02:00";
        let edge =
            minijinja::context! { t => last, chrome => chrome("2026-12-03T06:52:50Z", "en") };
        assert_eq!(render(&mut env, edge), last);
        assert_eq!(
            render(&mut env, minijinja::context! { t => "<b>not a time</b>" }),
            "<b>not a time</b>",
            "left as it is (auto-escaping applies to .html templates)"
        );
    }

    #[test]
    fn values_put_into_words_are_escaped() {
        let templates = Templates::load(None, "Rampart", "en").unwrap();
        let as_written = as_written(&templates);
        let html = as_written
            .render_named_str(
                "probe.html",
                "<h1>{{ t(\"account-hello\", name=name) }}</h1>",
                minijinja::context! { name => "<script>alert(1)</script>" },
            )
            .unwrap();
        assert_eq!(
            html,
            "<h1>Hello, &lt;script&gt;alert(1)&lt;&#x2f;script&gt;</h1>"
        );
        let apostrophe = as_written
            .render_named_str("probe.html", "{{ t(\"passkeys-confirm\") }}", ())
            .unwrap();
        assert_eq!(
            apostrophe, "Confirm it's you",
            "the catalogue's own words stand"
        );
    }

    #[test]
    fn no_page_renders_a_missing_message_in_either_language() {
        let templates = Templates::load(None, "Rampart", "en").unwrap();
        // Fields this context lacks read as empty: every template renders
        // in full (an error would hide a page from the check).
        let mut env = as_written(&templates);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for lang in ["en", "de"] {
            let chrome = Chrome {
                signed_in: true,
                is_staff: true,
                lang: lang.to_owned(),
                now: at("2026-12-03T06:49:48Z"),
                ..Chrome::default()
            };
            for (name, _) in BUILT_IN {
                let template = env.get_template(name).unwrap();
                let html = template
                    .render(minijinja::context! {
                        chrome => minijinja::Value::from_object(chrome.clone()),
                        username => "alice",
                        heading => "register-title",
                        min_password => 8,
                        recovery_codes_low => 2,
                        sessions => vec![minijinja::context! { ip => "192.0.2.1", current => false }],
                    })
                    .unwrap_or_else(|e| panic!("{name} in {lang}: {e:#}"));
                assert!(!html.contains('⟦'), "{name} in {lang}: {html}");
            }
        }
        let chrome = Chrome {
            lang: "de".to_owned(),
            ..Chrome::default()
        };
        let as_written = as_written(&templates);
        let login = as_written.get_template("login.html").unwrap();
        let html = login
            .render(minijinja::context! { chrome => minijinja::Value::from_object(chrome.clone()) })
            .unwrap();
        assert!(html.contains("<html lang=\"de\">"), "{html}");
        assert!(html.contains("Passwort vergessen?"), "{html}");
        // passkey.js's messages come with the page, in its language.
        let html = login
            .render(minijinja::context! {
                chrome => minijinja::Value::from_object(chrome.clone()),
                passkeys => true,
            })
            .unwrap();
        assert!(
            html.contains("data-not-accepted=\"Dieser Passkey wurde nicht angenommen."),
            "{html}"
        );
    }

    /// The templates with a language's words written in render every
    /// page exactly as the templates as written do in that language.
    #[test]
    fn pages_with_their_words_written_in_render_the_same() {
        let templates = Templates::load(None, "Rampart", "en").unwrap();
        let mut as_written = as_written(&templates);
        as_written.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        assert_eq!(templates.written.len(), 2);
        for (lang, written) in &templates.written {
            let mut written = written.clone();
            written.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
            let chrome = Chrome {
                signed_in: true,
                is_staff: true,
                lang: lang.clone(),
                now: at("2026-12-03T06:49:48Z"),
                csrf_token: "token".to_owned(),
                registration_open: true,
            };
            let ctx = minijinja::context! {
                chrome => minijinja::Value::from_object(chrome.clone()),
                username => "alice <b>",
                heading => "register-title",
                min_password => 8,
                recovery_codes_low => 2,
                signed_in_at => "2026-12-03T06:40:00Z",
                sessions => vec![minijinja::context! { ip => "192.0.2.1", current => false }],
            };
            let mut words_written = 0;
            for (name, source) in BUILT_IN {
                let expected = as_written.get_template(name).unwrap().render(&ctx).unwrap();
                let got = written.get_template(name).unwrap().render(&ctx).unwrap();
                assert_eq!(got, expected, "{name} in {lang}");
                let text = templates.catalogues.write_in(lang, source);
                words_written += crate::i18n::keys_asked_by(source).len()
                    - crate::i18n::keys_asked_by(&text).len();
            }
            assert!(
                words_written > 200,
                "{lang}: only {words_written} written in"
            );
        }
        // A page in a language with a catalogue renders with that
        // language's templates; one without, with the default language's.
        for (lang, written) in &templates.written {
            assert!(std::ptr::eq(templates.environment(lang), written), "{lang}");
        }
        let english = &templates
            .written
            .iter()
            .find(|(lang, _)| lang == "en")
            .unwrap()
            .1;
        assert!(std::ptr::eq(templates.environment("fr"), english));
        assert!(std::ptr::eq(templates.environment(""), english));
    }

    /// A page's own field named `chrome` cannot stand in for the request's.
    #[test]
    fn a_page_field_cannot_replace_the_header() {
        let templates = Templates::load(None, "Rampart", "en").unwrap();
        let forged = serde_json::json!({"chrome": {"lang": "xx", "signed_in": true, "csrf_token": "forged"}});
        let html = templates.render_to_string("login.html", forged).unwrap();
        assert!(html.contains("<html lang=\"en\">"), "{html}");
        assert!(!html.contains("forged"), "{html}");
    }

    #[test]
    fn the_dashboard_counts_in_words() {
        let t = Templates::load(None, "Rampart", "en").unwrap();
        let nav = serde_json::json!({"csrf_token": "x", "can_write": true, "can_roles": true, "can_audit": true});
        let page = |accounts: i64, sessions: i64| {
            let ctx = serde_json::json!({"nav": nav, "sign_ins_chart": "", "totals_chart": "",
                "active_sessions": sessions, "accounts": accounts, "locked": 0});
            t.render_to_string("admin_dashboard.html", ctx).unwrap()
        };
        assert!(page(1, 1).contains("1 account, 0 locked, 1 active session."));
        assert!(page(2, 0).contains("2 accounts, 0 locked, 0 active sessions."));
    }

    #[test]
    fn sessions_page_renders() {
        let t = Templates::load(None, "Rampart", "en").unwrap();
        let ctx = serde_json::json!({"csrf_token": "x", "sessions": [{"id": "a", "device": "d", "ip": "1", "created_at": "c", "last_seen_at": "l", "current": true}]});
        let out = t.render_to_string("sessions.html", ctx);
        assert!(out.is_ok(), "{out:?}");
    }
}
