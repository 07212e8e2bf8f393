//! Times as people read them: "3 minutes ago", "in 29 days", and the exact
//! time ("3 December 2026, 06:49:48 UTC") for a tooltip or a mail. Pages
//! and mails show these; the API keeps RFC 3339.

use time::{Duration, Month, OffsetDateTime, UtcOffset};

/// `at` in UTC; a time past the year 9999 once in UTC keeps its own offset
/// (converting it would overflow, a panic).
pub fn in_utc(at: OffsetDateTime) -> OffsetDateTime {
    at.checked_to_offset(UtcOffset::UTC).unwrap_or(at)
}

/// The exact time, to the second, in UTC: `3 December 2026, 06:49:48 UTC`.
pub fn exact(at: OffsetDateTime) -> String {
    let at = in_utc(at);
    format!(
        "{} {} {}, {:02}:{:02}:{:02} UTC",
        at.day(),
        month_name(at.month()),
        at.year(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The day alone: `3 December 2026`.
pub fn day(at: OffsetDateTime) -> String {
    let at = in_utc(at);
    format!("{} {} {}", at.day(), month_name(at.month()), at.year())
}

/// A span of time people count in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
}

/// `at` seen from some moment, as people say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relative {
    /// Within 45 seconds either way.
    JustNow,
    /// So many units before.
    Ago(Unit, u64),
    /// So many units after.
    In(Unit, u64),
    /// Four weeks or more away: the day itself.
    On(OffsetDateTime),
}

/// `at` seen from `now`: just now, minutes, hours, days, and beyond four
/// weeks the day itself.
pub fn relative(at: OffsetDateTime, now: OffsetDateTime) -> Relative {
    let span = now - at;
    let seconds = span.whole_seconds().unsigned_abs();
    let (minute, hour, day) = (60, 3_600, 86_400);
    let (unit, count) = if seconds < 45 {
        return Relative::JustNow;
    } else if seconds < 90 {
        (Unit::Minute, 1)
    } else if seconds < 45 * minute {
        (Unit::Minute, rounded(seconds, minute))
    } else if seconds < 90 * minute {
        (Unit::Hour, 1)
    } else if seconds < 22 * hour {
        (Unit::Hour, rounded(seconds, hour))
    } else if seconds < 36 * hour {
        (Unit::Day, 1)
    } else if seconds < 28 * day {
        (Unit::Day, rounded(seconds, day))
    } else {
        return Relative::On(at);
    };
    if span >= Duration::ZERO {
        Relative::Ago(unit, count)
    } else {
        Relative::In(unit, count)
    }
}

/// [`relative`] in English ("3 minutes ago", "in 2 hours", "on 3 December
/// 2026"); pages say it in their own language through their catalogue.
pub fn relative_in_english(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let amount = |unit: Unit, n: u64| {
        let word = match unit {
            Unit::Minute => "minute",
            Unit::Hour => "hour",
            Unit::Day => "day",
        };
        match (unit, n) {
            (Unit::Hour, 1) => "an hour".to_owned(),
            (_, 1) => format!("a {word}"),
            _ => format!("{n} {word}s"),
        }
    };
    match relative(at, now) {
        Relative::JustNow => "just now".to_owned(),
        Relative::Ago(unit, n) => format!("{} ago", amount(unit, n)),
        Relative::In(unit, n) => format!("in {}", amount(unit, n)),
        Relative::On(at) => format!("on {}", day(at)),
    }
}

/// `seconds` in `unit`s, to the nearest one.
fn rounded(seconds: u64, unit: u64) -> u64 {
    (seconds + unit / 2) / unit
}

/// The English name of `month`.
pub fn month_name(month: Month) -> &'static str {
    match month {
        Month::January => "January",
        Month::February => "February",
        Month::March => "March",
        Month::April => "April",
        Month::May => "May",
        Month::June => "June",
        Month::July => "July",
        Month::August => "August",
        Month::September => "September",
        Month::October => "October",
        Month::November => "November",
        Month::December => "December",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// A time that would pass the year 9999 in UTC is said in its own
    /// offset, not a panic.
    #[test]
    fn the_last_minutes_of_9999_are_said() {
        let last = datetime!(9999-12-31 23:30 -2);
        assert_eq!(exact(last), "31 December 9999, 23:30:00 UTC");
        assert_eq!(day(last), "31 December 9999");
        assert_eq!(
            in_utc(datetime!(2026-12-03 23:30 -2)),
            datetime!(2026-12-04 01:30 UTC)
        );
    }

    #[test]
    fn times_read_as_people_say_them() {
        let now = datetime!(2026-12-03 06:49:48.031400078 UTC);
        let cases = [
            (Duration::seconds(3), "just now"),
            (Duration::seconds(-3), "just now"),
            (Duration::seconds(60), "a minute ago"),
            (Duration::minutes(3), "3 minutes ago"),
            (Duration::minutes(44), "44 minutes ago"),
            (Duration::minutes(60), "an hour ago"),
            (Duration::hours(5), "5 hours ago"),
            (Duration::hours(30), "a day ago"),
            (Duration::days(6), "6 days ago"),
            (-Duration::days(29), "on 1 January 2027"),
            (-Duration::hours(2), "in 2 hours"),
            (Duration::days(40), "on 24 October 2026"),
        ];
        for (ago, said) in cases {
            assert_eq!(relative_in_english(now - ago, now), said, "{ago}");
        }
        assert_eq!(exact(now), "3 December 2026, 06:49:48 UTC");
        let elsewhere = datetime!(2026-12-03 08:49:48 +02:00);
        assert_eq!(exact(elsewhere), "3 December 2026, 06:49:48 UTC");
    }
}
