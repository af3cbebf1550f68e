//! `seed`, `reset-db`, `fixtures` and `stats` build the `seed` binary and run it with the
//! task's arguments; `plaid` does the same with the `plaid` binary.

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Context;
use xshell::{Shell, cmd};

use crate::flags;

/// Runs the `seed` binary with `args` through `cargo run`, passing its exit code on. It is
/// the dev build, which `cargo test --workspace` compiles as well (the workspace's
/// Cargo.toml optimises the seeder in it), so the README's two commands share one build.
/// Cargo's own output is shown only when there is no binary yet, so the first build (a few
/// minutes: SQLite and libpq are compiled from source) shows its progress and later runs
/// print nothing but the seeder's own lines.
pub(crate) fn run_seed(sh: &Shell, args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    run_binary(sh, "seed", args)
}

/// Runs the binary `name` of the package of the same name through `cargo run`, as
/// [`run_seed`] does.
pub(crate) fn run_binary(sh: &Shell, name: &str, args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| sh.current_dir().join("target"), Into::into);
    let built = target
        .join("debug")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
        .exists();
    let quiet = built.then_some("--quiet");
    let mut command: std::process::Command = cmd!(
        sh,
        "{cargo} run {quiet...} --package {name} --bin {name} --"
    )
    .args(args)
    .into();
    let status = command.status().context("run cargo")?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

impl flags::Forward {
    /// Runs the `plaid` binary with the task's arguments.
    pub(crate) fn run_plaid(self, sh: &Shell) -> anyhow::Result<ExitCode> {
        run_binary(sh, "plaid", self.args)
    }

    /// Runs `seed`, with `subcommand` first when the task is one of its subcommands.
    pub(crate) fn run(self, sh: &Shell, subcommand: Option<&str>) -> anyhow::Result<ExitCode> {
        let mut args: Vec<OsString> = subcommand.map(OsString::from).into_iter().collect();
        args.extend(self.args);
        run_seed(sh, args)
    }
}
