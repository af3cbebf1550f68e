//! The `seed` command: generate users, write `users.json`, load the database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use backend::DatabaseUrl;
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use seed::generate::GenConfig;
use seed::load::LoadMode;
use seed::pipeline::{self, Outputs, RunReport};
use seed::profile::Profile;
use seed::progress::Progress;
use seed::stats;

/// Deterministic synthetic SpendSense users, accounts and transactions.
#[derive(Debug, Parser)]
#[command(name = "seed", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    seed: SeedArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Revert every migration and apply them again: an empty, current schema.
    ResetDb {
        /// Database to reset [default: $DATABASE_URL, else data/spendsense.db].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Measure a users.json: rows, category shares, pending rate, accounts, persona signals.
    Stats {
        /// The file to measure.
        #[arg(value_name = "PATH", default_value = "data/users.json")]
        path: PathBuf,
        /// Profile the data was generated with, for the configured shares [default: built in].
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct SeedArgs {
    /// How many users to generate.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    num_users: u64,
    /// Seed for every random choice; the same seed and --as-of give the same bytes.
    #[arg(long, value_name = "S", default_value_t = 42)]
    seed: u64,
    /// Date all generated dates are relative to (YYYY-MM-DD) [default: today, UTC].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Where to write the dataset.
    #[arg(long, value_name = "PATH", default_value = "data/users.json")]
    out: PathBuf,
    /// Database to load [default: $DATABASE_URL, else data/spendsense.db].
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Only write the JSON file; leave the database alone.
    #[arg(long, conflicts_with = "from")]
    no_db: bool,
    /// Only load the database; write no JSON file.
    #[arg(long, conflicts_with_all = ["no_db", "from"])]
    no_json: bool,
    /// Load this existing JSON file instead of generating.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["num_users", "seed", "as_of", "out"])]
    from: Option<PathBuf>,
    /// Profile (TOML) with the distributions to draw from [default: seed/profiles/default.toml,
    /// built in].
    #[arg(long, value_name = "PATH", conflicts_with = "from")]
    config: Option<PathBuf>,
    /// Threads for generation [default: one per core]; the output does not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| format!("{e} (expected YYYY-MM-DD, a real date)"))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // clap's message is several lines; its first line says everything.
            let rendered = e.render().to_string();
            eprintln!(
                "{}",
                rendered
                    .lines()
                    .next()
                    .unwrap_or("error: invalid arguments")
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::ResetDb { database_url }) => {
            let url = DatabaseUrl::from_arg_or_env(database_url.as_deref())?;
            pipeline::reset_db(&url)?;
            println!("Reset {url}: every migration re-applied, tables empty");
            Ok(())
        }
        Some(Command::Stats { path, config }) => {
            let profile = load_profile(config.as_deref())?;
            let stats = stats::stats_of_file(&path, profile.window_days)?;
            print_report(&stats::render(&stats, &profile));
            Ok(())
        }
        None => seed(cli.seed),
    }
}

fn seed(args: SeedArgs) -> anyhow::Result<()> {
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads.into())
            .build_global()
            .context("start the thread pool")?;
    }
    let progress = Progress::default();
    let database = if args.no_db {
        None
    } else {
        Some((
            DatabaseUrl::from_arg_or_env(args.database_url.as_deref())?,
            LoadMode::Replace,
        ))
    };
    if let Some(path) = &args.from {
        let database = database.expect("--from conflicts with --no-db");
        let target = database.0.clone();
        let report = pipeline::load_file(path, database, &progress)?;
        println!("Read {} from {}", report.counts, path.display());
        print_loaded(&report, &target);
        return Ok(());
    }

    let as_of = args.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let profile = load_profile(args.config.as_deref())?;
    let config = GenConfig {
        seed: args.seed,
        as_of,
        profile,
    };
    let meta = pipeline::meta(&config, args.num_users);
    let outputs = Outputs {
        json: (!args.no_json).then(|| args.out.clone()),
        database: database.clone(),
    };
    let report = pipeline::generate(&config, &meta, 0..args.num_users, &outputs, &progress)?;
    println!(
        "Generated {} (seed {}, as of {})",
        report.counts, config.seed, config.as_of
    );
    if let Some(path) = &outputs.json {
        println!("Wrote {}", path.display());
    }
    if let Some((target, _)) = &database {
        print_loaded(&report, target);
    }
    if let Some(stats) = &report.stats {
        print_report(&stats::render(stats, &config.profile));
    }
    Ok(())
}

/// Prints the stats report; a closed stdout (`| head`) is not an error once the data is
/// written.
fn print_report(report: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(report.as_bytes());
}

fn load_profile(path: Option<&std::path::Path>) -> anyhow::Result<std::sync::Arc<Profile>> {
    Ok(match path {
        Some(path) => std::sync::Arc::new(Profile::load(path)?),
        None => Profile::default_profile(),
    })
}

fn print_loaded(report: &RunReport, target: &DatabaseUrl) {
    if let Some(load) = &report.load {
        println!("Loaded {} into {target}", load.counts);
    }
}
