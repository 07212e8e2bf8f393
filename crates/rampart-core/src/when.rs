//! Times as people read them: how far a time is from now in whole minutes,
//! hours or days ("3 minutes ago", "in 29 days"), or beyond four weeks the
//! day itself. Pages say them in their own language (the `| when` filter,
//! with rampart-i18n's catalogues, which also say the exact time and day);
//! the API keeps RFC 3339.

use time::{Duration, OffsetDateTime};

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

/// `seconds` in `unit`s, to the nearest one.
fn rounded(seconds: u64, unit: u64) -> u64 {
    (seconds + unit / 2) / unit
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_read_as_people_say_them() {
        use Relative::{Ago, In, JustNow, On};
        let now = datetime!(2026-12-03 06:49:48.031400078 UTC);
        let cases = [
            (Duration::seconds(3), JustNow),
            (Duration::seconds(-3), JustNow),
            (Duration::seconds(60), Ago(Unit::Minute, 1)),
            (Duration::minutes(3), Ago(Unit::Minute, 3)),
            (Duration::minutes(44), Ago(Unit::Minute, 44)),
            (Duration::minutes(60), Ago(Unit::Hour, 1)),
            (Duration::hours(5), Ago(Unit::Hour, 5)),
            (Duration::hours(30), Ago(Unit::Day, 1)),
            (Duration::days(6), Ago(Unit::Day, 6)),
            (-Duration::days(29), On(now + Duration::days(29))),
            (-Duration::hours(2), In(Unit::Hour, 2)),
            (Duration::days(40), On(now - Duration::days(40))),
        ];
        for (ago, said) in cases {
            assert_eq!(relative(now - ago, now), said, "{ago}");
        }
    }
}
