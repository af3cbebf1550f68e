//! SQLite's own fastest fills of the seeded tables, measured inside the database: the ceiling
//! `cargo xtask bench` compares the loader with.
//!
//! The rows of an already loaded database are copied to staging tables in it (plain tables,
//! no keys, in the order the load wrote them); then each way of filling the seeded tables
//! from them is timed in its own transaction, into a new file beside it created as a load
//! creates one (the loader's page size and connection settings, the rollback journal), with
//! the loaded file attached. So the fill writes what a load into a new file writes, and not
//! what refilling the loaded file would: under its write-ahead log every page twice, among
//! pages the staging copy doubled. No Rust code touches a row, so only SQLite's own work is
//! measured. Each fill also reports its insert span (BEGIN to the last row in), which
//! `cargo xtask bench` sets beside a C client's binding of the same rows into a new file
//! (`xtask/src/sqlite_bind.c`), reading the staging tables this leaves behind when asked
//! to.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::sqlite::{
    build_indexes, check_foreign_keys, configure_for_load, drop_indexes, restore_settings,
    secondary_indexes,
};
use crate::database::sqlite::{remove_sqlite_file, sqlite_tune_new};
use crate::tables::TABLES;

/// One way of filling the tables and how long it took.
#[derive(Debug, Clone)]
pub struct Fill {
    /// What was done.
    pub name: &'static str,
    /// Wall time from BEGIN to after COMMIT.
    pub time: Duration,
    /// Wall time from BEGIN to the last row in, before any index is built.
    pub insert: Duration,
}

/// The fills measured, in this order.
pub const FILLS: [&str; 3] = [
    "keys kept, generation order",
    "keys kept, rows sorted by id",
    "indexes built after the rows",
];

/// Times each of `fills` (names from [`FILLS`]) of the database at `path` (which must hold
/// a loaded dataset) and returns them with the number of rows filled. Each fill goes into a
/// new file, [`fill_path`], removed after it; the database holds the same rows afterwards,
/// and, with `keep_staging`, each table's copy as `staging_TABLE`.
pub fn measure_sqlite_fills(
    path: &Path,
    keep_staging: bool,
    fills: &[&'static str],
) -> anyhow::Result<(u64, Vec<Fill>)> {
    let path = path.to_str().context("the path is not valid UTF-8")?;
    let mut conn = SqliteConnection::establish(path).with_context(|| format!("open {path}"))?;
    configure_for_load(&mut conn)?;
    let mut rows = 0u64;
    for table in TABLES.iter().map(|t| t.name) {
        conn.batch_execute(&format!(
            "DROP TABLE IF EXISTS staging_{table}; CREATE TABLE staging_{table} AS SELECT * FROM {table};"
        ))
        .with_context(|| format!("stage {table}"))?;
        rows += count(&mut conn, table)?;
    }
    // The staging copies were written without a sync (synchronous=OFF): they go to disk
    // now, so that the kernel's writeback of them is not timed in the fills.
    for suffix in ["", "-wal"] {
        let file = format!("{path}{suffix}");
        if let Ok(file) = std::fs::File::open(&file) {
            file.sync_all()
                .with_context(|| format!("sync the staging copies in {path}"))?;
        }
    }
    let schema = seeded_schema(&mut conn)?;
    let target = fill_path(path);
    let mut done = Vec::new();
    for &name in fills {
        let fill = fill_new_file(path, &target, &schema, name);
        remove_sqlite_file(Path::new(&target));
        done.push(fill?);
    }
    if !keep_staging {
        for table in TABLES.iter().map(|t| t.name) {
            conn.batch_execute(&format!("DROP TABLE staging_{table}"))?;
        }
    }
    restore_settings(&mut conn)?;
    Ok((rows, done))
}

/// The new file the fills of the database at `path` go into: beside it, with `.fill` added.
fn fill_path(path: &str) -> String {
    format!("{path}.fill")
}

/// The `CREATE` statements of the seeded tables (in [`TABLES`] order), then of their
/// indexes (in creation order), as the loaded database holds them.
fn seeded_schema(conn: &mut SqliteConnection) -> anyhow::Result<Vec<String>> {
    #[derive(QueryableByName)]
    struct Sql {
        #[diesel(sql_type = diesel::sql_types::Text)]
        sql: String,
    }
    let mut schema = Vec::new();
    for table in TABLES.iter().map(|t| t.name) {
        let create: Sql = diesel::sql_query(format!(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
        ))
        .get_result(conn)
        .with_context(|| format!("read the definition of {table}"))?;
        schema.push(create.sql);
    }
    schema.extend(secondary_indexes(conn)?.into_iter().map(|index| index.sql));
    Ok(schema)
}

/// Creates `target` as a load creates a new file, with `schema`, and times the fill `name`
/// of it from the staging tables of the database at `source`.
fn fill_new_file(
    source: &str,
    target: &str,
    schema: &[String],
    name: &'static str,
) -> anyhow::Result<Fill> {
    remove_sqlite_file(Path::new(target));
    let mut conn =
        SqliteConnection::establish(target).with_context(|| format!("create {target}"))?;
    sqlite_tune_new(&mut conn)?;
    for sql in schema {
        conn.batch_execute(sql)
            .with_context(|| format!("create the schema in {target}"))?;
    }
    configure_for_load(&mut conn)?;
    diesel::sql_query("ATTACH DATABASE ? AS loaded")
        .bind::<diesel::sql_types::Text, _>(source)
        .execute(&mut conn)
        .with_context(|| format!("attach {source}"))?;
    let started = Instant::now();
    let mut insert = Duration::ZERO;
    conn.immediate_transaction(|conn| -> anyhow::Result<()> {
        let indexes = secondary_indexes(conn)?;
        let after = name == FILLS[2];
        if after {
            drop_indexes(conn, &indexes)?;
        }
        // Column 1 is each table's key: id, or user_id for persona_labels. `OR FAIL`, as
        // the loader's statements: one statement a table keeps little statement journal
        // either way (measured: the same insert span at 10k users).
        let order = if name == FILLS[1] { " ORDER BY 1" } else { "" };
        for table in TABLES.iter().map(|t| t.name) {
            conn.batch_execute(&format!(
                "INSERT OR FAIL INTO main.{table} SELECT * FROM loaded.staging_{table}{order}"
            ))
            .with_context(|| format!("fill {table}"))?;
        }
        insert = started.elapsed();
        if after {
            build_indexes(conn, &indexes)?;
        }
        check_foreign_keys(conn)
    })?;
    Ok(Fill {
        name,
        time: started.elapsed(),
        insert,
    })
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(conn: &mut SqliteConnection, table: &str) -> anyhow::Result<u64> {
    let count: Count =
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).get_result(conn)?;
    Ok(count.n as u64)
}
