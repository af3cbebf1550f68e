//! The honest SQLite ceiling for `cargo xtask bench`: a C client binding the same rows through
//! SQLite's C API (`sqlite_bind.c`), compiled against the bundled SQLite with the flags the
//! seeder's build gives it.
//!
//! SQLite's in-database fill (`INSERT … SELECT`) never binds a value or steps a statement per
//! row; any client must. This measures what that costs with nothing of Rust or Diesel in the
//! way, so the loader can be judged against what a client can reach as well as against what
//! SQLite can do inside itself. Only `cc` and `cargo metadata` are run: xtask still needs
//! nothing but xshell, clap and anyhow.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use xshell::{Shell, cmd};

/// The bundled SQLite's compile flags that change its speed, as libsqlite3-sys's build script
/// and `.cargo/config.toml`'s `LIBSQLITE3_FLAGS` set them.
const SQLITE_FLAGS: &[&str] = &[
    "-DSQLITE_CORE",
    "-DSQLITE_DEFAULT_FOREIGN_KEYS=1",
    "-DSQLITE_ENABLE_API_ARMOR",
    "-DSQLITE_ENABLE_COLUMN_METADATA",
    "-DSQLITE_ENABLE_DBSTAT_VTAB",
    "-DSQLITE_ENABLE_FTS3",
    "-DSQLITE_ENABLE_FTS5",
    "-DSQLITE_ENABLE_JSON1",
    "-DSQLITE_ENABLE_MEMORY_MANAGEMENT",
    "-DSQLITE_ENABLE_RTREE",
    "-DSQLITE_ENABLE_STAT4",
    "-DSQLITE_USE_URI",
    "-DHAVE_USLEEP=1",
    "-DHAVE_ISNAN",
    "-DSQLITE_THREADSAFE=2",
    "-DSQLITE_DEFAULT_MEMSTATUS=0",
];

/// Rows per INSERT statement the client is timed with: one (the textbook prepared
/// statement) and the loader's own 1,000.
pub(crate) const ROWS_PER_STATEMENT: [u32; 2] = [1, 1000];

/// Compiles the client into `dir` (once per bench run) and returns its path.
pub(crate) fn build(sh: &Shell, dir: &Path) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let metadata = cmd!(sh, "{cargo} metadata --format-version 1")
        .quiet()
        .read()
        .context("read cargo metadata")?;
    // The libsqlite3-sys the workspace builds, from its manifest path.
    let manifest = metadata
        .split("\"manifest_path\":\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|path| path.contains("/libsqlite3-sys-"))
        .context("no libsqlite3-sys in cargo metadata")?;
    let amalgamation = Path::new(manifest)
        .parent()
        .context("libsqlite3-sys has no folder")?
        .join("sqlite3");
    let source = sh.current_dir().join("xtask/src/sqlite_bind.c");
    let binary = dir.join("sqlite_bind");
    let sqlite = amalgamation.join("sqlite3.c");
    let flags = SQLITE_FLAGS;
    cmd!(
        sh,
        "cc -O3 {flags...} -I{amalgamation} -o {binary} {source} {sqlite} -lpthread -lm -ldl"
    )
    .quiet()
    .run()
    .context("compile the C client")?;
    Ok(binary)
}

/// Times the client filling a new file beside `db` (which holds the staging tables the
/// in-database fill left) from `db`'s staging tables, `per` rows per statement; returns its
/// insert span and rows.
pub(crate) fn measure(
    sh: &Shell,
    client: &Path,
    db: &Path,
    tables: &[String],
    per: u32,
) -> anyhow::Result<(Duration, u64)> {
    let per = per.to_string();
    let out = cmd!(sh, "{client} {db} {per} {tables...}")
        .read()
        .context("run the C client")?;
    let line = out
        .lines()
        .find_map(|line| line.strip_prefix("bind\t"))
        .context("no timing from the C client")?;
    let (secs, rows) = line
        .split_once('\t')
        .with_context(|| format!("unexpected client line {line:?}"))?;
    Ok((Duration::from_secs_f64(secs.parse()?), rows.parse()?))
}
