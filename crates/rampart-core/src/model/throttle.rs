//! A brute-force counter as stored.

use time::OffsetDateTime;

/// A stored counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// Failures (and reserved attempts) in the current run.
    pub failures: i64,
    /// Locked until then (in the past when not locked).
    pub locked_until: OffsetDateTime,
    /// The last failure (or reservation).
    pub last_failure_at: OffsetDateTime,
}
