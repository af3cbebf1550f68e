//! `seed`, `reset-db`, `fixtures` and `stats`: each builds the `seed` binary and runs it.

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Context;
use xshell::{Shell, cmd};

use crate::flags;

/// Runs the release `seed` binary with `args` through `cargo run`, passing its exit code on.
/// Cargo's own output is shown only when there is no binary yet, so the first build (a few
/// minutes: SQLite, libpq and OpenSSL are compiled from source) shows its progress and
/// later runs print nothing but the seeder's own lines.
pub(crate) fn run_seed(sh: &Shell, args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| sh.current_dir().join("target"), Into::into);
    let built = target
        .join("release")
        .join(format!("seed{}", std::env::consts::EXE_SUFFIX))
        .exists();
    let quiet = built.then_some("--quiet");
    let mut command: std::process::Command = cmd!(
        sh,
        "{cargo} run --release {quiet...} --package seed --bin seed --"
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

fn push_opt(args: &mut Vec<OsString>, flag: &str, value: Option<impl Into<OsString>>) {
    if let Some(value) = value {
        args.push(flag.into());
        args.push(value.into());
    }
}

fn push_flag(args: &mut Vec<OsString>, flag: &str, set: bool) {
    if set {
        args.push(flag.into());
    }
}

impl flags::Seed {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<ExitCode> {
        let mut args = Vec::new();
        push_opt(&mut args, "--num-users", self.num_users);
        push_opt(&mut args, "--seed", self.seed);
        push_opt(&mut args, "--as-of", self.as_of);
        push_opt(&mut args, "--out", self.out);
        push_opt(&mut args, "--database-url", self.database_url);
        push_flag(&mut args, "--no-db", self.no_db);
        push_flag(&mut args, "--no-json", self.no_json);
        push_opt(&mut args, "--from", self.from);
        push_opt(&mut args, "--config", self.config);
        push_opt(&mut args, "--shard", self.shard);
        push_flag(&mut args, "--allow-remote", self.allow_remote);
        push_opt(&mut args, "--threads", self.threads);
        push_flag(&mut args, "--quiet", self.quiet);
        run_seed(sh, args)
    }
}

impl flags::ResetDb {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<ExitCode> {
        let mut args = vec!["reset-db".into()];
        push_opt(&mut args, "--database-url", self.database_url);
        push_flag(&mut args, "--allow-remote", self.allow_remote);
        run_seed(sh, args)
    }
}

impl flags::Fixtures {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<ExitCode> {
        let mut args = vec!["fixtures".into()];
        push_opt(&mut args, "--database-url", self.database_url);
        push_flag(&mut args, "--allow-remote", self.allow_remote);
        run_seed(sh, args)
    }
}

impl flags::Stats {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<ExitCode> {
        let mut args = vec!["stats".into()];
        args.extend(self.path.map(OsString::from));
        push_opt(&mut args, "--config", self.config);
        run_seed(sh, args)
    }
}
