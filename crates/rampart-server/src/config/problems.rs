//! Collecting every problem of a configuration before refusing it, so an
//! operator fixes them all in one go. Each section's check reports through
//! [`Problems`], which also parses the values most keys share: durations,
//! counts of at least one, one word of a few, and secrets given inline or in
//! a file.

use super::ConfigError;
use std::path::Path;

/// The problems found so far, as sentences naming their key.
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    /// Notes a problem.
    pub fn push(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    /// `key`'s duration (`"90s"`, `"30m"`, `"1h"`, `"2d"`), or `default`
    /// when it is not given (or is not a duration: then a problem).
    pub fn duration(
        &mut self,
        key: &str,
        text: Option<&str>,
        default: time::Duration,
    ) -> time::Duration {
        self.duration_at_least(key, text, default, time::Duration::seconds(1))
    }

    /// [`Problems::duration`], refusing values shorter than `min`.
    pub fn duration_at_least(
        &mut self,
        key: &str,
        text: Option<&str>,
        default: time::Duration,
        min: time::Duration,
    ) -> time::Duration {
        let Some(text) = text else {
            return default;
        };
        match parse_duration(text) {
            Some(d) if d >= min => d,
            _ => {
                let at_least = if min > time::Duration::seconds(1) {
                    format!(" of at least {}", format_duration(min))
                } else {
                    String::new()
                };
                self.push(format!(
                    "{key} {text:?} is not a duration{at_least} such as {}",
                    format_duration(default)
                ));
                default
            }
        }
    }

    /// `key`'s count, which must be at least 1, into `slot` when given.
    pub fn at_least_one<T: Copy + PartialOrd + From<u8>>(
        &mut self,
        key: &str,
        value: Option<T>,
        slot: &mut T,
    ) {
        if let Some(n) = value {
            if n < T::from(1) {
                self.push(format!("{key} must be at least 1"));
            }
            *slot = n;
        }
    }

    /// One of `choices` (word and value) for `key`; `default` when not
    /// given, or (with a problem) when the word is unknown.
    pub fn choice<T: Copy>(
        &mut self,
        key: &str,
        text: Option<&str>,
        default: T,
        choices: &[(&str, T)],
    ) -> T {
        let Some(text) = text else {
            return default;
        };
        match choices.iter().find(|(word, _)| *word == text) {
            Some((_, value)) => *value,
            None => {
                let words: Vec<String> = choices.iter().map(|(w, _)| format!("{w:?}")).collect();
                self.push(format!("{key} must be {}, not {text:?}", join_or(&words)));
                default
            }
        }
    }

    /// A secret given inline (`key`) or in a file (`key_file`, which wins:
    /// a file keeps the secret out of the configuration).
    pub fn secret(
        &mut self,
        key: &str,
        inline: Option<String>,
        file: Option<&Path>,
    ) -> Option<String> {
        match file {
            Some(path) => super::files::read_secret_file(path, key, &mut self.0),
            None => inline,
        }
    }

    /// The problems as the error that refuses the configuration, if any.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(self.0))
        }
    }

    /// Hands the collected sentences to code that still takes a list.
    pub fn list(&mut self) -> &mut Vec<String> {
        &mut self.0
    }
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Parses `"90s"`, `"30m"`, `"1h"`, `"2d"` (or plain seconds).
pub fn parse_duration(raw: &str) -> Option<time::Duration> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let n: i64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "" | "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    (seconds > 0).then(|| time::Duration::seconds(seconds))
}

/// A duration in its largest exact unit: `30m`, `14d`, `90s`.
pub fn format_duration(d: time::Duration) -> String {
    let s = d.whole_seconds();
    match s {
        _ if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        _ if s > 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        _ if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print_alike() {
        assert_eq!(parse_duration("30m"), Some(time::Duration::minutes(30)));
        assert_eq!(parse_duration("24h"), Some(time::Duration::hours(24)));
        assert_eq!(parse_duration("90"), Some(time::Duration::seconds(90)));
        assert_eq!(parse_duration("0m"), None);
        assert_eq!(parse_duration("1y"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("99999999999999999d"), None);
        for text in ["90s", "30m", "1h", "14d"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }

    #[test]
    fn every_problem_names_its_key_and_the_default_is_kept() {
        let mut p = Problems::default();
        let d = p.duration(
            "session.fresh_for",
            Some("soon"),
            time::Duration::minutes(10),
        );
        assert_eq!(d, time::Duration::minutes(10));
        let short = p.duration_at_least(
            "audit.retention",
            Some("1h"),
            time::Duration::days(365),
            time::Duration::days(1),
        );
        assert_eq!(short, time::Duration::days(365));
        let mut n = 5;
        p.at_least_one("login.lockout_after", Some(0), &mut n);
        let word = p.choice("log_format", Some("xml"), 1, &[("pretty", 1), ("json", 2)]);
        assert_eq!(word, 1);
        let missing = p.secret("smtp_url", None, Some(Path::new("/no/such/file")));
        assert!(missing.is_none());
        let Err(ConfigError::Invalid(list)) = p.finish() else {
            panic!("problems expected");
        };
        assert_eq!(list.len(), 5, "{list:?}");
        assert_eq!(
            list[0],
            "session.fresh_for \"soon\" is not a duration such as 10m"
        );
        assert_eq!(
            list[1],
            "audit.retention \"1h\" is not a duration of at least 1d such as 365d"
        );
        assert_eq!(list[2], "login.lockout_after must be at least 1");
        assert_eq!(
            list[3],
            "log_format must be \"pretty\" or \"json\", not \"xml\""
        );
        assert!(list[4].starts_with("smtp_url file /no/such/file cannot be read"));
    }

    #[test]
    fn nothing_found_is_no_error() {
        let mut p = Problems::default();
        assert_eq!(
            p.duration("x", None, time::Duration::hours(1)),
            time::Duration::hours(1)
        );
        assert_eq!(
            p.choice("y", Some("json"), 1, &[("pretty", 1), ("json", 2)]),
            2
        );
        assert!(p.finish().is_ok());
    }
}
