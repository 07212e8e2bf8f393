//! Opening, tuning and migrating each backend. This is where SQLite and
//! PostgreSQL differ; the queries themselves are shared.

use crate::embedded::EmbeddedPool;
use sqlx::pool::PoolConnectionMetadata;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

/// A connection pool to one of the supported databases.
#[derive(Clone, Debug)]
pub enum Store {
    /// Embedded SQLite in WAL mode.
    Sqlite(EmbeddedPool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// Runs the same statement code against whichever pool the store holds.
///
/// sqlx's drivers are separate static types; rather than the type-erased
/// `Any` driver (which loses native types) or one copy of every query per
/// backend, each call site is expanded once per backend from a single text.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::backend::Store::Sqlite($pool) => $body,
            $crate::backend::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Runs `sqlx::query($sql)` with each argument bound in order on `$exec` (a
/// pool, or `&mut *tx` in a transaction): how many rows it changed.
macro_rules! exec {
    ($exec:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        sqlx::query($sql)
            $(.bind($arg))*
            .execute($exec)
            .await
            .map(|done| done.rows_affected())
            .map_err($crate::error::repo_error)
    };
}
pub(crate) use exec;

/// Runs `sqlx::$query($sql)` (`query_as` or `query_scalar`) with each
/// argument bound in order, and reads its rows with `$fetch`
/// (`fetch_one`, `fetch_optional` or `fetch_all`) from `$exec`.
macro_rules! fetch {
    ($exec:expr, $query:ident, $fetch:ident, $sql:expr $(, $arg:expr)* $(,)?) => {
        sqlx::$query($sql)
            $(.bind($arg))*
            .$fetch($exec)
            .await
            .map_err($crate::error::repo_error)
    };
}
pub(crate) use fetch;

/// Opens a transaction as `$tx` on a connection taken from `$pool` for
/// it (the transaction borrows the connection, which this binds unseen
/// until the end of the caller's block); a failure returns a `RepoError`.
macro_rules! begin {
    ($pool:expr, $tx:ident) => {
        let mut connection = $pool.acquire().await.map_err($crate::error::repo_error)?;
        let mut $tx = sqlx::Connection::begin(&mut *connection)
            .await
            .map_err($crate::error::repo_error)?;
    };
}
pub(crate) use begin;

/// The statement that claims a queue's due rows for one delivery attempt:
/// up to `$3` rows of `$table` matching `$due` (which compares
/// `next_attempt_at` with `$2`), oldest first, whose next attempt moves to
/// the lease's end `$1`; it returns `$returning`. One statement claims.
/// PostgreSQL skips rows another instance is claiming; SQLite has one
/// writer at a time. (The outbox and the webhook deliveries.)
macro_rules! claim_sql {
    ($store:expr, $table:literal, $due:literal, $returning:literal) => {
        match $store {
            Store::Postgres(_) => {
                claim_sql!(@ $table, $due, $returning, " FOR UPDATE SKIP LOCKED")
            }
            Store::Sqlite(_) => claim_sql!(@ $table, $due, $returning, ""),
        }
    };
    (@ $table:literal, $due:literal, $returning:literal, $lock:literal) => {
        concat!(
            "UPDATE ", $table, " SET next_attempt_at = $1 WHERE id IN (SELECT id FROM ",
            $table, " WHERE ", $due, " ORDER BY created_at, id LIMIT $3", $lock,
            ") RETURNING ", $returning
        )
    };
}
pub(crate) use claim_sql;

/// Whether the PostgreSQL pool may hand out `connection`: not while it is
/// still inside a transaction. A transaction whose future was dropped is
/// rolled back when its connection is given back, but if that rollback
/// fails sqlx ignores the error and keeps the connection; the next caller's
/// `BEGIN` would then only open a savepoint, and its writes would never
/// commit. Such a connection is closed instead. (A counter sqlx keeps: no
/// round trip. SQLite's pool makes the same check, see `embedded`.)
fn not_in_transaction<C: sqlx::Connection>(
    connection: &mut C,
    _: PoolConnectionMetadata,
) -> Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    let idle = !connection.is_in_transaction();
    Box::pin(std::future::ready(Ok(idle)))
}

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum StoreOpenError {
    /// The URL is neither `sqlite:` nor `postgres:`.
    /// (The URL itself is not echoed: it may carry a password.)
    #[error("unsupported database URL scheme {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// The connection failed.
    #[error("could not connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// A migration failed.
    #[error("could not apply database migrations: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// How every SQLite connection is opened: the file created when missing,
/// WAL, foreign keys and a busy timeout.
pub(crate) fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // Statement and savepoint journals in memory, not temp files.
        .pragma("temp_store", "memory")
        .busy_timeout(Duration::from_secs(5)))
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`). SQLite files are
    /// created when missing and opened with WAL, foreign keys and a busy timeout.
    pub async fn connect(url: &str) -> Result<Self, StoreOpenError> {
        if url.starts_with("sqlite:") {
            let options = sqlite_options(url).map_err(StoreOpenError::Connect)?;
            // Not sqlx's pool, which pings each connection given back: a
            // second round trip to its worker thread per statement (see
            // `embedded`).
            let pool = EmbeddedPool::open(options, 8)
                .await
                .map_err(StoreOpenError::Connect)?;
            Ok(Store::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url).map_err(StoreOpenError::Connect)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .before_acquire(not_in_transaction)
                .connect_with(options)
                .await
                .map_err(StoreOpenError::Connect)?;
            Ok(Store::Postgres(pool))
        } else {
            let scheme = url
                .split(':')
                .next()
                .unwrap_or_default()
                .chars()
                .take(20)
                .collect();
            Err(StoreOpenError::UnsupportedUrl(scheme))
        }
    }

    /// Applies pending migrations (idempotent; safe from several instances).
    pub async fn migrate(&self) -> Result<(), StoreOpenError> {
        match self {
            Store::Sqlite(pool) => {
                let mut connection = pool.acquire().await.map_err(StoreOpenError::Connect)?;
                sqlx::migrate!("./migrations/sqlite")
                    .run_direct(None, &mut *connection, false)
                    .await
            }
            Store::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .map_err(StoreOpenError::Migrate)
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        on_pool!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .is_ok())
    }

    /// Which backend this is, for logs.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}

impl Store {
    /// Mails waiting in the outbox (for `/metrics`).
    pub async fn count_queued_mail(&self) -> Result<i64, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox"
        )
        .fetch_one(pool)
        .await)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// The embedded SQLite keeps the plan each statement was prepared with,
    /// whatever is bound to it later (`.cargo/config.toml`). Without the
    /// guarantee SQLite 3.51 prepares every statement with `LIMIT $n` afresh
    /// at each execution, because its plan depended on the value bound.
    #[tokio::test]
    async fn sqlite_keeps_each_statement_plan() {
        let Store::Sqlite(pool) = Store::connect("sqlite::memory:").await.unwrap() else {
            panic!("sqlite::memory: opened another backend");
        };
        let options: Vec<String> =
            sqlx::query_scalar("SELECT compile_options FROM pragma_compile_options")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert!(
            options.iter().any(|option| option == "ENABLE_QPSG"),
            "SQLite was built without SQLITE_ENABLE_QPSG: {options:?}"
        );
    }

    /// A connection left inside a transaction (its rollback never ran) is
    /// not handed out again: what the next caller writes commits.
    #[tokio::test]
    async fn a_connection_left_in_a_transaction_is_not_handed_out() {
        use sqlx::Connection;
        let path = std::env::temp_dir().join(format!("rampart-{}.db", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}", path.display());
        let Store::Sqlite(pool) = Store::connect(&url).await.unwrap() else {
            panic!("{url} opened another backend");
        };
        let mut only = sqlx::sqlite::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE kept (n INTEGER)")
            .execute(&mut only)
            .await
            .unwrap();
        // Every pooled connection open, each left inside a transaction:
        // the transactions are forgotten, so no rollback is queued.
        let mut held = Vec::new();
        for _ in 0..pool.max_connections() {
            let mut connection = pool.acquire().await.unwrap();
            std::mem::forget(connection.begin().await.unwrap());
            assert!(connection.is_in_transaction());
            held.push(connection);
        }
        drop(held);
        // Given back, each is closed rather than lent again.
        sqlx::query("INSERT INTO kept (n) VALUES (1)")
            .execute(&pool)
            .await
            .unwrap();
        let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kept")
            .fetch_one(&mut only)
            .await
            .unwrap();
        assert_eq!(seen, 1, "the write went into a transaction left open");
        pool.close().await;
        only.close().await.unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
