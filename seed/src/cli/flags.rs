//! The command line, declared once: every flag of `seed` and its subcommands, whose doc
//! comments are the `--help` text. `cargo xtask seed …` forwards its arguments here as typed.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::dataset::Shard;

/// Deterministic synthetic SpendSense users, accounts and transactions.
#[derive(Debug, Parser)]
#[command(name = "seed", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// A subcommand; without one, `seed` generates and loads.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The flags of the default command.
    #[command(flatten)]
    pub seed: SeedArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Move a seeded database forward in time, in one transaction: the new days'
    /// transactions, pending ones that post or drop, corrections, balances, statements and
    /// recurring streams, each change logged in transaction_changes.
    Advance(AdvanceArgs),
    /// Print the changes after a cursor as a /transactions/sync page: added and modified
    /// transactions as they are now, removed ones as {transaction_id, account_id},
    /// next_cursor and has_more.
    Changes {
        /// The cursor: a sequence number of transaction_changes (0 for the start).
        #[arg(long, value_name = "SEQ", default_value = "0")]
        since: String,
        /// The most changes the page holds, 1 to 500.
        #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=500))]
        count: u16,
        /// Database to read [default: $DATABASE_URL, else data/spendsense.db].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Revert every migration and apply them again: an empty, current schema.
    ResetDb {
        /// Database to reset [default: $DATABASE_URL, else data/spendsense.db].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Allow resetting a database whose host is not this machine.
        #[arg(long)]
        allow_remote: bool,
        /// Allow resetting a database whose users no seed run recorded (they may be an
        /// application's own data).
        #[arg(long)]
        allow_unseeded: bool,
    },
    /// Time SQLite's own fills of a loaded database's tables (for `cargo xtask bench`).
    #[command(hide = true)]
    SqliteCeiling {
        /// A SQLite database holding a loaded dataset.
        #[arg(long, value_name = "PATH")]
        database_url: PathBuf,
        /// Leave each table's copy behind as `staging_TABLE`, for a client to read.
        #[arg(long)]
        keep_staging: bool,
        /// Time only the fastest fill, the one the bench's targets compare with (indexes
        /// built after the rows).
        #[arg(long)]
        fastest_only: bool,
    },
    /// Write the pinned CI fixture dataset to backend/tests/fixtures/users.json and load it
    /// into a fresh database; write the golden digests of the pinned runs to
    /// seed/tests/golden.sha256.
    Fixtures {
        /// Database for the fixtures [default: target/fixtures/spendsense.db, created afresh].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Allow resetting a database that is not on this machine.
        #[arg(long)]
        allow_remote: bool,
        /// Allow resetting a database whose users no seed run recorded.
        #[arg(long)]
        allow_unseeded: bool,
    },
    /// Measure a users.json or a seeded database: rows, category shares, pending rate, accounts, persona signals, and the profile's bands.
    Stats {
        /// The file to measure.
        #[arg(value_name = "PATH", default_value = "data/users.json")]
        path: PathBuf,
        /// Measure this seeded database instead, as of its date (the window's transactions
        /// before it; an advanced database's older history is left out).
        #[arg(long, value_name = "URL", conflicts_with = "path")]
        database_url: Option<String>,
        /// Built-in profile the data was drawn from, for its configured shares [default: the
        /// one the file's meta names].
        #[arg(long, value_name = "NAME", conflicts_with = "config")]
        profile: Option<String>,
        /// Profile file the data was drawn from, for its configured shares.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// Print the seeded tables, parents first, one per line (for `cargo xtask bench`).
    #[command(hide = true)]
    Tables,
    /// Print the SQL that drops or re-creates the keys and indexes of the seeded tables of a
    /// PostgreSQL database, as a replacing load does (for `cargo xtask bench`).
    #[command(hide = true)]
    PgKeys {
        /// The PostgreSQL database to read the catalog of.
        #[arg(long, value_name = "URL")]
        database_url: String,
        /// Print the DROP statements (children first) instead of the CREATE statements.
        #[arg(long)]
        drop: bool,
    },
}

/// The flags of `seed advance`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["days", "to"])))]
pub struct AdvanceArgs {
    /// How many days to move forward.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub days: Option<u32>,
    /// The date to move to (YYYY-MM-DD), after the database's.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<NaiveDate>,
    /// Database to advance [default: $DATABASE_URL, else data/spendsense.db].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Advance only the K-th of N equal slices of the database's users.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// The profile file the database was seeded from, if it was not a built-in one.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Also write the advance's changes as /transactions/sync pages (a JSON array) to this
    /// file, replaced only when the advance commits, or `-` for standard output.
    #[arg(long, value_name = "PATH")]
    pub sync_out: Option<PathBuf>,
    /// Allow advancing a database whose host is not this machine.
    #[arg(long)]
    pub allow_remote: bool,
    /// Allow advancing a database whose users no seed run recorded.
    #[arg(long)]
    pub allow_unseeded: bool,
    /// Threads for generation, 1 to 512 [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=512))]
    pub threads: Option<u16>,
    /// Show no progress; print only the summary and errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The flags of the default command: generate, write `users.json`, load the database.
#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// How many users to generate.
    #[arg(long, value_name = "N", default_value_t = 50, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub num_users: u64,
    /// Seed for every random choice; the same seed and --as-of give the same bytes.
    #[arg(
        long,
        value_name = "S",
        default_value_t = 42,
        allow_negative_numbers = true
    )]
    pub seed: u64,
    /// Date all generated dates are relative to (YYYY-MM-DD) [default: today, UTC].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Where every user's timeline starts (YYYY-MM-DD), at most --as-of [default: --as-of]: a
    /// run as of D2 with --origin D1 shows what a database seeded as of D1 and advanced to D2
    /// shows.
    #[arg(long, value_name = "DATE", value_parser = parse_date, conflicts_with = "from")]
    pub origin: Option<NaiveDate>,
    /// Where to write the dataset: a file, replaced only when the run succeeds, or `-` for
    /// standard output (the summary then goes to standard error).
    #[arg(long, value_name = "PATH", default_value = "data/users.json")]
    pub out: PathBuf,
    /// Database to load [default: $DATABASE_URL, else data/spendsense.db].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Only write the JSON file; leave the database alone.
    #[arg(long, conflicts_with = "from")]
    pub no_db: bool,
    /// Only load the database; write no JSON file.
    #[arg(long, conflicts_with_all = ["no_db", "from"])]
    pub no_json: bool,
    /// Load this existing JSON file instead of generating.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["num_users", "seed", "as_of", "out"])]
    pub from: Option<PathBuf>,
    /// Generate only shard K of N (1-based) of the --num-users users and append them to the
    /// database instead of replacing its rows: `reset-db` once, then N shard runs, in any
    /// order or in parallel, give the rows of one unsharded run.
    #[arg(long, value_name = "K/N", conflicts_with = "from")]
    pub shard: Option<Shard>,
    /// Allow replacing the rows of a database whose host is not this machine.
    #[arg(long)]
    pub allow_remote: bool,
    /// Allow replacing users that no seed run recorded in seed_runs (they may be an
    /// application's own data, or a production database behind a local-looking URL).
    #[arg(long)]
    pub allow_unseeded: bool,
    /// Built-in profile to draw from: `story`, the product's original specification, or
    /// `calibrated`, data whose money adds up, calibrated to published US figures (see
    /// seed/profiles/).
    #[arg(
        long,
        value_name = "NAME",
        default_value = crate::profile::DEFAULT_PROFILE,
        conflicts_with_all = ["config", "from"]
    )]
    pub profile: String,
    /// Profile file (TOML) to draw from instead of a built-in one.
    #[arg(long, value_name = "PATH", conflicts_with = "from")]
    pub config: Option<PathBuf>,
    /// Threads for generation, 1 to 512 [default: one per core]; the output does not depend
    /// on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=512))]
    pub threads: Option<u16>,
    /// Show no progress; print only the summary and errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The range of `--as-of`: every date a run derives from it (sign-ups up to a century
/// before, predicted payments a year after) stays a four-digit year, which the JSON, SQLite's
/// text timestamps and PostgreSQL all hold the same way.
pub const AS_OF_RANGE: (NaiveDate, NaiveDate) = (
    NaiveDate::from_ymd_opt(1900, 1, 1).expect("a real date"),
    NaiveDate::from_ymd_opt(9998, 12, 31).expect("a real date"),
);

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| format!("{e} (expected YYYY-MM-DD, a real date)"))?;
    let (first, last) = AS_OF_RANGE;
    if !(first..=last).contains(&date) {
        return Err(format!(
            "out of range (expected a date from {first} to {last})"
        ));
    }
    Ok(date)
}
