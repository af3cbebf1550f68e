//! SQLite loading: rows into index-free tables, then indexes built once, then one key check.
//!
//! Inside the load's transaction the secondary indexes of the seeded tables are dropped and
//! re-created from their own `CREATE INDEX` text after the rows are in: SQLite builds an index
//! by sorting, which is several times faster than updating it row by row in random UUID
//! order. Foreign keys are checked once at the end with `PRAGMA foreign_key_check` instead of
//! row by row. A failure anywhere rolls back the whole transaction, indexes included.

use std::time::Instant;

use anyhow::Context;
use backend::schema::{accounts, persona_labels, transactions, users};
use backend::{Account, PersonaLabel, Transaction, User};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;

use super::{Batches, LoadMode, LoadReport};
use crate::progress::{Phase, Progress};
use crate::tables::RowCounts;

/// Rows per INSERT statement. Every statement binds rows × columns values, which must stay
/// under SQLite's limit of 32,766; full batches reuse one prepared statement.
const USERS_PER_INSERT: usize = 1_000;
const ACCOUNTS_PER_INSERT: usize = 1_000;
const TRANSACTIONS_PER_INSERT: usize = 1_000;
const PERSONA_LABELS_PER_INSERT: usize = 1_000;

/// The tables this loader fills, children after their parents; Replace empties them in
/// reverse, so persona_labels goes before the users it references.
pub(super) use super::SEEDED_TABLES as TABLES;

/// Page cache for the load, in KiB (a negative `cache_size` means KiB). Measured at 100k
/// users: 8, 16, 32 and 128 MiB load within noise of each other (the growing tables are
/// appended to, and index builds sort in their own memory), while every MiB here is a MiB
/// of peak RSS.
const CACHE_KIB: i64 = 16_384;

pub(super) fn load(
    conn: &mut SqliteConnection,
    batches: Batches,
    mode: LoadMode,
    progress: &Progress,
) -> anyhow::Result<LoadReport> {
    configure_for_load(conn)?;
    let result =
        conn.immediate_transaction(|conn| load_in_transaction(conn, &batches, mode, progress));
    restore_settings(conn)?;
    result
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
    diesel::sql_query(format!(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
         AND tbl_name IN ({}) ORDER BY rowid",
        TABLES.map(|t| format!("'{t}'")).join(", ")
    ))
    .load(conn)
    .context("list indexes")
}

/// Empties the seeded tables, children first. With foreign keys off, a DELETE without WHERE
/// truncates a table instead of visiting its rows.
pub(super) fn empty_tables(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    for table in TABLES.iter().rev() {
        conn.batch_execute(&format!("DELETE FROM {table}"))
            .with_context(|| format!("empty {table}"))?;
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
            .map_err(|e| anyhow::anyhow!("build index {}: {e}", index.name))?;
    }
    Ok(())
}

fn load_in_transaction(
    conn: &mut SqliteConnection,
    batches: &Batches,
    mode: LoadMode,
    progress: &Progress,
) -> anyhow::Result<LoadReport> {
    let started = Instant::now();
    if mode == LoadMode::Replace {
        empty_tables(conn)?;
    }
    let indexes = secondary_indexes(conn)?;
    drop_indexes(conn, &indexes)?;

    progress.phase(Phase::Insert);
    let mut pending = Pending::default();
    let mut counts = RowCounts::default();
    while let Some(batch) = batches.next()? {
        let batch_counts = batch.counts();
        pending.users.extend(batch.users);
        pending.accounts.extend(batch.accounts);
        pending.transactions.extend(batch.transactions);
        pending.persona_labels.extend(batch.persona_labels);
        pending.insert(conn, false)?;
        counts.add(batch_counts);
        progress.add_loaded(batch_counts.total());
    }
    pending.insert(conn, true)?;
    let insert = started.elapsed();

    progress.phase(Phase::Index);
    let started = Instant::now();
    build_indexes(conn, &indexes)?;
    let index = started.elapsed();

    progress.phase(Phase::Check);
    let started = Instant::now();
    check_foreign_keys(conn)?;
    let check = started.elapsed();
    Ok(LoadReport {
        counts,
        insert,
        index,
        check,
    })
}

#[derive(Default)]
struct Pending {
    users: Vec<User>,
    accounts: Vec<Account>,
    transactions: Vec<Transaction>,
    persona_labels: Vec<PersonaLabel>,
}

/// Inserts every full batch of `rows` with one cached statement, and the rest as well when
/// `all` is set; what remains waits for more rows.
macro_rules! insert_batches {
    ($conn:expr, $table:expr, $rows:expr, $size:expr, $all:expr, $what:literal) => {{
        let rows = &mut $rows;
        let mut batches = rows.chunks_exact($size);
        for batch in &mut batches {
            let batch: &[_; $size] = batch.try_into().expect("chunks_exact yields full batches");
            diesel::insert_into($table)
                .values(batch)
                .execute($conn)
                .context(concat!("insert ", $what))?;
        }
        let done = rows.len() - batches.remainder().len();
        if $all && done < rows.len() {
            diesel::insert_into($table)
                .values(&rows[done..])
                .execute($conn)
                .context(concat!("insert ", $what))?;
            rows.clear();
        } else {
            rows.drain(..done);
        }
    }};
}

impl Pending {
    fn insert(&mut self, conn: &mut SqliteConnection, all: bool) -> anyhow::Result<()> {
        insert_batches!(
            conn,
            users::table,
            self.users,
            USERS_PER_INSERT,
            all,
            "users"
        );
        insert_batches!(
            conn,
            accounts::table,
            self.accounts,
            ACCOUNTS_PER_INSERT,
            all,
            "accounts"
        );
        insert_batches!(
            conn,
            transactions::table,
            self.transactions,
            TRANSACTIONS_PER_INSERT,
            all,
            "transactions"
        );
        insert_batches!(
            conn,
            persona_labels::table,
            self.persona_labels,
            PERSONA_LABELS_PER_INSERT,
            all,
            "persona labels"
        );
        Ok(())
    }
}

#[derive(QueryableByName)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Text)]
    from: String,
    #[diesel(sql_type = Text)]
    to: String,
}

#[derive(QueryableByName)]
struct Missing {
    #[diesel(sql_type = Text)]
    parent_id: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Checks every foreign key of the seeded tables once, by distinct value: each child
/// column's distinct values (read in order from its index) are looked up in the parent's
/// key. That is one lookup per parent instead of one per row, as `PRAGMA
/// foreign_key_check` does (7.4M transactions: 0.4 s instead of 1.5-2.5 s). Fails naming
/// the first row whose parent is missing.
pub(super) fn check_foreign_keys(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    for table in TABLES {
        let keys: Vec<ForeignKey> = diesel::sql_query(format!(
            "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list('{table}')"
        ))
        .load(conn)
        .with_context(|| format!("list the foreign keys of {table}"))?;
        for key in keys {
            let ForeignKey {
                table: parent,
                from,
                to,
            } = key;
            let missing = format!(
                "(SELECT DISTINCT \"{from}\" AS parent_id FROM \"{table}\") \
                 WHERE parent_id NOT IN (SELECT \"{to}\" FROM \"{parent}\")"
            );
            let first: Option<Missing> =
                diesel::sql_query(format!("SELECT parent_id FROM {missing} LIMIT 1"))
                    .get_result(conn)
                    .optional()
                    .with_context(|| format!("check {table}.{from}"))?;
            let Some(first) = first else { continue };
            let count: Count = diesel::sql_query(format!("SELECT count(*) AS n FROM {missing}"))
                .get_result(conn)?;
            // A row is named by its id; a table keyed by its foreign key names itself by that.
            let has_id: Count = diesel::sql_query(format!(
                "SELECT count(*) AS n FROM pragma_table_info('{table}') WHERE name = 'id'"
            ))
            .get_result(conn)?;
            let id = if has_id.n > 0 { "id" } else { from.as_str() };
            let child: Id = diesel::sql_query(format!(
                "SELECT CAST(\"{id}\" AS TEXT) AS id FROM \"{table}\" WHERE \"{from}\" = ? LIMIT 1"
            ))
            .bind::<Text, _>(&first.parent_id)
            .get_result(conn)?;
            let singular = |name: &str| name.strip_suffix('s').unwrap_or(name).replace('_', " ");
            let what = format!(
                "{} {} references missing {} {}",
                singular(table),
                child.id,
                singular(&parent),
                first.parent_id
            );
            if count.n > 1 {
                anyhow::bail!("{what} (and {} more missing {parent})", count.n - 1);
            }
            anyhow::bail!("{what}");
        }
    }
    Ok(())
}
