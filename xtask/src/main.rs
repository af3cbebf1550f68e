//! The workspace's task runner: `cargo xtask seed`, `reset-db`, `fixtures`, `stats`, `plaid`,
//! `bench`.
//!
//! Thin on purpose: it parses flags, moves to the workspace root and shells out to cargo. It
//! knows nothing of Diesel or of the data; the `seed` and `plaid` binaries do the work.

mod bench;
mod bench_plaid;
mod flags;
mod pg_baseline;
mod runs;
mod sqlite_client;
mod targets;
mod tasks;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use xshell::Shell;

fn main() -> ExitCode {
    let flags = match flags::Xtask::try_parse() {
        Ok(flags) => flags,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // `cargo xtask` alone asks what there is: the list of tasks, as `cargo` alone does.
            let _ = flags::Xtask::command().print_help();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.use_stderr() => {
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
    match run(flags) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(flags: flags::Xtask) -> anyhow::Result<ExitCode> {
    let sh = &Shell::new()?;
    sh.change_dir(project_root());
    match flags.command {
        flags::Command::Seed(cmd) => cmd.run(sh, None),
        flags::Command::ResetDb(cmd) => cmd.run(sh, Some("reset-db")),
        flags::Command::Fixtures(cmd) => cmd.run(sh, Some("fixtures")),
        flags::Command::Stats(cmd) => cmd.run(sh, Some("stats")),
        flags::Command::Plaid(cmd) => cmd.run_plaid(sh),
        flags::Command::Bench(cmd) => cmd.run(sh),
    }
}

/// The workspace root: the parent of this crate's folder.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}
