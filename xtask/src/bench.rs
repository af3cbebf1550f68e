//! `cargo xtask bench`: runs the release binary at several sizes and writes BENCHMARKS.md.

use std::process::ExitCode;

use xshell::Shell;

use crate::flags;

impl flags::Bench {
    pub(crate) fn run(self, _sh: &Shell) -> anyhow::Result<ExitCode> {
        anyhow::bail!("bench: not written yet")
    }
}
