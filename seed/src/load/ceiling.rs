//! SQLite's own fastest fills of the seeded tables, measured inside the database: the ceiling
//! `cargo xtask bench` compares the loader with.
//!
//! The rows of an already loaded database are copied to staging tables; then each way of
//! filling the real tables from them is timed in its own transaction, with the loader's
//! connection settings. No Rust code touches a row, so only SQLite's own work is measured.
//! Each fill also reports its insert span (BEGIN to the last row in), which `cargo xtask
//! bench` sets beside a C client's binding of the same rows (`xtask/src/sqlite_bind.c`),
//! reading the staging tables this leaves behind when asked to.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::sqlite::{
    build_indexes, check_foreign_keys, configure_for_load, drop_indexes, empty_tables,
    restore_settings, secondary_indexes,
};
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
/// a loaded dataset) and returns them with the number of rows filled. The database holds
/// the same rows afterwards, and, with `keep_staging`, each table's copy as `staging_TABLE`.
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
    let mut done = Vec::new();
    for &name in fills {
        let started = Instant::now();
        let mut insert = Duration::ZERO;
        conn.immediate_transaction(|conn| -> anyhow::Result<()> {
            empty_tables(conn)?;
            let indexes = secondary_indexes(conn)?;
            let after = name == FILLS[2];
            if after {
                drop_indexes(conn, &indexes)?;
            }
            // Column 1 is each table's key: id, or user_id for persona_labels.
            let order = if name == FILLS[1] { " ORDER BY 1" } else { "" };
            for table in TABLES.iter().map(|t| t.name) {
                conn.batch_execute(&format!(
                    "INSERT INTO {table} SELECT * FROM staging_{table}{order}"
                ))
                .with_context(|| format!("fill {table}"))?;
            }
            insert = started.elapsed();
            if after {
                build_indexes(conn, &indexes)?;
            }
            check_foreign_keys(conn)
        })?;
        done.push(Fill {
            name,
            time: started.elapsed(),
            insert,
        });
    }
    if !keep_staging {
        for table in TABLES.iter().map(|t| t.name) {
            conn.batch_execute(&format!("DROP TABLE staging_{table}"))?;
        }
    }
    restore_settings(&mut conn)?;
    Ok((rows, done))
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
