//! The seeder's side of a database: opening it for a load (creating it if it is missing),
//! waiting a bounded time for another connection's locks, reading what the unseeded guard
//! compares, and resetting it to an empty, current schema.
//!
//! Every wait for a lock another connection holds, on every statement of every command, is
//! bounded by [`LOCK_WAIT`] and ends at Ctrl-C: SQLite's busy waits are short attempts with
//! [`interrupt::check`] between them; PostgreSQL's are bounded by `lock_timeout`, and Ctrl-C
//! cancels the statement on the server ([`postgres::Cancel`]). Where a command takes its
//! locks up front, the wait is announced once on standard error and its end is one line
//! that says what held it ([`LockWait`]). Errors are recognised by their codes
//! ([`backend::db::Condition`]), never by their messages.

pub(crate) mod postgres;
pub(crate) mod sqlite;
pub(crate) mod sqlite_api;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use backend::db::Condition;
use backend::{AnyConnection, DatabaseUrl};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};

use crate::guard::{LOCK_WAIT, Recorded, UserDigest};
use crate::interrupt;

pub(crate) use sqlite::{Journal, remove_sqlite_file};

/// A database opened for a load.
pub(crate) struct Opened {
    /// The connection, schema not yet migrated (except in a PostgreSQL database this run
    /// created, whose schema it committed first so that shards started with it can go on).
    pub(crate) conn: AnyConnection,
    /// What this run created, to remove again if its load does not commit.
    pub(crate) created: Option<Created>,
    /// What cancels a PostgreSQL connection's statement at Ctrl-C, while it lives.
    pub(crate) cancel: Option<postgres::Cancel>,
}

/// Something a run created to load into, removed again if the load does not commit.
#[derive(Debug, Clone)]
pub(crate) enum Created {
    /// A SQLite file (the target of a symbolic link to nothing, for such a link).
    File(PathBuf),
    /// A PostgreSQL database.
    Database(DatabaseUrl),
}

impl Created {
    /// Removes what was created. The run's own connections must be closed.
    pub(crate) fn remove(&self) {
        match self {
            Created::File(path) => remove_sqlite_file(path),
            Created::Database(url) => {
                let _ = url.drop_database();
            }
        }
    }
}

/// Opens `url` for a load. A SQLite file that does not exist yet is created, and a
/// PostgreSQL database the server lacks is created and given its schema; either is
/// remembered so a failed load can remove it.
pub(crate) fn open_for_load(url: &DatabaseUrl) -> anyhow::Result<Opened> {
    if let DatabaseUrl::Sqlite { path } = url {
        let created = (!path.exists()).then(|| Created::File(sqlite::file_to_create(path)));
        return match sqlite::connect(url) {
            Ok(conn) => Ok(Opened {
                conn: AnyConnection::Sqlite(conn),
                created,
                cancel: None,
            }),
            Err(e) => {
                if let Some(created) = &created {
                    created.remove();
                }
                Err(e)
            }
        };
    }
    let (conn, cancel, created) = open_postgres(url)?;
    Ok(Opened {
        conn: AnyConnection::Postgresql(conn),
        created: created.then(|| Created::Database(url.clone())),
        cancel: Some(cancel),
    })
}

/// Connects to a PostgreSQL database, creating it (and committing its schema) if the server
/// lacks it; true if this run created it. A database created here is dropped again should
/// connecting to it fail.
fn open_postgres(url: &DatabaseUrl) -> anyhow::Result<(PgConnection, postgres::Cancel, bool)> {
    let creation = postgres::create_if_missing(url)?;
    let opened = postgres::connect(url).and_then(|(mut conn, cancel)| {
        if creation.created {
            postgres::migrate_new_database(&mut conn, url)?;
        }
        Ok((conn, cancel))
    });
    let created = creation.created;
    // The schema is committed (or the run failed): shards waiting for it may go on.
    drop(creation);
    match opened {
        Ok((conn, cancel)) => Ok((conn, cancel, created)),
        Err(e) => {
            if created {
                Created::Database(url.clone()).remove();
            }
            Err(e)
        }
    }
}

/// One wait for a lock another connection holds: at most [`LOCK_WAIT`], ended by Ctrl-C,
/// announced on standard error when it begins.
pub(crate) struct LockWait<'a> {
    target: &'a DatabaseUrl,
    started: Instant,
    said: bool,
}

impl<'a> LockWait<'a> {
    /// A wait for a lock of `target`, starting now.
    pub(crate) fn new(target: &'a DatabaseUrl) -> LockWait<'a> {
        LockWait {
            target,
            started: Instant::now(),
            said: false,
        }
    }

    /// An attempt found the lock held: fails if Ctrl-C came or the wait is over, else says
    /// (once) that the run waits.
    pub(crate) fn held(&mut self) -> anyhow::Result<()> {
        interrupt::check()?;
        if self.started.elapsed() >= LOCK_WAIT {
            return Err(locked(LOCK_WAIT));
        }
        if !self.said {
            crate::stderr::write_line!(
                "{} is locked by another connection: waiting up to {} s (Ctrl-C stops)",
                self.target,
                LOCK_WAIT.as_secs()
            );
            self.said = true;
        }
        Ok(())
    }
}

/// The error of a wait for another connection's lock that ran out.
pub(crate) fn locked(waited: Duration) -> anyhow::Error {
    anyhow::anyhow!(
        "locked by another connection (an open transaction or another load): waited {} s \
         for it; nothing was changed",
        waited.as_secs()
    )
}

/// `error` as the run reports it, judged by the database's codes in its chain: a lock
/// timeout on any statement says what held it, a full disk says so, and a statement that
/// Ctrl-C cancelled on the server is the interrupt it was.
pub(crate) fn explain(error: anyhow::Error) -> anyhow::Error {
    let condition = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<diesel::result::Error>())
        .and_then(Condition::of);
    match by_condition(condition, || format!("{error:#}")) {
        Some(explained) => explained,
        None => error,
    }
}

/// [`explain`] for a database error met directly: `text` says what was being done.
pub(crate) fn explain_query(
    error: &diesel::result::Error,
    text: impl Fn() -> String,
) -> anyhow::Error {
    match by_condition(Condition::of(error), &text) {
        Some(explained) => explained,
        None => anyhow::anyhow!("{}", text()),
    }
}

fn by_condition(
    condition: Option<Condition>,
    text: impl FnOnce() -> String,
) -> Option<anyhow::Error> {
    match condition {
        Some(Condition::Locked) => Some(locked(LOCK_WAIT)),
        Some(Condition::DiskFull) => Some(anyhow::anyhow!(
            "disk full ({}); nothing was changed",
            backend::db::one_line(&text())
        )),
        // A statement fails once Ctrl-C has cancelled it on the server; it is reported as
        // the interrupt it was.
        _ if interrupt::interrupted() => Some(interrupt::Interrupted.into()),
        _ => None,
    }
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

/// A user's id, read back to digest.
#[derive(QueryableByName)]
pub(crate) struct UserId {
    #[diesel(sql_type = Text)]
    pub(crate) id: String,
}

/// What one `seed_runs` row says of the users its run wrote.
#[derive(QueryableByName)]
pub(crate) struct RunUsers {
    #[diesel(sql_type = Nullable<BigInt>)]
    user_count: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    user_ids_digest: Option<String>,
}

/// What `seed_runs` records of the users, for the unseeded guard; `None` if there is no
/// `seed_runs` table.
pub(crate) fn recorded_users<C>(conn: &mut C, exists_sql: &str) -> anyhow::Result<Option<Recorded>>
where
    C: Connection,
    for<'a> diesel::query_builder::SqlQuery:
        diesel::query_dsl::LoadQuery<'a, C, Exists> + diesel::query_dsl::LoadQuery<'a, C, RunUsers>,
{
    let exists: Exists = diesel::sql_query(exists_sql.replace("{table}", "seed_runs"))
        .get_result(conn)
        .context("look for seed_runs")?;
    if !exists.found {
        return Ok(None);
    }
    let rows: Vec<RunUsers> =
        diesel::sql_query("SELECT user_count, user_ids_digest FROM seed_runs")
            .load(conn)
            .context("read what seed_runs recorded")?;
    let mut recorded = Recorded::default();
    for row in rows {
        recorded.add(row.user_count, row.user_ids_digest.as_deref());
    }
    Ok(Some(recorded))
}

/// The users of a database: how many, and the digest of their ids.
pub(crate) fn digest_users(
    ids: impl Iterator<Item = anyhow::Result<String>>,
) -> anyhow::Result<(i64, UserDigest)> {
    let mut digest = UserDigest::default();
    let mut count = 0i64;
    for id in ids {
        digest.add(&id?);
        count += 1;
    }
    Ok((count, digest))
}

/// Reverts every migration and applies them again: an empty, current schema, in one
/// transaction that holds the write lock (waiting at most [`LOCK_WAIT`] for it). Refuses a
/// database whose users no seed run recorded unless `allow_unseeded` is set. A PostgreSQL
/// database it had to create is dropped again if the reset fails.
pub fn reset(url: &DatabaseUrl, allow_unseeded: bool) -> anyhow::Result<()> {
    let context = || format!("reset {url}");
    match url {
        DatabaseUrl::Sqlite { path } => {
            let created = (!path.exists()).then(|| Created::File(sqlite::file_to_create(path)));
            let result = sqlite::reset(url, allow_unseeded);
            if let (Err(_), Some(created)) = (&result, &created) {
                created.remove();
            }
            result.with_context(context)
        }
        DatabaseUrl::Postgres { .. } => {
            let (mut conn, cancel, created) = open_postgres(url)?;
            let result = postgres::reset(&mut conn, url, allow_unseeded);
            drop((conn, cancel));
            if result.is_err() && created {
                Created::Database(url.clone()).remove();
            }
            result.map_err(explain).with_context(context)
        }
    }
}

/// Why the users of the database `conn` is connected to are not all users a seed run wrote
/// (see [`crate::guard::unseeded`]); `None` when they are. For commands that would expose the
/// data rather than delete it: the local Plaid API serves only seeded users.
pub fn unseeded_users(conn: &mut AnyConnection) -> anyhow::Result<Option<String>> {
    let ((users, digest), recorded) = match conn {
        AnyConnection::Sqlite(conn) => (
            sqlite::digest_table_users(conn)?,
            recorded_users(conn, SQLITE_TABLE_EXISTS)?,
        ),
        AnyConnection::Postgresql(conn) => (
            postgres::digest_table_users(conn)?,
            recorded_users(conn, PG_TABLE_EXISTS)?,
        ),
    };
    Ok(crate::guard::unseeded(users, digest, recorded.as_ref()))
}
