//! The `seed` command: generate users, write `users.json`, load the database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use backend::DatabaseUrl;
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use seed::dataset::Shard;
use seed::fixtures;
use seed::generate::GenConfig;
use seed::load::{Destructive, LoadMode, refuse_remote};
use seed::pipeline::{self, Outputs, RunReport};
use seed::profile::Profile;
use seed::progress::{Display, DisplayMode, INTERRUPTED, Plan, Progress};
use seed::stats;
use std::sync::atomic::Ordering;

/// Prints a line to stdout. A closed stdout (`| head`) is not an error once the data is
/// written, so a failed write is ignored instead of panicking as `println!` would.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Generation allocates and frees millions of small strings across threads; mimalloc keeps
/// that off the critical path where glibc's allocator spent a fifth of the run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        /// Allow resetting a database whose host is not this machine.
        #[arg(long)]
        allow_remote: bool,
    },
    /// Time SQLite's own fills of a loaded database's tables (for `cargo xtask bench`).
    #[command(hide = true)]
    SqliteCeiling {
        /// A SQLite database holding a loaded dataset.
        #[arg(long, value_name = "PATH")]
        database_url: PathBuf,
    },
    /// Write the pinned CI fixture dataset to backend/tests/fixtures/users.json and load it
    /// into a fresh database.
    Fixtures {
        /// Database for the fixtures [default: target/fixtures/spendsense.db, created afresh].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Allow resetting a database that is not on this machine.
        #[arg(long)]
        allow_remote: bool,
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
    #[arg(long, value_name = "N", default_value_t = 50, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    num_users: u64,
    /// Seed for every random choice; the same seed and --as-of give the same bytes.
    #[arg(
        long,
        value_name = "S",
        default_value_t = 42,
        allow_negative_numbers = true
    )]
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
    /// Generate only shard K of N (1-based) of the --num-users users and append them to the
    /// database instead of replacing its rows: `reset-db` once, then N shard runs, in any
    /// order or in parallel, give the rows of one unsharded run.
    #[arg(long, value_name = "K/N", conflicts_with = "from")]
    shard: Option<Shard>,
    /// Allow replacing the rows of a database whose host is not this machine.
    #[arg(long)]
    allow_remote: bool,
    /// Profile (TOML) with the distributions to draw from [default: seed/profiles/default.toml,
    /// built in].
    #[arg(long, value_name = "PATH", conflicts_with = "from")]
    config: Option<PathBuf>,
    /// Threads for generation [default: one per core]; the output does not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Show no progress; print only the summary and errors.
    #[arg(long, short)]
    quiet: bool,
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
        Some(Command::ResetDb {
            database_url,
            allow_remote,
        }) => {
            let url = DatabaseUrl::from_arg_or_env(database_url.as_deref())?;
            refuse_remote(&url, Destructive::Reset, allow_remote)?;
            pipeline::reset_db(&url)?;
            say!("Reset {url}: every migration re-applied, tables empty");
            Ok(())
        }
        Some(Command::Fixtures {
            database_url,
            allow_remote,
        }) => fixtures(database_url, allow_remote),
        Some(Command::SqliteCeiling { database_url }) => {
            let (rows, fills) = seed::load::ceiling::measure_sqlite_fills(&database_url)?;
            for fill in fills {
                let secs = fill.time.as_secs_f64();
                say!("fill\t{}\t{secs:.3}\t{rows}", fill.name);
            }
            Ok(())
        }
        Some(Command::Stats { path, config }) => {
            let profile = load_profile(config.as_deref())?;
            let stats = stats::stats_of_file(&path, profile.window_days)?;
            say!("{}", stats::render(&stats, &profile).trim_end_matches('\n'));
            Ok(())
        }
        None => seed(cli.seed),
    }
}

/// The first Ctrl-C asks the pipeline to stop and roll back; a second one exits at once
/// (SQLite's journal and PostgreSQL's transaction still keep the database as it was).
fn handle_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("interrupted: rolling back (press Ctrl-C again to exit at once)");
    });
}

fn seed(args: SeedArgs) -> anyhow::Result<()> {
    handle_ctrl_c();
    let display_mode = if args.quiet {
        DisplayMode::Quiet
    } else {
        DisplayMode::Auto
    };
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
        let url = DatabaseUrl::from_arg_or_env(args.database_url.as_deref())?;
        // A shard adds its own users and deletes nothing, so it needs no --allow-remote.
        let mode = if args.shard.is_some() {
            LoadMode::Append
        } else {
            LoadMode::Replace
        };
        if mode == LoadMode::Replace {
            refuse_remote(&url, Destructive::Replace, args.allow_remote)?;
        }
        Some((url, mode))
    };
    if let Some(path) = &args.from {
        let database = database.expect("--from conflicts with --no-db");
        let target = database.0.clone();
        let display = Display::start(
            &progress,
            Plan {
                total_users: None,
                loads: true,
            },
            display_mode,
        );
        let report = pipeline::load_file(path, database, &progress);
        display.finish();
        let report = report?;
        say!("Read {} from {}", report.counts, path.display());
        print_loaded(&report, &target);
        print_timings(&report, "read");
        return Ok(());
    }

    let as_of = args.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let profile = load_profile(args.config.as_deref())?;
    let config = GenConfig::with_profile(args.seed, as_of, profile);
    let mut meta = pipeline::meta(&config, args.num_users);
    let users = match args.shard {
        Some(shard) => {
            let users = shard.users(args.num_users);
            meta.num_users = users.end - users.start;
            meta.shard = Some(shard);
            users
        }
        None => 0..args.num_users,
    };
    let outputs = Outputs {
        json: (!args.no_json).then(|| args.out.clone()),
        database: database.clone(),
    };
    let plan = Plan {
        total_users: Some(users.end - users.start),
        loads: database.is_some(),
    };
    let display = Display::start(&progress, plan, display_mode);
    let report = pipeline::generate(&config, &meta, users.clone(), &outputs, &progress);
    display.finish();
    let report = report?;
    match args.shard {
        Some(shard) => say!(
            "Generated {} (seed {}, as of {}, shard {shard}: users {}..{} of {})",
            report.counts,
            config.seed,
            config.as_of,
            users.start,
            users.end,
            args.num_users
        ),
        None => say!(
            "Generated {} (seed {}, as of {})",
            report.counts,
            config.seed,
            config.as_of
        ),
    }
    if let (Some(path), Some(bytes)) = (&outputs.json, report.json_bytes) {
        say!(
            "Wrote {} ({:.1} MiB)",
            path.display(),
            bytes as f64 / (1024.0 * 1024.0)
        );
    }
    if let Some((target, _)) = &database {
        print_loaded(&report, target);
    }
    print_timings(
        &report,
        if outputs.json.is_some() {
            "generate+json"
        } else {
            "generate"
        },
    );
    if let Some(stats) = &report.stats {
        say!(
            "{}",
            stats::render(stats, &config.profile).trim_end_matches('\n')
        );
    }
    Ok(())
}

fn fixtures(database_url: Option<String>, allow_remote: bool) -> anyhow::Result<()> {
    let url = match database_url {
        Some(url) => {
            let url = DatabaseUrl::parse(&url)?;
            // Fixtures start from a reset schema, which must not reach a remote server.
            refuse_remote(&url, Destructive::Reset, allow_remote)?;
            url
        }
        None => {
            let path = PathBuf::from(fixtures::DATABASE_PATH);
            let dir = path.parent().expect("the fixture path has a folder");
            std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("remove {}", path.display()));
                }
                _ => {}
            }
            DatabaseUrl::Sqlite { path }
        }
    };
    // A fresh schema, whatever the database held before.
    pipeline::reset_db(&url)?;
    let config = fixtures::config();
    let meta = pipeline::meta(&config, fixtures::NUM_USERS);
    let json = PathBuf::from(fixtures::JSON_PATH);
    let outputs = Outputs {
        json: Some(json.clone()),
        database: Some((url.clone(), LoadMode::Replace)),
    };
    let report = pipeline::generate(
        &config,
        &meta,
        0..fixtures::NUM_USERS,
        &outputs,
        &Progress::default(),
    )?;
    say!("Wrote fixtures: {} to {}", report.counts, json.display());
    print_loaded(&report, &url);
    Ok(())
}

/// The process's peak resident set size, from Linux's /proc; `None` elsewhere.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn load_profile(path: Option<&std::path::Path>) -> anyhow::Result<std::sync::Arc<Profile>> {
    Ok(match path {
        Some(path) => std::sync::Arc::new(Profile::load(path)?),
        None => Profile::default_profile(),
    })
}

fn print_loaded(report: &RunReport, target: &DatabaseUrl) {
    if let Some(load) = &report.load {
        say!("Loaded {} into {target}", load.counts);
    }
}

/// Prints wall time and rate per phase. Producing overlaps inserting, so the phases add up
/// to more than the total.
fn print_timings(report: &RunReport, produce: &str) {
    let rows = report.counts.total();
    let rate = |d: std::time::Duration| {
        let per_sec = rows as f64 / d.as_secs_f64().max(1e-9);
        if per_sec >= 1e6 {
            format!("{:.2}M rows/s", per_sec / 1e6)
        } else {
            format!("{:.0}k rows/s", per_sec / 1e3)
        }
    };
    let mut lines = vec![(produce, report.produce, Some(rate(report.produce)))];
    if let Some(load) = &report.load {
        lines.push(("insert", load.insert, Some(rate(load.insert))));
        lines.push(("index", load.index, None));
        lines.push(("check", load.check, None));
    }
    lines.push(("total", report.total, Some(rate(report.total))));
    for (name, time, rate) in lines {
        say!(
            "  {name:<14} {:>8.2} s  {}",
            time.as_secs_f64(),
            rate.unwrap_or_default()
        );
    }
    if let Some(kib) = peak_rss_kib() {
        say!("  peak RSS {:>10.1} MiB", kib as f64 / 1024.0);
    }
}
