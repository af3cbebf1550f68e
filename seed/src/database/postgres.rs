//! PostgreSQL's side of opening, locking, migrating and resetting.
//!
//! - Every connection bounds each lock wait by `lock_timeout` ([`LOCK_WAIT`]), and its
//!   [`Cancel`] cancels the running statement on the server at Ctrl-C.
//! - Locks a command needs are taken up front ([`lock`]), in short attempts for at most
//!   [`LOCK_WAIT`], the wait announced on standard error. A lock timeout is recognised by
//!   its SQLSTATE, 55P03, whatever the server's language.
//! - Pending migrations run inside the transaction of the load or reset that finds them,
//!   one process at a time (an advisory lock), so a run that fails or is refused leaves the
//!   schema as it was. A database a run creates is the exception: the run commits its schema
//!   at once, so that shards started together on it need not wait for each other's loads;
//!   a replacing load or reset that fails drops it again.

use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use backend::DatabaseUrl;
use backend::db::{Condition, MIGRATIONS, pg_execute};
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::{Pg, PgConnection, PgRowByRowLoadingMode};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::MigrationHarness;

use super::{LockWait, PG_TABLE_EXISTS, UserId, count_rows, digest_users, explain, recorded_users};
use crate::guard::{Destructive, LOCK_WAIT, UserDigest, refuse_unseeded};
use crate::interrupt::{self, Registered};
use crate::tables::TABLES;

/// How long one attempt at a lock waits in the server's lock queue.
const ATTEMPT: Duration = Duration::from_millis(100);

/// How often a cancel is sent again while Ctrl-C is being acted on: one that reaches the
/// server between two statements cancels nothing.
const CANCEL_AGAIN: Duration = Duration::from_millis(200);

/// The advisory lock that lets one process at a time apply migrations to a database.
const MIGRATIONS_LOCK: &str =
    "SELECT pg_advisory_xact_lock(hashtext('spendsense seed migrations'))";

/// The first key of the advisory lock, taken in the server's `postgres` database, that a
/// run holds from creating a database until its schema is committed; the second key is the
/// database's name.
const CREATE_LOCK_KEY: &str = "hashtext('spendsense seed create')";

/// The migrations table diesel keeps.
const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// While it lives, Ctrl-C cancels the statement a PostgreSQL connection is running, from a
/// connection of its own.
pub(crate) struct Cancel {
    _hook: Registered,
}

/// Opens a connection to `url` for a command: every lock wait is bounded by [`LOCK_WAIT`],
/// and Ctrl-C cancels what it runs.
pub(crate) fn connect(url: &DatabaseUrl) -> anyhow::Result<(PgConnection, Cancel)> {
    match url.connect()? {
        backend::AnyConnection::Postgresql(conn) => prepare(conn, url),
        backend::AnyConnection::Sqlite(_) => anyhow::bail!("{url} is not a PostgreSQL database"),
    }
}

/// Bounds `conn`'s lock waits and registers its cancel.
fn prepare(mut conn: PgConnection, url: &DatabaseUrl) -> anyhow::Result<(PgConnection, Cancel)> {
    conn.batch_execute(&format!("SET lock_timeout = '{}s'", LOCK_WAIT.as_secs()))
        .context("configure the connection")?;
    let canceller = url.pg_canceller(&mut conn)?;
    let cancel = interrupt::on_interrupt(move |active| {
        let started = std::time::Instant::now();
        while active.load(Ordering::SeqCst) && started.elapsed() < LOCK_WAIT {
            canceller.cancel();
            std::thread::sleep(CANCEL_AGAIN);
        }
    });
    Ok((conn, Cancel { _hook: cancel }))
}

/// Runs `sql`, a statement that takes locks (`LOCK TABLE`, an advisory lock), waiting at
/// most [`LOCK_WAIT`] for another connection to release them. Each attempt waits
/// [`ATTEMPT`] in the server's lock queue, then steps out of it: a long wait there for an
/// exclusive lock would queue the application's other readers behind it. Between attempts
/// the run checks for Ctrl-C. Each attempt runs in a savepoint (a transaction of its own
/// outside one), since a lock timeout aborts what it ran in.
pub(crate) fn lock(conn: &mut PgConnection, target: &DatabaseUrl, sql: &str) -> anyhow::Result<()> {
    let mut wait = LockWait::new(target);
    loop {
        let attempt = conn.transaction(|conn| {
            conn.batch_execute(&format!(
                "SET LOCAL lock_timeout = '{}ms'",
                ATTEMPT.as_millis()
            ))?;
            pg_execute(conn, sql)
        });
        match attempt {
            Ok(()) => break,
            Err(e) if Condition::of(&e) == Some(Condition::Locked) => {
                wait.held()?;
            }
            Err(e) => return Err(explain(e.into())),
        }
    }
    conn.batch_execute(&format!("SET lock_timeout = '{}s'", LOCK_WAIT.as_secs()))
        .context("configure the connection")
}

/// Locks `tables` (those that exist) in `mode` within the open transaction.
pub(crate) fn lock_tables(
    conn: &mut PgConnection,
    target: &DatabaseUrl,
    tables: &[String],
    mode: &str,
) -> anyhow::Result<()> {
    let mut existing = Vec::new();
    for table in tables {
        if table_exists(conn, table)? {
            existing.push(table.as_str());
        }
    }
    if existing.is_empty() {
        return Ok(());
    }
    lock(
        conn,
        target,
        &format!("LOCK TABLE {} IN {mode} MODE", existing.join(", ")),
    )
}

fn table_exists(conn: &mut PgConnection, table: &str) -> anyhow::Result<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let found: Found = diesel::sql_query("SELECT to_regclass($1) IS NOT NULL AS found")
        .bind::<Text, _>(table)
        .get_result(conn)
        .with_context(|| format!("look for {table}"))?;
    Ok(found.found)
}

/// Creates the database if the server lacks it; true if this run created it. The run holds
/// an advisory lock in the server's `postgres` database from before the `CREATE DATABASE`
/// until it has committed the new database's schema ([`migrate_new_database`]), so that
/// shards started together wait for one schema instead of racing to write it. Returns the
/// connection that holds the lock, if one was needed: dropping it releases the lock.
pub(crate) fn create_if_missing(url: &DatabaseUrl) -> anyhow::Result<Creation> {
    if url.connect().is_ok() {
        return Ok(Creation::default());
    }
    let (mut admin, cancel) = prepare(url.connect_admin()?, url)?;
    let name = url.pg_database().unwrap_or_default().replace('\'', "''");
    lock(
        &mut admin,
        url,
        &format!("SELECT pg_advisory_lock({CREATE_LOCK_KEY}, hashtext('{name}'))"),
    )?;
    let created = url.create_with(&mut admin)?;
    Ok(Creation {
        created,
        _admin: Some((admin, cancel)),
    })
}

/// What [`create_if_missing`] did, and the lock it holds until the schema is committed.
#[derive(Default)]
pub(crate) struct Creation {
    /// Whether this run created the database.
    pub(crate) created: bool,
    /// The connection that holds the lock, kept only to be closed when this is dropped.
    _admin: Option<(PgConnection, Cancel)>,
}

/// Waits (a bounded time) for a run that is creating the database to commit its schema:
/// the advisory lock such a run holds, taken shared and let go at once. Nothing to wait for
/// if the server's `postgres` database cannot be reached.
fn wait_for_creator(url: &DatabaseUrl) -> anyhow::Result<()> {
    let Ok(admin) = url.connect_admin() else {
        return Ok(());
    };
    let (mut admin, _cancel) = prepare(admin, url)?;
    let name = url.pg_database().unwrap_or_default().replace('\'', "''");
    lock(
        &mut admin,
        url,
        &format!("SELECT pg_advisory_xact_lock_shared({CREATE_LOCK_KEY}, hashtext('{name}'))"),
    )
}

/// Commits the schema of a database this run has just created, in a short transaction of
/// its own (see the module's doc).
pub(crate) fn migrate_new_database(
    conn: &mut PgConnection,
    url: &DatabaseUrl,
) -> anyhow::Result<()> {
    conn.transaction(|conn| -> anyhow::Result<()> {
        lock(conn, url, MIGRATIONS_LOCK)?;
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(anyhow::Error::from_boxed)?;
        Ok(())
    })
    .map_err(explain)
    .with_context(|| format!("apply the migrations to {url}"))
}

/// Whether migrations are pending, read under a shared lock of diesel's migrations table
/// (an application running its own migrations holds it for a while).
fn pending(conn: &mut PgConnection, url: &DatabaseUrl) -> anyhow::Result<bool> {
    if !table_exists(conn, MIGRATIONS_TABLE)? {
        return Ok(true);
    }
    lock(
        conn,
        url,
        &format!("LOCK TABLE {MIGRATIONS_TABLE} IN ACCESS SHARE MODE"),
    )?;
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        version: String,
    }
    let applied: Vec<Version> =
        diesel::sql_query(format!("SELECT version FROM {MIGRATIONS_TABLE}"))
            .load(conn)
            .context("read the applied migrations")?;
    let known = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("read the embedded migrations: {e}"))?;
    Ok(known.iter().any(|m| {
        let version = m.name().version().to_string();
        !applied.iter().any(|a| a.version == version)
    }))
}

/// Applies pending migrations inside the open transaction (of a load or a reset), so they
/// roll back with it: waits for a run creating the database to commit its schema, takes the
/// migrations' advisory lock until the transaction ends, and locks the tables the
/// migrations change. Nothing happens if nothing is pending. True if it applied any.
pub(crate) fn migrate_in_transaction(
    conn: &mut PgConnection,
    url: &DatabaseUrl,
) -> anyhow::Result<bool> {
    if !pending(conn, url)? {
        return Ok(false);
    }
    wait_for_creator(url)?;
    lock(conn, url, MIGRATIONS_LOCK)?;
    if !pending(conn, url)? {
        return Ok(false);
    }
    let mut tables: Vec<String> = TABLES.iter().map(|t| t.name.to_owned()).collect();
    tables.extend(["seed_runs".to_owned(), MIGRATIONS_TABLE.to_owned()]);
    lock_tables(conn, url, &tables, "ACCESS EXCLUSIVE")?;
    conn.run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::Error::from_boxed(e).context("apply the migrations"))?;
    Ok(true)
}

/// Tables outside the seeded ones with a foreign key to one of them (an application's
/// tables), quoted as `regclass` prints them.
pub(crate) fn referencing_tables(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let tables: Vec<String> = TABLES
        .iter()
        .map(|t| format!("to_regclass('{}')", t.name))
        .collect();
    let tables = tables.join(", ");
    let names: Vec<Name> = diesel::sql_query(format!(
        "SELECT DISTINCT conrelid::regclass::text AS name FROM pg_constraint \
         WHERE contype = 'f' AND confrelid IN ({tables}) AND conrelid NOT IN ({tables}) \
         ORDER BY 1"
    ))
    .load(conn)
    .context("read the tables that reference the seeded ones")?;
    Ok(names.into_iter().map(|n| n.name).collect())
}

/// The users of a PostgreSQL database, counted and digested, streaming their ids row by row
/// so that memory stays flat however many there are.
pub(crate) fn digest_table_users(conn: &mut PgConnection) -> anyhow::Result<(i64, UserDigest)> {
    if count_rows(conn, PG_TABLE_EXISTS, "users")?.is_none() {
        return Ok((0, UserDigest::default()));
    }
    let ids = diesel::sql_query("SELECT id FROM users")
        .load_iter::<UserId, PgRowByRowLoadingMode>(conn)
        .context("read the user ids")?;
    digest_users(ids.map(|row| row.map(|r| r.id).context("read the user ids")))
}

/// Applies the unseeded guard to a PostgreSQL database inside its open transaction.
pub(crate) fn guard_unseeded(
    conn: &mut PgConnection,
    action: Destructive,
    allow_unseeded: bool,
) -> anyhow::Result<()> {
    if allow_unseeded {
        return Ok(());
    }
    let (users, digest) = digest_table_users(conn)?;
    let recorded = recorded_users(conn, PG_TABLE_EXISTS)?;
    refuse_unseeded(action, users, digest, recorded.as_ref())
}

/// `reset-db` on PostgreSQL, in one transaction: applies what is pending (so the guard reads
/// the current `seed_runs`), locks every table it drops (and the tables that reference them)
/// up front, checks the guard, reverts every migration and applies them all again.
pub(super) fn reset(
    conn: &mut PgConnection,
    url: &DatabaseUrl,
    allow_unseeded: bool,
) -> anyhow::Result<()> {
    conn.transaction(|conn| -> anyhow::Result<()> {
        let _ = migrate_in_transaction(conn, url)?;
        let mut tables: Vec<String> = TABLES.iter().map(|t| t.name.to_owned()).collect();
        tables.extend(["seed_runs".to_owned(), MIGRATIONS_TABLE.to_owned()]);
        tables.extend(referencing_tables(conn)?);
        lock_tables(conn, url, &tables, "ACCESS EXCLUSIVE")?;
        guard_unseeded(conn, Destructive::Reset, allow_unseeded)?;
        conn.revert_all_migrations(MIGRATIONS)
            .map_err(|e| anyhow::Error::from_boxed(e).context("revert the migrations"))?;
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::Error::from_boxed(e).context("apply the migrations"))?;
        interrupt::check()?;
        Ok(())
    })
}
