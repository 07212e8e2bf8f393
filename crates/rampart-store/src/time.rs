//! Times are stored as Unix seconds on both backends.

use time::OffsetDateTime;

/// A stored Unix time; out-of-range values (never written by Rampart) read as
/// the epoch rather than failing the whole row.
pub(crate) fn time_of(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
