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
use crate::progress::{Display, DisplayMode, Plan, Progress};
use crate::stats;
use flags::{Cli, Command, SeedArgs};
use plan::{SeedPlan, Source, load_profile, load_targets};
use report::{print_loaded, print_timings, say};

/// Runs the `seed` command line; the binary's `main` is this.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // clap's message is several lines; its first line says everything.
            let rendered = e.render().to_string();
            crate::stderr::write_line!(
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
        Err(e) if e.chain().any(|cause| cause.is::<Interrupted>()) => {
            crate::stderr::write_line!("error: {Interrupted}");
            ExitCode::from(interrupt::EXIT_CODE)
        }
        Err(e) => {
            crate::stderr::write_line!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

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
        }) => {
            interrupt::install();
            let (report, url) =
                crate::fixtures::write(database_url.as_deref(), allow_remote, allow_unseeded)?;
            say!(
                "Wrote fixtures: {} to {}",
                report.counts,
                crate::fixtures::JSON_PATH
            );
            print_loaded(&report, &url);
            Ok(())
        }
        Some(Command::SqliteCeiling {
            database_url,
            keep_staging,
        }) => {
            let (rows, fills) =
                crate::load::ceiling::measure_sqlite_fills(&database_url, keep_staging)?;
            for fill in fills {
                let secs = fill.time.as_secs_f64();
                let insert = fill.insert.as_secs_f64();
                say!("fill\t{}\t{secs:.3}\t{rows}\t{insert:.3}", fill.name);
            }
            Ok(())
        }
        Some(Command::Stats {
            path,
            profile,
            config,
        }) => {
            let (meta, collector) = stats::collect_file(&path)?;
            // The file says which profile it was drawn from; a flag may say otherwise.
            let named = profile.unwrap_or(meta.profile);
            if config.is_none() && !BUILTIN_PROFILES.contains(&named.as_str()) {
                anyhow::bail!(
                    "{} was drawn from the profile file {named}: pass --config PATH",
                    path.display()
                );
            }
            let profile = load_profile(config.as_deref(), &named)?;
            let targets = load_targets(config.as_deref(), &named)?;
            let stats = collector.finish(&profile, meta.as_of);
            say!(
                "{}",
                stats::render(&stats, &profile, targets.as_ref())?.trim_end_matches('\n')
            );
            Ok(())
        }
        Some(Command::Advance(args)) => advance(args),
        Some(Command::Changes {
            since,
            count,
            database_url,
        }) => {
            let url = DatabaseUrl::from_arg_or_env(database_url.as_deref())?;
            let since = crate::advance::sync::parse_cursor(&since)?;
            let mut conn = url.connect()?;
            let page = crate::advance::sync::page(&mut conn, since, usize::from(count))?;
            let text = serde_json::to_string_pretty(&page).context("print the page")?;
            say!("{text}");
            Ok(())
        }
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

fn advance(args: flags::AdvanceArgs) -> anyhow::Result<()> {
    interrupt::install();
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads.into())
            .build_global()
            .context("start the thread pool")?;
    }
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
    let mode = if args.quiet {
        DisplayMode::Quiet
    } else {
        DisplayMode::Auto
    };
    let display = Display::start(
        &progress,
        Plan {
            total_users: None,
            loads: false,
        },
        mode,
    );
    let report = crate::advance::advance(&options, &progress);
    display.finish();
    report::print_advanced(&report?, &url);
    Ok(())
}

fn seed(args: SeedArgs) -> anyhow::Result<()> {
    interrupt::install();
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
    let plan = SeedPlan::resolve(args, Utc::now().date_naive())?;
    // With the JSON on standard output, what the run says goes to standard error.
    report::to_stderr(plan.outputs.json == Some(JsonOut::Stdout));
    let progress = Progress::default();
    let database = plan.outputs.database.clone();
    match plan.source {
        Source::File(path) => {
            let database = database.expect("--from conflicts with --no-db");
            let display = Display::start(
                &progress,
                Plan {
                    total_users: None,
                    loads: true,
                },
                display_mode,
            );
            let report = pipeline::load_file(&path, &database, &progress);
            display.finish();
            let report = report?;
            say!("Read {} from {}", report.counts, path.display());
            print_loaded(&report, &database.url);
            print_timings(&report, "read");
        }
        Source::Generate {
            config,
            meta,
            users,
            shard,
            targets,
        } => {
            let display = Display::start(
                &progress,
                Plan {
                    total_users: Some(users.end - users.start),
                    loads: database.is_some(),
                },
                display_mode,
            );
            let report =
                pipeline::generate(&config, &meta, users.clone(), &plan.outputs, &progress);
            display.finish();
            let report = report?;
            match shard {
                Some((shard, num_users)) => say!(
                    "Generated {} (seed {}, as of {}, shard {shard}: users {}..{} of {})",
                    report.counts,
                    config.seed,
                    config.as_of,
                    users.start,
                    users.end,
                    num_users
                ),
                None => say!(
                    "Generated {} (seed {}, as of {})",
                    report.counts,
                    config.seed,
                    config.as_of
                ),
            }
            if let (Some(out), Some(bytes)) = (&plan.outputs.json, report.json_bytes) {
                let to = match out {
                    JsonOut::File(path) => path.display().to_string(),
                    JsonOut::Stdout => "standard output".to_owned(),
                };
                say!("Wrote {to} ({:.1} MiB)", bytes as f64 / (1024.0 * 1024.0));
            }
            if let Some(database) = &database {
                print_loaded(&report, &database.url);
            }
            print_timings(
                &report,
                if plan.outputs.json.is_some() {
                    "generate+json"
                } else {
                    "generate"
                },
            );
            if let Some(stats) = &report.stats {
                say!(
                    "{}",
                    stats::render(stats, &config.profile, targets.as_deref())?
                        .trim_end_matches('\n')
                );
            }
        }
    }
    Ok(())
}
