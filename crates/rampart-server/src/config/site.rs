//! `[site]`: how the pages speak to people.

use super::{Problems, defaults};
use serde::Deserialize;

/// `[site]` settings as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    /// The pages' language when a browser asks for none Rampart has: `en`,
    /// `de`, or a language with `TEMPLATES_DIR/locales/LANG.ftl`.
    pub default_language: Option<String>,
}

/// Checks `[site]`: the default language is a language tag (whether a
/// catalogue exists for it is checked when the templates load).
pub fn check(raw: RawSite, p: &mut Problems) -> String {
    let RawSite { default_language } = raw;
    let Some(lang) = default_language else {
        return defaults::DEFAULT_LANGUAGE.to_owned();
    };
    let lang = lang.trim().to_owned();
    let tag = !lang.is_empty()
        && lang.len() <= 35
        && lang.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if !tag {
        p.push(format!(
            "site.default_language {lang:?} is not a language tag: use en, de or another catalogue's language"
        ));
        return defaults::DEFAULT_LANGUAGE.to_owned();
    }
    lang
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_language_is_a_language_tag() {
        let checked = |lang: Option<&str>| {
            let mut p = Problems::default();
            let raw = RawSite {
                default_language: lang.map(str::to_owned),
            };
            (check(raw, &mut p), p.list().len())
        };
        assert_eq!(checked(None), ("en".to_owned(), 0));
        assert_eq!(checked(Some(" de ")), ("de".to_owned(), 0));
        assert_eq!(checked(Some("pt-BR")), ("pt-BR".to_owned(), 0));
        assert_eq!(checked(Some("de/../x")).1, 1);
        assert_eq!(checked(Some("")).1, 1);
    }
}
