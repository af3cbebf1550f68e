//! Loading rows into a database inside one transaction, on a thread of its own.
//!
//! [`Loader::start`] opens the database, brings its schema up to date and takes the load's
//! write lock up front, inside the load's transaction (waiting a bounded time, and giving
//! way to Ctrl-C), and refuses a replacing load of users that the database's seed runs did
//! not write; only then does generation start. One driver ([`drive`]) then runs every
//! load: it empties the seeded tables and drops what is cheaper to rebuild (a replacing
//! load), writes the batches as they arrive, rebuilds keys and indexes, checks every foreign
//! key from or to a seeded table (other tables' included), and records the run in
//! `seed_runs`. The transaction stays open until [`PreparedLoad::commit`]; dropping the loader
//! or the prepared load before that rolls back, so the database is exactly as before.
//!
//! SQLite and PostgreSQL differ only in their primitives, the [`Backend`] trait ([`sqlite`],
//! [`postgres`]), so phases, timings, append semantics, guards and error messages are the
//! same on both.
//!
//! The rows of the run's tables ([`TableKind::Run`](crate::tables::TableKind::Run)) come
//! first, from a generated run and from a file alike, and are written as they arrive. A
//! replacing load writes them as any rows. An appending load (a shard) writes those the
//! database lacks and checks that the others equal its own ([`write_run_table!`]): every
//! shard of a run hands over the same rows, so shards in any order leave the database one
//! unsharded load makes. On PostgreSQL an appending load commits them first, in a short
//! transaction on a second connection: within its own transaction a shard loading in
//! parallel with another would wait, at the first run row, for the commit of the shard that
//! wrote it, a whole load, past the bounded lock wait. That is the one thing a shard that
//! fails can leave behind besides a database it created, and it is what every shard of the
//! run writes alike. On SQLite, where a load holds the write lock from its start, it all
//! stays in the load's transaction.

pub mod ceiling;
mod pg_copy;
mod postgres;
mod sqlite;
mod sqlite_rows;

pub(crate) use sqlite::foreign_keys as sqlite_foreign_keys;

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use backend::{AnyConnection, DatabaseUrl, SeedRun};

use crate::changes::AddedChanges;
use crate::database::Created;
use crate::guard::UserDigest;
use crate::interrupt;
use crate::progress::{Phase, Progress};
use crate::tables::{RowBatch, RowCounts, Table};

/// Whether a load replaces the tables' rows or adds to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Delete every row of the seeded tables first: running twice leaves one copy. Keys and
    /// indexes are dropped and rebuilt once the rows are in.
    Replace,
    /// Keep existing rows, as shards seeding one database do. Every key and index stays in
    /// place and is checked row by row, so shards appending at once do not rebuild indexes
    /// over each other's rows. The run's rows, which every shard of a run writes, are added
    /// where missing and must equal those present ([`write_run_table!`]).
    Append,
}

// The machinery of the run's tables is used only where a run table is declared: in the
// product, none yet; in this crate's unit tests, theirs.

/// Rows per INSERT of a run table in a replacing load: a statement binds rows × columns
/// values, under SQLite's limit of 32,766 for any table of up to 160 columns.
#[cfg_attr(not(test), allow(dead_code))]
const RUN_ROWS_PER_INSERT: usize = 200;

/// Writes the rows of the run table `$table` (a `Vec<$model>`) on `$conn`, SQLite's or
/// PostgreSQL's, as `$mode` says. A replacing load inserts them all: the table is empty, and
/// the keys, rebuilt after the rows are in, catch a duplicate. An appending load inserts
/// those the database lacks (`ON CONFLICT DO NOTHING`, by any of the table's keys), then
/// fails unless every row is there exactly as this run has it: a row another run wrote with
/// the same key and other values is refused, not overwritten. So shards of one run, which
/// all hand the loader the same run rows, leave one copy whatever their order.
#[cfg_attr(not(test), allow(unused_macros))]
macro_rules! write_run_table {
    ($conn:expr, $rows:expr, $table:ident: $model:ty, $mode:expr) => {{
        use diesel::prelude::*;
        let table = $crate::schema::$table::table;
        let inserting = concat!("insert ", stringify!($table));
        match $mode {
            $crate::load::LoadMode::Replace => {
                for rows in $rows.chunks($crate::load::RUN_ROWS_PER_INSERT) {
                    let inserted = diesel::insert_into(table).values(rows).execute($conn);
                    anyhow::Context::context(inserted, inserting)?;
                }
            }
            $crate::load::LoadMode::Append => {
                for row in &$rows {
                    let inserted = diesel::insert_into(table)
                        .values(row)
                        .on_conflict_do_nothing()
                        .execute($conn);
                    anyhow::Context::context(inserted, inserting)?;
                }
                let present = table.select(<$model>::as_select()).load::<$model>($conn);
                let present =
                    anyhow::Context::context(present, concat!("read ", stringify!($table)))?;
                if let Some(row) = $rows.iter().find(|row| !present.contains(row)) {
                    return Err($crate::load::differing_run_row(stringify!($table), row));
                }
            }
        }
    }};
}
#[cfg_attr(not(test), allow(unused_imports))]
pub(crate) use write_run_table;

/// The error for a run row that an appending load finds in the database with other values.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn differing_run_row<T: serde::Serialize>(table: &str, row: &T) -> anyhow::Error {
    let what = Table::named(table).map_or_else(|| table.to_owned(), |t| t.singular());
    let json = serde_json::to_value(row).unwrap_or_default();
    let key = match json.get("id").and_then(|id| id.as_str()) {
        Some(id) => id.to_owned(),
        None => json.to_string(),
    };
    anyhow::anyhow!(
        "{what} {key} is already in the database with other values: an appending load adds \
         the run's rows that are missing and changes none; append only shards of one run \
         (the same seed, profile and dates), or replace the rows"
    )
}

/// What a finished load did and how long each step took.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// The server the load was connected to, as the server sees itself, such as
    /// `127.0.0.1:5432`: for a URL with several hosts, the one libpq reached. `None` for
    /// SQLite.
    pub server: Option<String>,
    /// Rows written per table: for a run table, the run's rows, including those an appending
    /// load found already there.
    pub counts: RowCounts,
    /// Time spent inserting rows (including waiting for them).
    pub insert: Duration,
    /// Time spent building indexes and keys after the rows were in.
    pub index: Duration,
    /// Time spent checking foreign keys.
    pub check: Duration,
}

/// A foreign key from or to a seeded table, as the database's catalog describes it: any
/// number of columns, from a table in any schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForeignKey {
    /// The backend's handle for it: an index into what the backend read from its catalog.
    pub(crate) handle: usize,
    /// The backend's name for it (a constraint name on PostgreSQL).
    pub(crate) name: String,
    /// The referencing table, as the database prints it (schema-qualified where a bare name
    /// would not find it), and as SQL refers to it.
    pub(crate) child: String,
    pub(crate) child_sql: String,
    /// The referencing columns, in key order.
    pub(crate) child_columns: Vec<String>,
    /// The referenced table (a seeded table by its own name), and as SQL refers to it.
    pub(crate) parent: String,
    pub(crate) parent_sql: String,
    /// The referenced columns, matching `child_columns`.
    pub(crate) parent_columns: Vec<String>,
    /// Whether the referencing table has an `id` column to name its rows by.
    pub(crate) child_has_id: bool,
}

/// One row breaking a foreign key, and the key it lacks, as the orphan SQL returns them.
#[derive(diesel::QueryableByName)]
pub(crate) struct FirstOrphan {
    #[diesel(sql_type = diesel::sql_types::Text)]
    row_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    missing: String,
}

/// A count, as `n`.
#[derive(diesel::QueryableByName)]
pub(crate) struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(crate) n: i64,
}

/// Rows that reference a missing parent: one of them, and how many there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Orphans {
    /// The first such row, by its `id` (or by the referencing columns if it has none).
    pub(crate) row: String,
    /// The parent key it references.
    pub(crate) missing: String,
    /// Rows referencing a missing parent in all.
    pub(crate) count: i64,
}

/// `name` as a quoted SQL identifier, the same on SQLite and PostgreSQL.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl ForeignKey {
    /// The referencing columns' values of a row `c`, as one text: `a` or `a, b`.
    fn key_text(&self) -> String {
        let parts: Vec<String> = self
            .child_columns
            .iter()
            .map(|col| format!("CAST(c.{} AS TEXT)", quote(col)))
            .collect();
        parts.join(" || ', ' || ")
    }

    /// The rows breaking this key, among the child rows `c` for which `condition` holds if
    /// one is given: one of them and how many, or `None` if there are none. The same queries
    /// on SQLite and PostgreSQL.
    pub(crate) fn orphans<C>(
        &self,
        conn: &mut C,
        condition: Option<&str>,
    ) -> anyhow::Result<Option<Orphans>>
    where
        C: diesel::Connection,
        for<'a> diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'a, C, FirstOrphan>
            + diesel::query_dsl::LoadQuery<'a, C, Count>,
    {
        use diesel::{OptionalExtension, RunQueryDsl};
        let first: Option<FirstOrphan> = diesel::sql_query(self.first_orphan_sql(condition))
            .get_result(conn)
            .optional()
            .with_context(|| format!("find the rows breaking {}", self.name))?;
        let Some(first) = first else {
            return Ok(None);
        };
        let count: Count = diesel::sql_query(self.orphan_count_sql(condition))
            .get_result(conn)
            .with_context(|| format!("count the rows breaking {}", self.name))?;
        Ok(Some(Orphans {
            row: first.row_id,
            missing: first.missing,
            count: count.n,
        }))
    }

    /// SQL (the same on SQLite and PostgreSQL) that finds one row breaking this key and the
    /// key it lacks, as `row_id` and `missing`, among the rows `condition` admits if given.
    pub(crate) fn first_orphan_sql(&self, condition: Option<&str>) -> String {
        let row = if self.child_has_id {
            format!("CAST(c.{} AS TEXT)", quote("id"))
        } else {
            self.key_text()
        };
        format!(
            "SELECT {row} AS row_id, {missing} AS missing FROM {orphans} LIMIT 1",
            missing = self.key_text(),
            orphans = self.orphans_from(condition),
        )
    }

    /// SQL counting the rows that break this key, as `n`, among the rows `condition` admits
    /// if given.
    pub(crate) fn orphan_count_sql(&self, condition: Option<&str>) -> String {
        format!("SELECT count(*) AS n FROM {}", self.orphans_from(condition))
    }

    /// The rows of the child table `c` that break the key: every referencing column set (a
    /// row with a NULL among them references nothing, as SQL's default MATCH SIMPLE says) and
    /// no parent row with those values; and `condition`, if any.
    fn orphans_from(&self, condition: Option<&str>) -> String {
        let set: Vec<String> = self
            .child_columns
            .iter()
            .map(|col| format!("c.{} IS NOT NULL", quote(col)))
            .collect();
        let matches: Vec<String> = self
            .child_columns
            .iter()
            .zip(&self.parent_columns)
            .map(|(col, pcol)| format!("p.{} = c.{}", quote(pcol), quote(col)))
            .collect();
        format!(
            "{child} c WHERE {set} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {matches}){}",
            condition.map_or_else(String::new, |c| format!(" AND {c}")),
            child = self.child_sql,
            set = set.join(" AND "),
            parent = self.parent_sql,
            matches = matches.join(" AND "),
        )
    }

    /// The referencing columns in words: `insights.user_id`, or `app(s, t)` for several.
    fn columns_text(&self) -> String {
        match self.child_columns.as_slice() {
            [column] => format!("{}.{column}", self.child),
            columns => format!("{}({})", self.child, columns.join(", ")),
        }
    }

    /// The referenced table in words: one row of it and several (`account`, `accounts`).
    fn parent_words(&self) -> (String, String) {
        match Table::named(&self.parent) {
            Some(table) => (table.singular(), table.label()),
            None => (self.parent.clone(), self.parent.clone()),
        }
    }

    /// An application's rows that reference missing parents, in words, up to the parent:
    /// `10 rows of insights, which reference users by insights.user_id: insights 7
    /// references`.
    fn orphaned_rows(&self, orphans: &Orphans) -> String {
        let (_, parents) = self.parent_words();
        format!(
            "{n} {rows} of {child}, which reference{s} {parents} by {columns}: {child} {row} \
             references",
            n = orphans.count,
            rows = if orphans.count == 1 { "row" } else { "rows" },
            s = if orphans.count == 1 { "s" } else { "" },
            child = self.child,
            columns = self.columns_text(),
            row = orphans.row,
        )
    }

    /// The one-line error for rows an advance would leave referencing a row it removes (a
    /// pending transaction that posted, say).
    pub(crate) fn removal_error(&self, orphans: &Orphans) -> anyhow::Error {
        let (parent, _) = self.parent_words();
        anyhow::anyhow!(
            "the advance would orphan {} {parent} {}, which the advance removes; nothing was \
             changed",
            self.orphaned_rows(orphans),
            orphans.missing,
        )
    }

    /// The one-line error for rows that break this key, the same on every backend. Rows of
    /// the seeded tables: `transaction … references missing account … (and 3 more missing
    /// accounts)`. Rows of another table (the application's) that the load would orphan:
    /// `the load would orphan 10 rows of insights: …`.
    fn orphan_error(&self, orphans: &Orphans) -> anyhow::Error {
        let (parent, parents) = self.parent_words();
        match Table::named(&self.child) {
            Some(child) => {
                let what = format!(
                    "{} {} references missing {parent} {}",
                    child.singular(),
                    orphans.row,
                    orphans.missing
                );
                match orphans.count {
                    n if n > 1 => anyhow::anyhow!("{what} (and {} more missing {parents})", n - 1),
                    _ => anyhow::anyhow!("{what}"),
                }
            }
            None => anyhow::anyhow!(
                "the load would orphan {rows} missing {parent} {missing}; delete {those} first, \
                 or load data that holds the {parents} {they} reference",
                rows = self.orphaned_rows(orphans),
                missing = orphans.missing,
                those = if orphans.count == 1 {
                    "that row"
                } else {
                    "those rows"
                },
                they = if orphans.count == 1 { "it" } else { "they" },
            ),
        }
    }
}

/// What differs between SQLite and PostgreSQL in a load. The transaction is open from
/// [`Backend::begin`] until [`Backend::commit`] or [`Backend::rollback`].
trait Backend: Send {
    /// Starts the load's transaction with the write lock held, waiting at most [`LOCK_WAIT`](crate::guard::LOCK_WAIT)
    /// for it (less if Ctrl-C comes), and brings the schema up to date.
    fn begin(&mut self, mode: LoadMode) -> anyhow::Result<()>;

    /// Refuses, unless `allow_unseeded`, a replacing load of a database whose users are not
    /// the users its seed runs recorded (see [`refuse_unseeded`](crate::guard::refuse_unseeded)).
    fn refuse_unseeded(&mut self, allow_unseeded: bool) -> anyhow::Result<()>;

    /// Drops the keys and indexes that are cheaper to rebuild after the rows are in (a
    /// replacing load).
    fn drop_keys(&mut self) -> anyhow::Result<()>;

    /// Empties the seeded tables and `seed_runs` (a replacing load).
    fn clear(&mut self) -> anyhow::Result<()>;

    /// Writes rows, parents first, and the `added` change of each of the batch's
    /// transactions (`added`, numbered for them). A backend may hold rows back until
    /// [`Backend::flush`].
    fn write(&mut self, batch: RowBatch, added: AddedChanges) -> anyhow::Result<()>;

    /// Writes every row still held back.
    fn flush(&mut self) -> anyhow::Result<()>;

    /// Rebuilds what [`Backend::drop_keys`] dropped, foreign keys excepted. Calls `step`
    /// between statements, so a long rebuild can be interrupted.
    fn build_keys(&mut self, step: &dyn Fn() -> anyhow::Result<()>) -> anyhow::Result<()>;

    /// Every foreign key that the tables must satisfy after the load: those of the seeded
    /// tables and those of other tables that reference them.
    fn foreign_keys(&mut self) -> anyhow::Result<Vec<ForeignKey>>;

    /// Checks one foreign key (re-creating it, if it was dropped); false if a row breaks it.
    fn check_foreign_key(&mut self, key: &ForeignKey) -> anyhow::Result<bool>;

    /// One row that breaks `key`, and how many do.
    fn find_orphans(&mut self, key: &ForeignKey) -> anyhow::Result<Orphans>;

    /// Records the load in `seed_runs`.
    fn record(&mut self, run: &SeedRun) -> anyhow::Result<()>;

    /// The server the connection reached, as it sees itself; `None` for a file.
    fn server(&mut self) -> anyhow::Result<Option<String>>;

    /// Makes the load permanent.
    fn commit(&mut self) -> anyhow::Result<()>;

    /// Undoes everything since [`Backend::begin`].
    fn rollback(&mut self) -> anyhow::Result<()>;
}

/// Runs a load on `backend`, whose transaction has begun: every phase up to the commit,
/// which happens only when the pipeline says so.
fn drive(
    backend: &mut dyn Backend,
    batches: &Batches,
    mode: LoadMode,
    progress: &Progress,
) -> anyhow::Result<(LoadReport, SeedRun)> {
    let step = || interrupt::check().map_err(anyhow::Error::from);
    let started = Instant::now();
    if mode == LoadMode::Replace {
        // Keys first: PostgreSQL cannot empty a table that another table's key references.
        backend.drop_keys()?;
        backend.clear()?;
    }

    progress.phase(Phase::Insert);
    let mut counts = RowCounts::default();
    // The users this run writes, recorded with it for the unseeded guard of later runs.
    let mut users = UserDigest::default();
    let mut run = loop {
        match batches.next()? {
            Message::Rows(batch, added) => {
                step()?;
                let mut batch_counts = batch.counts();
                batch_counts.transaction_changes += added.count();
                batch.users.iter().for_each(|user| users.add(&user.id));
                backend.write(batch, added)?;
                counts.add(batch_counts);
                progress.add_loaded(batch_counts.total());
                crate::pause::at("insert");
            }
            Message::Finish(run) => break *run,
            Message::Commit => anyhow::bail!("the loader was told to commit before it finished"),
        }
    };
    backend.flush()?;
    let insert = started.elapsed();

    progress.phase(Phase::Index);
    let started = Instant::now();
    crate::pause::at("index");
    step()?;
    backend.build_keys(&step)?;
    let index = started.elapsed();

    progress.phase(Phase::Check);
    let started = Instant::now();
    crate::pause::at("check");
    for key in backend.foreign_keys()? {
        step()?;
        if !backend.check_foreign_key(&key)? {
            let orphans = backend.find_orphans(&key)?;
            return Err(key.orphan_error(&orphans));
        }
    }
    let check = started.elapsed();

    run.row_counts = row_counts_json(counts);
    run.user_count = Some(i64::try_from(counts.users).unwrap_or(i64::MAX));
    run.user_ids_digest = Some(users.to_hex());
    run.finished_at = chrono::Utc::now().naive_utc();
    backend.record(&run)?;
    step()?;
    let report = LoadReport {
        server: backend.server()?,
        counts,
        insert,
        index,
        check,
    };
    Ok((report, run))
}

/// `{"users":50,...}`: a run's rows per table, for `seed_runs.row_counts`.
fn row_counts_json(counts: RowCounts) -> String {
    let fields: Vec<String> = counts
        .per_table()
        .map(|(table, n)| format!("\"{}\":{n}", table.name))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// The `seed_runs` record of a load, before the loader fills in its counts and time.
pub fn seed_run(meta: &crate::dataset::Meta, source: &str) -> SeedRun {
    let now = chrono::Utc::now().naive_utc();
    SeedRun {
        // Unique enough for a record of loads: the time to the nanosecond and the process.
        id: format!("{}-{}", now.format("%Y%m%dT%H%M%S%.9f"), std::process::id()),
        generator: meta.generator.clone(),
        profile: meta.profile.clone(),
        seed: meta.seed.to_string(),
        as_of: meta.as_of,
        origin: Some(meta.origin),
        shard: meta.shard.map(|s| s.to_string()),
        source: source.to_owned(),
        row_counts: String::new(),
        finished_at: now,
        user_count: None,
        user_ids_digest: None,
        users_from: Some(meta.first_user.unwrap_or(0) as i64),
        users_to: Some((meta.first_user.unwrap_or(0) + meta.num_users) as i64),
    }
}

/// What the loader needs to know besides the rows.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Replace the tables' rows or add to them.
    pub mode: LoadMode,
    /// Replace users that no seed run recorded (see
    /// [`refuse_unseeded`](crate::guard::refuse_unseeded)).
    pub allow_unseeded: bool,
    /// Batches that may wait for the loader (each a chunk of users): bounds memory.
    pub queue: usize,
}

/// A message to the loader thread. Its size is a batch's, whatever the variant: a few
/// hundred bytes moved once per chunk of users, which boxing would not make cheaper.
#[allow(clippy::large_enum_variant)]
enum Message {
    /// Rows, and the numbers of their transactions' `added` changes.
    Rows(RowBatch, AddedChanges),
    /// Every row was sent: finish the load and record it as this run.
    Finish(Box<SeedRun>),
    Commit,
}

/// A load in progress on its own thread.
pub struct Loader {
    sender: Option<SyncSender<Message>>,
    /// Says the load is ready to commit.
    prepared: Option<Receiver<()>>,
    thread: Option<JoinHandle<anyhow::Result<LoadReport>>>,
    /// A SQLite file or PostgreSQL database this load created, removed if the load does not
    /// commit.
    created: Option<Created>,
    committed: bool,
}

impl Loader {
    /// Opens `target`, creating it if it is missing, begins the load's transaction with the
    /// write lock held and the schema current, applies the guards, and starts the loader
    /// thread.
    pub fn start(
        target: &DatabaseUrl,
        options: &LoadOptions,
        progress: Progress,
    ) -> anyhow::Result<Loader> {
        let opened = crate::database::open_for_load(target)?;
        // Shards share the file or database they may have created together: only a
        // replacing load, which has it to itself, removes one it created.
        let created = opened.created.filter(|_| options.mode == LoadMode::Replace);
        let mut backend: Box<dyn Backend> = match (opened.conn, opened.cancel) {
            (AnyConnection::Sqlite(conn), _) => {
                Box::new(sqlite::SqliteBackend::new(conn, target.clone())?)
            }
            (AnyConnection::Postgresql(conn), Some(cancel)) => {
                Box::new(postgres::PgBackend::new(conn, cancel, target.clone())?)
            }
            (AnyConnection::Postgresql(_), None) => {
                unreachable!("a PostgreSQL connection is opened with its cancel")
            }
        };
        let mut loader = Loader {
            sender: None,
            prepared: None,
            thread: None,
            created,
            committed: false,
        };
        let context = || format!("load into {target}");
        let guarded = backend
            .begin(options.mode)
            .and_then(|()| match options.mode {
                LoadMode::Replace => backend.refuse_unseeded(options.allow_unseeded),
                LoadMode::Append => Ok(()),
            });
        if let Err(e) = guarded {
            let _ = backend.rollback();
            // The connection closes before the loader removes what it created.
            drop(backend);
            return Err(crate::database::explain(e).context(context()));
        }

        let (sender, receiver) = mpsc::sync_channel(options.queue);
        let (prepared_sender, prepared) = mpsc::sync_channel(1);
        let mode = options.mode;
        let target = target.clone();
        let thread = std::thread::Builder::new()
            .name("loader".into())
            .spawn(move || {
                let batches = Batches { receiver };
                run(&mut *backend, &batches, mode, &progress, &prepared_sender)
                    .map_err(crate::database::explain)
                    .with_context(|| format!("load into {target}"))
            })
            .expect("spawn the loader thread");
        loader.sender = Some(sender);
        loader.prepared = Some(prepared);
        loader.thread = Some(thread);
        Ok(loader)
    }

    /// Hands rows to the loader, with the numbers reserved for their transactions' `added`
    /// changes, which the loader writes too. Fails with the loader's own error if it has
    /// stopped.
    pub fn send(&mut self, batch: RowBatch, added: AddedChanges) -> anyhow::Result<()> {
        let sender = self.sender.as_ref().expect("loader is running");
        if sender.send(Message::Rows(batch, added)).is_err() {
            return Err(self.join_error());
        }
        Ok(())
    }

    /// Tells the loader that every row has been sent: it builds the keys, checks them and
    /// records `run`, then waits, transaction open, for [`PreparedLoad::commit`].
    pub fn finish(mut self, run: SeedRun) -> anyhow::Result<PreparedLoad> {
        let sender = self.sender.as_ref().expect("loader is running");
        if sender.send(Message::Finish(Box::new(run))).is_err() {
            return Err(self.join_error());
        }
        let prepared = self.prepared.take().expect("finished once");
        match prepared.recv() {
            Ok(()) => Ok(PreparedLoad { loader: self }),
            Err(_) => Err(self.join_error()),
        }
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
    /// Dropping a loader that did not commit rolls its transaction back and waits for that;
    /// a SQLite file it created is removed again.
    fn drop(&mut self) {
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if !self.committed
            && let Some(created) = &self.created
        {
            created.remove();
        }
    }
}

/// A load whose rows are in, keys built and checked, and run recorded: the transaction is
/// open, waiting for the commit. Dropping it rolls back.
pub struct PreparedLoad {
    loader: Loader,
}

impl PreparedLoad {
    /// Commits the load.
    pub fn commit(mut self) -> anyhow::Result<LoadReport> {
        let sender = self.loader.sender.take().expect("loader is running");
        if sender.send(Message::Commit).is_err() {
            return Err(self.loader.join_error());
        }
        drop(sender);
        let report = self.loader.join()?;
        self.loader.committed = true;
        Ok(report)
    }
}

/// The loader thread: the driver, then the commit when told. Any error rolls back.
fn run(
    backend: &mut dyn Backend,
    batches: &Batches,
    mode: LoadMode,
    progress: &Progress,
    prepared: &SyncSender<()>,
) -> anyhow::Result<LoadReport> {
    let result = drive(backend, batches, mode, progress).and_then(|(report, _)| {
        // The pipeline now makes its JSON file ready and decides; it may also go away.
        if prepared.send(()).is_err() {
            return Err(Abandoned.into());
        }
        match batches.next()? {
            Message::Commit => {
                backend.commit()?;
                Ok(report)
            }
            _ => anyhow::bail!("the loader was sent rows after it finished"),
        }
    });
    if result.is_err() {
        // The error that stopped the load is the one to report; a failed rollback (SQLite
        // has already rolled back after a full disk, say) changes nothing for the database.
        let _ = backend.rollback();
    }
    result
}

/// The receiving end, as the driver sees it: messages until the sender leaves.
struct Batches {
    receiver: Receiver<Message>,
}

/// Raised when the rows stop without a commit: the transaction must roll back.
#[derive(Debug, thiserror::Error)]
#[error("the load was abandoned before it finished; nothing was changed")]
pub struct Abandoned;

impl Batches {
    /// The next message; `Err(Abandoned)` if the sender left.
    fn next(&self) -> Result<Message, Abandoned> {
        self.receiver.recv().map_err(|_| Abandoned)
    }
}

/// The SQL that drops (`drop`) or re-creates the keys and indexes of the seeded tables of a
/// PostgreSQL database, exactly as a replacing load does; for the bench's `psql` baseline.
pub fn postgres_key_statements(url: &DatabaseUrl, drop: bool) -> anyhow::Result<Vec<String>> {
    match url.connect()? {
        AnyConnection::Postgresql(mut conn) => postgres::key_statements(&mut conn, drop),
        AnyConnection::Sqlite(_) => anyhow::bail!("{url} is not a PostgreSQL database"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orphans_are_named_the_same_way_for_every_table() {
        let key = |child: &str, column: &str, parent: &str, has_id: bool| ForeignKey {
            handle: 0,
            name: "fk".into(),
            child: child.into(),
            child_sql: quote(child),
            child_columns: vec![column.into()],
            parent: parent.into(),
            parent_sql: quote(parent),
            parent_columns: vec!["id".into()],
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
        assert_eq!(
            key("insights", "user_id", "users", true)
                .orphan_error(&orphans(10))
                .to_string(),
            "the load would orphan 10 rows of insights, which reference users by \
             insights.user_id: insights r1 references missing user p1; delete those rows \
             first, or load data that holds the users they reference"
        );
        let mut pair = key("app", "s", "recurring_stream_transactions", false);
        pair.child_columns.push("t".into());
        pair.parent_columns = vec!["stream_id".into(), "transaction_id".into()];
        let error = pair.orphan_error(&orphans(3)).to_string();
        assert!(
            error.starts_with(
                "the load would orphan 3 rows of app, which reference recurring stream \
                 transactions by app(s, t): app r1 references"
            ),
            "{error}"
        );
        assert_eq!(
            pair.orphan_count_sql(None),
            "SELECT count(*) AS n FROM \"app\" c WHERE c.\"s\" IS NOT NULL AND c.\"t\" IS NOT \
             NULL AND NOT EXISTS (SELECT 1 FROM \"recurring_stream_transactions\" p WHERE \
             p.\"stream_id\" = c.\"s\" AND p.\"transaction_id\" = c.\"t\")"
        );
    }
}
