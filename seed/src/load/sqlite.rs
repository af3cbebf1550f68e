//! SQLite's load primitives: index-free tables for a replacing load, cached multi-row
//! INSERTs, indexes built once by sorting, and foreign keys checked once by distinct value.
//!
//! Inside the load's transaction a replacing load drops the secondary indexes of the seeded
//! tables and re-creates them from their own `CREATE INDEX` text after the rows are in:
//! SQLite builds an index by sorting, which is several times faster than updating it row by
//! row in random UUID order. The small tables whose key SQLite cannot drop (a `TEXT PRIMARY
//! KEY`) are filled table by table at the end of the insert phase, from TEMP copies
//! ([`Spool`]), rather than row by row between the large tables' rows. Foreign keys are off
//! while rows go in and are checked once at the end, on both kinds of load. A failure
//! anywhere rolls back the whole transaction, indexes and TEMP copies included.

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Nullable, Text};
use diesel::sqlite::SqliteConnection;

use backend::db::MIGRATIONS;
use backend::schema::seed_runs;
use backend::{DatabaseUrl, SeedRun};
use diesel_migrations::MigrationHarness;

use super::sqlite_rows::{ROWS_PER_INSERT, SqliteRows, Statements};
use super::{Backend, Count, ForeignKey, LoadMode, Orphans, quote};
use crate::changes::AddedChanges;
use crate::database::{Journal, sqlite};
use crate::guard::Destructive;
use crate::tables::{RowBatch, RunRows, TABLES, Table, with_seeded_tables};

/// Page cache for the load, in KiB (a negative `cache_size` means KiB). Measured at 100k
/// users: 8, 16, 32 and 128 MiB load within noise of each other (the growing tables are
/// appended to, and index builds sort in their own memory), while every MiB here is a MiB
/// of peak RSS.
const CACHE_KIB: i64 = 16_384;

/// A load into a SQLite database.
pub(super) struct SqliteBackend {
    /// The load's prepared INSERTs; declared before `conn`, so dropped before it.
    statements: Statements,
    conn: SqliteConnection,
    target: DatabaseUrl,
    /// Whether the load replaces the rows or adds to them.
    mode: LoadMode,
    /// Rows not yet written: a full statement's worth is written at a time.
    pending: RowBatch,
    /// The `added` changes of the load's transactions, derived from the inserted rows.
    changes: Option<DerivedChanges>,
    /// The indexes dropped for the load, to build again.
    dropped: Vec<IndexDef>,
    /// While a replacing load's rows go in: the TEMP copies that take the rows of
    /// [`SPOOLED`].
    spool: Option<Spool>,
    /// Whether to put the file in WAL mode once the load has committed: a file in another
    /// journal mode (a new one, or one another tool made) is filled under its own journal
    /// and switched afterwards, so that later loads find it ready for readers.
    wal_after_commit: bool,
}

impl SqliteBackend {
    pub(super) fn new(mut conn: SqliteConnection, target: DatabaseUrl) -> anyhow::Result<Self> {
        crate::database::sqlite::sqlite_tune_new(&mut conn)?;
        configure_for_load(&mut conn)?;
        Ok(SqliteBackend {
            statements: Statements::new(&mut conn)?,
            conn,
            target,
            mode: LoadMode::Replace,
            pending: RowBatch::default(),
            changes: None,
            dropped: Vec::new(),
            spool: None,
            wal_after_commit: false,
        })
    }
}

impl Backend for SqliteBackend {
    fn begin(&mut self, mode: LoadMode) -> anyhow::Result<()> {
        self.mode = mode;
        // The journal mode is written in the file's header: unless asked for one, the load
        // keeps the file's own until it has committed, so a load that is refused or fails
        // leaves the file byte for byte as it was.
        match Journal::from_env()? {
            Some(journal) => sqlite::sqlite_journal(&mut self.conn, &self.target, journal)?,
            None => self.wal_after_commit = !sqlite::is_wal(&mut self.conn, &self.target)?,
        }
        sqlite::sqlite_begin(&mut self.conn, &self.target)?;
        // Inside the load's transaction, so a failed load leaves the schema as it was too.
        self.conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::Error::from_boxed(e).context("apply the migrations"))?;
        Ok(())
    }

    fn refuse_unseeded(&mut self, allow_unseeded: bool) -> anyhow::Result<()> {
        sqlite::guard_unseeded(&mut self.conn, Destructive::Replace, allow_unseeded)
    }

    fn drop_keys(&mut self) -> anyhow::Result<()> {
        self.dropped = secondary_indexes(&mut self.conn)?;
        drop_indexes(&mut self.conn, &self.dropped)
    }

    fn clear(&mut self) -> anyhow::Result<()> {
        empty_tables(&mut self.conn)?;
        self.conn
            .batch_execute("DELETE FROM seed_runs")
            .context("empty seed_runs")
    }

    fn write(&mut self, mut batch: RowBatch, added: AddedChanges) -> anyhow::Result<()> {
        // The run's rows go in at once, in the load's transaction: an appending load holds
        // the file's write lock from its start, so shards never write them at the same time.
        let run = std::mem::take(&mut batch.run);
        write_run_rows(&mut self.conn, &run, self.mode)?;
        if self.mode == LoadMode::Replace && self.spool.is_none() {
            self.spool = Some(Spool::create(&mut self.conn)?);
        }
        let changes = match &mut self.changes {
            Some(changes) => changes,
            None => self
                .changes
                .insert(DerivedChanges::start(&mut self.conn, added)?),
        };
        changes.number(added)?;
        self.pending.append(&mut batch);
        insert_pending(
            &mut self.conn,
            &mut self.statements,
            &mut self.pending,
            false,
        )?;
        changes.derive(&mut self.conn, self.pending.transactions.len())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        insert_pending(
            &mut self.conn,
            &mut self.statements,
            &mut self.pending,
            true,
        )?;
        if let Some(changes) = &mut self.changes {
            changes.derive(&mut self.conn, 0)?;
        }
        match self.spool.take() {
            Some(spool) => spool.fill(&mut self.conn),
            None => Ok(()),
        }
    }

    fn build_keys(&mut self, step: &dyn Fn() -> anyhow::Result<()>) -> anyhow::Result<()> {
        for index in &self.dropped {
            step()?;
            build_indexes(&mut self.conn, std::slice::from_ref(index))?;
        }
        Ok(())
    }

    fn foreign_keys(&mut self) -> anyhow::Result<Vec<ForeignKey>> {
        foreign_keys(&mut self.conn)
    }

    fn check_foreign_key(&mut self, key: &ForeignKey) -> anyhow::Result<bool> {
        foreign_key_holds(&mut self.conn, key)
    }

    fn find_orphans(&mut self, key: &ForeignKey) -> anyhow::Result<Orphans> {
        key.orphans(&mut self.conn, None)?
            .with_context(|| format!("find the rows breaking {}", key.name))
    }

    fn record(&mut self, run: &SeedRun) -> anyhow::Result<()> {
        diesel::insert_into(seed_runs::table)
            .values(run)
            .execute(&mut self.conn)
            .context("record the run in seed_runs")?;
        Ok(())
    }

    fn server(&mut self) -> anyhow::Result<Option<String>> {
        Ok(None)
    }

    fn commit(&mut self) -> anyhow::Result<()> {
        AnsiTransactionManager::commit_transaction(&mut self.conn).context("commit")?;
        if self.wal_after_commit {
            // The data is in; this only changes how later writers and readers share the
            // file. Should an application already hold it open, the switch is left to the
            // next load, which makes it under its bounded lock wait.
            let _ = self.conn.batch_execute("PRAGMA journal_mode = WAL");
        }
        Ok(())
    }

    fn rollback(&mut self) -> anyhow::Result<()> {
        AnsiTransactionManager::rollback_transaction(&mut self.conn).context("roll back")
    }
}

/// The `added` changes of a load's transactions, made by SQLite from the rows it inserted
/// rather than bound one value at a time: `INSERT … SELECT` from `transactions`, by the rule
/// [`AddedChanges`] numbers them with. The `k`-th transaction the load inserts (from 1) gets
/// rowid `before + k`, since SQLite gives a new row the largest rowid plus one and the load
/// holds the write lock; its change is number `first + k - 1`. Each derivation checks that it
/// wrote exactly one change per transaction, so a gap in the rowids would fail the load
/// rather than misnumber the log.
struct DerivedChanges {
    /// The largest rowid of `transactions` before the load.
    before: i64,
    /// The number of the load's first change.
    first: i64,
    /// The as-of date every change records.
    as_of: chrono::NaiveDate,
    /// Changes numbered so far: one per transaction handed to the loader.
    numbered: u64,
    /// Changes written so far.
    derived: u64,
}

impl DerivedChanges {
    /// Starts the derivation at the load's first batch, numbered `added`.
    fn start(conn: &mut SqliteConnection, added: AddedChanges) -> anyhow::Result<Self> {
        let before: Count =
            diesel::sql_query("SELECT coalesce(max(rowid), 0) AS n FROM transactions")
                .get_result(conn)
                .context("read the last rowid of transactions")?;
        Ok(DerivedChanges {
            before: before.n,
            first: added.first_seq(),
            as_of: added.as_of(),
            numbered: 0,
            derived: 0,
        })
    }

    /// Takes the numbers of the next batch's changes, which continue the previous ones.
    fn number(&mut self, added: AddedChanges) -> anyhow::Result<()> {
        anyhow::ensure!(
            added.count() == 0
                || (added.first_seq() == self.first + self.numbered as i64
                    && added.as_of() == self.as_of),
            "the change numbers of a load do not follow each other"
        );
        self.numbered += added.count();
        Ok(())
    }

    /// Writes the changes of every transaction inserted so far: all that were numbered but
    /// the `pending` ones still waiting for a full statement.
    fn derive(&mut self, conn: &mut SqliteConnection, pending: usize) -> anyhow::Result<()> {
        let inserted = self.numbered - pending as u64;
        if inserted == self.derived {
            return Ok(());
        }
        let from = self.before + self.derived as i64;
        let to = self.before + inserted as i64;
        let written = diesel::sql_query(
            "INSERT OR FAIL INTO transaction_changes \
             (seq, transaction_id, account_id, change, as_of) \
             SELECT ? + rowid, id, account_id, ?, ? FROM transactions \
             WHERE rowid > ? AND rowid <= ?",
        )
        .bind::<BigInt, _>(self.first - 1 - self.before)
        .bind::<Text, _>(backend::Change::Added.as_str())
        .bind::<Date, _>(self.as_of)
        .bind::<BigInt, _>(from)
        .bind::<BigInt, _>(to)
        .execute(conn)
        .context("insert transaction_changes")?;
        anyhow::ensure!(
            written as u64 == inserted - self.derived,
            "the transactions' rowids are not consecutive: {written} changes for {} transactions",
            inserted - self.derived
        );
        self.derived = inserted;
        Ok(())
    }
}

/// The tables a replacing load fills from TEMP copies ([`Spool`]), parents first. Each keeps
/// its `TEXT PRIMARY KEY` as an index that SQLite cannot drop, and their rows arrive in random
/// key order between the large tables' rows, so that at 100k users most of their inserts
/// find the key's page gone from the 16 MiB page cache. Filled from their copies one table at
/// a time, as SQLite's own fill does, each key keeps its pages in the cache. At 100k story
/// users the insert phase was shorter by 4.7 s on average (of 27-36 s, eight alternating
/// pairs; BENCHMARKS.md, tenth session). The link table is not spooled: its key (2M rows at
/// 100k story users) outgrows the cache either way, and from a copy it took as long.
const SPOOLED: [&str; 4] = ["users", "accounts", "persona_labels", "recurring_streams"];

/// A replacing load's TEMP copies of the [`SPOOLED`] tables: the same columns with the same
/// affinities (`CREATE TABLE … AS SELECT`), no key, created inside the load's transaction.
/// While they exist every unqualified INSERT of those tables reaches them, since SQLite looks
/// a name up in the `temp` schema before `main`; nothing else reads those tables during the
/// insert phase. [`Spool::fill`] moves their rows into the real tables and drops them, so
/// the index builds and checks after it see `main` alone. A rollback drops them with the
/// rest of the load.
struct Spool;

impl Spool {
    fn create(conn: &mut SqliteConnection) -> anyhow::Result<Spool> {
        for table in SPOOLED {
            conn.batch_execute(&format!(
                "CREATE TEMP TABLE {table} AS SELECT * FROM main.{table} WHERE 0"
            ))
            .with_context(|| format!("create the TEMP copy of {table}"))?;
        }
        Ok(Spool)
    }

    /// Fills each table from its copy in one statement, in generation order (the rowids a
    /// direct insert gives); a duplicate key fails here, as it would have at its INSERT.
    fn fill(self, conn: &mut SqliteConnection) -> anyhow::Result<()> {
        for table in SPOOLED {
            conn.batch_execute(&format!(
                "INSERT OR FAIL INTO main.{table} SELECT * FROM temp.{table} ORDER BY rowid; \
                 DROP TABLE temp.{table};"
            ))
            .with_context(|| format!("insert {table}"))?;
        }
        Ok(())
    }
}

/// Connection settings for a bulk load. Foreign keys are checked in one pass at the end; the
/// pragma only works outside a transaction. synchronous=OFF skips fsyncs: the rollback
/// journal still makes the load all-or-nothing if the process dies, and a seed database is
/// rebuilt, not recovered, after a power cut. `threads` lets index builds sort on every
/// core (7.4M transactions: 11 s with one thread, 6-7 s with two).
pub(super) fn configure_for_load(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    conn.batch_execute(&format!(
        "PRAGMA foreign_keys = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -{CACHE_KIB}; \
         PRAGMA temp_store = FILE; PRAGMA threads = {};",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    ))
    .context("configure the connection")
}

/// Undoes [`configure_for_load`].
pub(super) fn restore_settings(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
        .context("restore the connection settings")
}

/// A `CREATE INDEX` statement of a seeded table.
#[derive(QueryableByName)]
pub(super) struct IndexDef {
    #[diesel(sql_type = Text)]
    pub(super) name: String,
    #[diesel(sql_type = Text)]
    pub(super) sql: String,
}

/// The secondary indexes of the seeded tables, in creation order.
pub(super) fn secondary_indexes(conn: &mut SqliteConnection) -> anyhow::Result<Vec<IndexDef>> {
    let tables: Vec<String> = TABLES.iter().map(|t| format!("'{}'", t.name)).collect();
    diesel::sql_query(format!(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
         AND lower(tbl_name) IN ({}) ORDER BY rowid",
        tables.join(", ")
    ))
    .load(conn)
    .context("list indexes")
}

/// Empties the seeded tables, children first. With foreign keys off, a DELETE without WHERE
/// truncates a table instead of visiting its rows.
pub(super) fn empty_tables(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    for table in TABLES.iter().rev() {
        conn.batch_execute(&format!("DELETE FROM {}", table.name))
            .with_context(|| format!("empty {}", table.name))?;
    }
    Ok(())
}

/// Drops `indexes`, to be rebuilt with [`build_indexes`] once the rows are in.
pub(super) fn drop_indexes(
    conn: &mut SqliteConnection,
    indexes: &[IndexDef],
) -> anyhow::Result<()> {
    for index in indexes {
        conn.batch_execute(&format!("DROP INDEX \"{}\"", index.name))
            .with_context(|| format!("drop index {}", index.name))?;
    }
    Ok(())
}

/// Re-creates `indexes` from their own SQL; a duplicate key fails here.
pub(super) fn build_indexes(
    conn: &mut SqliteConnection,
    indexes: &[IndexDef],
) -> anyhow::Result<()> {
    for index in indexes {
        conn.batch_execute(&index.sql)
            .with_context(|| format!("build index {}", index.name))?;
    }
    Ok(())
}

/// Inserts every full batch of `rows` with one cached statement, and the rest as well when
/// `all` is set; what remains waits for more rows.
fn insert_batches<T: SqliteRows>(
    conn: &mut SqliteConnection,
    statements: &mut Statements,
    rows: &mut Vec<T>,
    all: bool,
) -> anyhow::Result<()> {
    let mut batches = rows.chunks_exact(ROWS_PER_INSERT);
    for batch in &mut batches {
        T::insert_full(
            conn,
            statements,
            batch.try_into().expect("chunks_exact yields full batches"),
        )?;
    }
    let done = rows.len() - batches.remainder().len();
    if all && done < rows.len() {
        T::insert_rest(conn, statements, &rows[done..])?;
        rows.clear();
    } else {
        rows.drain(..done);
    }
    Ok(())
}

macro_rules! insert_pending {
    ($(run $run:ident: $run_model:ty $([$run_flag:ident])? = $generator:path,)*
        ; $($table:ident: $model:ident $([$flag:ident])?
        $(as $record:ident nests $child:ident: $child_model:ident)?,)*
        ; $(derived $derived:ident: $derived_model:ident,)*) => {
        /// Writes the run's rows as `mode` says ([`write_run_table!`](super::write_run_table)).
        // With no run table declared, the body reads none of the arguments.
        #[allow(unused_variables)]
        fn write_run_rows(
            conn: &mut SqliteConnection,
            rows: &RunRows,
            mode: LoadMode,
        ) -> anyhow::Result<()> {
            $(super::write_run_table!(conn, rows.$run, $run: $run_model, mode);)*
            Ok(())
        }

        /// Inserts the full statements' worth of `pending`, parents first, and everything
        /// when `all` is set.
        fn insert_pending(
            conn: &mut SqliteConnection,
            statements: &mut Statements,
            pending: &mut RowBatch,
            all: bool,
        ) -> anyhow::Result<()> {
            $(insert_batches(conn, statements, &mut pending.$table, all)?;
            $(insert_batches(conn, statements, &mut pending.$child, all)?;)?)*
            $(insert_batches(conn, statements, &mut pending.$derived, all)?;)*
            Ok(())
        }
    };
}
with_seeded_tables!(insert_pending);

/// One column of a foreign key as `pragma_foreign_key_list` lists it, with its table.
#[derive(QueryableByName)]
struct ForeignKeyColumn {
    #[diesel(sql_type = Text)]
    child: String,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    child_column: String,
    #[diesel(sql_type = Text)]
    parent: String,
    #[diesel(sql_type = Nullable<Text>)]
    parent_column: Option<String>,
    #[diesel(sql_type = Bool)]
    child_has_id: bool,
}

/// Every foreign key from a seeded table, and from any other table to a seeded one (an
/// application's table that references `users`, say), in table order. SQLite's names are
/// case-insensitive, so `REFERENCES USERS(ID)` is a key to `users` as much as
/// `REFERENCES users (id)`; a key of several columns is one key; a key that names no
/// columns references the parent's primary key.
pub(crate) fn foreign_keys(conn: &mut SqliteConnection) -> anyhow::Result<Vec<ForeignKey>> {
    let seeded: Vec<String> = TABLES.iter().map(|t| format!("'{}'", t.name)).collect();
    let seeded = seeded.join(", ");
    let columns: Vec<ForeignKeyColumn> = diesel::sql_query(format!(
        "SELECT m.name AS child, f.id AS id, f.\"from\" AS child_column, \
                f.\"table\" AS parent, f.\"to\" AS parent_column, \
                EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE lower(name) = 'id') \
                  AS child_has_id \
         FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' \
           AND (lower(m.name) IN ({seeded}) OR lower(f.\"table\") IN ({seeded})) \
         ORDER BY lower(m.name) IN ({seeded}) DESC, m.rowid, f.id, f.seq"
    ))
    .load(conn)
    .context("list the foreign keys")?;
    let mut keys: Vec<ForeignKey> = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        let same_key =
            i > 0 && columns[i - 1].child == column.child && columns[i - 1].id == column.id;
        if !same_key {
            let parent = Table::named(&column.parent.to_lowercase())
                .map_or_else(|| column.parent.clone(), |t| t.name.to_owned());
            keys.push(ForeignKey {
                handle: keys.len(),
                name: format!(
                    "{}.{} foreign key {}",
                    column.child, column.child_column, column.id
                ),
                child: column.child.clone(),
                child_sql: quote(&column.child),
                child_columns: Vec::new(),
                parent_sql: quote(&parent),
                parent,
                parent_columns: Vec::new(),
                child_has_id: column.child_has_id,
            });
        }
        let key = keys.last_mut().expect("pushed above");
        key.child_columns.push(column.child_column.clone());
        if let Some(parent_column) = &column.parent_column {
            key.parent_columns.push(parent_column.clone());
        }
    }
    for key in &mut keys {
        if key.parent_columns.len() != key.child_columns.len() {
            key.parent_columns = primary_key(conn, &key.parent)?;
        }
    }
    Ok(keys)
}

/// The columns of `table`'s primary key, in key order.
fn primary_key(conn: &mut SqliteConnection, table: &str) -> anyhow::Result<Vec<String>> {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let columns: Vec<Column> =
        diesel::sql_query("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk")
            .bind::<Text, _>(table)
            .load(conn)
            .with_context(|| format!("read the primary key of {table}"))?;
    Ok(columns.into_iter().map(|c| c.name).collect())
}

/// Whether every row satisfies `key`, checked by distinct value: each distinct value of the
/// child's key (read in order from its index) is looked up in the parent's key. That is one
/// lookup per parent instead of one per row, as `PRAGMA foreign_key_check` does (7.4M
/// transactions: 0.4 s instead of 1.5-2.5 s).
fn foreign_key_holds(conn: &mut SqliteConnection, key: &ForeignKey) -> anyhow::Result<bool> {
    let sql = match (key.child_columns.as_slice(), key.parent_columns.as_slice()) {
        ([col], [pcol]) => format!(
            "SELECT 1 AS n FROM (SELECT DISTINCT {col} AS parent_id FROM {child}) \
             WHERE parent_id IS NOT NULL AND parent_id NOT IN (SELECT {pcol} FROM {parent}) \
             LIMIT 1",
            col = quote(col),
            child = key.child_sql,
            pcol = quote(pcol),
            parent = key.parent_sql,
        ),
        (cols, pcols) => {
            let distinct: Vec<String> = cols
                .iter()
                .enumerate()
                .map(|(i, col)| format!("{} AS k{i}", quote(col)))
                .collect();
            let set: Vec<String> = (0..cols.len())
                .map(|i| format!("k{i} IS NOT NULL"))
                .collect();
            let matches: Vec<String> = pcols
                .iter()
                .enumerate()
                .map(|(i, pcol)| format!("p.{} = c.k{i}", quote(pcol)))
                .collect();
            format!(
                "SELECT 1 AS n FROM (SELECT DISTINCT {distinct} FROM {child}) c \
                 WHERE {set} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {matches}) LIMIT 1",
                distinct = distinct.join(", "),
                child = key.child_sql,
                set = set.join(" AND "),
                parent = key.parent_sql,
                matches = matches.join(" AND "),
            )
        }
    };
    let missing: Option<Count> = diesel::sql_query(sql)
        .get_result(conn)
        .optional()
        .with_context(|| format!("check {}", key.name))?;
    Ok(missing.is_none())
}

/// Checks every foreign key of the seeded tables, failing as a load would.
pub(super) fn check_foreign_keys(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    for key in foreign_keys(conn)? {
        anyhow::ensure!(foreign_key_holds(conn, &key)?, "{} does not hold", key.name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::TableKind;

    /// A database as a load finds it: every migration run.
    fn migrated() -> SqliteConnection {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.run_pending_migrations(MIGRATIONS).unwrap();
        conn
    }

    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }

    /// What the connection's `temp` schema holds.
    fn temp_tables(conn: &mut SqliteConnection) -> Vec<String> {
        let names: Vec<Name> = diesel::sql_query("SELECT name FROM temp.sqlite_master")
            .load(conn)
            .unwrap();
        names.into_iter().map(|n| n.name).collect()
    }

    #[test]
    fn the_spooled_tables_are_seeded_ones_whose_keys_sqlite_keeps() {
        let mut conn = migrated();
        let kept: Vec<Name> = diesel::sql_query(
            "SELECT DISTINCT tbl_name AS name FROM sqlite_master \
             WHERE type = 'index' AND sql IS NULL",
        )
        .load(&mut conn)
        .unwrap();
        let order: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let mut at = 0;
        for table in SPOOLED {
            let seeded = Table::named(table).unwrap_or_else(|| panic!("{table} is not seeded"));
            assert_eq!(seeded.kind, TableKind::User, "{table}");
            assert!(
                kept.iter().any(|k| k.name == table),
                "{table} has no key that SQLite keeps in place: drop and rebuild it instead"
            );
            let position = order.iter().position(|t| *t == table).unwrap();
            assert!(position >= at, "{table} comes before its parents");
            at = position;
        }
    }

    #[test]
    fn spooled_rows_reach_the_real_tables_and_the_copies_go() {
        let mut conn = migrated();
        conn.batch_execute("BEGIN").unwrap();
        let spool = Spool::create(&mut conn).unwrap();
        // Unqualified, as every INSERT of a load is: the row goes to the copy.
        conn.batch_execute(
            "INSERT INTO users (id, name, email, consent, created_at) \
             VALUES ('u1', 'Ann', 'ann@example.com', 1, '2025-01-02 03:04:05')",
        )
        .unwrap();
        let in_main = |conn: &mut SqliteConnection| -> i64 {
            diesel::sql_query("SELECT count(*) AS n FROM main.users")
                .get_result::<Count>(conn)
                .unwrap()
                .n
        };
        assert_eq!(in_main(&mut conn), 0);
        spool.fill(&mut conn).unwrap();
        assert_eq!(in_main(&mut conn), 1);
        let temp = temp_tables(&mut conn);
        assert!(temp.is_empty(), "TEMP copies left: {temp:?}");
        // The value kept its type through the copy, as a direct insert stores it.
        let kind: Name = diesel::sql_query("SELECT typeof(consent) AS name FROM users")
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(kind.name, "integer");
    }

    #[test]
    fn a_duplicate_key_in_a_copy_fails_the_fill_and_rolls_back_with_it() {
        let mut conn = migrated();
        conn.batch_execute("BEGIN").unwrap();
        let spool = Spool::create(&mut conn).unwrap();
        for email in ["ann@example.com", "bea@example.com"] {
            conn.batch_execute(&format!(
                "INSERT INTO users (id, name, email, consent, created_at) \
                 VALUES ('u1', 'Ann', '{email}', 1, '2025-01-02 03:04:05')"
            ))
            .unwrap();
        }
        let error = format!("{:#}", spool.fill(&mut conn).unwrap_err());
        assert!(
            error.contains("UNIQUE constraint failed: users.id"),
            "{error}"
        );
        conn.batch_execute("ROLLBACK").unwrap();
        assert!(temp_tables(&mut conn).is_empty());
    }
}
