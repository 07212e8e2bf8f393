//! Messages that only put values into their words (`Hello, { $name }`,
//! `{ $date }, { $time } UTC`), filled in by joining their pieces instead
//! of running Fluent's resolver: the account page says one with every
//! request (its greeting), and each `| when` another (a time's exact
//! tooltip), and Fluent's arguments and resolver were about a tenth of
//! what rendering the page cost (#20). With string values Fluent writes
//! such a message exactly so (the bundles put no isolation marks around
//! values and transform no text); a message with anything else (a
//! selector, a number, a term or a message reference, a function), a
//! value that is a number, or a value missing is left to Fluent.

use fluent_syntax::ast::{Expression, InlineExpression, Pattern, PatternElement};

/// Fluent stops writing a message after this many values (its
/// `MAX_PLACEABLES`); a longer message is left to it.
const MOST_VALUES: usize = 100;

/// A message's words and the values it puts between them, in order.
#[derive(Debug)]
pub(crate) struct Fill {
    pieces: Vec<Piece>,
}

#[derive(Debug)]
enum Piece {
    Words(Box<str>),
    Value(Box<str>),
}

impl Fill {
    /// `pattern` as pieces, when it is words and at least one value, and
    /// nothing else.
    pub(crate) fn of(pattern: &Pattern<&str>) -> Option<Self> {
        let mut pieces = Vec::with_capacity(pattern.elements.len());
        for element in &pattern.elements {
            pieces.push(match element {
                PatternElement::TextElement { value } => Piece::Words((*value).into()),
                PatternElement::Placeable {
                    expression: Expression::Inline(InlineExpression::VariableReference { id }),
                } => Piece::Value(id.name.into()),
                PatternElement::Placeable { .. } => return None,
            });
        }
        let values = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Value(_)))
            .count();
        (1..=MOST_VALUES)
            .contains(&values)
            .then_some(Self { pieces })
    }

    /// The words with each value put in as `value` gives it by its name;
    /// `None` when it gives none for one of them.
    pub(crate) fn with<'v>(&self, value: impl Fn(&str) -> Option<&'v str>) -> Option<String> {
        let mut words = String::with_capacity(64);
        for piece in &self.pieces {
            match piece {
                Piece::Words(text) => words.push_str(text),
                Piece::Value(name) => words.push_str(value(name)?),
            }
        }
        Some(words)
    }

    /// The message as template text: its words as `literal` writes them,
    /// and in place of each value the expression `expression` gives for
    /// its name, printed by the template engine; `None` when it gives none
    /// for one of them, or `literal` cannot write some words.
    pub(crate) fn written<'e>(
        &self,
        literal: impl Fn(&str) -> Option<String>,
        expression: impl Fn(&str) -> Option<&'e str>,
    ) -> Option<String> {
        let mut text = String::with_capacity(64);
        for piece in &self.pieces {
            match piece {
                Piece::Words(words) => text.push_str(&literal(words)?),
                Piece::Value(name) => {
                    text.push_str("{{ ");
                    text.push_str(expression(name)?);
                    text.push_str(" }}");
                }
            }
        }
        Some(text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use fluent_bundle::{FluentArgs, FluentResource, concurrent::FluentBundle};

    /// `key` of `source` formatted by Fluent as the catalogues' bundles do
    /// (no isolation marks), with string values.
    fn fluent(source: &str, key: &str, values: &[(&str, &str)]) -> String {
        let mut bundle = FluentBundle::new_concurrent(vec![unic_langid::langid!("en")]);
        bundle.set_use_isolating(false);
        bundle
            .add_resource(FluentResource::try_new(source.to_owned()).unwrap())
            .unwrap();
        let mut args = FluentArgs::new();
        for (name, value) in values {
            args.set(*name, *value);
        }
        let pattern = bundle.get_message(key).unwrap().value().unwrap();
        let mut errors = Vec::new();
        let said = bundle.format_pattern(pattern, Some(&args), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        said.into_owned()
    }

    /// The value named `name` among `values`.
    fn among<'v>(values: &'v [(&str, &'v str)]) -> impl Fn(&str) -> Option<&'v str> {
        move |name| values.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    fn fill(source: &str, key: &str) -> Option<Fill> {
        let resource = FluentResource::try_new(source.to_owned()).unwrap();
        let found = resource.entries().find_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(m) if m.id.name == key => m.value.as_ref(),
            _ => None,
        });
        found.and_then(Fill::of)
    }

    /// Filled in, a message reads as Fluent writes it, whatever its
    /// values hold (markup, braces, a dollar, line breaks, nothing).
    #[test]
    fn a_message_filled_in_reads_as_fluent_writes_it() {
        let source = "hello = Hello, { $name }\n\
                      exact = { $date }, { $time } UTC\n\
                      twice = { $a } and { $a }, then { $b }!\n\
                      lines =\n    First line { $x }\n    second line\n";
        let values: &[&[(&str, &str)]] = &[
            &[
                ("name", "Ada"),
                ("date", "3 December 2026"),
                ("time", "06:49:48"),
                ("a", "1"),
                ("b", ""),
                ("x", "y"),
            ],
            &[
                ("name", "<b>{ $date }</b> $x \n"),
                ("date", ""),
                ("time", "\u{2068}"),
                ("a", "ä"),
                ("b", "}"),
                ("x", "{"),
            ],
        ];
        for key in ["hello", "exact", "twice", "lines"] {
            let filled = fill(source, key).unwrap_or_else(|| panic!("{key} is not filled in"));
            for values in values {
                assert_eq!(
                    filled.with(among(values)).unwrap(),
                    fluent(source, key, values),
                    "{key}"
                );
            }
        }
    }

    /// Anything but words and values is left to Fluent: words alone (said
    /// at load), a selector, a literal, a term, a reference, a function;
    /// and a message whose value is not given.
    #[test]
    fn anything_else_is_left_to_fluent() {
        let source = "plain = No values here\n\
                      count = { $count ->\n    [one] one\n   *[other] { $count } of them\n}\n\
                      literal = { \"quoted\" } { $a }\n\
                      -brand = Rampart\n\
                      term = { -brand } says { $a }\n\
                      reference = { plain } { $a }\n\
                      function = { NUMBER($a) }\n\
                      hello = Hello, { $name }\n";
        for key in ["plain", "count", "literal", "term", "reference", "function"] {
            assert!(fill(source, key).is_none(), "{key} was filled in");
        }
        let hello = fill(source, "hello").unwrap();
        assert_eq!(hello.with(among(&[("other", "x")])), None);
    }
}
