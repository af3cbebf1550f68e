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
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::SqliteConnection;

use super::{Batches, LoadMode, LoadReport};
use crate::dataset::RowCounts;
use crate::progress::{Phase, Progress};

/// Rows per INSERT statement. Every statement binds rows × columns values, which must stay
/// under SQLite's limit of 32,766; full batches reuse one prepared statement.
const USERS_PER_INSERT: usize = 1_000;
const ACCOUNTS_PER_INSERT: usize = 1_000;
const TRANSACTIONS_PER_INSERT: usize = 1_000;
const PERSONA_LABELS_PER_INSERT: usize = 1_000;

/// The tables this loader fills, children after their parents; Replace empties them in
/// reverse, so persona_labels goes before the users it references.
pub(super) use super::SEEDED_TABLES as TABLES;

/// Page cache for the load, in KiB (negative `cache_size` means KiB): large enough to keep
/// the tables' growing tails and the index builds' sort runs in memory.
const CACHE_KIB: i64 = 65_536;

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
/// rebuilt, not recovered, after a power cut.
pub(super) fn configure_for_load(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    conn.batch_execute(&format!(
        "PRAGMA foreign_keys = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -{CACHE_KIB}; \
         PRAGMA temp_store = FILE;"
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
struct ForeignKeyViolation {
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    rowid: Option<i64>,
    #[diesel(sql_type = Text)]
    parent: String,
}

#[derive(QueryableByName)]
struct Reference {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    parent_id: String,
}

/// Fails with the first row whose parent is missing, naming both ids.
pub(super) fn check_foreign_keys(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    let violations: Vec<ForeignKeyViolation> = diesel::sql_query("PRAGMA foreign_key_check")
        .load(conn)
        .context("check foreign keys")?;
    let Some(first) = violations.first() else {
        return Ok(());
    };
    // A persona label's own key is its user_id.
    let (id, column) = match first.table.as_str() {
        "accounts" => ("id", "user_id"),
        "transactions" => ("id", "account_id"),
        "persona_labels" => ("user_id", "user_id"),
        _ => ("id", "NULL"),
    };
    let row: Option<Reference> = diesel::sql_query(format!(
        "SELECT {id} AS id, {column} AS parent_id FROM \"{}\" WHERE rowid = ?",
        first.table
    ))
    .bind::<BigInt, _>(first.rowid.unwrap_or(-1))
    .get_result(conn)
    .optional()
    .context("describe a foreign key violation")?;
    let singular = |table: &str| table.strip_suffix('s').unwrap_or(table).to_owned();
    let what = match row {
        Some(row) => format!(
            "{} {} references missing {} {}",
            singular(&first.table),
            row.id,
            singular(&first.parent),
            row.parent_id
        ),
        None => format!(
            "a row of {} references a missing {}",
            first.table,
            singular(&first.parent)
        ),
    };
    let more = violations.len() - 1;
    if more > 0 {
        anyhow::bail!("{what} (and {more} more rows with missing parents)");
    }
    anyhow::bail!("{what}")
}
