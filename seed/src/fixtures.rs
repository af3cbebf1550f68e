//! The CI fixture dataset, small and pinned, committed for the backend's integration tests;
//! and the golden digests, the SHA-256 of the `users.json` of a few pinned runs, committed
//! for the seeder's.

use std::path::{Path, PathBuf};

use anyhow::Context;
use backend::DatabaseUrl;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::dataset::Meta;
use crate::generate::GenConfig;
use crate::guard::{Destructive, refuse_remote};
use crate::json::{JsonOut, PreparedJson};
use crate::pipeline::{self, Database, Outputs, RunReport};
use crate::profile::Profile;
use crate::progress::Progress;

/// Users in the fixture dataset.
pub const NUM_USERS: u64 = 5;

/// The fixture dataset's seed.
pub const SEED: u64 = 7;

/// Where `cargo xtask fixtures` writes the JSON, relative to the workspace root. The file is
/// committed; a test fails when it no longer matches the generator.
pub const JSON_PATH: &str = "backend/tests/fixtures/users.json";

/// Where `cargo xtask fixtures` builds a fresh SQLite database, relative to the workspace root.
pub const DATABASE_PATH: &str = "target/fixtures/spendsense.db";

/// Where `cargo xtask fixtures` writes the golden digests, relative to the workspace root.
/// The file is committed; `seed/tests/it/golden.rs` fails when a run of [`GOLDEN_RUNS`] no
/// longer writes the bytes it pins.
pub const GOLDEN_PATH: &str = "seed/tests/golden.sha256";

/// A `seed` run whose `users.json` is pinned by its SHA-256 in [`GOLDEN_PATH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoldenRun {
    /// The built-in profile (`--profile`).
    pub profile: &'static str,
    /// `--num-users`.
    pub num_users: u64,
    /// `--seed`.
    pub seed: u64,
    /// `--as-of`.
    pub as_of: NaiveDate,
}

/// The pinned runs, each once: the default profile's 50 users, and the calibrated profile's
/// generator over 20.
pub const GOLDEN_RUNS: &[GoldenRun] = &[
    GoldenRun {
        profile: "story",
        num_users: 50,
        seed: 42,
        as_of: NaiveDate::from_ymd_opt(2025, 6, 1).expect("a real date"),
    },
    GoldenRun {
        profile: "calibrated",
        num_users: 20,
        seed: 42,
        as_of: NaiveDate::from_ymd_opt(2025, 6, 1).expect("a real date"),
    },
];

impl GoldenRun {
    /// The `seed` command line (`cargo xtask seed …`) whose `users.json` this run pins; its
    /// line in [`GOLDEN_PATH`] is named by it.
    pub fn command_line(&self) -> String {
        let GoldenRun {
            profile,
            num_users,
            seed,
            as_of,
        } = self;
        format!("seed --profile {profile} --num-users {num_users} --seed {seed} --as-of {as_of}")
    }

    /// Its generator settings, as its command line resolves them.
    pub fn config(&self) -> anyhow::Result<GenConfig> {
        let profile = Profile::builtin(self.profile)?;
        Ok(GenConfig::with_profile(self.seed, self.as_of, profile))
    }

    /// The SHA-256 of the `users.json` it writes: written through the pipeline as the run
    /// writes it (the JSON alone) to `path`, which is left there, and read back.
    fn digest(&self, path: &Path) -> anyhow::Result<String> {
        let config = self.config()?;
        let outputs = Outputs {
            json: Some(JsonOut::File(path.to_path_buf())),
            database: None,
        };
        let meta = config.meta(self.num_users);
        let users = 0..self.num_users;
        pipeline::generate(&config, &meta, users, &outputs, &Progress::default())
            .with_context(|| format!("generate `{}`", self.command_line()))?;
        let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
        Ok(sha256_hex(&bytes))
    }
}

/// The SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// What [`GOLDEN_PATH`] says above its lines.
const GOLDEN_HEADER: &str = "\
# Golden digests: the SHA-256 of the users.json that each `seed` command line below writes
# (`cargo xtask seed ...`, whatever its --out or database). Generated from GOLDEN_RUNS in
# seed/src/fixtures.rs: regenerate it with `cargo xtask fixtures`, never by hand. A change
# here is a change to generated output: make it deliberately, and bump the version in
# Cargo.toml (the generator's) if users should notice.
";

/// The text of [`GOLDEN_PATH`] for `digests`, one per run of [`GOLDEN_RUNS`] in its order:
/// the header, then `<digest>  <command line>` for each run.
pub fn golden_text(digests: &[String]) -> String {
    let mut text = GOLDEN_HEADER.to_owned();
    for (run, digest) in GOLDEN_RUNS.iter().zip(digests) {
        text.push_str(&format!("{digest}  {}\n", run.command_line()));
    }
    text
}

/// The lines of a golden file's `text` as (command line, digest), in its order; comments
/// (`#`) and blank lines are skipped. A line that is not a SHA-256 in lower-case hex, two
/// spaces and a command line is an error naming its number.
pub fn parse_golden(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut lines = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once("  ") {
            Some((digest, command))
                if digest.len() == 64
                    && digest
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                    && !command.trim().is_empty() =>
            {
                lines.push((command.to_owned(), digest.to_owned()));
            }
            _ => {
                return Err(format!(
                    "line {}: expected `<sha-256 in hex>  <seed command line>`, found `{line}`",
                    number + 1
                ));
            }
        }
    }
    Ok(lines)
}

/// Writes [`GOLDEN_PATH`] with the digest of every run of [`GOLDEN_RUNS`], each generated to
/// `target/fixtures/golden-N.json` (N from 1, in the list's order) and hashed; the file is
/// written beside its destination and renamed into place, as `users.json` is.
pub fn write_golden() -> anyhow::Result<()> {
    let dir = Path::new(DATABASE_PATH)
        .parent()
        .expect("the fixture path has a folder");
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let digests = GOLDEN_RUNS
        .iter()
        .enumerate()
        .map(|(i, run)| run.digest(&dir.join(format!("golden-{}.json", i + 1))))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let text = golden_text(&digests);
    let out = JsonOut::File(PathBuf::from(GOLDEN_PATH));
    PreparedJson::write(&out, |file| {
        file.write_all(text.as_bytes())
            .with_context(|| format!("write {GOLDEN_PATH}"))
    })?
    .swap_in()?
    .keep();
    Ok(())
}

/// The generator settings of the fixture dataset.
pub fn config() -> GenConfig {
    GenConfig::new(
        SEED,
        NaiveDate::from_ymd_opt(2025, 1, 1).expect("a real date"),
    )
}

/// The fixtures' `meta`.
pub fn meta() -> Meta {
    config().meta(NUM_USERS)
}

/// Writes the fixture dataset to [`JSON_PATH`] and loads it into a freshly reset database:
/// `database_url`, or a new SQLite file at [`DATABASE_PATH`]; then the golden digests
/// ([`write_golden`]). Fixtures start from a reset schema, which must not reach a remote
/// server without `allow_remote`.
pub fn write(
    database_url: Option<&str>,
    allow_remote: bool,
    allow_unseeded: bool,
) -> anyhow::Result<(RunReport, DatabaseUrl)> {
    let url = match database_url {
        Some(url) => {
            let url = DatabaseUrl::parse(url)?;
            refuse_remote(&url, Destructive::Reset, allow_remote)?;
            url
        }
        None => {
            let path = PathBuf::from(DATABASE_PATH);
            remove_database_file(&path)?;
            DatabaseUrl::Sqlite { path }
        }
    };
    crate::database::reset(&url, allow_unseeded)?;
    let outputs = Outputs {
        json: Some(JsonOut::File(PathBuf::from(JSON_PATH))),
        database: Some(Database::replace(url.clone())),
    };
    let report = pipeline::generate(
        &config(),
        &meta(),
        0..NUM_USERS,
        &outputs,
        &Progress::default(),
    )?;
    write_golden()?;
    Ok((report, url))
}

/// Removes the fixture database file so the fixtures start from an empty one.
fn remove_database_file(path: &Path) -> anyhow::Result<()> {
    let dir = path.parent().expect("the fixture path has a folder");
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_sha256_in_lower_case_hex() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_golden_text_parses_back_to_its_runs() {
        let digests: Vec<String> = (0..GOLDEN_RUNS.len())
            .map(|i| format!("{i:064x}"))
            .collect();
        let text = golden_text(&digests);
        assert!(text.starts_with("# "), "{text}");
        let expected: Vec<(String, String)> = GOLDEN_RUNS
            .iter()
            .map(GoldenRun::command_line)
            .zip(digests)
            .collect();
        assert_eq!(parse_golden(&text).unwrap(), expected);
    }

    #[test]
    fn a_malformed_golden_line_is_named() {
        let zeros = "0".repeat(64);
        for bad in [
            "abc  seed --seed 1".to_owned(),
            format!("{zeros}  "),
            format!("{zeros} seed --seed 1"),
            format!("{}  seed --seed 1", "A".repeat(64)),
        ] {
            let error = parse_golden(&format!("# header\n\n{bad}\n")).unwrap_err();
            assert!(error.starts_with("line 3: "), "{error}");
        }
        assert_eq!(
            parse_golden(&format!("# header\n{zeros}  seed --seed 1\n")).unwrap(),
            [("seed --seed 1".to_owned(), zeros)]
        );
    }
}
