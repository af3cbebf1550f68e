//! PostgreSQL loading: binary COPY into key-free tables, then keys rebuilt and validated.
//!
//! A replacing load truncates the seeded tables, reads the definitions of their primary keys,
//! unique constraints, foreign keys and secondary indexes from the catalog, drops them, copies
//! the rows with `COPY ... FROM STDIN (FORMAT binary)`, and re-creates everything from the
//! catalog's own text: indexes and unique keys are built by one sort each instead of row by
//! row, and each foreign key is validated by one join instead of a trigger per row. It all
//! happens in one transaction, so a duplicate or a missing parent rolls everything back.
//!
//! An appending load (a shard) keeps every key in place and only copies: shards running in
//! parallel on one server then neither wait for each other's table locks nor rebuild indexes
//! over rows that other shards already loaded.
//!
//! `SEED_PG_LOAD=insert` replaces COPY with batched multi-row INSERTs through the same models;
//! it exists to compare the two paths and as a fallback for servers or proxies without COPY.

use std::time::Instant;

use anyhow::Context;
use backend::schema::{accounts, persona_labels, transactions, users};
use backend::{Account, PersonaLabel, Transaction, User};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorInformation, Error as DieselError};
use diesel::sql_types::{Nullable, Text};

use super::{Batches, LoadMode, LoadReport, SEEDED_TABLES as TABLES};
use crate::progress::{Phase, Progress};
use crate::tables::{RowBatch, RowCounts};

/// The environment variable that picks how rows travel: `copy` (the default) or `insert`.
pub(crate) const LOAD_METHOD_ENV: &str = "SEED_PG_LOAD";

/// Rows per INSERT statement on the fallback path: the widest table (accounts, 12 columns)
/// binds 12,000 values, well under PostgreSQL's limit of 65,535 per statement.
const ROWS_PER_INSERT: usize = 1_000;

/// Memory for the index and key builds after the rows are in: the transactions indexes of a
/// 10,000-user load (1.2M rows) then sort in memory instead of in temporary files.
const MAINTENANCE_WORK_MEM: &str = "256MB";

/// How rows are sent to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadMethod {
    /// Binary COPY through `diesel::copy_from`.
    Copy,
    /// Batched multi-row INSERT statements.
    Insert,
}

impl LoadMethod {
    /// Reads [`LOAD_METHOD_ENV`]; unset or empty means COPY.
    pub(crate) fn from_env() -> anyhow::Result<LoadMethod> {
        match std::env::var(LOAD_METHOD_ENV).as_deref() {
            Err(_) | Ok("") | Ok("copy") => Ok(LoadMethod::Copy),
            Ok("insert") => Ok(LoadMethod::Insert),
            Ok(other) => anyhow::bail!("{LOAD_METHOD_ENV} is {other:?}; expected copy or insert"),
        }
    }
}

pub(super) fn load(
    conn: &mut PgConnection,
    batches: Batches,
    mode: LoadMode,
    progress: &Progress,
) -> anyhow::Result<LoadReport> {
    let method = LoadMethod::from_env()?;
    conn.transaction(|conn| load_in_transaction(conn, &batches, mode, method, progress))
}

/// A key, constraint or index of a seeded table, as the catalog defines it.
#[derive(QueryableByName, Debug)]
struct Definition {
    /// The table, as `regclass` prints it (quoted and schema-qualified where needed).
    #[diesel(sql_type = Text)]
    table_name: String,
    /// The constraint's or index's name, quoted as an identifier.
    #[diesel(sql_type = Text)]
    name: String,
    /// `p`, `u` or `f` for constraints, `i` for an index that backs no constraint.
    #[diesel(sql_type = Text)]
    kind: String,
    /// `pg_get_constraintdef` or `pg_get_indexdef`.
    #[diesel(sql_type = Text)]
    definition: String,
    /// For a single-column foreign key: the referencing column, the referenced table and
    /// column, each quoted; used to name a row whose parent is missing.
    #[diesel(sql_type = Nullable<Text>)]
    child_column: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    parent_table: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    parent_column: Option<String>,
}

impl Definition {
    fn create(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        let sql = match self.kind.as_str() {
            "i" => self.definition.clone(),
            _ => format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {}",
                self.table_name, self.name, self.definition
            ),
        };
        if self.kind == "f" {
            // In a savepoint, so that after a failure the transaction can still look for the
            // row that broke the key before it rolls back.
            let added = conn.transaction(|conn| conn.batch_execute(&sql));
            return added.map_err(|e| match self.missing_parent(conn) {
                Some(orphan) => anyhow::anyhow!("{orphan} (foreign key {})", self.name),
                None => anyhow::anyhow!(
                    "build foreign key {} on {}: {}",
                    self.name,
                    self.table_name,
                    describe(&e)
                ),
            });
        }
        conn.batch_execute(&sql).map_err(|e| {
            let what = match self.kind.as_str() {
                "p" => "primary key",
                "u" => "unique constraint",
                "f" => "foreign key",
                _ => "index",
            };
            anyhow::anyhow!(
                "build {what} {} on {}: {}",
                self.name,
                self.table_name,
                describe(&e)
            )
        })
    }

    /// Describes one row that references a missing parent, such as `transaction … references
    /// missing account …`, if the key is a single column and the table has an `id` column.
    fn missing_parent(&self, conn: &mut PgConnection) -> Option<String> {
        let (Some(column), Some(parent), Some(parent_column)) =
            (&self.child_column, &self.parent_table, &self.parent_column)
        else {
            return None;
        };
        let orphan: Orphan = diesel::sql_query(format!(
            "SELECT c.id::text AS id, c.{column}::text AS parent_id FROM {table} c \
             WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{parent_column} = c.{column}) LIMIT 1",
            table = self.table_name
        ))
        .get_result(conn)
        .ok()?;
        let singular = |table: &str| {
            let table = table.trim_matches('"');
            table.strip_suffix('s').unwrap_or(table).to_owned()
        };
        Some(format!(
            "{} {} references missing {} {}",
            singular(&self.table_name),
            orphan.id,
            singular(parent),
            orphan.parent_id
        ))
    }

    fn drop(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        let sql = match self.kind.as_str() {
            "i" => format!("DROP INDEX {}", self.name),
            _ => format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                self.table_name, self.name
            ),
        };
        conn.batch_execute(&sql)
            .with_context(|| format!("drop {} on {}", self.name, self.table_name))
    }
}

#[derive(QueryableByName)]
struct Orphan {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    parent_id: String,
}

/// Every key and index of the seeded tables, plus foreign keys of other tables that point
/// at them (a primary key cannot be dropped while one references it). Ordered to be
/// re-created: indexes, then primary keys, then unique constraints, then foreign keys.
fn definitions(conn: &mut PgConnection) -> anyhow::Result<Vec<Definition>> {
    let tables = TABLES.map(|t| format!("to_regclass('{t}')")).join(", ");
    diesel::sql_query(format!(
        "SELECT c.conrelid::regclass::text AS table_name, quote_ident(c.conname) AS name, \
                c.contype::text AS kind, pg_get_constraintdef(c.oid) AS definition, \
                CASE WHEN c.contype = 'f' AND cardinality(c.conkey) = 1 THEN \
                  (SELECT quote_ident(attname) FROM pg_attribute \
                   WHERE attrelid = c.conrelid AND attnum = c.conkey[1]) END AS child_column, \
                CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text END AS parent_table, \
                CASE WHEN c.contype = 'f' AND cardinality(c.confkey) = 1 THEN \
                  (SELECT quote_ident(attname) FROM pg_attribute \
                   WHERE attrelid = c.confrelid AND attnum = c.confkey[1]) END AS parent_column, \
                CASE c.contype WHEN 'p' THEN 1 WHEN 'u' THEN 2 ELSE 3 END AS step, c.oid::bigint AS ord \
         FROM pg_constraint c \
         WHERE c.contype IN ('p', 'u', 'f') \
           AND (c.conrelid IN ({tables}) OR (c.contype = 'f' AND c.confrelid IN ({tables}))) \
         UNION ALL \
         SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, 'i', \
                pg_get_indexdef(i.indexrelid), NULL, NULL, NULL, 0, i.indexrelid::bigint \
         FROM pg_index i \
         WHERE i.indrelid IN ({tables}) \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                           WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid) \
         ORDER BY step, ord"
    ))
    .load(conn)
    .context("read the keys and indexes from the catalog")
}

fn load_in_transaction(
    conn: &mut PgConnection,
    batches: &Batches,
    mode: LoadMode,
    method: LoadMethod,
    progress: &Progress,
) -> anyhow::Result<LoadReport> {
    let started = Instant::now();
    conn.batch_execute(&format!(
        "SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"
    ))
    .context("configure the transaction")?;
    let definitions = match mode {
        LoadMode::Replace => {
            // TRUNCATE takes every table's exclusive lock before the catalog is read, so no
            // concurrent load can change the keys between reading and dropping them.
            conn.batch_execute(&format!("TRUNCATE {}", TABLES.join(", ")))
                .context("empty the tables")?;
            let definitions = definitions(conn)?;
            // Foreign keys go first: a key cannot be dropped while a foreign key uses it.
            for definition in definitions.iter().rev() {
                definition.drop(conn)?;
            }
            definitions
        }
        LoadMode::Append => Vec::new(),
    };

    progress.phase(Phase::Insert);
    let mut counts = RowCounts::default();
    while let Some(batch) = batches.next()? {
        let batch_counts = batch.counts();
        match method {
            LoadMethod::Copy => copy_batch(conn, &batch)?,
            LoadMethod::Insert => insert_batch(conn, &batch)?,
        }
        counts.add(batch_counts);
        progress.add_loaded(batch_counts.total());
    }
    let insert = started.elapsed();

    progress.phase(Phase::Index);
    let started = Instant::now();
    for definition in definitions.iter().filter(|d| d.kind != "f") {
        definition.create(conn)?;
    }
    let index = started.elapsed();

    // Adding a foreign key to a filled table checks every row once, with a join.
    progress.phase(Phase::Check);
    let started = Instant::now();
    for definition in definitions.iter().filter(|d| d.kind == "f") {
        definition.create(conn)?;
    }
    let check = started.elapsed();
    Ok(LoadReport {
        counts,
        insert,
        index,
        check,
    })
}

/// Sends one batch with up to four binary COPY statements, parents first.
fn copy_batch(conn: &mut PgConnection, batch: &RowBatch) -> anyhow::Result<()> {
    if !batch.users.is_empty() {
        diesel::copy_from(users::table)
            .from_insertable(&batch.users)
            .execute(conn)
            .map_err(|e| anyhow::anyhow!("copy users: {}", describe(&e)))?;
    }
    if !batch.accounts.is_empty() {
        diesel::copy_from(accounts::table)
            .from_insertable(&batch.accounts)
            .execute(conn)
            .map_err(|e| anyhow::anyhow!("copy accounts: {}", describe(&e)))?;
    }
    if !batch.transactions.is_empty() {
        diesel::copy_from(transactions::table)
            .from_insertable(&batch.transactions)
            .execute(conn)
            .map_err(|e| anyhow::anyhow!("copy transactions: {}", describe(&e)))?;
    }
    if !batch.persona_labels.is_empty() {
        diesel::copy_from(persona_labels::table)
            .from_insertable(&batch.persona_labels)
            .execute(conn)
            .map_err(|e| anyhow::anyhow!("copy persona labels: {}", describe(&e)))?;
    }
    Ok(())
}

/// Sends one batch as multi-row INSERT statements, parents first.
fn insert_batch(conn: &mut PgConnection, batch: &RowBatch) -> anyhow::Result<()> {
    for rows in batch.users.chunks(ROWS_PER_INSERT) {
        insert_rows::<User, _>(conn, users::table, rows, "users")?;
    }
    for rows in batch.accounts.chunks(ROWS_PER_INSERT) {
        insert_rows::<Account, _>(conn, accounts::table, rows, "accounts")?;
    }
    for rows in batch.transactions.chunks(ROWS_PER_INSERT) {
        insert_rows::<Transaction, _>(conn, transactions::table, rows, "transactions")?;
    }
    for rows in batch.persona_labels.chunks(ROWS_PER_INSERT) {
        insert_rows::<PersonaLabel, _>(conn, persona_labels::table, rows, "persona labels")?;
    }
    Ok(())
}

fn insert_rows<'a, R, T>(
    conn: &mut PgConnection,
    table: T,
    rows: &'a [R],
    what: &str,
) -> anyhow::Result<()>
where
    T: diesel::Table,
    &'a [R]: Insertable<T>,
    diesel::query_builder::InsertStatement<T, <&'a [R] as Insertable<T>>::Values>:
        diesel::query_dsl::methods::ExecuteDsl<PgConnection>,
{
    diesel::insert_into(table)
        .values(rows)
        .execute(conn)
        .map_err(|e| anyhow::anyhow!("insert {what}: {}", describe(&e)))?;
    Ok(())
}

/// The server's message with its detail, which names the offending key, such as
/// `Key (account_id)=(…) is not present in table "accounts".`
fn describe(error: &DieselError) -> String {
    match error {
        DieselError::DatabaseError(_, info) => describe_info(info.as_ref()),
        other => other.to_string(),
    }
}

fn describe_info(info: &dyn DatabaseErrorInformation) -> String {
    match info.details() {
        Some(details) => format!("{} ({})", info.message(), details.trim_end_matches('.')),
        None => info.message().to_owned(),
    }
}
