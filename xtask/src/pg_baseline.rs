//! The PostgreSQL baseline for `cargo xtask bench`: `psql \copy` of the seeded rows, as CSV,
//! into the same schema on the same server, timed two ways.
//!
//! The seeder's COPY load is judged against it (issue 4 asks for at least 1.5× the first
//! number). Only `psql` and the `seed` binary are run, so xtask still needs nothing but
//! xshell, clap and anyhow: the table list and the keys' SQL come from the seeder itself
//! (`seed tables`, `seed pg-keys`), from the same declaration and catalog query its loader
//! uses.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use xshell::{Shell, cmd};

/// Wall times of `psql \copy` loading the same rows, each in one transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PsqlCopyTimes {
    /// Rows copied over the seeded tables.
    pub(crate) rows: u64,
    /// Into the schema as the migrations create it, every key and index in place; not
    /// measured when only the targets' runs are.
    pub(crate) with_keys: Option<Duration>,
    /// Keys and indexes dropped first and re-created after the rows, as the seeder does.
    pub(crate) keys_rebuilt: Duration,
}

/// Measures the baseline on the PostgreSQL database `url`, which must hold a seeded dataset
/// (the benchmark's own load). Exports its rows to CSV files in `dir`, then twice (once with
/// `rebuilt_only`) resets the schema with `seed reset-db` and times `psql` copying them back. Leaves the rows loaded,
/// with no seed run on record, so the next reset passes --allow-unseeded.
pub(crate) fn psql_copy_baseline(
    sh: &Shell,
    seed: &Path,
    url: &str,
    dir: &Path,
    rebuilt_only: bool,
) -> anyhow::Result<PsqlCopyTimes> {
    sh.create_dir(dir).context("create the csv directory")?;
    let tables = cmd!(sh, "{seed} tables")
        .read()
        .context("list the tables")?;
    let tables: Vec<&str> = tables.lines().collect();
    let mut rows = 0;
    for &table in &tables {
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
    let copies: String = tables
        .iter()
        .map(|table| {
            format!(
                "\\copy {table} FROM '{}' WITH (FORMAT csv)\n",
                dir.join(format!("{table}.csv")).display()
            )
        })
        .collect();

    let with_keys = if rebuilt_only {
        None
    } else {
        reset(sh, seed, url)?;
        Some(time_psql(sh, url, format!("BEGIN;\n{copies}COMMIT;\n")).context("copy with keys")?)
    };

    reset(sh, seed, url)?;
    let drop = cmd!(sh, "{seed} pg-keys --drop --database-url {url}")
        .read()
        .context("read the keys to drop")?;
    let create = cmd!(sh, "{seed} pg-keys --database-url {url}")
        .read()
        .context("read the keys to create")?;
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

/// Writes the server's dirty buffers out before a timed run, as `sync` does for the page
/// cache: the checkpoint a previous load left due is not timed as part of the next.
pub(crate) fn checkpoint(sh: &Shell, url: &str) -> anyhow::Result<()> {
    crate::runs::sync_disk(sh);
    cmd!(sh, "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c CHECKPOINT")
        .quiet()
        .run()
        .context("checkpoint the server before a timed run")
}

fn reset(sh: &Shell, seed: &Path, url: &str) -> anyhow::Result<()> {
    cmd!(sh, "{seed} reset-db --allow-unseeded --database-url {url}")
        .quiet()
        .ignore_stdout()
        .run()
        .context("reset the schema")
}

fn time_psql(sh: &Shell, url: &str, script: String) -> anyhow::Result<Duration> {
    checkpoint(sh, url)?;
    let started = Instant::now();
    cmd!(sh, "psql -X -q -v ON_ERROR_STOP=1 -d {url}")
        .quiet()
        .stdin(script)
        .run()?;
    Ok(started.elapsed())
}
