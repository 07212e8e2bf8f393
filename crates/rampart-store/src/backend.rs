//! Opening, tuning and migrating each backend. This is where SQLite and
//! PostgreSQL differ; the queries themselves are shared.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// A connection pool to one of the supported databases.
#[derive(Clone, Debug)]
pub enum Store {
    /// Embedded SQLite in WAL mode.
    Sqlite(SqlitePool),
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

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`). SQLite files are
    /// created when missing and opened with WAL, foreign keys and a busy timeout.
    pub async fn connect(url: &str) -> Result<Self, StoreOpenError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(StoreOpenError::Connect)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // Statement and savepoint journals in memory, not temp files.
                .pragma("temp_store", "memory")
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                // sqlx pings a pooled connection before each use by default:
                // for SQLite that is one more round trip to the connection's
                // worker thread per statement, and an embedded database
                // cannot have hung up. (A connection whose worker died is
                // still closed: sqlx pings each one when it is given back.)
                .test_before_acquire(false)
                .connect_with(options)
                .await
                .map_err(StoreOpenError::Connect)?;
            Ok(Store::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url).map_err(StoreOpenError::Connect)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
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
            Store::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
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

    /// A statement on SQLite takes one round trip to the connection's
    /// worker thread, not two: the pool does not ping a connection it hands
    /// out (sqlx's default), which would be a second message to the worker.
    #[tokio::test]
    async fn sqlite_connections_are_not_pinged_before_each_use() {
        let Store::Sqlite(pool) = Store::connect("sqlite::memory:").await.unwrap() else {
            panic!("sqlite::memory: opened another backend");
        };
        assert!(!pool.options().get_test_before_acquire());
    }
}
