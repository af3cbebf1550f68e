//! The seeder's side of a database: opening it for a load (creating it if it is missing),
//! taking its write lock with a bounded wait, and resetting it to an empty, current schema.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use backend::db::MIGRATIONS;
use backend::{AnyConnection, DatabaseUrl};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{BigInt, Bool};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::MigrationHarness;

use crate::guard::{Destructive, LOCK_WAIT, refuse_unseeded};
use crate::interrupt;

/// A database opened for a load.
pub(crate) struct Opened {
    /// The connection, schema not yet migrated.
    pub(crate) conn: AnyConnection,
    /// The SQLite file, if this run created it: removed again if the load does not commit.
    pub(crate) created: Option<PathBuf>,
}

/// Opens `url` for a load. A PostgreSQL database the server lacks is created; a SQLite file
/// that does not exist yet is created, and remembered so a failed load can remove it.
pub(crate) fn open_for_load(url: &DatabaseUrl) -> anyhow::Result<Opened> {
    let created = match url {
        DatabaseUrl::Sqlite { path } if !path.exists() => Some(path.clone()),
        _ => None,
    };
    url.create_if_missing()?;
    let conn = match url.connect() {
        Ok(conn) => conn,
        Err(e) => {
            if let Some(path) = &created {
                remove_sqlite_file(path);
            }
            return Err(e.into());
        }
    };
    Ok(Opened { conn, created })
}

/// Removes a SQLite database file and the journal files beside it.
pub(crate) fn remove_sqlite_file(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// Whether `error` is SQLite saying another connection holds the lock.
fn sqlite_busy(error: &DieselError) -> bool {
    matches!(error, DieselError::DatabaseError(_, info)
        if info.message().contains("database is locked")
            || info.message().contains("database table is locked"))
}

/// Whether `error` is PostgreSQL giving up on a lock (SQLSTATE 55P03).
fn pg_lock_timeout(error: &DieselError) -> bool {
    matches!(error, DieselError::DatabaseError(_, info)
        if info.message().contains("lock timeout")
            || info.message().contains("could not obtain lock"))
}

/// Retries `attempt` while `busy` says another connection holds what it needs, for at most
/// [`LOCK_WAIT`]; an interrupt ends the wait at once. Each attempt waits a moment itself
/// (SQLite's busy timeout, PostgreSQL's lock_timeout), so this loop does not spin.
fn with_lock_wait<C>(
    conn: &mut C,
    target: &DatabaseUrl,
    busy: fn(&DieselError) -> bool,
    mut attempt: impl FnMut(&mut C) -> QueryResult<()>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut said = false;
    loop {
        match attempt(conn) {
            Ok(()) => return Ok(()),
            Err(e) if busy(&e) => {
                interrupt::check()?;
                if started.elapsed() >= LOCK_WAIT {
                    anyhow::bail!(
                        "locked by another connection (an open transaction or another \
                         load): waited {} s for it; nothing was changed",
                        LOCK_WAIT.as_secs()
                    );
                }
                if !said {
                    eprintln!(
                        "{target} is locked by another connection: waiting up to {} s \
                         (Ctrl-C stops)",
                        LOCK_WAIT.as_secs()
                    );
                    said = true;
                }
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

/// How a SQLite load journals its changes.
///
/// A replacing load into a file it creates uses the rollback journal: nothing can be
/// reading a file that did not exist, and write-ahead logging would write every page twice
/// (into the log, then into the file), 38% more wall time for 100k users (BENCHMARKS.md);
/// once committed, the file is switched to write-ahead logging. Every other load uses
/// write-ahead logging, so the application's readers keep reading the old data while it
/// writes. `SEED_SQLITE_JOURNAL` (`wal` or `rollback`) overrides both.
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

    /// The journal of a load that did (`fresh`) or did not create its file.
    pub(crate) fn default_for(fresh: bool) -> Journal {
        if fresh {
            Journal::Rollback
        } else {
            Journal::Wal
        }
    }
}

/// Puts a SQLite database in `journal` mode, waiting at most [`LOCK_WAIT`] for the moment
/// without readers that a switch needs. The mode stays with the file.
pub(crate) fn sqlite_journal(
    conn: &mut SqliteConnection,
    target: &DatabaseUrl,
    journal: Journal,
) -> anyhow::Result<()> {
    conn.batch_execute("PRAGMA busy_timeout = 100")
        .context("configure the connection")?;
    let sql = match journal {
        Journal::Wal => "PRAGMA journal_mode = WAL",
        Journal::Rollback => "PRAGMA journal_mode = DELETE",
    };
    with_lock_wait(conn, target, sqlite_busy, |conn| conn.batch_execute(sql))
}

/// Begins a SQLite transaction that holds the write lock from its first statement, waiting
/// at most [`LOCK_WAIT`] for it. `BEGIN EXCLUSIVE` is that in both journal modes: with
/// write-ahead logging readers go on reading; with the rollback journal it also keeps them
/// out, so the load never waits for one halfway (at a cache spill, or at the commit).
pub(crate) fn sqlite_begin(
    conn: &mut SqliteConnection,
    target: &DatabaseUrl,
) -> anyhow::Result<()> {
    // Each attempt waits up to 100 ms inside SQLite, then the loop checks for Ctrl-C.
    conn.batch_execute("PRAGMA busy_timeout = 100")
        .context("configure the connection")?;
    with_lock_wait(conn, target, sqlite_busy, |conn| {
        AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN EXCLUSIVE")
    })
}

/// Locks `tables` in `mode` within the open PostgreSQL transaction, waiting at most
/// [`LOCK_WAIT`] for them; afterwards any other lock the transaction waits for fails after
/// [`LOCK_WAIT`] as well, instead of waiting without limit.
pub(crate) fn pg_lock(
    conn: &mut PgConnection,
    target: &DatabaseUrl,
    tables: &[String],
    mode: &str,
) -> anyhow::Result<()> {
    conn.batch_execute("SET LOCAL lock_timeout = '100ms'")
        .context("configure the transaction")?;
    let sql = format!("LOCK TABLE {} IN {mode} MODE", tables.join(", "));
    // Each attempt in a savepoint: a lock timeout aborts what it ran in.
    with_lock_wait(conn, target, pg_lock_timeout, |conn| {
        conn.transaction(|conn| conn.batch_execute(&sql))
    })?;
    conn.batch_execute(&format!(
        "SET LOCAL lock_timeout = '{}s'",
        LOCK_WAIT.as_secs()
    ))
    .context("configure the transaction")
}

/// Applies PostgreSQL's pending migrations in their own short transaction, one process at a
/// time: shards starting together on a new database would otherwise race to create it.
pub(crate) fn pg_migrate(conn: &mut PgConnection, target: &DatabaseUrl) -> anyhow::Result<()> {
    conn.transaction(|conn| -> anyhow::Result<()> {
        conn.batch_execute(
            "SET LOCAL lock_timeout = '30s'; \
             SELECT pg_advisory_xact_lock(hashtext('spendsense seed migrations'))",
        )?;
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{}", backend::db::one_line(&e.to_string())))?;
        Ok(())
    })
    .with_context(|| format!("apply the migrations to {target}"))
}

/// Rows of `table` through `conn`, or `None` if the table does not exist; `exists_sql`
/// ([`SQLITE_TABLE_EXISTS`] or [`PG_TABLE_EXISTS`]) tells which.
pub(crate) fn count_rows<C>(
    conn: &mut C,
    exists_sql: &str,
    table: &str,
) -> anyhow::Result<Option<i64>>
where
    C: Connection,
    for<'a> diesel::query_builder::SqlQuery:
        diesel::query_dsl::LoadQuery<'a, C, Exists> + diesel::query_dsl::LoadQuery<'a, C, Count>,
{
    let exists: Exists = diesel::sql_query(exists_sql.replace("{table}", table))
        .get_result(conn)
        .with_context(|| format!("look for {table}"))?;
    if !exists.found {
        return Ok(None);
    }
    let count: Count = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
        .get_result(conn)
        .with_context(|| format!("count {table}"))?;
    Ok(Some(count.n))
}

/// Whether a table exists, from [`count_rows`]'s first query.
#[derive(QueryableByName)]
pub(crate) struct Exists {
    #[diesel(sql_type = Bool)]
    found: bool,
}

/// A row count, from [`count_rows`]'s second query.
#[derive(QueryableByName)]
pub(crate) struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// SQLite's test for a table, for [`count_rows`].
pub(crate) const SQLITE_TABLE_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{table}') AS found";

/// PostgreSQL's test for a table, for [`count_rows`].
pub(crate) const PG_TABLE_EXISTS: &str = "SELECT to_regclass('{table}') IS NOT NULL AS found";

/// How many rows of `users` no seed run recorded, if any: the condition under which
/// [`refuse_unseeded`] refuses to delete them, for commands that would expose the data instead
/// (the local Plaid API serves only seeded users). `None` when every user is accounted for.
pub fn unrecorded_users(conn: &mut AnyConnection) -> anyhow::Result<Option<i64>> {
    let (users, runs) = match conn {
        AnyConnection::Sqlite(conn) => (
            count_rows(conn, SQLITE_TABLE_EXISTS, "users")?,
            count_rows(conn, SQLITE_TABLE_EXISTS, "seed_runs")?,
        ),
        AnyConnection::Postgresql(conn) => (
            count_rows(conn, PG_TABLE_EXISTS, "users")?,
            count_rows(conn, PG_TABLE_EXISTS, "seed_runs")?,
        ),
    };
    let users = users.unwrap_or(0);
    let refused = refuse_unseeded(Destructive::Replace, users, runs.unwrap_or(0), false);
    Ok(refused.is_err().then_some(users))
}

/// Reverts every migration and applies them again: an empty, current schema, in one
/// transaction that holds the write lock (waiting at most [`LOCK_WAIT`] for it). Refuses a
/// database whose users no seed run recorded unless `allow_unseeded` is set.
pub fn reset(url: &DatabaseUrl, allow_unseeded: bool) -> anyhow::Result<()> {
    url.create_if_missing()?;
    let context = || format!("reset {url}");
    match url.connect()? {
        AnyConnection::Sqlite(mut conn) => {
            sqlite_tune_new(&mut conn)?;
            sqlite_begin(&mut conn, url).with_context(context)?;
            let result = (|| -> anyhow::Result<()> {
                let users = count_rows(&mut conn, SQLITE_TABLE_EXISTS, "users")?;
                let runs = count_rows(&mut conn, SQLITE_TABLE_EXISTS, "seed_runs")?;
                refuse_unseeded(
                    Destructive::Reset,
                    users.unwrap_or(0),
                    runs.unwrap_or(0),
                    allow_unseeded,
                )?;
                conn.revert_all_migrations(MIGRATIONS)
                    .map_err(|e| anyhow::anyhow!("revert the migrations: {e}"))?;
                conn.run_pending_migrations(MIGRATIONS)
                    .map_err(|e| anyhow::anyhow!("apply the migrations: {e}"))?;
                interrupt::check()?;
                AnsiTransactionManager::commit_transaction(&mut conn).context("commit")?;
                Ok(())
            })();
            if result.is_err() {
                let _ = AnsiTransactionManager::rollback_transaction(&mut conn);
            }
            result.with_context(context)
        }
        AnyConnection::Postgresql(mut conn) => conn
            .transaction(|conn| -> anyhow::Result<()> {
                conn.batch_execute(&format!(
                    "SET LOCAL lock_timeout = '{}s'",
                    LOCK_WAIT.as_secs()
                ))?;
                let users = count_rows(conn, PG_TABLE_EXISTS, "users")?;
                let runs = count_rows(conn, PG_TABLE_EXISTS, "seed_runs")?;
                refuse_unseeded(
                    Destructive::Reset,
                    users.unwrap_or(0),
                    runs.unwrap_or(0),
                    allow_unseeded,
                )?;
                conn.revert_all_migrations(MIGRATIONS)
                    .map_err(|e| anyhow::anyhow!("revert the migrations: {e}"))?;
                conn.run_pending_migrations(MIGRATIONS)
                    .map_err(|e| anyhow::anyhow!("apply the migrations: {e}"))?;
                interrupt::check()?;
                Ok(())
            })
            .with_context(context),
    }
}
