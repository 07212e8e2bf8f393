//! Statements on `login_throttle`. Counters change by compare-and-swap (the
//! domain reads, decides and writes only if nothing changed in between), so
//! concurrent attempts are all counted.

use crate::backend::{Store, exec, fetch, on_pool};
use crate::embedded::EmbeddedPool;
use crate::error::repo_error;
use crate::time::time_of;
use async_trait::async_trait;
use rampart_core::ports::{RepoError, ThrottleRepo};
use rampart_core::throttle::Counter;
use sqlx::Row;
use std::sync::LazyLock;
use time::OffsetDateTime;

/// What taking one attempt back sets: one failure fewer, and each
/// counter's lock back to the one before if it is still the one the attempt
/// set (`$1`, `$4`, `$7` the keys; then each one's set and previous lock).
macro_rules! undo_set {
    () => {
        "failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END, \
         locked_until = CASE \
           WHEN key = $1 AND locked_until = $2 THEN $3 \
           WHEN key = $4 AND locked_until = $5 THEN $6 \
           WHEN key = $7 AND locked_until = $8 THEN $9 \
           ELSE locked_until END"
    };
}

/// `$query` with a padded chunk of three take-backs bound next: each key,
/// the lock the attempt set, and the lock before it (`undo_set!`'s order).
macro_rules! bind_undo {
    ($query:expr, $chunk:expr) => {{
        let chunk = &$chunk;
        let mut query = $query;
        for n in 0..3 {
            let (key, set, previous) = chunk.at(n);
            query = query
                .bind(*key)
                .bind(set.unix_timestamp())
                .bind(previous.unix_timestamp());
        }
        query
    }};
}

/// `$query` with a padded chunk of four keys bound next.
macro_rules! bind_keys {
    ($query:expr, $chunk:expr) => {{
        let chunk = &$chunk;
        let mut query = $query;
        for n in 0..4 {
            query = query.bind(*chunk.at(n));
        }
        query
    }};
}

/// PostgreSQL: the rows under the keys `$…`, locked in key order before a
/// statement changes several of them. Concurrent sign-ins share the
/// address's and the network's rows; locked in any other order, two of
/// them could deadlock. (SQLite has one writer at a time.)
macro_rules! locked_in_order {
    ($keys:literal) => {
        concat!(
            "SELECT key FROM login_throttle WHERE key IN (",
            $keys,
            ") ORDER BY key FOR UPDATE"
        )
    };
}

/// Compare-and-swap of up to six counters (`$1`…`$7` the first: key,
/// the counter read, the new one; then each next seven): a counter changes
/// only if it still is the one read.
macro_rules! swap_from {
    () => {
        "WITH swap (k, old_failures, old_last, old_locked, failures, last_failure_at, locked_until) AS \
         (VALUES ($1, $2, $3, $4, $5, $6, $7), ($8, $9, $10, $11, $12, $13, $14), \
          ($15, $16, $17, $18, $19, $20, $21), ($22, $23, $24, $25, $26, $27, $28), \
          ($29, $30, $31, $32, $33, $34, $35), ($36, $37, $38, $39, $40, $41, $42)) \
         UPDATE login_throttle SET failures = swap.failures, \
           last_failure_at = swap.last_failure_at, locked_until = swap.locked_until \
         FROM swap WHERE login_throttle.key = swap.k \
           AND login_throttle.failures = swap.old_failures \
           AND login_throttle.last_failure_at = swap.old_last \
           AND login_throttle.locked_until = swap.old_locked"
    };
}

/// The counters expected absent, inserted unless another attempt has
/// written them first (`$1`…`$4` the first: key, failures, last failure,
/// lock; then each next four), six rows.
macro_rules! insert_rows {
    () => {
        "INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES \
         ($1, $2, $3, $4), ($5, $6, $7, $8), ($9, $10, $11, $12), \
         ($13, $14, $15, $16), ($17, $18, $19, $20), ($21, $22, $23, $24) \
         ON CONFLICT (key) DO NOTHING RETURNING key"
    };
}

/// `$query` with a padded chunk of six counters to insert bound next
/// (`insert_rows!`'s order).
macro_rules! bind_inserts {
    ($query:expr, $chunk:expr) => {{
        let chunk = &$chunk;
        let mut query = $query;
        for n in 0..SWAPS {
            let (key, _, new): &(&str, Option<Counter>, Counter) = chunk.at(n);
            query = query
                .bind(*key)
                .bind(new.failures)
                .bind(new.last_failure_at.unix_timestamp())
                .bind(new.locked_until.unix_timestamp());
        }
        query
    }};
}

/// `$query` with a padded chunk of six counters to swap bound next
/// (`swap_from!`'s order: key, the counter read, the new one).
macro_rules! bind_swaps {
    ($query:expr, $chunk:expr) => {{
        let chunk = &$chunk;
        let mut query = $query;
        for n in 0..SWAPS {
            let (key, old, new): &(&str, Option<Counter>, Counter) = chunk.at(n);
            let old = old.unwrap_or(*new);
            query = query
                .bind(*key)
                .bind(old.failures)
                .bind(old.last_failure_at.unix_timestamp())
                .bind(old.locked_until.unix_timestamp())
                .bind(new.failures)
                .bind(new.last_failure_at.unix_timestamp())
                .bind(new.locked_until.unix_timestamp());
        }
        query
    }};
}

#[derive(sqlx::FromRow)]
struct CounterRow {
    key: String,
    failures: i64,
    last_failure_at: i64,
    locked_until: i64,
}

#[async_trait]
impl ThrottleRepo for Store {
    async fn throttle_counters(&self, keys: &[&str]) -> Result<Vec<(String, Counter)>, RepoError> {
        let Some(keys) = Padded::of(keys) else {
            return Ok(Vec::new());
        };
        // One round trip for all of them: this runs before every sign-in.
        let key = |n: usize| *keys.at(n);
        let rows: Vec<CounterRow> = on_pool!(self, |pool| {
            fetch!(
                pool,
                query_as,
                fetch_all,
                "SELECT key, failures, last_failure_at, locked_until FROM login_throttle \
                 WHERE key IN ($1, $2, $3, $4, $5, $6)",
                key(0),
                key(1),
                key(2),
                key(3),
                key(4),
                key(5)
            )
        })?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let counter = Counter {
                    failures: r.failures,
                    locked_until: time_of(r.locked_until),
                    last_failure_at: time_of(r.last_failure_at),
                };
                (r.key, counter)
            })
            .collect())
    }

    async fn swap_throttle(
        &self,
        key: &str,
        expected: Option<Counter>,
        new: Counter,
    ) -> Result<bool, RepoError> {
        let changed = match expected {
            None => on_pool!(self, |pool| exec!(
                pool,
                "INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING",
                key,
                new.failures,
                new.last_failure_at.unix_timestamp(),
                new.locked_until.unix_timestamp()
            ))?,
            Some(old) => on_pool!(self, |pool| {
                exec!(
                    pool,
                    "UPDATE login_throttle SET failures = $1, last_failure_at = $2, locked_until = $3 \
                     WHERE key = $4 AND failures = $5 AND last_failure_at = $6 AND locked_until = $7",
                    new.failures,
                    new.last_failure_at.unix_timestamp(),
                    new.locked_until.unix_timestamp(),
                    key,
                    old.failures,
                    old.last_failure_at.unix_timestamp(),
                    old.locked_until.unix_timestamp(),
                )
            })?,
        };
        Ok(changed == 1)
    }

    async fn swap_throttles(
        &self,
        swaps: &[(&str, Option<Counter>, Counter)],
    ) -> Result<Vec<String>, RepoError> {
        // Key order, so that concurrent attempts on PostgreSQL take their
        // rows' locks in one order (no deadlock); then each kind in one
        // statement: the counters expected absent are inserted, those
        // expected as read are compared and swapped.
        let mut swaps = swaps.to_vec();
        swaps.sort_by(|a, b| a.0.cmp(b.0));
        let (absent, present): (Vec<_>, Vec<_>) = swaps
            .into_iter()
            .partition(|(_, expected, _)| expected.is_none());
        if let (Store::Sqlite(pool), Some(absent), Some(present)) =
            (self, one_chunk(&absent, SWAPS), one_chunk(&present, SWAPS))
        {
            return insert_and_swap(pool, absent, present).await;
        }
        let mut swapped = Vec::with_capacity(absent.len() + present.len());
        for chunk in absent.chunks(SWAPS).filter_map(Padded::of) {
            swapped.extend(self.insert_counters(chunk).await?);
        }
        for chunk in present.chunks(SWAPS).filter_map(Padded::of) {
            swapped.extend(self.swap_counters(chunk).await?);
        }
        Ok(swapped)
    }

    async fn undo_throttles(
        &self,
        undo: &[(&str, OffsetDateTime, OffsetDateTime)],
    ) -> Result<(), RepoError> {
        // Three counters a statement (a successful sign-in takes back two),
        // a short chunk padded with its first entry: taking the same
        // counter back twice in one statement changes it once.
        let sql = match self {
            Store::Postgres(_) => concat!(
                "UPDATE login_throttle SET ",
                undo_set!(),
                " WHERE key IN (",
                locked_in_order!("$1, $4, $7"),
                ")"
            ),
            Store::Sqlite(_) => concat!(
                "UPDATE login_throttle SET ",
                undo_set!(),
                " WHERE key IN ($1, $4, $7)"
            ),
        };
        in_chunks(undo, 3, |chunk| async move {
            on_pool!(self, |pool| bind_undo!(sqlx::query(sql), chunk)
                .execute(pool)
                .await
                .map(drop)
                .map_err(repo_error))
        })
        .await
    }

    async fn clear_throttle_counters(&self, keys: &[&str]) -> Result<(), RepoError> {
        let sql = match self {
            Store::Postgres(_) => concat!(
                "DELETE FROM login_throttle WHERE key IN (",
                locked_in_order!("$1, $2, $3, $4"),
                ")"
            ),
            Store::Sqlite(_) => "DELETE FROM login_throttle WHERE key IN ($1, $2, $3, $4)",
        };
        in_chunks(keys, 4, |chunk| async move {
            on_pool!(self, |pool| bind_keys!(sqlx::query(sql), chunk)
                .execute(pool)
                .await
                .map(drop)
                .map_err(repo_error))
        })
        .await
    }

    async fn settle_throttles(
        &self,
        cleared: &[&str],
        undo: &[(&str, OffsetDateTime, OffsetDateTime)],
    ) -> Result<(), RepoError> {
        // SQLite runs several statements in one round trip to its worker
        // thread: a sign-in's counters (at most three taken back and four
        // cleared) are settled in one, the statements of `undo_throttles`
        // and `clear_throttle_counters` one after the other. If the first
        // fails the second is not run: the attempt then stays counted, the
        // safe side. Anything larger, and PostgreSQL (one statement a round
        // trip), write them apart.
        let (Store::Sqlite(pool), Some(back), Some(keys)) =
            (self, one_chunk(undo, 3), one_chunk(cleared, 4))
        else {
            let clearing = self.clear_throttle_counters(cleared).await;
            let undoing = self.undo_throttles(undo).await;
            return clearing.and(undoing);
        };
        let sql = concat!(
            "UPDATE login_throttle SET ",
            undo_set!(),
            " WHERE key IN ($1, $4, $7); \
             DELETE FROM login_throttle WHERE key IN ($10, $11, $12, $13)"
        );
        bind_keys!(bind_undo!(sqlx::query(sql), back), keys)
            .execute(pool)
            .await
            .map(drop)
            .map_err(repo_error)
    }

    async fn clear_throttle_prefix(&self, prefix: &str) -> Result<(), RepoError> {
        // Keys are built by the domain from a lower-cased name; escape LIKE's
        // wildcards all the same.
        let pattern = format!(
            "{}%",
            prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        on_pool!(self, |pool| exec!(
            pool,
            "DELETE FROM login_throttle WHERE key LIKE $1 ESCAPE '\\'",
            pattern
        )
        .map(drop))
    }
}

/// How many counters one statement of [`ThrottleRepo::swap_throttles`]
/// swaps: every counter of one attempt (name, address, network, account,
/// second factor, device).
const SWAPS: usize = 6;

/// Rows for a statement with a fixed number of them: a short list is
/// padded with its first row, which the statements write once however
/// often it comes (an `IN` list, a conflict with itself, a join to the
/// same values).
struct Padded<'a, T> {
    rows: &'a [T],
    first: &'a T,
}

/// `rows` as one padded chunk of at most `size`; `None` when there are none
/// or more.
fn one_chunk<T>(rows: &[T], size: usize) -> Option<Padded<'_, T>> {
    if rows.len() > size {
        return None;
    }
    Padded::of(rows)
}

impl<'a, T> Padded<'a, T> {
    /// `rows` padded; `None` when there are none.
    fn of(rows: &'a [T]) -> Option<Self> {
        Some(Padded {
            rows,
            first: rows.first()?,
        })
    }

    /// Row `n`, or the first past the end.
    fn at(&self, n: usize) -> &'a T {
        self.rows.get(n).unwrap_or(self.first)
    }
}

impl Store {
    /// Inserts each counter of `chunk` (at most [`SWAPS`], distinct keys,
    /// each expected absent) that is still absent; the keys inserted. A
    /// short chunk is padded with its first entry, which then conflicts
    /// with itself and is inserted once.
    async fn insert_counters(
        &self,
        chunk: Padded<'_, (&str, Option<Counter>, Counter)>,
    ) -> Result<Vec<String>, RepoError> {
        on_pool!(self, |pool| bind_inserts!(
            sqlx::query_scalar(insert_rows!()),
            chunk
        )
        .fetch_all(pool)
        .await
        .map_err(repo_error))
    }

    /// Swaps each counter of `chunk` (at most [`SWAPS`], distinct keys,
    /// each with the counter read) that is still as read; the keys
    /// swapped. A short chunk is padded with its first entry: a row joined
    /// twice to the same values is changed once.
    async fn swap_counters(
        &self,
        chunk: Padded<'_, (&str, Option<Counter>, Counter)>,
    ) -> Result<Vec<String>, RepoError> {
        let sql = match self {
            Store::Postgres(_) => concat!(
                swap_from!(),
                " AND login_throttle.key IN (",
                locked_in_order!("$1, $8, $15, $22, $29, $36"),
                ") RETURNING login_throttle.key"
            ),
            Store::Sqlite(_) => concat!(swap_from!(), " RETURNING login_throttle.key"),
        };
        on_pool!(self, |pool| bind_swaps!(sqlx::query_scalar(sql), chunk)
            .fetch_all(pool)
            .await
            .map_err(repo_error))
    }
}

/// SQLite: the counters expected absent inserted and those read swapped
/// (each at most [`SWAPS`]) in one transaction sent whole: one round trip
/// to the connection's worker thread and one commit, where apart they take
/// two of each (an attempt whose name was cleared by its last success, from
/// an address seen before, has both kinds). Both statements change the
/// counters or neither does; the keys changed.
async fn insert_and_swap(
    pool: &EmbeddedPool,
    absent: Padded<'_, (&str, Option<Counter>, Counter)>,
    present: Padded<'_, (&str, Option<Counter>, Counter)>,
) -> Result<Vec<String>, RepoError> {
    // The swap's values are `$1`…`$42`; the insert's follow (`$43`…).
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "BEGIN IMMEDIATE; {} RETURNING login_throttle.key; {}; COMMIT",
            swap_from!(),
            renumbered(insert_rows!(), 42)
        )
    });
    let query = bind_inserts!(bind_swaps!(sqlx::query(SQL.as_str()), present), absent);
    let rows = pool
        .transaction_sent_whole(query)
        .await
        .map_err(repo_error)?;
    rows.iter()
        .map(|row| row.try_get::<String, _>(0).map_err(repo_error))
        .collect()
}

/// `sql` with each numbered value (`$7`) numbered `by` more (`$49`): a
/// statement sent after another's values.
fn renumbered(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// Writes `items` a few (`size`) a statement: `write` gets each chunk,
/// [`Padded`]. Every chunk is written even if one fails; the first error is
/// reported.
async fn in_chunks<'a, T: Sync, F, Fut>(
    items: &'a [T],
    size: usize,
    write: F,
) -> Result<(), RepoError>
where
    F: Fn(Padded<'a, T>) -> Fut,
    Fut: std::future::Future<Output = Result<(), RepoError>> + Send,
{
    let mut outcome = Ok(());
    for chunk in items.chunks(size).filter_map(Padded::of) {
        outcome = outcome.and(write(chunk).await);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_after_anothers_values_has_its_own_numbers() {
        assert_eq!(
            renumbered("VALUES ($1, $2), ($10, $24) WHERE a = $3 AND b = '$'", 42),
            "VALUES ($43, $44), ($52, $66) WHERE a = $45 AND b = '$'"
        );
        // The insert after the swap: its first value follows the swap's last.
        let sql = renumbered(insert_rows!(), 42);
        assert!(sql.contains("($43, $44, $45, $46)"), "{sql}");
        assert!(sql.contains("$66)") && !sql.contains("$67"), "{sql}");
        assert!(swap_from!().contains("$42)") && !swap_from!().contains("$43"));
    }
}
