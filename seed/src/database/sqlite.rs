//! SQLite's side of opening, locking and resetting: the file a run creates, the journal
//! mode, and busy waits as short attempts with Ctrl-C checked between them.

use std::path::{Path, PathBuf};

use anyhow::Context;
use backend::DatabaseUrl;
use backend::db::{Condition, MIGRATIONS};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::MigrationHarness;

use super::{LockWait, SQLITE_TABLE_EXISTS, UserId, count_rows, digest_users, recorded_users};
use crate::guard::{Destructive, refuse_unseeded};
use crate::interrupt;

/// How long one attempt waits inside SQLite for another connection's lock before the run
/// checks for Ctrl-C and tries again.
const BUSY_ATTEMPT_MS: u32 = 100;

/// The file that opening `path` creates: `path` itself or, for a symbolic link to nothing,
/// the file the link points to (SQLite follows the link and names its journals after the
/// target). Cleaning up after a failed load removes that file and leaves the link alone.
pub(super) fn file_to_create(path: &Path) -> PathBuf {
    let mut file = path.to_path_buf();
    // A chain of links ends somewhere; 40 is the kernel's own limit on following them.
    for _ in 0..40 {
        match std::fs::read_link(&file) {
            Ok(target) => file = file.parent().unwrap_or(Path::new("")).join(target),
            Err(_) => break,
        }
    }
    file
}

/// Removes a SQLite database file and the journal files beside it.
pub(crate) fn remove_sqlite_file(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// Opens the SQLite database at `url` for a command that waits for locks itself: SQLite's
/// own busy wait is one short attempt, and the first read (which proves the file is a
/// database) is retried as any other locked statement.
pub(crate) fn connect(url: &DatabaseUrl) -> anyhow::Result<SqliteConnection> {
    // Before the connection opens, so that a load can bind rows on it.
    super::sqlite_api::register();
    let mut wait = LockWait::new(url);
    loop {
        match url.connect_sqlite(BUSY_ATTEMPT_MS) {
            Ok(conn) => return Ok(conn),
            Err(backend::DbError::Query { source, .. })
                if Condition::of(&source) == Some(Condition::Locked) =>
            {
                wait.held()?;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Retries `attempt` while another connection holds what it needs, for at most
/// [`LOCK_WAIT`](crate::guard::LOCK_WAIT); Ctrl-C ends the wait. Each attempt waits
/// [`BUSY_ATTEMPT_MS`] inside SQLite, so this loop does not spin.
fn with_lock_wait(
    conn: &mut SqliteConnection,
    target: &DatabaseUrl,
    mut attempt: impl FnMut(&mut SqliteConnection) -> QueryResult<()>,
) -> anyhow::Result<()> {
    conn.batch_execute(&format!("PRAGMA busy_timeout = {BUSY_ATTEMPT_MS}"))
        .context("configure the connection")?;
    let mut wait = LockWait::new(target);
    loop {
        match attempt(conn) {
            Ok(()) => return Ok(()),
            Err(e) if Condition::of(&e) == Some(Condition::Locked) => {
                wait.held()?;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Settings a new SQLite file should be created with; they do nothing to one that holds
/// tables. 16 KiB pages made a 7.8M-row load and its index builds about a fifth faster than
/// the default 4 KiB.
pub(crate) fn sqlite_tune_new(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    conn.batch_execute("PRAGMA page_size = 16384")
        .context("configure the connection")
}

/// How a SQLite load journals its changes, when `SEED_SQLITE_JOURNAL` asks for one.
///
/// Without it, a load keeps the file's own journal mode until it has committed, then leaves
/// the file in write-ahead logging: a file that a load left has the application's readers
/// go on reading the old data while the next load writes, and a new file (nothing can be
/// reading it) is filled under the rollback journal, which writes every page once instead
/// of twice (38% less wall time for 100k users, BENCHMARKS.md). The mode is written in the
/// file's header, so switching it before the load would change the file of a load that is
/// then refused or fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Journal {
    /// Write-ahead logging: the application's readers go on reading the old data while a
    /// load writes, and see the new data once it commits.
    Wal,
    /// SQLite's rollback journal: the load holds the file's exclusive lock from its start
    /// to its commit, so readers wait (or fail) meanwhile; faster for large loads.
    Rollback,
}

impl Journal {
    /// The environment variable that picks the journal.
    pub(crate) const ENV: &str = "SEED_SQLITE_JOURNAL";

    /// Reads [`Journal::ENV`]: `wal`, `rollback`, or nothing (unset or empty).
    pub(crate) fn from_env() -> anyhow::Result<Option<Journal>> {
        match std::env::var(Journal::ENV).as_deref() {
            Err(_) | Ok("") => Ok(None),
            Ok("wal") => Ok(Some(Journal::Wal)),
            Ok("rollback") => Ok(Some(Journal::Rollback)),
            Ok(other) => anyhow::bail!("{} is {other:?}; expected wal or rollback", Journal::ENV),
        }
    }
}

/// Whether the SQLite database is in write-ahead-logging mode, read without changing it
/// (and waiting, as any statement, a bounded time for a writer to let go of the file).
pub(crate) fn is_wal(conn: &mut SqliteConnection, target: &DatabaseUrl) -> anyhow::Result<bool> {
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    let mut mode = String::new();
    with_lock_wait(conn, target, |conn| {
        let read: Mode = diesel::sql_query("PRAGMA journal_mode").get_result(conn)?;
        mode = read.journal_mode;
        Ok(())
    })
    .context("read the journal mode")?;
    Ok(mode.eq_ignore_ascii_case("wal"))
}

/// Puts a SQLite database in `journal` mode, waiting at most
/// [`LOCK_WAIT`](crate::guard::LOCK_WAIT) for the moment without readers that a switch
/// needs. The mode stays with the file.
pub(crate) fn sqlite_journal(
    conn: &mut SqliteConnection,
    target: &DatabaseUrl,
    journal: Journal,
) -> anyhow::Result<()> {
    let sql = match journal {
        Journal::Wal => "PRAGMA journal_mode = WAL",
        Journal::Rollback => "PRAGMA journal_mode = DELETE",
    };
    with_lock_wait(conn, target, |conn| conn.batch_execute(sql))
}

/// Begins a SQLite transaction that holds the write lock from its first statement, waiting
/// at most [`LOCK_WAIT`](crate::guard::LOCK_WAIT) for it. `BEGIN EXCLUSIVE` is that in both
/// journal modes: with write-ahead logging readers go on reading; with the rollback journal
/// it also keeps them out, so the load never waits for one halfway (at a cache spill, or at
/// the commit).
pub(crate) fn sqlite_begin(
    conn: &mut SqliteConnection,
    target: &DatabaseUrl,
) -> anyhow::Result<()> {
    with_lock_wait(conn, target, |conn| {
        AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN EXCLUSIVE")
    })
}

/// The users of a SQLite database, counted and digested, streaming their ids.
pub(crate) fn digest_table_users(
    conn: &mut SqliteConnection,
) -> anyhow::Result<(i64, crate::guard::UserDigest)> {
    if count_rows(conn, SQLITE_TABLE_EXISTS, "users")?.is_none() {
        return Ok((0, Default::default()));
    }
    let ids = diesel::sql_query("SELECT id FROM users")
        .load_iter::<UserId, diesel::connection::DefaultLoadingMode>(conn)
        .context("read the user ids")?;
    digest_users(ids.map(|row| row.map(|r| r.id).context("read the user ids")))
}

/// Applies the unseeded guard to a SQLite database inside its open transaction.
pub(crate) fn guard_unseeded(
    conn: &mut SqliteConnection,
    action: Destructive,
    allow_unseeded: bool,
) -> anyhow::Result<()> {
    if allow_unseeded {
        return Ok(());
    }
    let (users, digest) = digest_table_users(conn)?;
    let recorded = recorded_users(conn, SQLITE_TABLE_EXISTS)?;
    refuse_unseeded(action, users, digest, recorded.as_ref())
}

/// `reset-db` on SQLite: in one transaction that holds the write lock, applies what is
/// pending (so the guard reads the current `seed_runs`), checks the guard, reverts every
/// migration and applies them all again.
pub(super) fn reset(url: &DatabaseUrl, allow_unseeded: bool) -> anyhow::Result<()> {
    let mut conn = connect(url)?;
    sqlite_tune_new(&mut conn)?;
    sqlite_begin(&mut conn, url)?;
    let result = (|| -> anyhow::Result<()> {
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::Error::from_boxed(e).context("apply the migrations"))?;
        guard_unseeded(&mut conn, Destructive::Reset, allow_unseeded)?;
        conn.revert_all_migrations(MIGRATIONS)
            .map_err(|e| anyhow::Error::from_boxed(e).context("revert the migrations"))?;
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::Error::from_boxed(e).context("apply the migrations"))?;
        interrupt::check()?;
        AnsiTransactionManager::commit_transaction(&mut conn).context("commit")?;
        Ok(())
    })();
    if result.is_err() {
        let _ = AnsiTransactionManager::rollback_transaction(&mut conn);
    }
    result.map_err(super::explain)
}
