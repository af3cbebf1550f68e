//! The PostgreSQL baseline for `cargo xtask bench`: `psql \copy` of the seeded rows, as CSV,
//! into the same schema on the same server, timed two ways.
//!
//! The seeder's COPY load is judged against it (issue 4 asks for at least 1.5× the first
//! number). Only `psql` and the `seed` binary are run, so xtask still needs nothing but
//! xshell, clap and anyhow.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use xshell::{Shell, cmd};

/// The tables, parents first, as the seeder loads them.
const TABLES: [&str; 4] = ["users", "accounts", "transactions", "persona_labels"];

/// The keys and indexes of the seeded tables from the catalog, in the order they are
/// re-created (indexes, primary keys, unique constraints, foreign keys), as the seeder's
/// PostgreSQL loader reads them. `{order}` is `ASC` to create and `DESC` to drop; `{tables}`
/// is [`TABLES`] as regclasses.
const KEYS_QUERY: &str = "SELECT string_agg(CASE WHEN '{order}' = 'ASC' THEN \
      CASE k WHEN 'i' THEN d ELSE 'ALTER TABLE ' || t || ' ADD CONSTRAINT ' || n || ' ' || d END \
    ELSE CASE k WHEN 'i' THEN 'DROP INDEX ' || n ELSE 'ALTER TABLE ' || t || ' DROP CONSTRAINT ' || n END \
    END, E';\\n' ORDER BY s {order}, o {order}) || ';' \
  FROM (SELECT c.conrelid::regclass::text t, quote_ident(c.conname) n, c.contype::text k, \
               pg_get_constraintdef(c.oid) d, CASE c.contype WHEN 'p' THEN 1 WHEN 'u' THEN 2 ELSE 3 END s, \
               c.oid::bigint o \
        FROM pg_constraint c \
        WHERE c.contype IN ('p', 'u', 'f') \
          AND c.conrelid IN ({tables}) \
        UNION ALL \
        SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, 'i', \
               pg_get_indexdef(i.indexrelid), 0, i.indexrelid::bigint \
        FROM pg_index i \
        WHERE i.indrelid IN ({tables}) \
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                          WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid)) keys";

/// Wall times of `psql \copy` loading the same rows, each in one transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PsqlCopyTimes {
    /// Rows copied over the three tables.
    pub(crate) rows: u64,
    /// Into the schema as the migrations create it, every key and index in place.
    pub(crate) with_keys: Duration,
    /// Keys and indexes dropped first and re-created after the rows, as the seeder does.
    pub(crate) keys_rebuilt: Duration,
}

/// Measures the baseline on the PostgreSQL database `url`, which must hold a seeded dataset
/// (the benchmark's own load). Exports its rows to CSV files in `dir`, then twice resets the
/// schema with `seed reset-db` and times `psql` copying them back. Leaves the rows loaded.
pub(crate) fn psql_copy_baseline(
    sh: &Shell,
    seed: &Path,
    url: &str,
    dir: &Path,
) -> anyhow::Result<PsqlCopyTimes> {
    sh.create_dir(dir).context("create the csv directory")?;
    let mut rows = 0;
    for table in TABLES {
        let csv = dir.join(format!("{table}.csv"));
        let copy = format!("\\copy {table} TO '{}' WITH (FORMAT csv)", csv.display());
        cmd!(sh, "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {copy}")
            .quiet()
            .run()
            .with_context(|| format!("export {table}"))?;
        rows += sh
            .read_file(&csv)
            .with_context(|| format!("read {}", csv.display()))?
            .lines()
            .count() as u64;
    }
    let copies: String = TABLES
        .iter()
        .map(|table| {
            format!(
                "\\copy {table} FROM '{}' WITH (FORMAT csv)\n",
                dir.join(format!("{table}.csv")).display()
            )
        })
        .collect();

    reset(sh, seed, url)?;
    let with_keys =
        time_psql(sh, url, format!("BEGIN;\n{copies}COMMIT;\n")).context("copy with keys")?;

    reset(sh, seed, url)?;
    let drop = keys_sql(sh, url, "DESC")?;
    let create = keys_sql(sh, url, "ASC")?;
    let keys_rebuilt = time_psql(
        sh,
        url,
        format!("BEGIN;\n{drop}\n{copies}{create}\nCOMMIT;\n"),
    )
    .context("copy with keys rebuilt")?;
    Ok(PsqlCopyTimes {
        rows,
        with_keys,
        keys_rebuilt,
    })
}

fn reset(sh: &Shell, seed: &Path, url: &str) -> anyhow::Result<()> {
    cmd!(sh, "{seed} reset-db --database-url {url}")
        .quiet()
        .ignore_stdout()
        .run()
        .context("reset the schema")
}

fn keys_sql(sh: &Shell, url: &str, order: &str) -> anyhow::Result<String> {
    let tables = TABLES.map(|t| format!("'{t}'::regclass")).join(", ");
    let query = KEYS_QUERY
        .replace("{order}", order)
        .replace("{tables}", &tables);
    cmd!(
        sh,
        "psql -X -q -t -A -v ON_ERROR_STOP=1 -d {url} -c {query}"
    )
    .quiet()
    .read()
    .context("read the keys from the catalog")
}

fn time_psql(sh: &Shell, url: &str, script: String) -> anyhow::Result<Duration> {
    let started = Instant::now();
    cmd!(sh, "psql -X -q -v ON_ERROR_STOP=1 -d {url}")
        .quiet()
        .stdin(script)
        .run()?;
    Ok(started.elapsed())
}
