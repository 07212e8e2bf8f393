//! Languages: the words of pages, mails and error messages in Fluent
//! catalogues, one `.ftl` per language (`locales/en.ftl`, `locales/de.ftl`),
//! built into the binary and shared by `rampart-web` (pages) and
//! `rampart-notify` (mails). An operator adds a language, or changes some
//! words, with `TEMPLATES_DIR/locales/LANG.ftl`: its messages override the
//! built-in ones of that language. A page's language is negotiated from the
//! request's `Accept-Language` against the catalogues there are; a mail's is
//! the one its account last signed in with; both fall back to
//! `site.default_language`. Templates ask for words with
//! `{{ t("key", count=3) }}`; a key no catalogue has renders as `⟦key⟧`
//! (tests render every page and mail and look for that marker). A
//! catalogue's words are trusted like the templates (an operator's own); the
//! values a template puts into them are escaped. The loading of built-in
//! templates with operators' overrides ([`load_templates`]) is shared here
//! too.

mod fill;

use fill::Fill;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use time::OffsetDateTime;
use unic_langid::LanguageIdentifier;

/// The catalogue keys of the months' names, January first.
const MONTHS: [&str; 12] = [
    "month-1", "month-2", "month-3", "month-4", "month-5", "month-6", "month-7", "month-8",
    "month-9", "month-10", "month-11", "month-12",
];

/// The languages Rampart ships, with their catalogues.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("en", include_str!("../locales/en.ftl")),
    ("de", include_str!("../locales/de.ftl")),
];

/// What a missing message renders as (the key escaped: it is shown where
/// a catalogue's trusted words would have been).
pub fn missing(key: &str) -> String {
    format!("⟦{}⟧", minijinja::HtmlEscape(key))
}

/// A formatted message: its words, or, when formatting had problems (a
/// value it needs is missing), the words as far as they go and the problems.
type Formatted = Result<String, (String, Vec<fluent_bundle::FluentError>)>;

/// The catalogues, by language.
pub struct Catalogues {
    bundles: Vec<(LanguageIdentifier, FluentBundle<FluentResource>)>,
    default: LanguageIdentifier,
    /// Every message that takes no values, formatted once at load for each
    /// language there is a catalogue for (its fallbacks applied), as a safe
    /// template value: most of a page's words, so a page looks them up
    /// instead of formatting them, with no lock and no allocation.
    plain: Vec<(String, HashMap<String, Value>)>,
    /// For each language of `plain` (in its order), every message that
    /// only puts values into its words, as pieces to fill in without
    /// Fluent (see [`fill`]).
    filled: Vec<HashMap<String, Fill>>,
    /// Days already said, by language (its place in `plain`) and date. The
    /// times pages show fall on few days (an account's audit events, its
    /// sessions), and saying a day is a Fluent format of three numbers,
    /// most of the work of a page's `| when` (#20). At most [`DAYS_KEPT`]:
    /// emptied when full.
    days: Kept<(usize, time::Date)>,
    /// Counts already said, by language, message and count (`5 minutes
    /// ago`): a plural message is Fluent's resolver and plural rules at
    /// every page's `| when`, and the counts a page says are few (minutes
    /// below an hour, hours below a day, days below a week). At most
    /// [`COUNTS_KEPT`]: emptied when full.
    counts: Kept<(usize, &'static str, u64)>,
    /// Exact times already said, by language and second (`3 December 2026,
    /// 06:49:48 UTC`, every `| when`'s tooltip): the times a page shows
    /// come back with every request for it (when a session began, when a
    /// way in was last used). At most [`TIMES_KEPT`]: emptied when full.
    times: Kept<(usize, i64)>,
}

/// Words already said, by what they say.
type Kept<K> = std::sync::Mutex<HashMap<K, Arc<str>>>;

/// The words `key` stands for in `kept`, or `say`'s, then kept there; the
/// map is emptied when it holds `most`.
fn kept_or_said<K: std::hash::Hash + Eq>(
    kept: &Kept<K>,
    most: usize,
    key: K,
    say: impl FnOnce() -> String,
) -> String {
    if let Some(said) = kept.lock().ok().and_then(|kept| kept.get(&key).cloned()) {
        return said.to_string();
    }
    let said = say();
    if let Ok(mut kept) = kept.lock() {
        if kept.len() >= most {
            kept.clear();
        }
        kept.insert(key, Arc::from(said.as_str()));
    }
    said
}

/// `at` in UTC; a time past the year 9999 once in UTC keeps its own offset
/// (converting it would overflow).
fn in_utc(at: OffsetDateTime) -> OffsetDateTime {
    at.checked_to_offset(time::UtcOffset::UTC).unwrap_or(at)
}

/// How many days [`Catalogues::date`] keeps said (about 100 bytes each).
const DAYS_KEPT: usize = 512;

/// How many counts [`Catalogues::say_count`] keeps said.
const COUNTS_KEPT: usize = 512;

/// How many times [`Catalogues::exact`] keeps said (about 100 bytes each).
const TIMES_KEPT: usize = 4096;

/// Why the catalogues could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// A catalogue does not parse.
    #[error("the catalogue {name} is invalid: {problems}")]
    Invalid {
        /// Which file.
        name: String,
        /// What the parser said.
        problems: String,
    },
    /// An override could not be read.
    #[error("cannot read {path}: {error}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        error: String,
    },
    /// The default language has no catalogue.
    #[error(
        "site.default_language {0:?} has no catalogue: use en, de or a language with TEMPLATES_DIR/locales/LANG.ftl"
    )]
    NoDefault(String),
}

/// `pattern`, a message of `bundle`, formatted with `args`.
fn format_in(
    bundle: &FluentBundle<FluentResource>,
    pattern: &fluent_syntax::ast::Pattern<&str>,
    args: Option<&FluentArgs>,
) -> Formatted {
    let mut errors = Vec::new();
    let text = bundle
        .format_pattern(pattern, args, &mut errors)
        .into_owned();
    if errors.is_empty() {
        Ok(text)
    } else {
        Err((text, errors))
    }
}

fn parse(name: &str, text: String) -> Result<FluentResource, CatalogueError> {
    FluentResource::try_new(text).map_err(|(_, errors)| CatalogueError::Invalid {
        name: name.to_owned(),
        problems: errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; "),
    })
}

impl Catalogues {
    /// The built-in catalogues, with the overrides and additions in
    /// `override_dir/locales/`, and `default` for requests that ask for no
    /// language there is.
    pub fn load(override_dir: Option<&Path>, default: &str) -> Result<Self, CatalogueError> {
        let mut sources: Vec<(String, Vec<(String, String)>)> = BUILT_IN
            .iter()
            .map(|(lang, text)| {
                (
                    (*lang).to_owned(),
                    vec![(format!("locales/{lang}.ftl"), (*text).to_owned())],
                )
            })
            .collect();
        if let Some(dir) = override_dir.map(|d| d.join("locales"))
            && let Ok(entries) = std::fs::read_dir(&dir)
        {
            let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            for path in files {
                let Some(lang) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".ftl"))
                else {
                    continue;
                };
                let text =
                    std::fs::read_to_string(&path).map_err(|e| CatalogueError::Unreadable {
                        path: path.display().to_string(),
                        error: e.to_string(),
                    })?;
                let file = (path.display().to_string(), text);
                // `DE.ftl` and `de.ftl` are one language.
                let lang = lang
                    .parse::<LanguageIdentifier>()
                    .map_or_else(|_| lang.to_owned(), |id| id.to_string());
                let lang = lang.as_str();
                match sources.iter_mut().find(|(l, _)| l == lang) {
                    Some((_, files)) => files.push(file),
                    None => sources.push((lang.to_owned(), vec![file])),
                }
            }
        }
        let mut bundles = Vec::new();
        let mut keys = BTreeSet::new();
        for (lang, files) in sources {
            let id: LanguageIdentifier = lang.parse().map_err(|_| CatalogueError::Invalid {
                name: format!("locales/{lang}.ftl"),
                problems: format!("{lang:?} is not a language tag"),
            })?;
            let mut bundle = FluentBundle::new_concurrent(vec![id.clone()]);
            // Pages are HTML: no invisible isolation marks around values.
            bundle.set_use_isolating(false);
            for (name, text) in files {
                let resource = parse(&name, text)?;
                keys.extend(message_keys(&resource));
                bundle.add_resource_overriding(resource);
            }
            bundles.push((id, bundle));
        }
        let default: LanguageIdentifier = default
            .parse()
            .map_err(|_| CatalogueError::NoDefault(default.to_owned()))?;
        if !bundles.iter().any(|(id, _)| id == &default) {
            return Err(CatalogueError::NoDefault(default.to_string()));
        }
        let mut catalogues = Self {
            bundles,
            default,
            plain: Vec::new(),
            filled: Vec::new(),
            days: Kept::default(),
            counts: Kept::default(),
            times: Kept::default(),
        };
        catalogues.plain = catalogues
            .bundles
            .iter()
            .map(|(id, _)| {
                let lang = id.to_string();
                let words = keys
                    .iter()
                    .filter_map(|key| {
                        let text = catalogues.format(&lang, key, None)?.ok()?;
                        Some((key.clone(), Value::from_safe_string(text)))
                    })
                    .collect();
                (lang, words)
            })
            .collect();
        catalogues.filled = catalogues
            .plain
            .iter()
            .map(|(lang, _)| {
                keys.iter()
                    .filter_map(|key| {
                        let (_, pattern) = catalogues.pattern(lang, key)?;
                        Some((key.clone(), Fill::of(pattern)?))
                    })
                    .collect()
            })
            .collect();
        Ok(catalogues)
    }

    /// The language to answer a request that sent `accept_language` in:
    /// the best of those there are, else the default.
    pub fn negotiate(&self, accept_language: Option<&str>) -> String {
        // Browsers send a handful of languages; a longer header is cut
        // (no work grows with what a client sends).
        let requested = accept_language
            .map(|header| {
                let mut end = header.len().min(256);
                while !header.is_char_boundary(end) {
                    end -= 1;
                }
                requested(&header[..end])
            })
            .unwrap_or_default();
        let available: Vec<&LanguageIdentifier> = self.bundles.iter().map(|(id, _)| id).collect();
        let default = &self.default;
        let chosen = fluent_langneg::negotiate_languages(
            &requested,
            &available,
            Some(&default),
            fluent_langneg::NegotiationStrategy::Lookup,
        );
        chosen
            .first()
            .map_or_else(|| self.default.to_string(), |id| id.to_string())
    }

    /// The message `key` in `lang` (or the default language, or English),
    /// with `args`; `None` when no catalogue has it.
    pub fn message(&self, lang: &str, key: &str, args: Option<&FluentArgs>) -> Option<String> {
        Some(match self.format(lang, key, args)? {
            Ok(text) => text,
            Err((text, errors)) => {
                tracing::warn!(key, lang, ?errors, "a message did not format cleanly");
                text
            }
        })
    }

    /// The message `key` formatted in the first of `lang`, its parent
    /// language, the default and English that has it; `Err` when the
    /// formatting had problems (a value it needs is missing), with the
    /// words as far as they go.
    fn format(&self, lang: &str, key: &str, args: Option<&FluentArgs>) -> Option<Formatted> {
        let (bundle, pattern) = self.pattern(lang, key)?;
        Some(format_in(bundle, pattern, args))
    }

    /// The message `key` of the first of `lang`, its parent language, the
    /// default and English that has it, with its catalogue.
    fn pattern(
        &self,
        lang: &str,
        key: &str,
    ) -> Option<(
        &FluentBundle<FluentResource>,
        &fluent_syntax::ast::Pattern<&str>,
    )> {
        // A page's language is one of the catalogues' (negotiated): its
        // bundle is found by its tag, with no language tag parsed. `plain`
        // lists the languages in the bundles' order (empty while loading).
        if let Some(found) = self.place(lang)
            && let Some((_, bundle)) = self.bundles.get(found)
            && let Some(pattern) = bundle.get_message(key).and_then(|m| m.value())
        {
            return Some((bundle, pattern));
        }
        let wanted: Option<LanguageIdentifier> = lang.parse().ok();
        // `de-AT` borrows what it lacks from `de`.
        let parent: Option<LanguageIdentifier> = wanted
            .as_ref()
            .and_then(|id| id.language.as_str().parse().ok());
        let english: LanguageIdentifier = unic_langid::langid!("en");
        let order = [
            wanted.as_ref(),
            parent.as_ref(),
            Some(&self.default),
            Some(&english),
        ];
        for id in order.into_iter().flatten() {
            let Some((_, bundle)) = self.bundles.iter().find(|(l, _)| l == id) else {
                continue;
            };
            if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
                return Some((bundle, pattern));
            }
        }
        None
    }

    /// Where `lang`'s catalogue is in `plain` (and `filled`): the key of
    /// what is kept said in it; `None` for a language without one.
    fn place(&self, lang: &str) -> Option<usize> {
        self.plain.iter().position(|(tag, _)| tag == lang)
    }

    /// The message `key` in `lang` as pieces, when it only puts values
    /// into its words (see [`fill`]).
    fn fill(&self, lang: &str, key: &str) -> Option<&Fill> {
        self.filled.get(self.place(lang)?)?.get(key)
    }

    /// The message `key` in `lang` filled in without Fluent, each value as
    /// `value` gives it by its name; `None` when the message is not one
    /// that only puts values into its words (see [`fill`]), or `value`
    /// gives none for one of them: then Fluent formats it.
    fn filled<'v>(
        &self,
        lang: &str,
        key: &str,
        value: impl Fn(&str) -> Option<&'v str>,
    ) -> Option<String> {
        self.fill(lang, key)?.with(value)
    }

    /// The message `key` in `lang` when it takes no values, formatted at
    /// load (a page's words); `None` for a message that takes values, a
    /// key no catalogue has, or a language without a catalogue.
    pub fn plain_value(&self, lang: &str, key: &str) -> Option<&Value> {
        self.plain.get(self.place(lang)?)?.1.get(key)
    }

    /// The message `key` in `lang` when it takes no values.
    pub fn plain(&self, lang: &str, key: &str) -> Option<Arc<str>> {
        match self.plain_value(lang, key) {
            Some(words) => words.to_str(),
            None => self.message(lang, key, None).map(Arc::from),
        }
    }

    /// `template` (a template's text) with each `{{ t("key") }}` of a
    /// message that takes no values replaced by its words in `lang`, as
    /// `t()` would have put them there (trusted, unescaped; kept verbatim
    /// in a `{% raw %}` block when they hold a brace, `%` or `#`). A call
    /// whose values are each a name or an attribute path
    /// (`{{ t("account-hello", name=username) }}`) of a message that only
    /// puts values into its words (see [`fill`]) is written as those words
    /// with each value printed by the template engine (`Hello,
    /// {{ username }}`): escaped in HTML, as `t()` escapes a value. Other
    /// calls with values, calls with whitespace control, or of keys
    /// without such a message are left as they are.
    pub fn write_in(&self, lang: &str, template: &str) -> String {
        let mut written = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            written.push_str(&rest[..start]);
            let tail = &rest[start..];
            if let Some((length, words)) = self.written_call(lang, tail) {
                written.push_str(&words);
                rest = &tail[length..];
                continue;
            }
            // Anything else the template engine reads (another expression,
            // a tag, a comment, a raw block) is copied whole, so nothing
            // inside it is rewritten.
            let length = untouched(tail);
            written.push_str(&tail[..length]);
            rest = &tail[length..];
        }
        written.push_str(rest);
        written
    }

    /// When `tail` starts with a `t()` call [`Self::write_in`] writes in:
    /// the call's length and the text to write instead.
    fn written_call(&self, lang: &str, tail: &str) -> Option<(usize, String)> {
        let inner = tail.strip_prefix("{{")?;
        let end = inner.find("}}")?;
        let call = inner[..end]
            .trim()
            .strip_prefix("t(\"")?
            .strip_suffix(')')?;
        let (key, values) = call.split_once('"')?;
        let is_key = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if key.is_empty() || !key.chars().all(is_key) {
            return None;
        }
        let text = if values.is_empty() {
            literal(self.plain_value(lang, key)?.as_str()?)?
        } else {
            let values = named_values(values.strip_prefix(',')?)?;
            let expression = |name: &str| values.iter().find(|(n, _)| *n == name).map(|(_, e)| *e);
            self.fill(lang, key)?.written(literal, expression)?
        };
        Some(("{{".len() + end + "}}".len(), text))
    }

    /// Every language there is a catalogue for, with its own name for
    /// itself (`language-name`), or its tag when its catalogue lacks one.
    pub fn languages(&self) -> Vec<(String, String)> {
        self.bundles
            .iter()
            .map(|(id, bundle)| {
                let name = bundle
                    .get_message("language-name")
                    .and_then(|m| m.value())
                    .map(|pattern| {
                        let mut errors = Vec::new();
                        bundle
                            .format_pattern(pattern, None, &mut errors)
                            .into_owned()
                    })
                    .unwrap_or_else(|| id.to_string());
                (id.to_string(), name)
            })
            .collect()
    }

    /// Every message key of the catalogue of `lang`.
    pub fn keys(&self, lang: &str) -> Vec<String> {
        let Ok(wanted) = lang.parse::<LanguageIdentifier>() else {
            return Vec::new();
        };
        let mut keys = Vec::new();
        for (name, text) in BUILT_IN {
            if wanted == *name
                && let Ok(resource) = FluentResource::try_new((*text).to_owned())
            {
                keys.extend(message_keys(&resource));
            }
        }
        keys
    }
}

/// How much of `tail` (template text at a `{`) to copy as it is: a whole
/// `{{ … }}` expression, `{# … #}` comment or `{% … %}` tag (to the end of
/// its block for `raw`), or the lone `{`. Unclosed, the rest of the text.
fn untouched(tail: &str) -> usize {
    let through = |from: usize, end: &str| tail[from..].find(end).map(|at| from + at + end.len());
    let length = match tail.get(..2) {
        Some("{{") => through(2, "}}"),
        Some("{#") => through(2, "#}"),
        Some("{%") => {
            let tag = tail[2..].trim_start_matches(['-', '+', ' ', '\t', '\n', '\r']);
            if tag.starts_with("raw") {
                through(2, "endraw").and_then(|end| through(end, "%}"))
            } else {
                through(2, "%}")
            }
        }
        _ => Some(1),
    };
    length.unwrap_or(tail.len())
}

/// The keys of the messages (not terms) of a catalogue file.
fn message_keys(resource: &FluentResource) -> impl Iterator<Item = String> + '_ {
    resource.entries().filter_map(|entry| match entry {
        fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
        _ => None,
    })
}

/// The languages an `Accept-Language` header asks for, the most wanted
/// first: by weight (`q`), then in the order given; `q=0` (not wanted), `*`
/// and entries that do not parse are left out.
fn requested(header: &str) -> Vec<LanguageIdentifier> {
    let weight = |q: &str| {
        let q: f32 = q.trim().parse().ok()?;
        (0.0..=1.0)
            .contains(&q)
            .then(|| (q * 1000.0).round() as u16)
    };
    let mut wanted: Vec<(u16, usize, LanguageIdentifier)> = header
        .split(',')
        .enumerate()
        .filter_map(|(order, entry)| {
            let mut parts = entry.split(';');
            let tag = parts.next()?.trim();
            let q = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                Some(q) => weight(q)?,
                None => 1000,
            };
            if q == 0 || tag == "*" {
                return None;
            }
            Some((q, order, tag.parse().ok()?))
        })
        .collect();
    wanted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    wanted.into_iter().map(|(_, _, id)| id).collect()
}

/// Template arguments as Fluent arguments: numbers stay numbers (plurals
/// select on them), everything else is text, HTML-escaped when `escape`
/// (the catalogue's own words are trusted like the templates; the values
/// put into them, such as a username, are not).
pub fn arguments(
    kwargs: &minijinja::value::Kwargs,
    escape: bool,
) -> Result<FluentArgs<'static>, minijinja::Error> {
    let mut args = FluentArgs::new();
    for name in kwargs.args() {
        let value: minijinja::Value = kwargs.get(name)?;
        let fluent = match text_argument(&value, escape) {
            Ok(text) => FluentValue::from(text),
            Err(n) => FluentValue::from(n),
        };
        args.set(name.to_owned(), fluent);
    }
    Ok(args)
}

/// Words written into a template as they read: verbatim in a `{% raw %}`
/// block when they hold a brace, `%` or `#`, which could form template
/// syntax, within the words or with the template text beside them (`{` +
/// `{ x }}`); `None` for words that would end the block.
fn literal(words: &str) -> Option<String> {
    if !words.contains(['{', '}', '%', '#']) {
        return Some(words.to_owned());
    }
    if words.contains("endraw") {
        return None;
    }
    Some(format!("{{% raw %}}{words}{{% endraw %}}"))
}

/// The values of a `t()` call (`name=username, date=i.last_used`) as
/// names and expressions, when each expression is a name or an attribute
/// path; `None` for anything else (a literal, a filter, a call, a name
/// given twice).
fn named_values(values: &str) -> Option<Vec<(&str, &str)>> {
    let is_name = |text: &str| {
        let mut chars = text.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    values
        .split(',')
        .map(|value| {
            let (name, expression) = value.split_once('=')?;
            let (name, expression) = (name.trim(), expression.trim());
            (is_name(name) && expression.split('.').all(is_name)).then_some((name, expression))
        })
        .collect::<Option<Vec<_>>>()
        .filter(|named| {
            named
                .iter()
                .enumerate()
                .all(|(i, (name, _))| named[..i].iter().all(|(earlier, _)| earlier != name))
        })
}

/// A template's value as a message takes it: a whole number as a number
/// (`Err`, for Fluent's plurals), anything else as its text, escaped for
/// HTML when `escape`.
fn text_argument(value: &minijinja::Value, escape: bool) -> Result<String, i64> {
    match i64::try_from(value.clone()) {
        Ok(n) if value.is_number() => Err(n),
        _ if escape => Ok(minijinja::HtmlEscape(&value.to_string()).to_string()),
        _ => Ok(value.to_string()),
    }
}

/// A template environment for pages or mails: `.html` templates
/// auto-escaped, `t()` and `said` reading `catalogues`, and the templates
/// `built_in` loaded (see [`load_templates`]). With `written_in`, each
/// template is loaded with its words in that language written in (see
/// [`Catalogues::write_in`]): an environment for rendering in one language
/// only, which says most words without a call.
pub fn environment(
    catalogues: Arc<Catalogues>,
    built_in: &'static [(&'static str, &'static str)],
    override_dir: Option<std::path::PathBuf>,
    written_in: Option<String>,
) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    install(&mut env, catalogues.clone());
    let write = written_in.map(|lang| move |text: String| catalogues.write_in(&lang, &text));
    load_templates(&mut env, built_in, override_dir, write);
    env
}

/// Loads the templates `built_in` (name, text) into `env`, each replaced by
/// the file of the same name in `override_dir` when there is one: how
/// operators brand pages and mails without rebuilding. `rewrite`, when
/// given, is applied to each template's text as it is loaded.
pub fn load_templates<R>(
    env: &mut Environment<'static>,
    built_in: &'static [(&'static str, &'static str)],
    override_dir: Option<std::path::PathBuf>,
    rewrite: Option<R>,
) where
    R: Fn(String) -> String + Send + Sync + 'static,
{
    env.set_loader(move |name| {
        let Some((_, text)) = built_in.iter().find(|(n, _)| *n == name) else {
            return Ok(None);
        };
        let mut text = (*text).to_owned();
        if let Some(dir) = &override_dir {
            let path = dir.join(name);
            if path.is_file() {
                text = std::fs::read_to_string(&path).map_err(|e| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?;
            }
        }
        Ok(Some(match &rewrite {
            Some(rewrite) => rewrite(text),
            None => text,
        }))
    });
}

/// The message keys `template` (a template's text) asks for with `t("…")`.
pub fn keys_asked_by(template: &str) -> Vec<&str> {
    template
        .split("t(\"")
        .skip(1)
        .filter_map(|part| part.find('"').map(|end| &part[..end]))
        .collect()
}

/// Gives `env` the `t("key", name=value)` function and the `said` filter,
/// which read `catalogues` in the language of what is rendered (see
/// [`language`]).
pub fn install(env: &mut Environment<'static>, catalogues: Arc<Catalogues>) {
    let words = catalogues.clone();
    env.add_function(
        "t",
        move |state: &mut minijinja::State, key: &str, kwargs: Kwargs| {
            translate(&words, state, key, &kwargs)
        },
    );
    env.add_filter("said", move |state: &mut minijinja::State, words: Value| {
        said(&catalogues, state, &words)
    });
}

/// `{{ problem.words | said }}`: words the server wrote (`{key, args,
/// english}`, the domain's `Words`) in the language of what is rendered;
/// the English sentence when they have no key (words for operators).
fn said(catalogues: &Catalogues, state: &mut minijinja::State, words: &Value) -> Value {
    let english = words
        .get_attr("english")
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_none())
        .map(|v| v.to_string())
        .unwrap_or_default();
    let Some(key) = words
        .get_attr("key")
        .ok()
        .and_then(|k| k.as_str().map(str::to_owned))
    else {
        return Value::from(english);
    };
    let mut args = FluentArgs::new();
    if let Ok(values) = words.get_attr("args")
        && let Ok(names) = values.try_iter()
    {
        for name in names {
            let Some(name) = name.as_str().map(str::to_owned) else {
                continue;
            };
            let value = values
                .get_attr(&name)
                .map(|v| v.to_string())
                .unwrap_or_default();
            args.set(name, argument(value));
        }
    }
    let lang = language(catalogues, state);
    // Said as text: auto-escaping escapes it in HTML, like any value.
    Value::from(
        catalogues
            .message(&lang, &key, Some(&args))
            .unwrap_or(english),
    )
}

/// The values of a message (a domain `Words`' `args`) as Fluent arguments.
pub fn fluent_args<'a>(
    values: impl IntoIterator<Item = (&'a &'static str, &'a String)>,
) -> FluentArgs<'static> {
    let mut args = FluentArgs::new();
    for (name, value) in values {
        args.set(*name, argument(value.clone()));
    }
    args
}

/// A value for a message: a number when it is one (plurals select on it).
pub fn argument(value: String) -> FluentValue<'static> {
    match value.parse::<i64>() {
        Ok(n) => FluentValue::from(n),
        Err(_) => FluentValue::from(value),
    }
}

/// The language of what is being rendered: a mail's `lang`, a page's
/// `chrome.lang`, else the default. Looked up once per rendering (kept in
/// the rendering's state), since a page asks for it with every word.
pub fn language(catalogues: &Catalogues, state: &mut minijinja::State) -> Arc<str> {
    /// The rendering's language, once looked up.
    struct Language(Arc<str>);
    if let Some(Language(lang)) = state.get_extension::<Language>() {
        return lang.clone();
    }
    let lang = |value: Option<Value>| {
        value
            .and_then(|lang| lang.as_str().map(Arc::<str>::from))
            .filter(|lang| !lang.is_empty())
    };
    let found: Arc<str> = lang(state.lookup("lang"))
        .or_else(|| {
            lang(
                state
                    .lookup("chrome")
                    .and_then(|chrome| chrome.get_attr("lang").ok()),
            )
        })
        .unwrap_or_else(|| catalogues.negotiate(None).into());
    state.get_or_insert_extension(Language(found.clone()));
    found
}

/// `{{ t("key", name=value) }}`: the message `key` in the language of what
/// is rendered; `⟦key⟧` when no catalogue has it. In HTML the catalogue's
/// words stand as written (trusted, like the template) and the values are
/// escaped.
fn translate(
    catalogues: &Catalogues,
    state: &mut minijinja::State,
    key: &str,
    kwargs: &Kwargs,
) -> Result<Value, minijinja::Error> {
    let html = matches!(state.auto_escape(), AutoEscape::Html);
    let lang = language(catalogues, state);
    let no_values = kwargs.args().next().is_none();
    if no_values && let Some(words) = catalogues.plain_value(&lang, key) {
        return Ok(if html {
            words.clone()
        } else {
            Value::from(words.as_str().unwrap_or_default())
        });
    }
    let text = if no_values {
        catalogues.say(&lang, key, None)
    } else if let Some(words) = filled_in(catalogues, &lang, key, kwargs, html)? {
        words
    } else {
        let args = arguments(kwargs, html)?;
        catalogues.say(&lang, key, Some(&args))
    };
    Ok(if html {
        Value::from_safe_string(text)
    } else {
        Value::from(text)
    })
}

/// `t(key, …)` filled in without Fluent, when every value is text
/// ([`text_argument`], as [`arguments`] passes it to Fluent) and the
/// message only puts values into its words; `None` otherwise.
fn filled_in(
    catalogues: &Catalogues,
    lang: &str,
    key: &str,
    kwargs: &Kwargs,
    escape: bool,
) -> Result<Option<String>, minijinja::Error> {
    let mut values = Vec::with_capacity(2);
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        let Ok(text) = text_argument(&value, escape) else {
            return Ok(None);
        };
        values.push((name, text));
    }
    let value = |name: &str| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    };
    Ok(catalogues.filled(lang, key, value))
}

impl Catalogues {
    /// The message `key` in `lang`, with `args`; `⟦key⟧` (logged) when no
    /// catalogue has it.
    pub fn say(&self, lang: &str, key: &str, args: Option<&FluentArgs>) -> String {
        self.message(lang, key, args).unwrap_or_else(|| {
            tracing::warn!(key, lang, "a message no catalogue has was asked for");
            missing(key)
        })
    }

    /// The message `key` in `lang` with the arguments `args`.
    pub fn say_with(&self, lang: &str, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        if args.is_empty()
            && let Some(words) = self.plain_value(lang, key).and_then(Value::as_str)
        {
            return words.to_owned();
        }
        let text = |name: &str| match args.iter().rfind(|(n, _)| *n == name) {
            Some((_, FluentValue::String(value))) => Some(value.as_ref()),
            _ => None,
        };
        if let Some(words) = self.filled(lang, key, text) {
            return words;
        }
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, value.clone());
        }
        self.say(lang, key, Some(&fluent))
    }

    /// The day of `at` (UTC) in `lang`: `3 December 2026`, `3. Dezember 2026`.
    /// A day already said in a catalogue's language is taken from the
    /// days kept.
    pub fn date(&self, lang: &str, at: OffsetDateTime) -> String {
        let day = in_utc(at).date();
        let Some(place) = self.place(lang) else {
            return self.say_day(lang, day);
        };
        kept_or_said(&self.days, DAYS_KEPT, (place, day), || {
            self.say_day(lang, day)
        })
    }

    /// The message `key` in `lang` with its one value `count` (`5 minutes
    /// ago`). A count already said in a catalogue's language is taken from
    /// the counts kept.
    pub fn say_count(&self, lang: &str, key: &'static str, count: u64) -> String {
        let say = || self.say_with(lang, key, &[("count", count.into())]);
        match self.place(lang) {
            Some(place) => kept_or_said(&self.counts, COUNTS_KEPT, (place, key, count), say),
            None => say(),
        }
    }

    /// `day` in `lang`, formatted from the catalogue.
    fn say_day(&self, lang: &str, day: time::Date) -> String {
        // A month's name takes no values: the words formatted at load.
        let key = MONTHS[usize::from(u8::from(day.month())) - 1];
        let month = match self.plain(lang, key) {
            Some(name) => name.to_string(),
            None => self.say(lang, key, None),
        };
        self.say_with(
            lang,
            "when-date",
            &[
                ("day", day.day().into()),
                ("month", month.into()),
                ("year", day.year().into()),
            ],
        )
    }

    /// `at` to the second, in UTC, in `lang`: `3 December 2026, 06:49:48 UTC`.
    pub fn exact(&self, lang: &str, at: OffsetDateTime) -> String {
        let say = |at: OffsetDateTime| {
            let clock = format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second());
            self.say_with(
                lang,
                "when-exact",
                &[("date", self.date(lang, at).into()), ("time", clock.into())],
            )
        };
        // Kept by the second in UTC; a time that keeps its own offset (past
        // the year 9999 in UTC) is said each time.
        let utc = at.checked_to_offset(time::UtcOffset::UTC);
        match (self.place(lang), utc) {
            (Some(place), Some(at)) => kept_or_said(
                &self.times,
                TIMES_KEPT,
                (place, at.unix_timestamp()),
                || say(at),
            ),
            _ => say(in_utc(at)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A templates folder whose `locales/` holds `files` (name, text).
    fn locales(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("locales")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("locales").join(name), text).unwrap();
        }
        dir
    }

    /// Each month is said by its own name (the names come from the words
    /// formatted at load, looked up by the month's number).
    #[test]
    fn every_month_has_its_name() {
        let catalogues = Catalogues::load(None, "en").unwrap();
        let names = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        for (number, name) in (1u8..).zip(names) {
            let month = time::Month::try_from(number).unwrap();
            let day = time::Date::from_calendar_date(2026, month, 3).unwrap();
            let at = day.midnight().assume_utc();
            assert_eq!(catalogues.date("en", at), format!("3 {name} 2026"));
        }
        let june = time::Date::from_calendar_date(2026, time::Month::June, 3).unwrap();
        assert_eq!(
            catalogues.date("de", june.midnight().assume_utc()),
            "3. Juni 2026"
        );
    }

    /// A day said again is taken from the days kept: word for word what
    /// formatting it afresh says, each language its own, the day in UTC;
    /// and the days kept stay bounded.
    #[test]
    fn days_said_again_read_as_said_first() {
        let catalogues = Catalogues::load(None, "en").unwrap();
        let start = time::macros::datetime!(2026-12-03 06:49:48 UTC);
        for _ in 0..2 {
            for lang in ["en", "de"] {
                for days in [0, 1, 31, 400] {
                    let at = start - time::Duration::days(days);
                    assert_eq!(
                        catalogues.date(lang, at),
                        catalogues.say_day(lang, at.date())
                    );
                }
            }
        }
        assert_eq!(catalogues.date("en", start), "3 December 2026");
        assert_eq!(catalogues.date("de", start), "3. Dezember 2026");
        // Late on the 3rd two hours west of UTC is the 4th in UTC.
        let west = time::macros::datetime!(2026-12-03 23:30 -2);
        assert_eq!(catalogues.date("en", west), "4 December 2026");
        // A time that would pass the year 9999 in UTC keeps its own day.
        let last = time::macros::datetime!(9999-12-31 23:30 -2);
        assert_eq!(catalogues.date("en", last), "31 December 9999");
        assert_eq!(
            catalogues.exact("en", last),
            "31 December 9999, 23:30:00 UTC"
        );
        // A language without a catalogue is said, not kept.
        let kept = catalogues.days.lock().unwrap().len();
        assert_eq!(catalogues.date("fr", start), "3 December 2026");
        assert_eq!(catalogues.days.lock().unwrap().len(), kept);
        for n in 0..(DAYS_KEPT as i64 + 10) {
            catalogues.date("en", start + time::Duration::days(n));
        }
        let kept = catalogues.days.lock().unwrap().len();
        assert!((1..=DAYS_KEPT).contains(&kept), "{kept} days kept");
        assert_eq!(
            catalogues.date("de", start + time::Duration::days(2)),
            "5. Dezember 2026"
        );
    }

    /// An exact time said again reads as said first, in each language, an
    /// offset other than UTC said in UTC; the times kept stay bounded, and
    /// a message without values is said as Fluent says it.
    #[test]
    fn times_said_again_read_as_said_first() {
        let catalogues = Catalogues::load(None, "en").unwrap();
        let start = time::macros::datetime!(2026-12-03 06:49:48 UTC);
        let said = |lang: &str, at: OffsetDateTime| {
            let at = in_utc(at);
            let clock = format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second());
            let args = [
                ("date", FluentValue::from(catalogues.date(lang, at))),
                ("time", FluentValue::from(clock)),
            ];
            catalogues.say_with(lang, "when-exact", &args)
        };
        for _ in 0..2 {
            for lang in ["en", "de", "fr"] {
                for seconds in [0, 1, 59, 3_600, 86_399] {
                    let at = start + time::Duration::seconds(seconds);
                    assert_eq!(catalogues.exact(lang, at), said(lang, at));
                }
            }
        }
        assert_eq!(
            catalogues.exact("en", start),
            "3 December 2026, 06:49:48 UTC"
        );
        let west = time::macros::datetime!(2026-12-03 04:49:48 -2);
        assert_eq!(
            catalogues.exact("de", west),
            "3. Dezember 2026, 06:49:48 UTC"
        );
        assert_eq!(catalogues.times.lock().unwrap().len(), 2 * 5);
        for n in 0..(TIMES_KEPT as i64 + 10) {
            catalogues.exact("en", start + time::Duration::seconds(n));
        }
        let kept = catalogues.times.lock().unwrap().len();
        assert!((1..=TIMES_KEPT).contains(&kept), "{kept} times kept");
        for lang in ["en", "de", "fr"] {
            assert_eq!(
                catalogues.say_with(lang, "when-just-now", &[]),
                catalogues.say(lang, "when-just-now", None)
            );
        }
    }

    /// A count said again reads as said first, in each form of its
    /// plural; the counts kept stay bounded.
    #[test]
    fn counts_said_again_read_as_said_first() {
        let catalogues = Catalogues::load(None, "en").unwrap();
        let said = |lang: &str, count: u64| {
            let args = [("count", FluentValue::from(count))];
            catalogues.say_with(lang, "when-minutes-ago", &args)
        };
        for _ in 0..2 {
            for lang in ["en", "de", "fr"] {
                for count in [0, 1, 2, 5, 21, 59] {
                    assert_eq!(
                        catalogues.say_count(lang, "when-minutes-ago", count),
                        said(lang, count)
                    );
                }
            }
        }
        assert_eq!(
            catalogues.say_count("en", "when-minutes-ago", 1),
            "a minute ago"
        );
        assert_eq!(
            catalogues.say_count("en", "when-minutes-ago", 5),
            "5 minutes ago"
        );
        // A language without a catalogue is said, not kept.
        assert_eq!(catalogues.counts.lock().unwrap().len(), 2 * 6);
        for count in 0..(COUNTS_KEPT as u64 + 10) {
            catalogues.say_count("en", "when-in-days", count);
        }
        let kept = catalogues.counts.lock().unwrap().len();
        assert!((1..=COUNTS_KEPT).contains(&kept), "{kept} counts kept");
        // Each message keeps its own counts: the same count of another
        // message is not taken for it.
        assert_eq!(catalogues.say_count("en", "when-in-days", 5), "in 5 days");
        assert_eq!(
            catalogues.say_count("en", "when-minutes-ago", 5),
            "5 minutes ago"
        );
        assert_eq!(catalogues.say_count("de", "when-in-days", 5), said_in("de"));
    }

    /// `when-in-days` with 5, said afresh in `lang`.
    fn said_in(lang: &str) -> String {
        let catalogues = Catalogues::load(None, "en").unwrap();
        catalogues.say_with(lang, "when-in-days", &[("count", FluentValue::from(5u64))])
    }

    #[test]
    fn plain_words_are_written_into_templates() {
        let catalogues = Catalogues::load(None, "en").unwrap();
        let write = |template: &str| catalogues.write_in("de", template);
        // A message that takes no values: its words, in the language.
        assert_eq!(
            write(r#"<b>{{ t("nav-sign-in") }}</b>{{t("nav-sign-in")}}"#),
            format!(
                "<b>{0}</b>{0}",
                catalogues.plain("de", "nav-sign-in").unwrap()
            )
        );
        // A message that only puts values into its words, with each value a
        // name or an attribute path: its words, the values printed.
        assert_eq!(
            write(
                r#"{{ t("account-hello", name=username) }}|{{t("account-link",provider=p.name)}}"#
            ),
            "Hallo, {{ username }}|Ihr {{ p.name }}-Konto verknüpfen"
        );
        // Other calls with values, whitespace control, unknown keys, other
        // expressions and broken syntax are left to the template engine.
        for kept in [
            r#"{{ t("account-hello", name="Ada") }}"#,
            r#"{{ t("account-hello", name=username | upper) }}"#,
            r#"{{ t("account-hello", name=user.name()) }}"#,
            r#"{{ t("account-hello", name=a, name=b) }}"#,
            r#"{{ t("account-hello", other=username) }}"#,
            r#"{{ t("account-hello", name=username,) }}"#,
            r#"{{ t("account-codes-left", count=n) }}"#,
            r#"{{- t("nav-sign-in") }}"#,
            r#"{{ t("nav-sign-in") -}}"#,
            r#"{{ t("no-such-key") }}"#,
            r#"{{ t("nav-sign-in") | upper }}"#,
            r#"{{ t('nav-sign-in') }}"#,
            r#"{{ username }}"#,
            r#"{{ t("nav-sign-in")"#,
            r#"{{"#,
            // Inside a comment, a raw block, a tag or another expression.
            r#"{# {{ t("nav-sign-in") }} #}"#,
            r#"{% raw %}{{ t("nav-sign-in") }}{% endraw %}"#,
            r#"{%- raw -%} {{ t("nav-sign-in") }} {%- endraw %}"#,
            r#"{% set x = '{{ t("nav-sign-in") }}' %}"#,
            r#"{{ '{{ t("nav-sign-in") }}' }}"#,
            r#"{ {# {{ t("nav-sign-in") }}"#,
        ] {
            assert_eq!(write(kept), kept);
        }
    }

    #[test]
    fn written_words_that_look_like_template_syntax_stay_words() {
        let dir = locales(&[(
            "en.ftl",
            "nav-sign-in = Sign {\"{{ in }}\"} {\"{% now %}\"}\nnav-sign-out = {\"{% endraw %}{{ x }}\"}\nnav-account = Open {\"{\"}\n",
        )]);
        let catalogues = Catalogues::load(Some(dir.path()), "en").unwrap();
        assert_eq!(
            catalogues.write_in("en", r#"{{ t("nav-sign-in") }}"#),
            "{% raw %}Sign {{ in }} {% now %}{% endraw %}"
        );
        // Outside comments, raw blocks and tags, calls are still written in.
        assert_eq!(
            catalogues.write_in(
                "de",
                r#"{# c #}{% if x %}{{ t("nav-sign-in") }}{% endif %}{"#
            ),
            format!(
                "{{# c #}}{{% if x %}}{}{{% endif %}}{{",
                catalogues.plain("de", "nav-sign-in").unwrap()
            )
        );
        // Words that would make template syntax with the text beside them.
        assert_eq!(
            catalogues.write_in("en", r#"{{ t("nav-account") }}{ x }}"#),
            "{% raw %}Open {{% endraw %}{ x }}"
        );
        // Words a raw block cannot hold stay a call.
        assert_eq!(
            catalogues.write_in("en", r#"{{ t("nav-sign-out") }}"#),
            r#"{{ t("nav-sign-out") }}"#
        );
    }

    /// A call with values written in reads as `t()` says it, in HTML
    /// (values escaped, words not) and in text, whatever the value holds.
    #[test]
    fn values_written_in_read_as_t_says_them() {
        let catalogues = Arc::new(Catalogues::load(None, "en").unwrap());
        let template = r#"{{ t("account-hello", name=user.name) }}"#;
        for (lang, name) in [("en", "page.html"), ("de", "mail.txt")] {
            let written = catalogues.write_in(lang, template);
            assert!(!written.contains("t("), "{written}");
            let mut env = environment(catalogues.clone(), &[], None, None);
            env.add_template_owned(format!("called.{name}"), template.to_owned())
                .unwrap();
            env.add_template_owned(format!("written.{name}"), written)
                .unwrap();
            for user in [
                minijinja::context! { name => "<b>Ada & \"Bo\"</b> {{ x }}" },
                minijinja::context! { name => 42 },
                minijinja::context! { name => () },
                minijinja::context! {},
            ] {
                let said = |which: &str| {
                    env.get_template(&format!("{which}.{name}"))
                        .unwrap()
                        .render(minijinja::context! { lang, user => user.clone() })
                        .unwrap()
                };
                assert_eq!(said("written"), said("called"), "{lang} {name} {user:?}");
            }
        }
    }

    /// An operator's words that could form template syntax (`%`, `#`;
    /// Fluent writes a brace only as a literal, which is left to `t()`),
    /// beside a written-in value, stay words: the written-in call reads as
    /// `t()` says it, and the value is still escaped.
    #[test]
    fn words_beside_a_written_in_value_stay_words() {
        let dir = locales(&[(
            "en.ftl",
            "greet = 100% { $name }#{ $name }%\n\
             braces = {\"{{\"} { $name }\n\
             odd = % endraw { $name }\n",
        )]);
        let catalogues = Arc::new(Catalogues::load(Some(dir.path()), "en").unwrap());
        let template = r#"{{ t("greet", name=who) }}"#;
        let written = catalogues.write_in("en", template);
        assert!(!written.contains("t("), "{written}");
        let mut env = environment(catalogues.clone(), &[], None, None);
        env.add_template_owned("called.html", template.to_owned())
            .unwrap();
        env.add_template_owned("written.html", written).unwrap();
        let said = |which: &str| {
            env.get_template(which)
                .unwrap()
                .render(minijinja::context! { who => "<i>{% x %}</i>" })
                .unwrap()
        };
        assert_eq!(said("written.html"), said("called.html"));
        assert_eq!(
            said("written.html"),
            "100% &lt;i&gt;{% x %}&lt;&#x2f;i&gt;#&lt;i&gt;{% x %}&lt;&#x2f;i&gt;%"
        );
        // A literal, and words a raw block cannot hold: left to `t()`.
        for kept in [
            r#"{{ t("braces", name=who) }}"#,
            r#"{{ t("odd", name=who) }}"#,
        ] {
            assert_eq!(catalogues.write_in("en", kept), kept);
        }
    }

    #[test]
    fn every_message_exists_in_every_shipped_language() {
        let catalogues = Catalogues::load(None, "en").unwrap();
        let english = catalogues.keys("en");
        assert!(english.len() > 20, "{english:?}");
        for (lang, _) in BUILT_IN {
            let keys = catalogues.keys(lang);
            let missing: Vec<_> = english.iter().filter(|k| !keys.contains(k)).collect();
            let extra: Vec<_> = keys.iter().filter(|k| !english.contains(k)).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
            assert!(extra.is_empty(), "{lang} has keys English lacks: {extra:?}");
        }
    }

    #[test]
    fn the_language_follows_accept_language() {
        let catalogues = Catalogues::load(None, "en").unwrap();
        assert_eq!(catalogues.negotiate(Some("de-DE,de;q=0.9,en;q=0.8")), "de");
        assert_eq!(
            catalogues.negotiate(Some("fr-CH, fr;q=0.9, en;q=0.8")),
            "en"
        );
        assert_eq!(catalogues.negotiate(Some("fr")), "en");
        assert_eq!(catalogues.negotiate(None), "en");
        // Weights decide, not the order; q=0 means "not this one".
        assert_eq!(catalogues.negotiate(Some("de;q=0.1, en;q=0.9")), "en");
        assert_eq!(catalogues.negotiate(Some("en;q=0.2, de")), "de");
        assert_eq!(catalogues.negotiate(Some("fr, de;q=0.5, en;q=0.4")), "de");
        assert_eq!(
            catalogues.negotiate(Some("de;q=0")),
            "en",
            "not German: the default"
        );
        assert_eq!(catalogues.negotiate(Some("de;q=2, en;q=x")), "en");
        assert_eq!(catalogues.negotiate(Some("*, de;q=0.1")), "de");
        let german_default = Catalogues::load(None, "de").unwrap();
        assert_eq!(german_default.negotiate(Some("fr")), "de");
        assert!(Catalogues::load(None, "fr").is_err());
    }

    #[test]
    fn plurals_come_from_fluent() {
        let catalogues = Catalogues::load(None, "en").unwrap();
        let count = |lang: &str, n: i64| {
            let mut args = FluentArgs::new();
            args.set("count", n);
            catalogues
                .message(lang, "when-minutes-ago", Some(&args))
                .unwrap()
        };
        assert_eq!(count("en", 1), "a minute ago");
        assert_eq!(count("en", 3), "3 minutes ago");
        assert_eq!(count("de", 1), "vor einer Minute");
        assert_eq!(count("de", 3), "vor 3 Minuten");
    }

    #[test]
    fn a_missing_key_is_shown_escaped_and_odd_languages_are_said_in_the_default() {
        let catalogues = Catalogues::load(None, "en").unwrap();
        assert_eq!(missing("<b>x</b>"), "⟦&lt;b&gt;x&lt;&#x2f;b&gt;⟧");
        assert_eq!(
            catalogues.plain("xx-<y>", "nav-account").as_deref(),
            Some("Account")
        );
        assert_eq!(
            catalogues.plain("de", "nav-account").as_deref(),
            Some("Konto")
        );
        // Words are formatted at load for the languages there are, and
        // only those: nothing grows with what a client asks for.
        let languages: Vec<&str> = catalogues.plain.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(languages, ["en", "de"]);
        assert!(catalogues.plain_value("xx-<y>", "nav-account").is_none());
        // Messages that take values are not among them.
        assert!(catalogues.plain_value("en", "when-minutes-ago").is_none());
    }

    #[test]
    fn operators_override_and_add_catalogues() {
        let dir = locales(&[
            ("de.ftl", "nav-sign-out = Tschüss\n"),
            ("fr.ftl", "nav-sign-out = Se déconnecter\n"),
        ]);
        let catalogues = Catalogues::load(Some(dir.path()), "en").unwrap();
        assert_eq!(
            catalogues.message("de", "nav-sign-out", None).unwrap(),
            "Tschüss"
        );
        assert_eq!(
            catalogues.message("de", "nav-account", None).unwrap(),
            "Konto",
            "the rest of the built-in catalogue stays"
        );
        assert_eq!(catalogues.negotiate(Some("fr")), "fr");
        assert_eq!(
            catalogues.message("fr", "nav-sign-out", None).unwrap(),
            "Se déconnecter"
        );
        assert_eq!(
            catalogues.message("fr", "nav-account", None).unwrap(),
            "Account",
            "a message the added catalogue lacks falls back to English"
        );
        std::fs::write(
            dir.path().join("locales/de-AT.ftl"),
            "nav-account = Kontoübersicht\n",
        )
        .unwrap();
        let catalogues = Catalogues::load(Some(dir.path()), "en").unwrap();
        assert_eq!(catalogues.negotiate(Some("de-AT")), "de-AT");
        assert_eq!(
            catalogues.message("de-AT", "nav-sign-out", None).unwrap(),
            "Tschüss",
            "de-AT borrows what it lacks from de"
        );
        assert_eq!(
            catalogues.negotiate(Some(&"de-DE,".repeat(10_000))),
            "de",
            "a huge header is cut, not parsed whole"
        );
        std::fs::write(dir.path().join("locales/de.ftl"), "broken = {\n").unwrap();
        assert!(Catalogues::load(Some(dir.path()), "en").is_err());
    }
}
