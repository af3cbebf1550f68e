//! Command-line flags; their doc comments are the `--help` text.
//!
//! Values are passed to the `seed` binary as given: it validates them, so every bad value
//! gets the same one-line error whichever way it was typed.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Tasks for the SpendSense workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
pub(crate) struct Xtask {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate users, write data/users.json and load the database.
    Seed(Seed),
    /// Revert every migration and apply them again: an empty, current schema.
    ResetDb(ResetDb),
    /// Prepare CI fixtures: a small pinned dataset, in a fresh database and a JSON file.
    Fixtures(Fixtures),
    /// Print the statistics of a users.json file: shares, rates and persona signals.
    Stats(Stats),
    /// Measure generation, JSON and loading at 1k, 10k and 100k users; write BENCHMARKS.md.
    Bench(Bench),
}

/// Flags of `cargo xtask seed`, forwarded to the `seed` binary.
#[derive(Debug, Args)]
pub(crate) struct Seed {
    /// How many users to generate [default: 50].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub(crate) num_users: Option<String>,
    /// Seed for every random choice [default: 42].
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    pub(crate) seed: Option<String>,
    /// Date all generated dates are relative to, YYYY-MM-DD [default: today, UTC].
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
    /// Where to write the dataset [default: data/users.json].
    #[arg(long, value_name = "PATH")]
    pub(crate) out: Option<PathBuf>,
    /// Database to load [default: $DATABASE_URL, else data/spendsense.db].
    #[arg(long, value_name = "URL")]
    pub(crate) database_url: Option<String>,
    /// Only write the JSON file; leave the database alone.
    #[arg(long)]
    pub(crate) no_db: bool,
    /// Only load the database; write no JSON file.
    #[arg(long)]
    pub(crate) no_json: bool,
    /// Load this existing JSON file instead of generating.
    #[arg(long, value_name = "PATH")]
    pub(crate) from: Option<PathBuf>,
    /// Profile (TOML) with the distributions [default: seed/profiles/default.toml].
    #[arg(long, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// Generate only shard K of N (1-based) and append it instead of replacing the rows.
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<String>,
    /// Allow replacing the rows of a database that is not on this machine.
    #[arg(long)]
    pub(crate) allow_remote: bool,
    /// Threads for generation [default: one per core]; the output does not depend on it.
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<String>,
    /// Print nothing but errors and the final summary.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

/// Flags of `cargo xtask reset-db`.
#[derive(Debug, Args)]
pub(crate) struct ResetDb {
    /// Database to reset [default: $DATABASE_URL, else data/spendsense.db].
    #[arg(long, value_name = "URL")]
    pub(crate) database_url: Option<String>,
    /// Allow resetting a database that is not on this machine.
    #[arg(long)]
    pub(crate) allow_remote: bool,
}

/// Flags of `cargo xtask fixtures`.
#[derive(Debug, Args)]
pub(crate) struct Fixtures {
    /// Database for the fixtures [default: target/fixtures/spendsense.db, created afresh].
    #[arg(long, value_name = "URL")]
    pub(crate) database_url: Option<String>,
    /// Allow resetting a database that is not on this machine.
    #[arg(long)]
    pub(crate) allow_remote: bool,
}

/// Flags of `cargo xtask stats`.
#[derive(Debug, Args)]
pub(crate) struct Stats {
    /// The dataset to describe [default: data/users.json].
    #[arg(value_name = "PATH")]
    pub(crate) path: Option<PathBuf>,
    /// Profile the dataset was generated with, for the configured shares [default: built in].
    #[arg(long, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
}

/// Flags of `cargo xtask bench`.
#[derive(Debug, Args)]
pub(crate) struct Bench {
    /// User counts to measure, comma-separated.
    #[arg(
        long,
        value_name = "N,N,...",
        default_value = "1000,10000,100000",
        value_delimiter = ','
    )]
    pub(crate) sizes: Vec<u64>,
    /// Also measure PostgreSQL at this URL (a database the benchmark may drop and recreate).
    #[arg(long, value_name = "URL")]
    pub(crate) postgres_url: Option<String>,
    /// Where to write the report.
    #[arg(long, value_name = "PATH", default_value = "BENCHMARKS.md")]
    pub(crate) out: PathBuf,
}
