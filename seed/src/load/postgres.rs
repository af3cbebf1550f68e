//! PostgreSQL's load primitives: binary COPY into key-free tables, then keys rebuilt and
//! validated.
//!
//! A replacing load truncates the seeded tables, reads the definitions of their primary keys,
//! unique constraints, foreign keys and secondary indexes (and of every foreign key of
//! another table into them) from the catalog, drops them, copies the rows with
//! `COPY ... FROM STDIN (FORMAT binary)` (gathered across batches into few statements,
//! [`super::pg_copy`]), and re-creates everything from the catalog's own
//! text: indexes and unique keys are built by one sort each instead of row by row, and each
//! foreign key is validated by one join instead of a trigger per row. It all happens in one
//! transaction, so a duplicate or a missing parent rolls everything back, and no constraint
//! is lost: each is re-created by its place in the list read, whatever its name, columns or
//! schema. Keys and indexes are built through `pg_execute`, so a full disk there is known
//! by its SQLSTATE.
//!
//! An appending load (a shard) keeps every key in place, as on SQLite, and only copies:
//! shards running in parallel on one server then neither wait for each other's table locks
//! nor rebuild indexes over rows that other shards already loaded. The run's rows, which
//! every shard writes, it commits first on a connection of its own
//! ([`PgBackend::write_run_rows`]), so that shards do not wait for each other's commit
//! either.
//!
//! `SEED_PG_LOAD=insert` replaces COPY with batched multi-row INSERTs through the same models;
//! it exists to compare the two paths and as a fallback for servers or proxies without COPY.

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorInformation, Error as DieselError};
use diesel::sql_types::{Array, Bool, Nullable, Text};

use backend::db::pg_execute;
use backend::schema::seed_runs;
use backend::{DatabaseUrl, SeedRun};

use super::pg_copy::CopyBuffers;
use super::{Backend, Count, ForeignKey, LoadMode, Orphans};
use crate::changes::AddedChanges;
use crate::database::postgres::{self, Cancel};
use crate::guard::Destructive;
use crate::tables::{RowBatch, RunRows, TABLES, with_seeded_tables};

/// The environment variable that picks how rows travel: `copy` (the default) or `insert`.
pub(crate) const LOAD_METHOD_ENV: &str = "SEED_PG_LOAD";

/// Rows per INSERT statement on the fallback path: the widest table (accounts, 17 columns)
/// binds 17,000 values, well under PostgreSQL's limit of 65,535 per statement.
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

/// A load into a PostgreSQL database.
pub(super) struct PgBackend {
    conn: PgConnection,
    /// While it lives, Ctrl-C cancels what the connection runs.
    _cancel: Cancel,
    target: DatabaseUrl,
    method: LoadMethod,
    /// Whether the load replaces the rows or adds to them.
    mode: LoadMode,
    /// Whether the load's transaction applied migrations (and so holds every seeded table
    /// exclusively until it ends).
    migrated: bool,
    /// The keys, constraints and indexes dropped for the load, to create again.
    dropped: Vec<Definition>,
    /// Rows encoded for COPY, waiting to be sent.
    buffers: CopyBuffers,
}

impl PgBackend {
    pub(super) fn new(
        conn: PgConnection,
        cancel: Cancel,
        target: DatabaseUrl,
    ) -> anyhow::Result<PgBackend> {
        Ok(PgBackend {
            conn,
            _cancel: cancel,
            target,
            method: LoadMethod::from_env()?,
            mode: LoadMode::Replace,
            migrated: false,
            dropped: Vec::new(),
            buffers: CopyBuffers::default(),
        })
    }
}

impl Backend for PgBackend {
    fn begin(&mut self, mode: LoadMode) -> anyhow::Result<()> {
        self.mode = mode;
        AnsiTransactionManager::begin_transaction(&mut self.conn).context("begin the load")?;
        self.conn
            .batch_execute(&format!(
                "SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"
            ))
            .context("configure the transaction")?;
        // Inside the load's transaction, so a load that fails or is refused leaves the
        // schema as it was too.
        self.migrated = postgres::migrate_in_transaction(&mut self.conn, &self.target)?;
        // Every table the load writes, locked up front. A replacing load locks out every
        // other session, and with them the tables whose foreign keys it drops and re-adds;
        // an appending one (shards, in parallel) only conflicts with such a load.
        let mut tables: Vec<String> = TABLES.iter().map(|t| t.name.to_owned()).collect();
        tables.push("seed_runs".to_owned());
        let lock = match mode {
            LoadMode::Replace => {
                tables.extend(postgres::referencing_tables(&mut self.conn)?);
                "ACCESS EXCLUSIVE"
            }
            LoadMode::Append => "ROW EXCLUSIVE",
        };
        let target = self.target.clone();
        postgres::lock_tables(&mut self.conn, &target, &tables, lock)
    }

    fn refuse_unseeded(&mut self, allow_unseeded: bool) -> anyhow::Result<()> {
        postgres::guard_unseeded(&mut self.conn, Destructive::Replace, allow_unseeded)
    }

    fn clear(&mut self) -> anyhow::Result<()> {
        let tables: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        pg_execute(&mut self.conn, &format!("TRUNCATE {}", tables.join(", ")))
            .and_then(|()| pg_execute(&mut self.conn, "DELETE FROM seed_runs"))
            .context("empty the tables")
    }

    fn drop_keys(&mut self) -> anyhow::Result<()> {
        self.dropped = definitions(&mut self.conn)?;
        // Foreign keys go first: a key cannot be dropped while a foreign key uses it.
        for definition in self.dropped.iter().rev() {
            definition.drop(&mut self.conn)?;
        }
        Ok(())
    }

    fn write(&mut self, batch: RowBatch, added: AddedChanges) -> anyhow::Result<()> {
        if !batch.run.is_empty() {
            self.write_run_rows(&batch.run)?;
        }
        match self.method {
            LoadMethod::Copy => self.buffers.add(&mut self.conn, &batch, &added),
            LoadMethod::Insert => {
                insert_batch(&mut self.conn, &batch)?;
                insert_changes(
                    &mut self.conn,
                    &ChangeRow::added(&added, &batch.transactions),
                )
            }
        }
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        self.buffers.send(&mut self.conn)
    }

    fn build_keys(&mut self, step: &dyn Fn() -> anyhow::Result<()>) -> anyhow::Result<()> {
        for definition in self.dropped.iter().filter(|d| d.kind != "f") {
            step()?;
            definition.create(&mut self.conn)?;
        }
        Ok(())
    }

    fn foreign_keys(&mut self) -> anyhow::Result<Vec<ForeignKey>> {
        // Only the dropped ones need checking: constraints left in place (an appending load)
        // have checked every row as it went in. Every one is re-created, whatever its
        // columns, table, schema or name: the load never loses a constraint.
        Ok(self
            .dropped
            .iter()
            .enumerate()
            .filter_map(|(handle, definition)| definition.foreign_key(handle))
            .collect())
    }

    fn check_foreign_key(&mut self, key: &ForeignKey) -> anyhow::Result<bool> {
        let definition = &self.dropped[key.handle];
        // Adding a foreign key to a filled table checks every row once, with a join. In a
        // savepoint, so that after a failure the transaction can still look for the rows
        // that broke it before it rolls back.
        let sql = definition.create_sql();
        match self.conn.transaction(|conn| pg_execute(conn, &sql)) {
            // A key the application added NOT VALID is re-created so and checks no row: the
            // load checks the rows it would orphan itself.
            Ok(()) if definition.not_valid() => {
                let count: Count = diesel::sql_query(key.orphan_count_sql(None))
                    .get_result(&mut self.conn)
                    .with_context(|| format!("count the rows breaking {}", key.name))?;
                Ok(count.n == 0)
            }
            Ok(()) => Ok(true),
            Err(DieselError::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _,
            )) => Ok(false),
            Err(e) => Err(anyhow::anyhow!(
                "build foreign key {} on {}: {}",
                definition.name,
                definition.table_name,
                describe(&e)
            )),
        }
    }

    fn find_orphans(&mut self, key: &ForeignKey) -> anyhow::Result<Orphans> {
        key.orphans(&mut self.conn, None)?
            .with_context(|| format!("find the rows breaking {}", key.name))
    }

    fn record(&mut self, run: &SeedRun) -> anyhow::Result<()> {
        diesel::insert_into(seed_runs::table)
            .values(run)
            .execute(&mut self.conn)
            .map_err(|e| anyhow::anyhow!("record the run in seed_runs: {}", describe(&e)))?;
        Ok(())
    }

    fn server(&mut self) -> anyhow::Result<Option<String>> {
        #[derive(QueryableByName)]
        struct Server {
            #[diesel(sql_type = Text)]
            server: String,
        }
        // No address means a Unix socket; the port is then the server's own setting.
        let server: Server = diesel::sql_query(
            "SELECT COALESCE(CASE family(inet_server_addr()) \
                               WHEN 6 THEN '[' || host(inet_server_addr()) || ']' \
                               ELSE host(inet_server_addr()) END \
                             || ':' || inet_server_port(), \
                    'the local socket (port ' || current_setting('port') || ')') AS server",
        )
        .get_result(&mut self.conn)
        .context("ask the server where it is")?;
        Ok(Some(server.server))
    }

    fn commit(&mut self) -> anyhow::Result<()> {
        AnsiTransactionManager::commit_transaction(&mut self.conn).context("commit")
    }

    fn rollback(&mut self) -> anyhow::Result<()> {
        AnsiTransactionManager::rollback_transaction(&mut self.conn).context("roll back")
    }
}

impl PgBackend {
    /// Writes the run's rows. An appending load (a shard) first commits the missing ones in
    /// a short transaction on a connection of its own: shards loading in parallel would
    /// otherwise each wait, at the run's first row, for the commit of the shard that wrote
    /// it first, a whole load, past the bounded lock wait. They are the rows every shard of
    /// the run writes, so a shard that fails later leaves them for the others, as it leaves
    /// a database it created. Then the load's own transaction, which sees them, checks that
    /// every row is there as this run has it. A load that applied migrations holds every
    /// table until it commits, so it writes them in its own transaction alone.
    fn write_run_rows(&mut self, rows: &RunRows) -> anyhow::Result<()> {
        if self.mode == LoadMode::Append && !self.migrated {
            let (mut conn, _cancel) = postgres::connect(&self.target)?;
            conn.transaction(|conn| write_run_rows(conn, rows, LoadMode::Append))?;
        }
        write_run_rows(&mut self.conn, rows, self.mode)
    }
}

/// The statements that drop (children first) or create (parents first) every key and index
/// a replacing load rebuilds, from the same catalog query the load uses.
pub(super) fn key_statements(conn: &mut PgConnection, drop: bool) -> anyhow::Result<Vec<String>> {
    let definitions = definitions(conn)?;
    Ok(if drop {
        definitions.iter().rev().map(Definition::drop_sql).collect()
    } else {
        definitions.iter().map(Definition::create_sql).collect()
    })
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
    /// For a foreign key: the referencing table's name (for messages and `Table::named`),
    /// its columns in key order, the referenced table's name (and as `regclass` prints it)
    /// and columns, and whether the referencing table has an `id` column.
    #[diesel(sql_type = Nullable<Array<Text>>)]
    child_columns: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Text>)]
    parent_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    parent_table: Option<String>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    parent_columns: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Bool>)]
    child_has_id: Option<bool>,
}

impl Definition {
    /// What this is, in words.
    fn what(&self) -> &'static str {
        match self.kind.as_str() {
            "p" => "primary key",
            "u" => "unique constraint",
            "f" => "foreign key",
            _ => "index",
        }
    }

    fn create_sql(&self) -> String {
        match self.kind.as_str() {
            "i" => self.definition.clone(),
            _ => format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {}",
                self.table_name, self.name, self.definition
            ),
        }
    }

    fn create(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        pg_execute(conn, &self.create_sql()).map_err(|e| {
            failed(
                &e,
                format!("build {} {} on {}", self.what(), self.name, self.table_name),
            )
        })
    }

    /// Whether the application added this constraint without checking existing rows.
    fn not_valid(&self) -> bool {
        self.definition.ends_with(" NOT VALID")
    }

    fn drop_sql(&self) -> String {
        match self.kind.as_str() {
            "i" => format!("DROP INDEX {}", self.name),
            _ => format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                self.table_name, self.name
            ),
        }
    }

    fn drop(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        pg_execute(conn, &self.drop_sql())
            .map_err(|e| failed(&e, format!("drop {} on {}", self.name, self.table_name)))
    }

    /// This definition, the `handle`-th of the load's, as a foreign key to check.
    fn foreign_key(&self, handle: usize) -> Option<ForeignKey> {
        if self.kind != "f" {
            return None;
        }
        let parent = self.parent_name.clone()?;
        Some(ForeignKey {
            handle,
            name: self.name.clone(),
            child: self.table_name.clone(),
            child_sql: self.table_name.clone(),
            child_columns: self.child_columns.clone()?,
            parent_sql: self.parent_table.clone()?,
            parent,
            parent_columns: self.parent_columns.clone()?,
            child_has_id: self.child_has_id?,
        })
    }
}

/// Every key and index of the seeded tables, plus foreign keys of other tables that point
/// at them (a primary key cannot be dropped while one references it). Ordered to be
/// re-created: indexes, then primary keys, then unique constraints, then foreign keys.
fn definitions(conn: &mut PgConnection) -> anyhow::Result<Vec<Definition>> {
    let tables: Vec<String> = TABLES
        .iter()
        .map(|t| format!("to_regclass('{}')", t.name))
        .collect();
    let tables = tables.join(", ");
    // The names of a key's columns, in key order.
    let columns = |rel: &str, keys: &str| {
        format!(
            "ARRAY(SELECT a.attname::text FROM unnest({keys}) WITH ORDINALITY k(num, i) \
             JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.num ORDER BY k.i)"
        )
    };
    let fk = "c.contype = 'f'";
    diesel::sql_query(format!(
        "SELECT c.conrelid::regclass::text AS table_name, quote_ident(c.conname) AS name, \
                c.contype::text AS kind, pg_get_constraintdef(c.oid) AS definition, \
                CASE WHEN {fk} THEN {child_columns} END AS child_columns, \
                CASE WHEN {fk} THEN (SELECT relname::text FROM pg_class WHERE oid = c.confrelid) END \
                  AS parent_name, \
                CASE WHEN {fk} THEN c.confrelid::regclass::text END AS parent_table, \
                CASE WHEN {fk} THEN {parent_columns} END AS parent_columns, \
                CASE WHEN {fk} THEN EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c.conrelid \
                  AND attname = 'id' AND NOT attisdropped) END AS child_has_id, \
                CASE c.contype WHEN 'p' THEN 1 WHEN 'u' THEN 2 ELSE 3 END AS step, c.oid::bigint AS ord \
         FROM pg_constraint c \
         WHERE c.contype IN ('p', 'u', 'f') \
           AND (c.conrelid IN ({tables}) OR (c.contype = 'f' AND c.confrelid IN ({tables}))) \
         UNION ALL \
         SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, 'i', \
                pg_get_indexdef(i.indexrelid), NULL, NULL, NULL, NULL, NULL, 0, i.indexrelid::bigint \
         FROM pg_index i \
         WHERE i.indrelid IN ({tables}) \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                           WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid) \
         ORDER BY step, ord",
        child_columns = columns("c.conrelid", "c.conkey"),
        parent_columns = columns("c.confrelid", "c.confkey"),
    ))
    .load(conn)
    .context("read the keys and indexes from the catalog")
}

/// A `transaction_changes` row that borrows its ids from the transaction it records: the
/// `added` changes a load copies, without a copy of every id (two per transaction).
#[derive(Insertable)]
#[diesel(table_name = backend::schema::transaction_changes)]
#[diesel(treat_none_as_default_value = false)]
pub(super) struct ChangeRow<'a> {
    pub(super) seq: i64,
    pub(super) transaction_id: &'a str,
    pub(super) account_id: &'a str,
    pub(super) change: &'a str,
    pub(super) as_of: chrono::NaiveDate,
}

impl<'a> ChangeRow<'a> {
    /// The `added` changes of `transactions`, numbered by `added`.
    pub(super) fn added(
        added: &AddedChanges,
        transactions: &'a [backend::Transaction],
    ) -> Vec<Self> {
        assert_eq!(
            added.count(),
            transactions.len() as u64,
            "changes of another batch"
        );
        transactions
            .iter()
            .zip(added.seqs())
            .map(|(t, seq)| ChangeRow {
                seq,
                transaction_id: &t.id,
                account_id: &t.account_id,
                change: backend::Change::Added.as_str(),
                as_of: added.as_of(),
            })
            .collect()
    }

    /// The model's row with the same values: naming every field of both without `..` keeps
    /// this row's columns the model's when a column is added.
    #[cfg(test)]
    fn to_model(&self) -> backend::TransactionChange {
        let ChangeRow {
            seq,
            transaction_id,
            account_id,
            change,
            as_of,
        } = *self;
        backend::TransactionChange {
            seq,
            transaction_id: transaction_id.to_owned(),
            account_id: account_id.to_owned(),
            change: change.to_owned(),
            as_of,
        }
    }
}

macro_rules! write_batch {
    ($(run $run:ident: $run_model:ty $([$run_flag:ident])? = $generator:path,)*
        ; $($table:ident: $model:ident $([$flag:ident])?
        $(as $record:ident nests $child:ident: $child_model:ident)?,)*
        ; $(derived $derived:ident: $derived_model:ident,)*) => {
        /// Writes the run's rows as `mode` says ([`write_run_table!`](super::write_run_table)).
        // With no run table declared, the body reads none of the arguments.
        #[allow(unused_variables)]
        fn write_run_rows(
            conn: &mut PgConnection,
            rows: &RunRows,
            mode: LoadMode,
        ) -> anyhow::Result<()> {
            $(super::write_run_table!(conn, rows.$run, $run: $run_model, mode);)*
            Ok(())
        }

        /// Sends one batch as multi-row INSERT statements, parents first.
        fn insert_batch(conn: &mut PgConnection, batch: &RowBatch) -> anyhow::Result<()> {
            $(insert_rows!(*conn, batch.$table, $table);
            $(insert_rows!(*conn, batch.$child, $child);)?)*
            $(insert_rows!(*conn, batch.$derived, $derived);)*
            Ok(())
        }
    };
}
/// Multi-row INSERTs of a table's rows in a batch.
macro_rules! insert_rows {
    ($conn:expr, $rows:expr, $table:ident) => {
        for rows in $rows.chunks(ROWS_PER_INSERT) {
            diesel::insert_into(crate::schema::$table::table)
                .values(rows)
                .execute(&mut $conn)
                .map_err(|e| anyhow::anyhow!("insert {}: {}", stringify!($table), describe(&e)))?;
        }
    };
}

with_seeded_tables!(write_batch);

/// Sends the `added` changes of a batch as multi-row INSERTs.
fn insert_changes(conn: &mut PgConnection, changes: &[ChangeRow<'_>]) -> anyhow::Result<()> {
    insert_rows!(*conn, changes, transaction_changes);
    Ok(())
}

/// The error the run reports for `error`, met while doing `what`: a lock timeout, a full
/// disk or a cancel by Ctrl-C as such (by its SQLSTATE), anything else as the server's
/// message with its detail.
fn failed(error: &DieselError, what: String) -> anyhow::Error {
    crate::database::explain_query(error, || format!("{what}: {}", describe(error)))
}

/// The server's message with its detail, which names the offending key, such as
/// `Key (account_id)=(…) is not present in table "accounts".`
pub(super) fn describe(error: &DieselError) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::ChangeStamp;

    #[test]
    fn borrowed_change_rows_are_the_rows_the_stamp_makes() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
        // From JSON records: a nullable column the test has no use for is None, unnamed.
        let transactions: Vec<backend::Transaction> = (0..5)
            .map(|i| {
                serde_json::from_value(serde_json::json!({
                    "id": format!("t{i}"),
                    "account_id": format!("a{}", i % 2),
                    "date": date.and_hms_opt(1, 2, 3).unwrap(),
                    "amount": i,
                    "category": "INCOME",
                    "merchant_name": "m",
                    "pending": false,
                }))
                .unwrap()
            })
            .collect();
        let mut stamp = ChangeStamp::new(9, 2, date).unwrap();
        let _ = stamp.reserve(3).unwrap();
        let added = stamp.clone().reserve(5).unwrap();
        let borrowed: Vec<backend::TransactionChange> = ChangeRow::added(&added, &transactions)
            .iter()
            .map(ChangeRow::to_model)
            .collect();
        assert_eq!(borrowed, stamp.added(&transactions).unwrap());
    }
}
