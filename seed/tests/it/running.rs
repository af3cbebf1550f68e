//! Helpers for tests that drive a `seed` process while it runs: pause it at a named point
//! (`SEED_TEST_PAUSE`), send it Ctrl-C, let it go on, and compare files before and after.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};

/// A `seed` process whose stderr is read line by line.
pub(crate) struct Running {
    child: Child,
    stderr: BufReader<ChildStderr>,
    /// Every stderr line read so far.
    pub(crate) said: Vec<String>,
}

impl Running {
    /// Starts `seed` in `dir` with `args` and `envs` (no DATABASE_URL from the caller's
    /// environment), stdin and stderr piped.
    pub(crate) fn start(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Running {
        let mut command = Command::new(env!("CARGO_BIN_EXE_seed"));
        command
            .args(args)
            .current_dir(dir)
            .env_remove("DATABASE_URL")
            .env_remove("SEED_TEST_PAUSE")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in envs {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start seed");
        let stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
        Running {
            child,
            stderr,
            said: Vec::new(),
        }
    }

    /// Reads stderr until a line contains `needle`; panics with what was said if the
    /// process ends first.
    pub(crate) fn wait_for(&mut self, needle: &str) {
        loop {
            let mut line = String::new();
            let read = self.stderr.read_line(&mut line).expect("read stderr");
            assert!(
                read > 0,
                "seed ended before saying {needle:?}; it said {:?}",
                self.said
            );
            self.said.push(line.trim_end().to_owned());
            if line.contains(needle) {
                return;
            }
        }
    }

    /// Sends SIGINT, as Ctrl-C does.
    pub(crate) fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Lets a paused process go on.
    pub(crate) fn resume(&mut self) {
        let stdin = self.child.stdin.as_mut().expect("piped stdin");
        let _ = stdin.write_all(b"\n");
        let _ = stdin.flush();
    }

    /// Waits for the process to end; returns its status and all it said on stderr.
    pub(crate) fn finish(mut self) -> (ExitStatus, String) {
        drop(self.child.stdin.take());
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut self.stderr, &mut rest);
        let status = self.child.wait().expect("wait for seed");
        let mut said = self.said.join("\n");
        said.push('\n');
        said.push_str(&rest);
        (status, said)
    }
}

/// The bytes of each file (or `None` where there is none), to compare before and after.
pub(crate) fn snapshot(paths: &[PathBuf]) -> Vec<Option<Vec<u8>>> {
    paths.iter().map(|p| std::fs::read(p).ok()).collect()
}

/// Names of files in `dir` that a run leaves behind only by mistake: temp files and journals.
pub(crate) fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read the directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| {
            name.contains(".tmp-")
                || name.ends_with("-journal")
                || name.ends_with("-wal")
                || name.ends_with("-shm")
        })
        .collect()
}
