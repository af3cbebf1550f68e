//! Loading rows into a database inside one transaction, on a thread of its own.
//!
//! One driver ([`drive`]) runs every load: it begins the transaction, empties the seeded
//! tables and drops what is cheaper to rebuild (a replacing load), writes the batches as they
//! arrive, rebuilds keys and indexes, checks every foreign key, and then waits to be told to
//! commit. SQLite and PostgreSQL differ only in their primitives, the [`Backend`] trait
//! ([`sqlite`], [`postgres`]), so phases, timings, append semantics and error messages are
//! the same on both.
//!
//! The loader owns the connection. If its sender goes away before the commit (an error or
//! an interrupted run upstream), it rolls back and the database is exactly as before.

pub mod ceiling;
mod postgres;
mod sqlite;

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use backend::{AnyConnection, DatabaseUrl};

use crate::progress::{Phase, Progress};
use crate::tables::{RowBatch, RowCounts, TABLES, Table};

/// Whether a load replaces the tables' rows or adds to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Delete every row of the seeded tables first: running twice leaves one copy. Keys and
    /// indexes are dropped and rebuilt once the rows are in.
    Replace,
    /// Keep existing rows, as shards seeding one database do. Every key and index stays in
    /// place and is checked row by row, so shards appending at once do not rebuild indexes
    /// over each other's rows.
    Append,
}

/// A command that deletes rows, which must not reach a remote server by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destructive {
    /// A replacing load: the seeded tables are emptied first.
    Replace,
    /// `reset-db`: every migration is reverted and re-applied.
    Reset,
}

/// Refuses a destructive command on a database that is not on this machine (see
/// [`DatabaseUrl::is_local`]) unless `allow_remote` is set, saying what it would drop. It
/// runs before any connection is made. Appending loads (shards) delete nothing and need no
/// permission.
pub fn refuse_remote(
    target: &DatabaseUrl,
    action: Destructive,
    allow_remote: bool,
) -> anyhow::Result<()> {
    if allow_remote || target.is_local() {
        return Ok(());
    }
    let tables: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    let tables = tables.join(", ");
    let what = match action {
        Destructive::Replace => format!("replace {tables} in {target}"),
        Destructive::Reset => format!("drop and re-create {tables} in {target}"),
    };
    anyhow::bail!("refusing to {what}: the host is not local; pass --allow-remote")
}

/// The SQL that drops (`drop`) or re-creates the keys and indexes of the seeded tables of a
/// PostgreSQL database, exactly as a replacing load does; for the bench's `psql` baseline.
pub fn postgres_key_statements(url: &DatabaseUrl, drop: bool) -> anyhow::Result<Vec<String>> {
    match url.connect()? {
        AnyConnection::Postgresql(mut conn) => postgres::key_statements(&mut conn, drop),
        AnyConnection::Sqlite(_) => anyhow::bail!("{url} is not a PostgreSQL database"),
    }
}

/// What a finished load did and how long each step took.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadReport {
    /// Rows inserted per table.
    pub counts: RowCounts,
    /// Time spent inserting rows (including waiting for them).
    pub insert: Duration,
    /// Time spent building indexes and keys after the rows were in.
    pub index: Duration,
    /// Time spent checking foreign keys.
    pub check: Duration,
}

/// A foreign key from or to a seeded table, as the database's catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForeignKey {
    /// The backend's name for it (a constraint name on PostgreSQL).
    pub(crate) name: String,
    /// The referencing table and column.
    pub(crate) child: String,
    pub(crate) child_column: String,
    /// The referenced table and column.
    pub(crate) parent: String,
    pub(crate) parent_column: String,
    /// Whether the referencing table has an `id` column to name its rows by.
    pub(crate) child_has_id: bool,
}

/// Rows that reference a missing parent: one of them, and how many there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Orphans {
    /// The first such row, by its `id` (or by the referencing column if it has none).
    pub(crate) row: String,
    /// The parent key it references.
    pub(crate) missing: String,
    /// Rows referencing a missing parent in all.
    pub(crate) count: i64,
}

impl ForeignKey {
    /// SQL (the same on SQLite and PostgreSQL) that finds one row breaking this key and the
    /// key it lacks, as `row_id` and `missing`.
    pub(crate) fn first_orphan_sql(&self) -> String {
        let row = if self.child_has_id {
            "id"
        } else {
            &self.child_column
        };
        format!(
            "SELECT CAST(c.\"{row}\" AS TEXT) AS row_id, CAST(c.\"{col}\" AS TEXT) AS missing \
             FROM {orphans} LIMIT 1",
            col = self.child_column,
            orphans = self.orphans_from(),
        )
    }

    /// SQL counting the rows that break this key, as `n`.
    pub(crate) fn orphan_count_sql(&self) -> String {
        format!("SELECT count(*) AS n FROM {}", self.orphans_from())
    }

    fn orphans_from(&self) -> String {
        format!(
            "\"{child}\" c WHERE c.\"{col}\" IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM \"{parent}\" p WHERE p.\"{pcol}\" = c.\"{col}\")",
            child = self.child,
            col = self.child_column,
            parent = self.parent,
            pcol = self.parent_column,
        )
    }

    /// The one-line error for rows that break this key, the same on every backend:
    /// `transaction … references missing account … (and 3 more missing accounts)`.
    fn orphan_error(&self, orphans: &Orphans) -> anyhow::Error {
        let words = |table: &str| match Table::named(table) {
            Some(table) => (table.singular(), table.label()),
            None => (table.to_owned(), table.to_owned()),
        };
        let (child, _) = words(&self.child);
        let (parent, parents) = words(&self.parent);
        let what = format!(
            "{child} {} references missing {parent} {}",
            orphans.row, orphans.missing
        );
        match orphans.count {
            n if n > 1 => anyhow::anyhow!("{what} (and {} more missing {parents})", n - 1),
            _ => anyhow::anyhow!("{what}"),
        }
    }
}

/// What differs between SQLite and PostgreSQL in a load. The transaction is open from
/// [`Backend::begin`] until [`Backend::commit`] or [`Backend::rollback`].
trait Backend {
    /// Starts the load's transaction.
    fn begin(&mut self) -> anyhow::Result<()>;

    /// Empties the seeded tables (a replacing load).
    fn clear(&mut self) -> anyhow::Result<()>;

    /// Drops the keys and indexes that are cheaper to rebuild after the rows are in (a
    /// replacing load).
    fn drop_keys(&mut self) -> anyhow::Result<()>;

    /// Writes rows, parents first. A backend may hold rows back until [`Backend::flush`].
    fn write(&mut self, batch: RowBatch) -> anyhow::Result<()>;

    /// Writes every row still held back.
    fn flush(&mut self) -> anyhow::Result<()>;

    /// Rebuilds what [`Backend::drop_keys`] dropped, foreign keys excepted.
    fn build_keys(&mut self) -> anyhow::Result<()>;

    /// Every foreign key that the load's rows must satisfy.
    fn foreign_keys(&mut self) -> anyhow::Result<Vec<ForeignKey>>;

    /// Checks one foreign key (re-creating it, if it was dropped); false if a row breaks it.
    fn check_foreign_key(&mut self, key: &ForeignKey) -> anyhow::Result<bool>;

    /// One row that breaks `key`, and how many do.
    fn find_orphans(&mut self, key: &ForeignKey) -> anyhow::Result<Orphans>;

    /// Makes the load permanent.
    fn commit(&mut self) -> anyhow::Result<()>;

    /// Undoes everything since [`Backend::begin`].
    fn rollback(&mut self) -> anyhow::Result<()>;
}

/// Runs a load on `backend`, whose transaction has begun: every phase up to the commit, which
/// happens only when `batches` says so.
fn drive(
    backend: &mut dyn Backend,
    batches: &Batches,
    mode: LoadMode,
    progress: &Progress,
) -> anyhow::Result<LoadReport> {
    let started = Instant::now();
    if mode == LoadMode::Replace {
        backend.clear()?;
        backend.drop_keys()?;
    }

    progress.phase(Phase::Insert);
    let mut counts = RowCounts::default();
    while let Some(batch) = batches.next()? {
        let batch_counts = batch.counts();
        backend.write(batch)?;
        counts.add(batch_counts);
        progress.add_loaded(batch_counts.total());
    }
    backend.flush()?;
    let insert = started.elapsed();

    progress.phase(Phase::Index);
    let started = Instant::now();
    backend.build_keys()?;
    let index = started.elapsed();

    progress.phase(Phase::Check);
    let started = Instant::now();
    for key in backend.foreign_keys()? {
        if !backend.check_foreign_key(&key)? {
            let orphans = backend.find_orphans(&key)?;
            return Err(key.orphan_error(&orphans));
        }
    }
    let check = started.elapsed();
    Ok(LoadReport {
        counts,
        insert,
        index,
        check,
    })
}

/// The loader thread: the backend for `conn`, one transaction, the driver, the commit.
fn run(
    conn: AnyConnection,
    batches: &Batches,
    mode: LoadMode,
    progress: &Progress,
) -> anyhow::Result<LoadReport> {
    let mut backend: Box<dyn Backend> = match conn {
        AnyConnection::Sqlite(conn) => Box::new(sqlite::SqliteBackend::new(conn)?),
        AnyConnection::Postgresql(conn) => Box::new(postgres::PgBackend::new(conn)?),
    };
    let backend = &mut *backend;
    backend.begin()?;
    let result = drive(backend, batches, mode, progress).and_then(|report| {
        backend.commit()?;
        Ok(report)
    });
    if result.is_err() {
        // The error that stopped the load is the one to report; a failed rollback (SQLite
        // has already rolled back after a full disk, say) changes nothing for the database.
        let _ = backend.rollback();
    }
    result
}

/// A message to the loader thread.
enum LoadMsg {
    Rows(RowBatch),
    Commit,
}

/// A load in progress on its own thread.
pub struct Loader {
    sender: Option<SyncSender<LoadMsg>>,
    thread: Option<JoinHandle<anyhow::Result<LoadReport>>>,
}

impl Loader {
    /// Starts loading into `conn` (already open and migrated). `queue` bounds how many batches
    /// may wait, which bounds memory.
    pub fn start(
        conn: AnyConnection,
        target: DatabaseUrl,
        mode: LoadMode,
        progress: Progress,
        queue: usize,
    ) -> Loader {
        let (sender, receiver) = mpsc::sync_channel(queue);
        let thread = std::thread::Builder::new()
            .name("loader".into())
            .spawn(move || {
                let batches = Batches { receiver };
                run(conn, &batches, mode, &progress).with_context(|| format!("load into {target}"))
            })
            .expect("spawn the loader thread");
        Loader {
            sender: Some(sender),
            thread: Some(thread),
        }
    }

    /// Hands rows to the loader. Fails with the loader's own error if it has stopped.
    pub fn send(&mut self, batch: RowBatch) -> anyhow::Result<()> {
        let sender = self.sender.as_ref().expect("loader is running");
        if sender.send(LoadMsg::Rows(batch)).is_err() {
            return Err(self.join_error());
        }
        Ok(())
    }

    /// Tells the loader that every row has been sent, and waits for it to commit.
    pub fn commit(mut self) -> anyhow::Result<LoadReport> {
        let sender = self.sender.take().expect("loader is running");
        if sender.send(LoadMsg::Commit).is_err() {
            return Err(self.join_error());
        }
        drop(sender);
        self.join()
    }

    fn join_error(&mut self) -> anyhow::Error {
        self.sender = None;
        match self.join() {
            Err(e) => e,
            Ok(_) => anyhow::anyhow!("the loader stopped early"),
        }
    }

    fn join(&mut self) -> anyhow::Result<LoadReport> {
        let thread = self.thread.take().expect("loader joined once");
        match thread.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for Loader {
    /// Dropping a loader that was not committed rolls its transaction back and waits for that.
    fn drop(&mut self) {
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The receiving end, as the driver sees it: batches until a commit, or an abort.
struct Batches {
    receiver: Receiver<LoadMsg>,
}

/// Raised when the rows stop without a commit: the transaction must roll back.
#[derive(Debug, thiserror::Error)]
#[error("the load was abandoned before it finished; nothing was changed")]
pub struct Abandoned;

impl Batches {
    /// The next batch; `Ok(None)` once the commit arrives, `Err(Abandoned)` if the sender left.
    fn next(&self) -> Result<Option<RowBatch>, Abandoned> {
        match self.receiver.recv() {
            Ok(LoadMsg::Rows(batch)) => Ok(Some(batch)),
            Ok(LoadMsg::Commit) => Ok(None),
            Err(_) => Err(Abandoned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_destructive_commands_on_remote_hosts() {
        let remote = DatabaseUrl::parse("postgres://u:secret@db.example.com/app").unwrap();
        let error = refuse_remote(&remote, Destructive::Replace, false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "refusing to replace users, accounts, transactions, persona_labels, recurring_streams, \
             recurring_stream_transactions in PostgreSQL database \"app\" \
             on db.example.com:5432: the host is not local; pass --allow-remote"
        );
        let error = refuse_remote(&remote, Destructive::Reset, false)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(
                "refusing to drop and re-create users, accounts, transactions, persona_labels, recurring_streams, \
             recurring_stream_transactions in"
            ),
            "{error}"
        );
        assert!(!error.contains("secret"));
        assert!(refuse_remote(&remote, Destructive::Replace, true).is_ok());
        assert!(refuse_remote(&remote, Destructive::Reset, true).is_ok());
        for local in [
            "postgres://127.0.0.1/app",
            "postgres://localhost/app",
            "data/x.db",
        ] {
            let local = DatabaseUrl::parse(local).unwrap();
            assert!(refuse_remote(&local, Destructive::Replace, false).is_ok());
            assert!(refuse_remote(&local, Destructive::Reset, false).is_ok());
        }
    }

    #[test]
    fn orphans_are_named_the_same_way_for_every_table() {
        let key = |child: &str, column: &str, parent: &str, has_id: bool| ForeignKey {
            name: "fk".into(),
            child: child.into(),
            child_column: column.into(),
            parent: parent.into(),
            parent_column: "id".into(),
            child_has_id: has_id,
        };
        let orphans = |count| Orphans {
            row: "r1".into(),
            missing: "p1".into(),
            count,
        };
        assert_eq!(
            key("transactions", "account_id", "accounts", true)
                .orphan_error(&orphans(4))
                .to_string(),
            "transaction r1 references missing account p1 (and 3 more missing accounts)"
        );
        assert_eq!(
            key("persona_labels", "user_id", "users", false)
                .orphan_error(&orphans(1))
                .to_string(),
            "persona label r1 references missing user p1"
        );
    }
}
