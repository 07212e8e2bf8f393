//! The connections to the embedded SQLite database, lent one statement (or
//! one transaction) at a time.
//!
//! Why not sqlx's pool: each sqlx SQLite connection runs on a worker
//! thread of its own, and a statement is a message to that thread and an
//! answer back. sqlx's pool adds a second round trip to every statement: it
//! pings each connection when it is given back (in a task spawned for it,
//! not configurable in 0.9), so that whatever a cancelled caller left
//! queued has run before the next caller's statements. Here a connection
//! whose statement was answered, outside any transaction, is idle again at
//! once. Only one that may have work queued (a statement given up half-way,
//! a failed one, or a transaction: its rollback may be queued) is pinged
//! first, which runs after that work; one still inside a transaction then,
//! or whose worker has died, is closed, never lent again. A page sign-in
//! runs about ten statements: they wake the threads about half as often
//! (`docs/benchmarks.md`).
//!
//! The most recently used connection is lent first, so a quiet server
//! works on one or two connections whose statement caches stay warm. Idle
//! connections stay open (up to `max`): there is no idle timeout or
//! lifetime to renew them, which an embedded database does not need.

use futures_core::future::BoxFuture;
use futures_core::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteQueryResult, SqliteRow, SqliteStatement,
    SqliteTypeInfo,
};
use sqlx::{ConnectOptions, Connection, Describe, Either, Execute, Executor, SqlStr, Sqlite};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// How long a caller waits for a connection (lent or newly opened) before
/// it is told the database is busy (`sqlx::Error::PoolTimedOut`), as with
/// sqlx's pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// A caller that waited this long for a connection is logged (a warning
/// naming the wait and the pool's size): the database, or the pool's size,
/// is holding requests up.
const SLOW_ACQUIRE: Duration = Duration::from_secs(1);

/// A pool of connections to one SQLite database. Cheap to clone.
///
/// Its answers are read whole before the first row is handed on (see
/// `fetch_many`): the store reads none row by row.
#[derive(Clone)]
pub struct EmbeddedPool {
    shared: Arc<Shared>,
}

struct Shared {
    options: SqliteConnectOptions,
    max: u32,
    /// One permit per connection that may be lent (or opened) at once.
    permits: Arc<Semaphore>,
    /// Connections waiting to be lent, the last given back at the end.
    idle: Mutex<Vec<SqliteConnection>>,
    /// Connections on loan (or being opened, or closed after their loan),
    /// and a signal when one is done with while closing, which `close`
    /// waits for.
    lent: AtomicUsize,
    closed: AtomicBool,
    returned: Notify,
}

/// One connection counted as on loan until this is dropped (wherever that
/// happens: in a task a shutting-down runtime drops unrun too).
struct OnLoan(Arc<Shared>);

impl Drop for OnLoan {
    fn drop(&mut self) {
        self.0.lent.fetch_sub(1, Ordering::SeqCst);
        if self.0.closed.load(Ordering::SeqCst) {
            self.0.returned.notify_waiters();
        }
    }
}

/// A connection on loan: back to the pool when dropped.
pub struct Lent {
    connection: Option<SqliteConnection>,
    permit: Option<OwnedSemaphorePermit>,
    loan: Option<OnLoan>,
    /// Whether the last statement run through the pool was answered
    /// without an error: nothing can be left queued on the connection.
    settled: bool,
    /// A transaction its own statements opened (see
    /// [`EmbeddedPool::transaction_sent_whole`]) may still be open: sqlx does
    /// not count it, so the connection is closed, never lent again.
    unsure: bool,
}

impl EmbeddedPool {
    /// Opens a first connection with `options` (so a database that cannot
    /// be opened fails here), and lends up to `max` (at least one) at once.
    pub async fn open(options: SqliteConnectOptions, max: u32) -> Result<Self, sqlx::Error> {
        let first = options.connect().await?;
        let max = max.max(1);
        let shared = Arc::new(Shared {
            options,
            max,
            permits: Arc::new(Semaphore::new(max as usize)),
            idle: Mutex::new(vec![first]),
            lent: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            returned: Notify::new(),
        });
        Ok(Self { shared })
    }

    /// How many connections it lends at most.
    pub fn max_connections(&self) -> u32 {
        self.shared.max
    }

    /// How many connections are open and waiting to be lent.
    pub fn idle(&self) -> usize {
        self.shared.idle_list().len()
    }

    /// How many connections are on loan (or being opened or closed).
    pub fn lent(&self) -> usize {
        self.shared.lent.load(Ordering::SeqCst)
    }

    /// A connection, idle or newly opened; waits while all are lent.
    /// A wait of `SLOW_ACQUIRE` or more is logged; one past
    /// `ACQUIRE_TIMEOUT` fails (`PoolTimedOut`), logged too.
    pub async fn acquire(&self) -> Result<Lent, sqlx::Error> {
        // One clock read serves the deadline and the wait.
        let asked = tokio::time::Instant::now();
        let answer = tokio::time::timeout_at(asked + ACQUIRE_TIMEOUT, self.lend()).await;
        let waited = asked.elapsed();
        let max = self.shared.max;
        match answer {
            Ok(lent) => {
                if waited >= SLOW_ACQUIRE {
                    tracing::warn!(
                        waited_ms = waited.as_millis() as u64,
                        max,
                        "a statement waited for a SQLite connection"
                    );
                }
                lent
            }
            Err(_) => {
                tracing::warn!(
                    waited_ms = waited.as_millis() as u64,
                    max,
                    "a statement gave up waiting for a SQLite connection"
                );
                Err(sqlx::Error::PoolTimedOut)
            }
        }
    }

    async fn lend(&self) -> Result<Lent, sqlx::Error> {
        let shared = &self.shared;
        let permit = shared
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        // Counted from here, then checked against `close`, which sets
        // `closed` before it reads the count: one of the two sees the other.
        shared.lent.fetch_add(1, Ordering::SeqCst);
        let mut lent = Lent {
            connection: None,
            permit: Some(permit),
            loan: Some(OnLoan(shared.clone())),
            settled: false,
            unsure: false,
        };
        if shared.closed.load(Ordering::SeqCst) {
            return Err(sqlx::Error::PoolClosed);
        }
        let idle = shared.idle_list().pop();
        lent.connection = Some(match idle {
            Some(connection) => connection,
            None => shared.options.connect().await?,
        });
        lent.settled = true;
        Ok(lent)
    }

    /// Runs `query`, statements that open and end a transaction of their
    /// own (`BEGIN; …; COMMIT`), in one round trip to a connection's worker
    /// thread, where sqlx's transactions take one for `BEGIN`, one a
    /// statement and one for `COMMIT`; the rows its statements return
    /// (`RETURNING`), in order. sqlx does not know of such a transaction:
    /// if a statement fails, or the caller gives up before the answer, the
    /// connection may still be inside it, so it is closed (which rolls it
    /// back) instead of lent again. `query` must end its transaction
    /// (`COMMIT` last): answered without an error, the connection is lent
    /// again at once.
    pub(crate) async fn transaction_sent_whole<'q, E>(
        &self,
        query: E,
    ) -> Result<Vec<SqliteRow>, sqlx::Error>
    where
        E: 'q + Execute<'q, Sqlite>,
    {
        let mut lent = self.acquire().await?;
        lent.unsure = true;
        let answer = (&mut *lent).fetch_all(query).await;
        lent.unsure = answer.is_err();
        lent.settle(answer)
    }

    /// Stops lending (every later `acquire` fails with `PoolClosed`),
    /// closes the idle connections, then waits for those on loan to come
    /// back and be closed: closing the last one checkpoints SQLite's
    /// write-ahead log into the database file and removes it.
    pub async fn close(&self) {
        let shared = &self.shared;
        shared.closed.store(true, Ordering::SeqCst);
        shared.permits.close();
        loop {
            let returned = shared.returned.notified();
            let idle = std::mem::take(&mut *shared.idle_list());
            for connection in idle {
                let _ = connection.close().await;
            }
            if shared.lent.load(Ordering::SeqCst) == 0 {
                break;
            }
            returned.await;
        }
    }

    /// Whether `close` has been called.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
    }
}

impl Shared {
    fn idle_list(&self) -> std::sync::MutexGuard<'_, Vec<SqliteConnection>> {
        // The list holds no invariant a panic could break half-way.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl OnLoan {
    /// Takes `connection` back: idle again, or closed once the pool is.
    fn take_back(self, connection: SqliteConnection) {
        if self.0.closed.load(Ordering::SeqCst) {
            self.close(connection);
        } else {
            self.0.idle_list().push(connection);
        }
    }

    /// Closes `connection` (in a task of its own when there is a runtime:
    /// a graceful close waits for its worker thread), then ends the loan.
    fn close(self, connection: SqliteConnection) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let _ = connection.close().await;
                    drop(self);
                });
            }
            // No runtime left: dropped, its worker thread closes it.
            Err(_) => drop(connection),
        }
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        let permit = self.permit.take();
        let (Some(mut connection), Some(loan)) = (self.connection.take(), self.loan.take()) else {
            // Opening it failed or was given up: the loan ends here.
            return;
        };
        let unsure = self.unsure;
        if self.settled && !unsure && !connection.is_in_transaction() {
            // Idle before the permit comes back, so the next caller finds it.
            loan.take_back(connection);
            drop(permit);
            return;
        }
        // Work may be queued: a statement given up half-way, a failed one,
        // a dropped transaction's rollback. A ping runs after it. Still in
        // a transaction then (the rollback failed), the connection is
        // closed, never lent again: the next caller's `BEGIN` would only
        // open a savepoint and its writes never commit. Maybe in one sqlx
        // does not count (`unsure`), it is closed too: the next caller's
        // statements would join that transaction and never commit. A
        // connection whose worker died fails the ping and is closed too.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            match connection.ping().await {
                Ok(()) if !unsure && !connection.is_in_transaction() => loan.take_back(connection),
                Ok(()) => loan.close(connection),
                Err(_) => {
                    let _ = connection.close_hard().await;
                    drop(loan);
                }
            }
            drop(permit);
        });
    }
}

impl Lent {
    /// Notes whether the statement run through the pool was answered
    /// without an error (see `settled`), and hands the answer on.
    fn settle<T>(&mut self, answer: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        self.settled = answer.is_ok();
        answer
    }
}

impl Deref for Lent {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        // Set from `acquire` until `drop` takes it.
        self.connection
            .as_ref()
            .unwrap_or_else(|| unreachable!("a lent connection is present until dropped"))
    }
}

impl DerefMut for Lent {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        // Anything run on the connection itself (a transaction) may leave
        // work queued: pinged when given back.
        self.settled = false;
        self.connection
            .as_mut()
            .unwrap_or_else(|| unreachable!("a lent connection is present until dropped"))
    }
}

impl fmt::Debug for EmbeddedPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedPool")
            .field("max", &self.shared.max)
            .field("idle", &self.idle())
            .field("lent", &self.lent())
            .finish()
    }
}

/// Statements run on a connection lent for each one, as on sqlx's pools.
impl<'c> Executor<'c> for &'c EmbeddedPool {
    type Database = Sqlite;

    fn execute<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<SqliteQueryResult, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        Box::pin(async move {
            let mut lent = self.acquire().await?;
            let answer = (&mut *lent).execute(query).await;
            lent.settle(answer)
        })
    }

    fn fetch_all<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Vec<SqliteRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        Box::pin(async move {
            let mut lent = self.acquire().await?;
            let answer = (&mut *lent).fetch_all(query).await;
            lent.settle(answer)
        })
    }

    /// The whole answer is read before the first row is handed on: the
    /// stream cannot hold the connection it borrows. The store reads no
    /// answer row by row.
    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<SqliteQueryResult, SqliteRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        let read = async move {
            let mut lent = self.acquire().await?;
            let steps: Vec<_> = (&mut *lent).fetch_many(query).collect().await;
            lent.settled = steps.iter().all(Result::is_ok);
            Ok::<_, sqlx::Error>(futures_util::stream::iter(steps))
        };
        Box::pin(futures_util::stream::once(read).try_flatten())
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<SqliteRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        Box::pin(async move {
            let mut lent = self.acquire().await?;
            let answer = (&mut *lent).fetch_optional(query).await;
            lent.settle(answer)
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [SqliteTypeInfo],
    ) -> BoxFuture<'e, Result<SqliteStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        Box::pin(async move {
            let mut lent = self.acquire().await?;
            let answer = (&mut *lent).prepare_with(sql, parameters).await;
            lent.settle(answer)
        })
    }

    /// (Part of the trait while sqlx-core's `offline` feature is on, as
    /// sqlx's `macros` feature turns it on.)
    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<Sqlite>, sqlx::Error>>
    where
        'c: 'e,
    {
        Box::pin(async move {
            let mut lent = self.acquire().await?;
            let answer = (&mut *lent).describe(sql).await;
            lent.settle(answer)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::backend::sqlite_options;
    use sqlx::Row;
    use std::path::PathBuf;

    /// A new SQLite file with one table, removed (with its log) when
    /// dropped, and its URL.
    struct TempDb {
        path: PathBuf,
        url: String,
    }

    impl TempDb {
        async fn new() -> Self {
            let path = std::env::temp_dir().join(format!("rampart-{}.db", uuid::Uuid::new_v4()));
            let url = format!("sqlite://{}", path.display());
            let mut setup = sqlite_options(&url).unwrap().connect().await.unwrap();
            sqlx::query("CREATE TABLE kept (n INTEGER)")
                .execute(&mut setup)
                .await
                .unwrap();
            setup.close().await.unwrap();
            Self { path, url }
        }

        /// A pool lending at most `max` connections, opened as the server
        /// opens its own.
        async fn pool(&self, max: u32) -> EmbeddedPool {
            EmbeddedPool::open(sqlite_options(&self.url).unwrap(), max)
                .await
                .unwrap()
        }

        /// The rows committed, read on a connection of its own.
        async fn committed(&self) -> i64 {
            let mut own = sqlite_options(&self.url).unwrap().connect().await.unwrap();
            let seen = sqlx::query_scalar("SELECT COUNT(*) FROM kept")
                .fetch_one(&mut own)
                .await
                .unwrap();
            own.close().await.unwrap();
            seen
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
            }
        }
    }

    /// Closes `pool`, failing instead of hanging if a loan is never ended.
    async fn close(pool: &EmbeddedPool) {
        tokio::time::timeout(Duration::from_secs(10), pool.close())
            .await
            .unwrap_or_else(|_| panic!("close hangs: {pool:?}"));
        assert_eq!(pool.lent(), 0);
    }

    /// A statement that counts for far longer than 20 ms.
    macro_rules! slow {
        () => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
             WHERE x < 3000000) SELECT COUNT(*) FROM c"
        };
    }
    const SLOW: &str = slow!();

    /// Gives `work` on `pool` 20 ms, and checks it was still running on
    /// its connection then (not still waiting for one): the connection is
    /// not idle.
    async fn give_up_after_20_ms<T>(
        pool: &EmbeddedPool,
        work: impl std::future::Future<Output = T>,
    ) {
        let given_up = tokio::time::timeout(Duration::from_millis(20), work).await;
        assert!(given_up.is_err(), "the slow work finished in 20 ms");
        assert_eq!(
            pool.idle(),
            0,
            "lent again while its work still runs, or never lent"
        );
    }

    /// Marks the connection that runs it; `marked` finds the mark.
    const MARK: &str = "CREATE TEMP TABLE IF NOT EXISTS mark (n INTEGER)";
    const MARKED: &str = "SELECT COUNT(*) FROM temp.sqlite_master WHERE name = 'mark'";

    /// A statement's connection is idle again the moment the statement's
    /// answer is read: no task is left to ping it first (sqlx's pool
    /// would still hold it here, on this one-thread runtime, until its
    /// release task had run). The next statement gets the same one.
    #[tokio::test(flavor = "current_thread")]
    async fn a_connection_is_taken_back_at_once_and_lent_again() {
        let db = TempDb::new().await;
        let pool = db.pool(8).await;
        assert_eq!(pool.idle(), 1);
        sqlx::query(MARK).execute(&pool).await.unwrap();
        assert_eq!(pool.idle(), 1, "the connection was not taken back at once");
        assert_eq!(pool.lent(), 0);
        let marked: i64 = sqlx::query_scalar(MARKED).fetch_one(&pool).await.unwrap();
        assert_eq!(marked, 1, "another connection was lent");
        close(&pool).await;
    }

    /// A transaction dropped without a commit is rolled back before its
    /// connection is lent again (the only one: the next caller waits for
    /// it), and what the next caller writes commits.
    #[tokio::test]
    async fn a_dropped_transaction_is_rolled_back_before_its_connection_is_lent() {
        let db = TempDb::new().await;
        let pool = db.pool(1).await;
        {
            let mut connection = pool.acquire().await.unwrap();
            sqlx::query(MARK).execute(&mut *connection).await.unwrap();
            let mut tx = connection.begin().await.unwrap();
            sqlx::query("INSERT INTO kept (n) VALUES (1)")
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        let mut again = pool.acquire().await.unwrap();
        assert!(!again.is_in_transaction());
        let marked: i64 = sqlx::query_scalar(MARKED)
            .fetch_one(&mut *again)
            .await
            .unwrap();
        assert_eq!(marked, 1, "another connection was lent");
        drop(again);
        assert_eq!(
            db.committed().await,
            0,
            "the dropped transaction's write stayed"
        );
        sqlx::query("INSERT INTO kept (n) VALUES (2)")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(db.committed().await, 1, "the next write did not commit");
        close(&pool).await;
    }

    /// A statement given up half-way still runs on the connection's
    /// worker: the connection is not lent again until it has finished
    /// (a ping after it), so the next caller does not wait behind it on a
    /// connection the pool counts as idle. A failed statement's
    /// connection is pinged the same way, then lent again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_connection_with_work_left_is_lent_only_after_it() {
        let db = TempDb::new().await;
        let pool = db.pool(1).await;
        give_up_after_20_ms(&pool, sqlx::query_scalar::<_, i64>(SLOW).fetch_one(&pool)).await;
        // The next caller gets it once the statement is done.
        sqlx::query("INSERT INTO kept (n) VALUES (1)")
            .execute(&pool)
            .await
            .unwrap();
        assert!(
            sqlx::query("SELECT nothing FROM nowhere")
                .execute(&pool)
                .await
                .is_err()
        );
        sqlx::query("INSERT INTO kept (n) VALUES (2)")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(db.committed().await, 2);
        close(&pool).await;
    }

    /// A transaction sent as one execution (`transaction_sent_whole`) commits
    /// all of its statements in one round trip. When one fails, or its
    /// caller gives up half-way, the connection may still be inside the
    /// transaction, which sqlx does not count: it is closed (the
    /// transaction rolled back), and the next write, on the one connection
    /// the pool may open again, commits.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_sent_whole_commits_whole_or_its_connection_is_closed() {
        let db = TempDb::new().await;
        let pool = db.pool(1).await;
        // A write without rows and one with them: the rows of every
        // statement come back, in order.
        let both = sqlx::query(
            "BEGIN; INSERT INTO kept (n) VALUES ($1); \
             INSERT INTO kept (n) VALUES ($2), ($3) RETURNING n; COMMIT",
        )
        .bind(1)
        .bind(2)
        .bind(3);
        let rows = pool.transaction_sent_whole(both).await.unwrap();
        let returned: Vec<i64> = rows.iter().map(|row| row.get(0)).collect();
        assert_eq!(returned, [2, 3]);
        assert_eq!(db.committed().await, 3);
        assert_eq!(
            pool.idle(),
            1,
            "a committed transaction's connection is kept"
        );

        // The second statement fails: the first one's row must not commit.
        sqlx::query(MARK).execute(&pool).await.unwrap();
        let failing = sqlx::query(
            "BEGIN; INSERT INTO kept (n) VALUES (6); SELECT nothing FROM nowhere; COMMIT",
        );
        assert!(pool.transaction_sent_whole(failing).await.is_err());
        // Given up half-way, inside the transaction.
        let slow = sqlx::query(concat!(
            "BEGIN; INSERT INTO kept (n) VALUES (4); ",
            slow!(),
            "; COMMIT"
        ));
        // An idle connection is open first, so the 20 ms are the
        // statements', not the wait for a new connection.
        sqlx::query("SELECT 1").execute(&pool).await.unwrap();
        give_up_after_20_ms(&pool, pool.transaction_sent_whole(slow)).await;

        let (marked, rows) = the_next_write(&pool).await;
        assert_eq!(
            marked, 0,
            "the connection of the failed transaction was lent again"
        );
        assert_eq!(rows, [1, 2, 3, 5], "a failed transaction's write stayed");
        assert_eq!(db.committed().await, 4, "the next write did not commit");
        close(&pool).await;
    }

    /// After a failed transaction (its connection marked with `MARK`):
    /// writes 5, then reads whether the write went on the marked
    /// connection (1) and every row kept.
    async fn the_next_write(pool: &EmbeddedPool) -> (i64, Vec<i64>) {
        sqlx::query("INSERT INTO kept (n) VALUES (5)")
            .execute(pool)
            .await
            .unwrap();
        let marked: i64 = sqlx::query_scalar(MARKED).fetch_one(pool).await.unwrap();
        let rows: Vec<i64> = sqlx::query_scalar("SELECT n FROM kept ORDER BY n")
            .fetch_all(pool)
            .await
            .unwrap();
        (marked, rows)
    }

    /// Many callers at once share at most `max_connections`, each
    /// statement runs once, and callers that give up (before or during
    /// their statement) leave no loan behind.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_at_once_share_the_connections() {
        let db = TempDb::new().await;
        let pool = db.pool(8).await;
        let mut callers = tokio::task::JoinSet::new();
        for n in 0..64 {
            let pool = pool.clone();
            callers.spawn(async move {
                sqlx::query("INSERT INTO kept (n) VALUES ($1)")
                    .bind(n)
                    .execute(&pool)
                    .await
                    .unwrap();
            });
        }
        for _ in 0..16 {
            let pool = pool.clone();
            callers.spawn(async move {
                let read = sqlx::query("SELECT COUNT(*) FROM kept").fetch_all(&pool);
                let _ = tokio::time::timeout(Duration::ZERO, read).await;
            });
        }
        while let Some(done) = callers.join_next().await {
            done.unwrap();
        }
        assert_eq!(db.committed().await, 64);
        let idle = pool.idle();
        assert!(
            (1..=pool.max_connections() as usize).contains(&idle),
            "{idle} idle connections"
        );
        close(&pool).await;
    }

    /// A caller kept waiting `SLOW_ACQUIRE` or more for a connection is
    /// logged, with the wait and the pool's size; one lent a connection at
    /// once is not.
    #[tokio::test(flavor = "current_thread")]
    async fn a_slow_wait_for_a_connection_is_logged() {
        /// Appends what is logged to a buffer the test reads.
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let logged = Arc::new(Mutex::new(Vec::<u8>::new()));
        let buffer = logged.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || Buffer(buffer.clone()))
            .with_ansi(false)
            .finish();
        let _logging = tracing::subscriber::set_default(subscriber);
        let text = || String::from_utf8_lossy(&logged.lock().unwrap()).into_owned();
        let db = TempDb::new().await;
        let pool = db.pool(1).await;
        sqlx::query("SELECT 1").execute(&pool).await.unwrap();
        assert!(!text().contains("SQLite connection"), "{}", text());
        let held = pool.acquire().await.unwrap();
        let holder = tokio::spawn(async move {
            tokio::time::sleep(SLOW_ACQUIRE + Duration::from_millis(100)).await;
            drop(held);
        });
        sqlx::query("SELECT 1").execute(&pool).await.unwrap();
        holder.await.unwrap();
        let text = text();
        assert!(
            text.contains("a statement waited for a SQLite connection") && text.contains("max=1"),
            "{text}"
        );
        close(&pool).await;
    }

    /// Closing waits for the connections on loan, closes every one (the
    /// write-ahead log is folded into the database and removed), and no
    /// connection is lent afterwards.
    #[tokio::test]
    async fn closing_waits_for_lent_connections_and_lends_no_more() {
        let db = TempDb::new().await;
        let pool = db.pool(8).await;
        sqlx::query("INSERT INTO kept (n) VALUES (1)")
            .execute(&pool)
            .await
            .unwrap();
        let wal = PathBuf::from(format!("{}-wal", db.path.display()));
        assert!(wal.exists());
        let mut held = pool.acquire().await.unwrap();
        let holder = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            sqlx::query("INSERT INTO kept (n) VALUES (2)")
                .execute(&mut *held)
                .await
                .unwrap();
        });
        close(&pool).await;
        assert!(
            holder.is_finished(),
            "close did not wait for the lent connection"
        );
        assert!(pool.is_closed());
        assert!(!wal.exists(), "the write-ahead log is left");
        assert!(matches!(
            pool.acquire().await.map(|_| ()),
            Err(sqlx::Error::PoolClosed)
        ));
        assert_eq!(db.committed().await, 2);
    }
}
