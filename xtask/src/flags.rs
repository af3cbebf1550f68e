//! Command-line flags; their doc comments are the `--help` text.
//!
//! The tasks that run the `seed` or `plaid` binary declare no flags of their own: they forward
//! their arguments as typed, so the binary validates them, its `--help` is theirs, and a new
//! flag is declared once, in `seed/src/cli/flags.rs` or `plaid/src/cli.rs`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Tasks for the SpendSense workspace.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    arg_required_else_help = true,
    disable_help_subcommand = true
)]
pub(crate) struct Xtask {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate users, write data/users.json and load the database
    /// (`cargo xtask seed --help` lists its flags).
    #[command(disable_help_flag = true)]
    Seed(Forward),
    /// Revert every migration and apply them again: an empty, current schema.
    #[command(disable_help_flag = true)]
    ResetDb(Forward),
    /// Prepare CI fixtures: a small pinned dataset, in a fresh database and a JSON file, and
    /// the golden digests of the pinned runs (seed/tests/golden.sha256).
    #[command(disable_help_flag = true)]
    Fixtures(Forward),
    /// Print the statistics of a users.json file: shares, rates and persona signals.
    #[command(disable_help_flag = true)]
    Stats(Forward),
    /// Serve a seeded database as a local Plaid API (`cargo xtask plaid --help` lists its
    /// flags).
    #[command(disable_help_flag = true)]
    Plaid(Forward),
    /// Measure generation, JSON and loading at 1k, 10k and 100k users; write BENCHMARKS.md.
    Bench(Bench),
}

/// Arguments passed on to the `seed` or `plaid` binary as typed.
#[derive(Debug, Args)]
pub(crate) struct Forward {
    /// The arguments of the command.
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub(crate) args: Vec<OsString>,
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
    /// Built-in profile every run draws from; each profile's table has its own markers in
    /// the report.
    #[arg(long, value_name = "NAME", default_value = "story")]
    pub(crate) profile: String,
    /// Where to write the report.
    #[arg(long, value_name = "PATH", default_value = "BENCHMARKS.md")]
    pub(crate) out: PathBuf,
    /// Only the runs the targets read: no SQLite fill with its keys kept, no thirty-day
    /// advance and no `psql \copy` with keys in place, which take most of a large run.
    #[arg(long)]
    pub(crate) targets_only: bool,
    /// Run every measurement this many times, in whole rounds one after another (so a
    /// baseline and the run it judges share each round's conditions), and report each one's
    /// median; an odd count, so that the median is a run.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = odd)]
    pub(crate) repeat: u32,
    /// Measure the Plaid API under load instead (`plaid load` on each size, SQLite and, with
    /// --postgres-url, PostgreSQL); its table has its own markers.
    #[arg(long)]
    pub(crate) plaid: bool,
    /// With --plaid: concurrent clients, each syncing its own user.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub(crate) clients: u32,
    /// With --plaid: how long each load runs, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub(crate) seconds: u32,
}

/// An odd count of rounds.
fn odd(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(n) if n % 2 == 1 => Ok(n),
        Ok(n) => Err(format!(
            "{n} is even; the median of an odd count is one of its runs"
        )),
        Err(e) => Err(e.to_string()),
    }
}
