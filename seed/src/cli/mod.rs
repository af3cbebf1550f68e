//! The `seed` command: parses the flags ([`flags`]), resolves them into a plan ([`plan`]),
//! runs it and prints what happened ([`report`]). Errors are one line on stderr.

pub mod flags;
pub mod plan;
pub(crate) mod report;

use std::process::ExitCode;

use anyhow::Context;
use backend::DatabaseUrl;
use backend::db::one_line;
use chrono::Utc;
use clap::Parser;

use crate::guard::{Destructive, refuse_remote};
use crate::interrupt::{self, Interrupted};
use crate::json::JsonOut;
use crate::pipeline;
use crate::profile::BUILTIN_PROFILES;
use crate::progress::{Display, Plan, Progress, Users};
use crate::stats;
use flags::{Cli, Command, SeedArgs};
use plan::{SeedPlan, Source, load_profile, load_targets};
use report::{print_loaded, say};

/// clap's message for a command line it refuses, in one line: its first paragraph (what is
/// wrong, and the arguments it names on the lines after), without the usage and tips.
pub fn usage_error_line(rendered: &str) -> String {
    let line = rendered
        .lines()
        .take_while(|line| !line.trim().is_empty() && !line.starts_with("Usage:"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    if line.is_empty() {
        "error: invalid arguments".to_owned()
    } else {
        line
    }
}

/// Runs the `seed` command line; the binary's `main` is this.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            crate::stderr::write_line!("{}", usage_error_line(&e.render().to_string()));
            return ExitCode::from(2);
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    let code = match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.chain().any(|cause| cause.is::<Interrupted>()) => {
            crate::stderr::write_line!("error: {Interrupted}");
            ExitCode::from(interrupt::EXIT_CODE)
        }
        Err(e) => {
            crate::stderr::write_line!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    };
    interrupt::settle(SETTLE);
    code
}

/// How long the process waits, before it exits, for a Ctrl-C hook still cancelling a
/// statement ([`interrupt::settle`]): one attempt is a connection to the server and a query.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(5);

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::ResetDb {
            database_url,
            allow_remote,
            allow_unseeded,
        }) => {
            interrupt::install();
            let url = DatabaseUrl::from_arg_or_env(database_url.as_deref())?;
            refuse_remote(&url, Destructive::Reset, allow_remote)?;
            crate::database::reset(&url, allow_unseeded)?;
            say!("Reset {url}: every migration re-applied, tables empty");
            Ok(())
        }
        Some(Command::Fixtures {
            database_url,
            allow_remote,
            allow_unseeded,
        }) => fixtures(database_url.as_deref(), allow_remote, allow_unseeded),
        Some(Command::SqliteCeiling {
            database_url,
            keep_staging,
            fastest_only,
        }) => {
            let fills = if fastest_only {
                &crate::load::ceiling::FILLS[2..]
            } else {
                &crate::load::ceiling::FILLS[..]
            };
            let (rows, fills) =
                crate::load::ceiling::measure_sqlite_fills(&database_url, keep_staging, fills)?;
            for fill in fills {
                let secs = fill.time.as_secs_f64();
                let insert = fill.insert.as_secs_f64();
                say!("fill\t{}\t{secs:.3}\t{rows}\t{insert:.3}", fill.name);
            }
            Ok(())
        }
        Some(Command::Stats {
            path,
            database_url,
            profile,
            config,
        }) => print_stats(&path, database_url.as_deref(), profile, config.as_deref()),
        Some(Command::Advance(args)) => advance(args),
        Some(Command::Changes {
            since,
            count,
            database_url,
        }) => print_changes(&since, count, database_url.as_deref()),
        Some(Command::Tables) => {
            for table in crate::tables::TABLES {
                say!("{}", table.name);
            }
            Ok(())
        }
        Some(Command::PgKeys { database_url, drop }) => {
            let url = DatabaseUrl::parse(&database_url)?;
            for statement in crate::load::postgres_key_statements(&url, drop)? {
                say!("{statement};");
            }
            Ok(())
        }
        None => seed(cli.seed),
    }
}

/// `seed fixtures`: the pinned CI dataset, written and loaded, and the golden digests.
fn fixtures(
    database_url: Option<&str>,
    allow_remote: bool,
    allow_unseeded: bool,
) -> anyhow::Result<()> {
    interrupt::install();
    let (report, url) = crate::fixtures::write(database_url, allow_remote, allow_unseeded)?;
    say!(
        "Wrote fixtures: {} to {}",
        report.counts,
        crate::fixtures::JSON_PATH
    );
    say!(
        "Wrote golden digests: {} runs to {}",
        crate::fixtures::GOLDEN_RUNS.len(),
        crate::fixtures::GOLDEN_PATH
    );
    print_loaded(&report, &url);
    Ok(())
}

/// `seed stats`: a file's or a database's measurements, against the profile it names (or
/// the one given).
fn print_stats(
    path: &std::path::Path,
    database_url: Option<&str>,
    profile: Option<String>,
    config: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    // The data says which profile it was drawn from; a flag may say otherwise.
    let choose = |named: String| -> anyhow::Result<(String, crate::profile::Profile)> {
        let named = profile.clone().unwrap_or(named);
        if config.is_none() && !BUILTIN_PROFILES.contains(&named.as_str()) {
            let source = database_url.map_or_else(|| path.display().to_string(), str::to_owned);
            anyhow::bail!("{source} was drawn from the profile file {named}: pass --config PATH");
        }
        let chosen = load_profile(config, &named)?;
        Ok((named, chosen))
    };
    let mut collector = stats::Collector::new();
    let (meta, (named, chosen)) = match database_url {
        Some(url) => {
            let url = DatabaseUrl::parse(url)?;
            let mut chosen = None;
            let meta = crate::advance::read::read_as_of(
                &url,
                |named| {
                    let (named, profile) = choose(named.to_owned())?;
                    let window = profile.common().window_days;
                    chosen = Some((named, profile));
                    Ok(window)
                },
                &mut |batch| collector.add(&batch),
            )?;
            (meta, chosen.expect("the reader asks for the profile"))
        }
        None => {
            let meta;
            (meta, collector) = stats::collect_file(path)?;
            let chosen = choose(meta.profile.clone())?;
            (meta, chosen)
        }
    };
    let targets = load_targets(config, &named)?;
    let stats = collector.finish(&chosen, meta.as_of);
    say!(
        "{}",
        stats::render(&stats, &chosen, targets.as_ref())?.trim_end_matches('\n')
    );
    Ok(())
}

/// `seed changes`: the sync page after a cursor.
fn print_changes(since: &str, count: u16, database_url: Option<&str>) -> anyhow::Result<()> {
    let url = DatabaseUrl::from_arg_or_env(database_url)?;
    let since = crate::advance::sync::parse_cursor(since)?;
    let mut conn = url.connect()?;
    let page = crate::advance::sync::page(&mut conn, since, usize::from(count))?;
    let text = serde_json::to_string_pretty(&page).context("print the page")?;
    say!("{text}");
    Ok(())
}

fn advance(args: flags::AdvanceArgs) -> anyhow::Result<()> {
    interrupt::install();
    start_thread_pool(args.threads)?;
    let url = DatabaseUrl::from_arg_or_env(args.database_url.as_deref())?;
    refuse_remote(&url, Destructive::Advance, args.allow_remote)?;
    let target = match (args.days, args.to) {
        (Some(days), None) => crate::advance::Target::Days(days),
        (None, Some(date)) => crate::advance::Target::Date(date),
        _ => unreachable!("clap asks for exactly one of --days and --to"),
    };
    let sync_out = args
        .sync_out
        .as_deref()
        .map(|path| match path.as_os_str() == "-" {
            true => JsonOut::Stdout,
            false => JsonOut::File(path.to_path_buf()),
        });
    report::to_stderr(sync_out == Some(JsonOut::Stdout));
    let options = crate::advance::AdvanceOptions {
        url: url.clone(),
        target,
        shard: args.shard,
        config: args.config,
        sync_out,
        allow_unseeded: args.allow_unseeded,
    };
    let progress = Progress::default();
    let display = Display::start(
        &progress,
        Plan {
            users: Users::Advanced,
            loads: false,
        },
        plan::display_mode(args.quiet),
    );
    let report = crate::advance::advance(&options, &progress);
    display.finish();
    report::print_advanced(&report?, &url);
    Ok(())
}

fn seed(args: SeedArgs) -> anyhow::Result<()> {
    interrupt::install();
    let plan = SeedPlan::resolve(args, Utc::now().date_naive())?;
    start_thread_pool(plan.threads)?;
    // With the JSON on standard output, what the run says goes to standard error.
    report::to_stderr(plan.outputs.json == Some(JsonOut::Stdout));
    let progress = Progress::default();
    let display = Display::start(&progress, plan.progress(), plan.display);
    match &plan.source {
        Source::File(path) => {
            let database = plan.outputs.database.as_ref();
            let database = database.expect("--from conflicts with --no-db");
            let report = pipeline::load_file(path, database, &progress);
            display.finish();
            report::print_read(&report?, path, &database.url);
        }
        Source::Generate {
            config,
            meta,
            users,
            ..
        } => {
            let report = pipeline::generate(config, meta, users.clone(), &plan.outputs, &progress);
            display.finish();
            report::print_generated(&report?, &plan)?;
        }
    }
    Ok(())
}

/// Builds the global thread pool with `threads` threads, if given (else one per core).
fn start_thread_pool(threads: Option<u16>) -> anyhow::Result<()> {
    if let Some(threads) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads.into())
            .build_global()
            .context("start the thread pool")?;
    }
    Ok(())
}
